"""Which class turns a model's raw output into results.

A model's metadata names its post-processor, ``{"name": "db", "unclip_ratio": 2.0, ...}``; the
tables below map names to classes and the other keys are that class's dataclass fields. A new
detector family (or recognition decoder) is one module with a settings dataclass carrying a
``name`` class attribute, plus one line here. Metadata without a name (older exports, plain
PP-OCR files) means the first entry: DB for detection, CTC for recognition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lumenocr.config_utils import from_dict, to_dict
from lumenocr.errors import ModelError
from lumenocr.postprocess.cls import ClsPostProcess
from lumenocr.postprocess.ctc import CTCDecoder
from lumenocr.postprocess.db import DBPostProcess

#: Detection post-processors: probability map(s) -> polygons.
DETECTION: dict[str, type] = {DBPostProcess.name: DBPostProcess}
#: Recognition decoders: (N, T, C) scores -> text.
RECOGNITION: dict[str, type] = {CTCDecoder.name: CTCDecoder}
#: Direction classifiers: (N, labels) scores -> turn or not.
CLASSIFICATION: dict[str, type] = {ClsPostProcess.name: ClsPostProcess}

_TABLES = {"det": DETECTION, "rec": RECOGNITION, "cls": CLASSIFICATION}


def postprocess_class(task: str, settings: dict[str, Any] | None, where: str = "") -> type:
    """The class that ``settings["name"]`` names for ``task`` (the table's first entry when unnamed)."""
    table = _TABLES[task]
    name = (settings or {}).get("name", next(iter(table)))
    if name not in table:
        prefix = f"{where}: " if where else ""
        raise ModelError(
            f"{prefix}unknown {task} post-processor {name!r}; this lumenocr knows {', '.join(sorted(table))}"
        )
    return table[name]


def build_postprocess(task: str, settings: dict[str, Any] | None, where: str = "") -> Any:
    """The det/cls post-processor described by model metadata ``settings``."""
    cls = postprocess_class(task, settings, where)
    return from_dict(cls, {k: v for k, v in (settings or {}).items() if k != "name"}, where)


def build_decoder(
    settings: dict[str, Any] | None, characters: Sequence[str], num_classes: int | None, source: str
) -> CTCDecoder:
    """The recognition decoder described by ``settings`` for a model with ``num_classes``
    outputs (``None``: unknown) and the dictionary ``characters`` (from ``source``)."""
    cls: Any = postprocess_class("rec", settings, source)  # a decoder class: for_model builds it
    options = {k: v for k, v in (settings or {}).items() if k != "name"}
    return cls.for_model(characters, num_classes, source, **options)


def postprocess_settings(obj: Any) -> dict[str, Any]:
    """Model metadata for a post-processor: its name and every field."""
    return {"name": type(obj).name, **to_dict(obj)}
