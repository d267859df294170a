"""0/180 text-line direction classifier."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lumenocr.config_utils import from_dict
from lumenocr.errors import ModelError
from lumenocr.postprocess.cls import ClsPostProcess
from lumenocr.postprocess.registry import build_postprocess
from lumenocr.preprocess.cls import ClsPreprocess
from lumenocr.runtime.engine import Engine


@dataclass
class ClsResult:
    label: str  # "0" or "180"
    score: float


class TextClassifier:
    """Predicts whether a crop is upside down; batched, thread-safe."""

    def __init__(
        self,
        engine: Engine,
        preprocess: ClsPreprocess | None = None,
        thresh: float | None = None,
        labels: Sequence[str] | None = None,
        batch_size: int = 16,
    ):
        meta = getattr(engine, "meta", None)
        if meta is not None and meta.task != "cls":
            raise ModelError(f"{engine.name} is a {meta.task!r} model, not a direction classifier")
        self.engine = engine
        self.preprocess = preprocess or from_dict(ClsPreprocess, meta.preprocess if meta else {}, engine.name)
        post: ClsPostProcess = build_postprocess("cls", meta.postprocess if meta else {}, engine.name)
        if thresh is not None:
            post = dataclasses.replace(post, thresh=thresh)
        self.postprocess = post
        self.labels = tuple(labels or (meta.labels if meta and meta.labels else ("0", "180")))
        self.batch_size = batch_size

    @classmethod
    def from_onnx(cls, path, runtime=None, **kw) -> TextClassifier:
        from lumenocr.runtime.factory import create_engine

        return cls(create_engine(path, runtime), **kw)

    def __call__(self, crops: Sequence[np.ndarray]) -> list[ClsResult]:
        out: list[ClsResult] = []
        for i in range(0, len(crops), self.batch_size):
            probs = np.asarray(self.engine(self.preprocess(crops[i : i + self.batch_size])))
            if probs.ndim != 2 or probs.shape[1] != len(self.labels):
                raise ModelError(
                    f"{self.engine.name}: expected (N, {len(self.labels)}) output, got {probs.shape}"
                )
            k = probs.argmax(axis=1)
            out.extend(ClsResult(self.labels[j], float(probs[n, j])) for n, j in enumerate(k))
        return out

    @property
    def thresh(self) -> float:
        return self.postprocess.thresh

    def is_flipped(self, r: ClsResult) -> bool:
        return self.postprocess.is_flipped(r.label, r.score)
