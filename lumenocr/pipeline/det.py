"""Text detector: DB network + shared pre/post-processing."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from lumenocr.config_utils import documented_fields, field_help, from_dict, replace_checked
from lumenocr.errors import ModelError
from lumenocr.postprocess.registry import DETECTION, build_postprocess
from lumenocr.preprocess.det import DetPreprocess, DetResized
from lumenocr.preprocess.page_scale import refined_ratio, resize_at
from lumenocr.runtime.engine import Engine


def detection_settings(model: str | None = None) -> list[tuple[type, Any]]:
    """Each detection settings class (pre-processing, then every post-processor) with zoo
    ``model``'s values (default: the default model's)."""
    from lumenocr.zoo import DEFAULT_MODEL, get_spec

    spec = get_spec(model or DEFAULT_MODEL).det
    post = build_postprocess("det", spec.postprocess)
    return [(DetPreprocess, from_dict(DetPreprocess, spec.preprocess))] + [
        (cls, post if isinstance(post, cls) else cls()) for cls in DETECTION.values()
    ]


def detection_help() -> dict[str, str]:
    """``{knob: "help (default value)"}`` for every documented detection knob (the CLI's
    options and the server's request fields)."""
    return {
        f.name: field_help(f, getattr(values, f.name))
        for cls, values in detection_settings()
        for f in documented_fields(cls)
    }


#: Every detection knob: the pre-processing fields and those of any detection post-processor.
DET_KNOBS = {f.name for f in dataclasses.fields(DetPreprocess)} | {
    f.name for cls in DETECTION.values() for f in dataclasses.fields(cls)
}


@dataclass
class DetResult:
    polygons: list[np.ndarray]  # each (N, 2) float32, image coordinates
    scores: list[float]


class TextDetector:
    """Finds text regions. Immutable after construction, so one instance is safe to share
    between threads; use :meth:`with_options` to change knobs."""

    def __init__(self, engine: Engine, preprocess: DetPreprocess | None = None, postprocess: Any = None):
        self.engine = engine
        meta = getattr(engine, "meta", None)
        if meta is not None and meta.task != "det":
            raise ModelError(f"{engine.name} is a {meta.task!r} model, not a detection model")
        self.preprocess = preprocess or from_dict(DetPreprocess, _pre(meta), f"{engine.name} preprocess")
        # The post-processor the model's metadata names (DB unless it says otherwise).
        self.postprocess = postprocess or build_postprocess("det", _post(meta), f"{engine.name} postprocess")

    @classmethod
    def from_onnx(cls, path, runtime=None, **knobs) -> TextDetector:
        """Load a detection ONNX file; settings come from its metadata, then ``knobs``."""
        from lumenocr.runtime.factory import create_engine

        return cls(create_engine(path, runtime)).with_options(**knobs)

    @property
    def box_unit(self) -> str:
        """What one box holds: ``"line"``, or ``"word"`` for a detector trained on word labels."""
        return getattr(self.postprocess, "box_unit", "line")

    def with_options(self, **knobs) -> TextDetector:
        """A detector sharing this one's engine with some pre/post-processing knobs changed
        (``limit_side_len``, ``limit_type``, ``thresh``, ``box_thresh``, ``unclip_ratio``,
        ``max_candidates``, ``score_mode``, ``use_dilation``, ``box_type``, ...)."""
        if not knobs:
            return self
        pre_names = {f.name for f in dataclasses.fields(DetPreprocess)}
        pre = {k: v for k, v in knobs.items() if k in pre_names}
        post = {k: v for k, v in knobs.items() if k not in pre_names}
        return TextDetector(
            self.engine,
            replace_checked(self.preprocess, "detection", **pre) if pre else self.preprocess,
            replace_checked(self.postprocess, "detection", **post) if post else self.postprocess,
        )

    def __call__(self, image: np.ndarray) -> DetResult:
        """Detect text in a BGR uint8 image."""
        h, w = image.shape[:2]
        pad = self.preprocess.padding(h, w)
        if pad:
            image = pad_with_background(image, pad)
        inp = self.preprocess(image)
        polys, scores = self._detect(inp)
        # A text-dense page of small lines is detected again at a finer scale (page_scale.py).
        ratio = refined_ratio(self.preprocess, image.shape[:2], inp.ratio_h, polys)
        if ratio is not None:
            polys, scores = self._detect(resize_at(self.preprocess, image, ratio))
        if pad:
            unpad_polygons(polys, pad, h, w)
        return DetResult(polys, scores)

    def _detect(self, inp: DetResized) -> tuple[list[np.ndarray], list[float]]:
        prob = np.asarray(self.engine(inp.tensor))[0]
        if prob.ndim == 3:
            prob = prob[0]
        return self.postprocess(prob, inp.original_shape)


def pad_with_background(image: np.ndarray, pad: int) -> np.ndarray:
    """``image`` with a ``pad``-pixel margin on every side in its border's median colour
    (the background around a tight crop; repeating edge pixels would smear the strokes
    that touch the edge)."""
    edge = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]]).reshape(-1, image.shape[2])
    color = [int(c) for c in np.median(edge, axis=0)]
    return cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=color)


def unpad_polygons(polys: list[np.ndarray], pad: int, h: int, w: int) -> None:
    """Move boxes found on an image padded by :func:`pad_with_background` back to the
    ``h`` x ``w`` image it was made from (in place): shift, and keep them inside it."""
    for p in polys:
        p -= np.float32(pad)
        np.clip(p[:, 0], 0, w - 1, out=p[:, 0])
        np.clip(p[:, 1], 0, h - 1, out=p[:, 1])


def _pre(meta) -> dict:
    return dict(meta.preprocess) if meta is not None else {}


def _post(meta) -> dict:
    return dict(meta.postprocess) if meta is not None else {}
