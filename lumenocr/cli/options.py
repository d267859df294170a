"""Command-line options derived from settings dataclasses, so that a knob, its help text and its
default each have one definition (the dataclass field and the model's registry entry)."""

from __future__ import annotations

import argparse
from typing import Any

from lumenocr.config_utils import documented_fields

_TYPES: dict[str, type] = {"int": int, "float": float, "str": str}


def add_settings_options(group: Any, cls: type, defaults: Any) -> tuple[str, ...]:
    """Add ``--field-name`` for each option field of ``cls`` to ``group`` (argparse default
    ``None``: "not given, keep the model's setting"); help shows the value in ``defaults``, an
    instance holding the default model's settings. Returns the field names."""
    names = []
    for f in documented_fields(cls):
        meta = f.metadata
        flag = "--" + f.name.replace("_", "-")
        default = getattr(defaults, f.name)
        kind = str(f.type)
        if kind == "bool":
            state = "on" if default else "off"
            group.add_argument(
                flag,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=f"{meta['help']} (default {state})",
            )
        else:
            kw: dict[str, Any] = {"type": _TYPES[kind], "help": f"{meta['help']} (default {default})"}
            if "choices" in meta:
                kw["choices"] = meta["choices"]
            else:
                kw["metavar"] = meta.get("metavar", f.name.upper())
            group.add_argument(flag, **kw)
        names.append(f.name)
    return tuple(names)
