"""Layout regions: PP-PicoDet (CDLA, 10 classes) pre/post-processing in numpy/OpenCV.

The network takes the page resized (aspect not kept) to 800 x 608, ImageNet-normalised, and
returns, for each of four strides (8, 16, 32, 64), per-anchor class scores (sigmoid already
applied) and a distance distribution (GFL: ``reg_max + 1`` bins for each of left, top, right,
bottom). A box is the anchor centre minus/plus the expected distances times the stride;
class-wise NMS keeps the best boxes.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lumenocr.document.models import MultiOutputEngine, load_doc_model
from lumenocr.errors import ModelError
from lumenocr.runtime.onnx import RuntimeOptions

#: CDLA's classes, used when the file carries no names.
CDLA_LABELS = (
    "text",
    "title",
    "figure",
    "figure_caption",
    "table",
    "table_caption",
    "header",
    "footer",
    "reference",
    "equation",
)


@dataclass(frozen=True)
class Region:
    kind: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels
    score: float


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> list[int]:
    """Greedy non-maximum suppression (OpenCV's), indices of the kept boxes, best first."""
    if len(boxes) == 0:
        return []
    xywh = np.c_[boxes[:, :2], boxes[:, 2:] - boxes[:, :2]].astype(np.float32)
    keep = cv2.dnn.NMSBoxes(xywh.tolist(), scores.astype(np.float32).tolist(), 0.0, float(iou))
    return [int(i) for i in np.asarray(keep).reshape(-1)]


class LayoutDetector:
    """Finds layout regions on a page. Thread-safe."""

    def __init__(self, engine: MultiOutputEngine, settings: dict):
        self.engine = engine
        self.height, self.width = (int(v) for v in settings.get("input_size", (800, 608)))
        self.mean = np.asarray(settings.get("mean", [0.485, 0.456, 0.406]), np.float32)
        self.std = np.asarray(settings.get("std", [0.229, 0.224, 0.225]), np.float32)
        self.strides = [int(s) for s in settings.get("strides", (8, 16, 32, 64))]
        self.reg_max = int(settings.get("reg_max", 7))
        self.score_thresh = float(settings.get("score_thresh", 0.5))
        self.nms_iou = float(settings.get("nms_iou", 0.5))
        self.labels = tuple(engine.labels or CDLA_LABELS)

    @classmethod
    def from_zoo(cls, ref: str = "layout-cdla", runtime: RuntimeOptions | None = None) -> LayoutDetector:
        engine, spec = load_doc_model(ref, "layout", runtime)
        return cls(engine, spec.settings)

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        r = cv2.resize(image, (self.width, self.height), interpolation=cv2.INTER_LINEAR)
        x = (r.astype(np.float32) * np.float32(1 / 255) - self.mean) / self.std
        return x.transpose(2, 0, 1)[None]

    def decode(self, outputs: list[np.ndarray], image_shape: tuple[int, int]) -> list[Region]:
        """Regions in image pixels from the network's outputs (scores per stride, then boxes)."""
        n = len(self.strides)
        if len(outputs) != 2 * n:
            raise ModelError(f"{self.engine.name}: expected {2 * n} outputs, got {len(outputs)}")
        bins = self.reg_max + 1
        all_boxes, all_scores = [], []
        for stride, score, dist in zip(self.strides, outputs[:n], outputs[n:]):
            score, dist = np.asarray(score)[0], np.asarray(dist)[0]
            fh, fw = -(-self.height // stride), -(-self.width // stride)
            if score.shape[0] != fh * fw or dist.shape[-1] != 4 * bins:
                raise ModelError(f"{self.engine.name}: output shapes {score.shape}, {dist.shape} do not fit")
            keep = score.max(axis=1) > self.score_thresh
            if not keep.any():
                continue
            idx = np.nonzero(keep)[0]
            cy, cx = (idx // fw + 0.5) * stride, (idx % fw + 0.5) * stride
            d = dist[idx].reshape(-1, 4, bins)
            d = np.exp(d - d.max(axis=2, keepdims=True))
            d = (d / d.sum(axis=2, keepdims=True) * np.arange(bins)).sum(axis=2) * stride
            all_boxes.append(np.stack([cx - d[:, 0], cy - d[:, 1], cx + d[:, 2], cy + d[:, 3]], axis=1))
            all_scores.append(score[idx])
        if not all_boxes:
            return []
        boxes, scores = np.concatenate(all_boxes), np.concatenate(all_scores)
        h, w = image_shape
        scale = np.array([w / self.width, h / self.height] * 2)
        boxes = np.clip(boxes * scale, 0, [w, h, w, h])
        regions = []
        for c in range(scores.shape[1]):
            m = scores[:, c] > self.score_thresh
            if not m.any():
                continue
            b, s = boxes[m], scores[m, c]
            for i in nms(b, s, self.nms_iou):
                label = self.labels[c] if c < len(self.labels) else str(c)
                x0, y0, x1, y1 = (float(v) for v in b[i])
                regions.append(Region(label, (x0, y0, x1, y1), float(s[i])))
        regions.sort(key=lambda r: -r.score)
        return regions

    def __call__(self, image: np.ndarray) -> list[Region]:
        """Layout regions of a BGR uint8 page, best first."""
        return self.decode(self.engine(self.preprocess(image)), image.shape[:2])
