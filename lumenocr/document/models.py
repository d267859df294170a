"""Load document models from the zoo (or a file) onto ONNX Runtime."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from lumenocr.errors import ModelError
from lumenocr.runtime.onnx import OnnxEngine, RuntimeOptions
from lumenocr.zoo.documents import DocModelSpec, get_doc_spec


class MultiOutputEngine:
    """An ONNX Runtime session returning every output (layout and table models have several)."""

    def __init__(self, engine: OnnxEngine):
        self.engine = engine
        self.name = engine.name
        meta = engine.file_meta
        #: Class names / tokens the file carries in its ``character`` metadata entry.
        self.labels: list[str] | None = (
            list(meta.characters) if meta is not None and meta.characters else None
        )

    def __call__(self, batch: np.ndarray) -> list[np.ndarray]:
        return self.engine.session.run(None, {self.engine.input_name: batch})


def load_doc_model(
    ref: str | os.PathLike, task: str, runtime: RuntimeOptions | None = None
) -> tuple[MultiOutputEngine, DocModelSpec]:
    """The engine and spec for a zoo document model name, or an ONNX file of the same family
    (which then uses the zoo entry's settings for ``task``)."""
    from lumenocr.zoo import locate
    from lumenocr.zoo.documents import DOC_MODELS

    # Document models run on ONNX Runtime, in f32, whatever precision the page models use.
    runtime = dataclasses.replace(runtime or RuntimeOptions(), precision="f32")
    s = str(ref)
    if s.endswith(".onnx") or os.sep in s:
        spec = next(sp for sp in DOC_MODELS.values() if sp.task == task)
        path = Path(s)
        if not path.is_file():
            raise ModelError(f"{task} model file not found: {path}")
    else:
        spec = get_doc_spec(s)
        if spec.task != task:
            raise ModelError(f"{s!r} is a {spec.task} model, not a {task} model")
        path = locate(spec.file)
    return MultiOutputEngine(OnnxEngine(path, runtime, name=f"{s} ({task})")), spec
