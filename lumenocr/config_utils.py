"""Settings dataclasses <-> plain data: one generic reader (:func:`from_dict`, which rejects unknown
keys) and one generic writer (:func:`to_dict`, every field via ``dataclasses.asdict``), so no
settings class hand-writes its serialisation and no field can be forgotten."""

from __future__ import annotations

import dataclasses
import numbers
from typing import TYPE_CHECKING, Any, TypeVar

from lumenocr.errors import ConfigError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


def to_dict(obj: Any) -> dict[str, Any]:
    """Every field of settings dataclass ``obj`` as JSON/YAML-ready data (tuples become lists).

    :func:`from_dict` reads it back into an equal object."""
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise TypeError(f"to_dict expects a dataclass instance, got {type(obj).__name__}")
    return _plain(dataclasses.asdict(obj))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | range):
        return [_plain(v) for v in value]
    return value


def documented_fields(cls: type) -> list[dataclasses.Field]:
    """The fields of settings dataclass ``cls`` that users set by name (those with ``help``
    metadata): ``lumenocr ocr`` options, server request fields."""
    return [f for f in dataclasses.fields(cls) if "help" in f.metadata]


def field_help(f: dataclasses.Field, default: Any) -> str:
    """The help text of documented field ``f`` with ``default`` shown."""
    if str(f.type) == "bool":
        return f"{f.metadata['help']} (default {'on' if default else 'off'})"
    return f"{f.metadata['help']} (default {default})"


def from_dict(cls: type[T], data: dict[str, Any] | None, where: str = "") -> T:
    """Build dataclass ``cls`` from ``data``; an unknown key is a :class:`ConfigError` naming it.

    Lists given for tuple-typed fields (as JSON and YAML write them) become tuples."""
    data = dict(data or {})
    fields = dataclasses.fields(cls)
    names = {f.name for f in fields}
    unknown = sorted(set(data) - names)
    if unknown:
        prefix = f"{where}: " if where else ""
        raise ConfigError(
            f"{prefix}unknown key(s) {', '.join(map(repr, unknown))} for {cls.__name__}; "
            f"valid keys: {', '.join(sorted(names))}"
        )
    for f in fields:
        if isinstance(data.get(f.name), list) and str(f.type).startswith("tuple"):
            data[f.name] = tuple(data[f.name])
    return cls(**data)


def replace_checked(obj: T, where: str = "", **changes: Any) -> T:
    """``dataclasses.replace`` that rejects unknown keys and values of the wrong kind with a
    clear message."""
    names = {f.name for f in dataclasses.fields(obj)}
    unknown = sorted(set(changes) - names)
    if unknown:
        prefix = f"{where}: " if where else ""
        raise ConfigError(
            f"{prefix}unknown key(s) {', '.join(map(repr, unknown))}; valid keys: {', '.join(sorted(names))}"
        )
    check_types(obj, changes)
    return dataclasses.replace(obj, **changes)


# What a value of a simply annotated settings field may be. A number field takes any real number
# (range checks follow in the class); a string where a number belongs ("0.4" from a form or a
# CLI-minded caller) would otherwise fail later as "'<' not supported between 'float' and 'str'".
_KINDS: dict[str, tuple[str, Any]] = {
    "int": ("a number", lambda v: isinstance(v, numbers.Real)),
    "float": ("a number", lambda v: isinstance(v, numbers.Real)),
    "bool": ("True or False", lambda v: isinstance(v, bool) or type(v).__name__ == "bool_"),
    "str": ("a string", lambda v: isinstance(v, str)),
}


def check_types(obj: Any, values: dict[str, Any] | None = None) -> None:
    """A :class:`ConfigError` naming the first field of settings dataclass ``obj`` whose value
    (``values``: those about to be set; default: the object's own) is not of the kind its
    annotation says (``int``, ``float``, ``bool``, ``str``, each optionally ``| None``).
    Fields with other annotations are left to the class."""
    given = values if values is not None else {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    types = {f.name: str(f.type) for f in dataclasses.fields(obj)}
    for name, value in given.items():
        kind = types.get(name, "")
        optional = kind.endswith(" | None")
        rule = _KINDS.get(kind.removesuffix(" | None"))
        if rule is None or (optional and value is None):
            continue
        what, ok = rule
        if not ok(value):
            raise ConfigError(f"{name} must be {what}, got {value!r} ({type(value).__name__})")


def read_yaml_mapping(path, what: str = "config") -> dict[str, Any]:
    """Read a YAML file whose top level is a mapping (needs pyyaml), with clear errors for a
    missing file, invalid YAML or another top-level type. An empty file gives ``{}``."""
    from pathlib import Path

    import yaml

    from lumenocr.errors import InputNotFoundError

    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError(f"{what} not found: {p}")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{p}: invalid YAML: {e}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{p}: not UTF-8 text, so not a YAML {what} ({e})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: top level must be a mapping")
    return data
