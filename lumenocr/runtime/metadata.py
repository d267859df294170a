"""What travels inside an ONNX model file besides the weights.

lumenocr writes two metadata entries into every model it exports:

* ``lumenocr`` - JSON ``{"format_version": 1, "task": "det"|"rec"|"cls", "preprocess": {...},
  "postprocess": {...}, "labels": [...]}``; ``preprocess`` holds the fields of
  :class:`~lumenocr.preprocess.DetPreprocess` / ``RecPreprocess`` / ``ClsPreprocess``,
  ``postprocess`` those of the matching post-processor config (DB settings for det,
  ``{"use_space_char": bool}`` for rec, ``{"thresh": float}`` for cls).
* ``character`` - the recognition dictionary, one entry per line, the same key RapidOCR uses,
  so PP-OCR models converted by others load too. Class 0 of the CTC output is the blank;
  then the dictionary entries; then ``" "`` when ``use_space_char`` is true.

The pipeline loads such a file with no other arguments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from lumenocr.errors import ModelError

META_KEY = "lumenocr"
CHARACTER_KEY = "character"
FORMAT_VERSION = 1
TASKS = ("det", "rec", "cls")


@dataclass
class ModelMeta:
    task: str
    preprocess: dict[str, Any] = field(default_factory=dict)
    postprocess: dict[str, Any] = field(default_factory=dict)
    labels: list[str] | None = None
    characters: list[str] | None = None

    def to_metadata(self) -> dict[str, str]:
        """The ``{key: str}`` map to store in the ONNX model's ``metadata_props``."""
        body = {
            "format_version": FORMAT_VERSION,
            "task": self.task,
            "preprocess": self.preprocess,
            "postprocess": self.postprocess,
        }
        if self.labels is not None:
            body["labels"] = self.labels
        out = {META_KEY: json.dumps(body, ensure_ascii=False)}
        if self.characters is not None:
            out[CHARACTER_KEY] = "\n".join(self.characters)
        return out

    @classmethod
    def from_metadata(cls, meta: dict[str, str], source: str = "model") -> ModelMeta | None:
        """Parse metadata read from an ONNX file; ``None`` when the file has no lumenocr entry."""
        chars = meta[CHARACTER_KEY].split("\n") if CHARACTER_KEY in meta else None
        if META_KEY not in meta:
            return cls(task="rec", characters=chars) if chars is not None else None
        try:
            body = json.loads(meta[META_KEY])
        except json.JSONDecodeError as e:
            raise ModelError(f"{source}: metadata entry {META_KEY!r} is not valid JSON ({e})") from None
        task = body.get("task")
        if task not in TASKS:
            raise ModelError(f"{source}: metadata names task {task!r}; expected one of {TASKS}")
        if body.get("format_version", 1) > FORMAT_VERSION:
            raise ModelError(
                f"{source}: metadata format {body['format_version']} is newer than this lumenocr reads "
                f"({FORMAT_VERSION}); upgrade lumenocr"
            )
        return cls(
            task=task,
            preprocess=dict(body.get("preprocess") or {}),
            postprocess=dict(body.get("postprocess") or {}),
            labels=body.get("labels"),
            characters=chars,
        )


def write_onnx_metadata(path: str, meta: ModelMeta) -> None:
    """Add ``meta`` to an ONNX file in place (needs the ``onnx`` package, a train extra)."""
    import onnx

    model = onnx.load(path)
    existing = {p.key: p for p in model.metadata_props}
    for key, value in meta.to_metadata().items():
        if key in existing:
            existing[key].value = value
        else:
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
    onnx.save(model, path)
