"""Differentiable Binarization (DB) post-processing: probability map -> text polygons."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import cv2
import numpy as np
import pyclipper

from lumenocr.errors import ConfigError
from lumenocr.postprocess.geometry import order_quad, polygon_area, polygon_perimeter


@dataclass(frozen=True)
class DBPostProcess:
    """The knobs PaddleOCR users know, with the same meaning.

    thresh: pixel threshold on the probability map; box_thresh: minimum mean probability
    inside a box; unclip_ratio: how far a shrunk text kernel is grown back
    (offset = area * ratio / perimeter); score_mode: ``fast`` scores the bounding box,
    ``slow`` the exact contour; use_dilation: dilate the bitmap (joins broken strokes);
    box_type: ``quad`` (rotated rectangles) or ``poly`` (polygons, for curved text);
    box_unit: what one box holds, as the model was trained: ``line`` (PP-OCR's detectors) or
    ``word`` (one fine-tuned on word labels such as ICDAR 2015's).
    """

    name: ClassVar[str] = "db"

    # PP-OCR's published settings. ``help`` metadata makes a field a CLI option (lumenocr ocr).
    thresh: float = field(
        default=0.3, metadata={"help": "pixel threshold on the probability map", "metavar": "P"}
    )
    box_thresh: float = field(
        default=0.6, metadata={"help": "minimum mean probability inside a box", "metavar": "P"}
    )
    max_candidates: int = field(
        default=1000, metadata={"help": "most boxes considered per image", "metavar": "N"}
    )
    unclip_ratio: float = field(
        default=1.5, metadata={"help": "how far boxes are grown from the text kernel", "metavar": "R"}
    )
    use_dilation: bool = field(default=False, metadata={"help": "dilate the text map (joins broken strokes)"})
    score_mode: str = field(
        default="fast",
        metadata={"help": "box score over its rectangle or its contour", "choices": ("fast", "slow")},
    )
    box_type: str = field(
        default="quad",
        metadata={"help": "quadrilaterals, or polygons for curved text", "choices": ("quad", "poly")},
    )
    min_size: int = 3  # boxes with a shorter side (map pixels) are dropped
    # A word detector's box of a one-word line is that word's box, measured better than the
    # recognizer's character positions can (pipeline/words.py); a line box has margins.
    box_unit: str = "line"

    def __post_init__(self) -> None:
        if self.score_mode not in ("fast", "slow"):
            raise ConfigError(f"score_mode must be 'fast' or 'slow', got {self.score_mode!r}")
        if self.box_unit not in ("line", "word"):
            raise ConfigError(f"box_unit must be 'line' or 'word', got {self.box_unit!r}")
        if self.box_type not in ("quad", "poly"):
            raise ConfigError(f"box_type must be 'quad' or 'poly', got {self.box_type!r}")
        if not 0.0 < self.thresh < 1.0 or not 0.0 <= self.box_thresh <= 1.0:
            raise ConfigError(
                f"thresh must be in (0, 1) and box_thresh in [0, 1]; got {self.thresh}, {self.box_thresh}"
            )
        if self.unclip_ratio <= 0:
            raise ConfigError(f"unclip_ratio must be > 0, got {self.unclip_ratio}")
        # A negative count would slice contours[:-n] and silently drop the last ones.
        if self.max_candidates < 1 or self.min_size < 0:
            raise ConfigError(
                f"max_candidates must be >= 1 and min_size >= 0; got {self.max_candidates}, {self.min_size}"
            )

    def __call__(
        self, prob: np.ndarray, original_shape: tuple[int, int]
    ) -> tuple[list[np.ndarray], list[float]]:
        """Decode a (H, W) probability map into polygons in original-image coordinates.

        ``original_shape`` is the (height, width) of the image before resizing; points are
        scaled from map coordinates by the per-axis ratio.
        """
        prob = np.asarray(prob, dtype=np.float32)
        if prob.ndim != 2:
            raise ValueError(f"expected a 2-D probability map, got shape {prob.shape}")
        bitmap: np.ndarray = (prob > self.thresh).astype(np.uint8)
        if self.use_dilation:
            bitmap = cv2.dilate(bitmap, np.ones((2, 2), np.uint8))
        contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        mh, mw = prob.shape
        oh, ow = original_shape
        sx, sy = ow / mw, oh / mh
        polys: list[np.ndarray] = []
        scores: list[float] = []
        for contour in contours[: self.max_candidates]:
            # CHAIN_APPROX_SIMPLE leaves 3 points for a triangle with a 45-degree side: still a
            # region (its min-area rectangle). Polygons need 4 points after approxPolyDP, checked there.
            if len(contour) < 3:
                continue
            out = self._contour_to_box(prob, contour)
            if out is None:
                continue
            box, score = out
            box[:, 0] = np.clip(box[:, 0] * sx, 0, ow - 1)
            box[:, 1] = np.clip(box[:, 1] * sy, 0, oh - 1)
            polys.append(box.astype(np.float32))
            scores.append(score)
        return polys, scores

    def _contour_to_box(self, prob: np.ndarray, contour: np.ndarray) -> tuple[np.ndarray, float] | None:
        pts = contour.reshape(-1, 2)
        if self.box_type == "quad":
            rect = cv2.minAreaRect(pts)
            if min(rect[1]) < self.min_size:
                return None
            kernel = cv2.boxPoints(rect)
        else:
            eps = 0.002 * cv2.arcLength(contour, True)
            kernel = cv2.approxPolyDP(contour, eps, True).reshape(-1, 2).astype(np.float32)
            if len(kernel) < 4:
                return None
        score = self._score(prob, pts if self.score_mode == "slow" else kernel)
        if score < self.box_thresh:
            return None
        expanded = unclip(kernel, self.unclip_ratio)
        if expanded is None:
            return None
        rect = cv2.minAreaRect(expanded)
        if min(rect[1]) < self.min_size + 2:
            return None
        if self.box_type == "quad":
            return order_quad(cv2.boxPoints(rect)), score
        return _clockwise_from_top_left(expanded.astype(np.float32)), score

    @staticmethod
    def _score(prob: np.ndarray, polygon: np.ndarray) -> float:
        """Mean probability inside ``polygon``, computed on its bounding-box window only."""
        h, w = prob.shape
        p = np.asarray(polygon, dtype=np.float32).reshape(-1, 2)
        x0 = int(np.clip(np.floor(p[:, 0].min()), 0, w - 1))
        x1 = int(np.clip(np.ceil(p[:, 0].max()), 0, w - 1))
        y0 = int(np.clip(np.floor(p[:, 1].min()), 0, h - 1))
        y1 = int(np.clip(np.ceil(p[:, 1].max()), 0, h - 1))
        mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), dtype=np.uint8)
        shifted = (p - np.array([x0, y0], np.float32)).round().astype(np.int32)
        cv2.fillPoly(mask, [shifted], 1)
        return float(cv2.mean(prob[y0 : y1 + 1, x0 : x1 + 1], mask)[0])


def _clockwise_from_top_left(poly: np.ndarray) -> np.ndarray:
    """Polygons follow the quads' convention (results contract): clockwise on screen, starting
    at the point nearest the top-left corner of their bounding box."""
    x, y = poly[:, 0], poly[:, 1]
    if float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) < 0:
        poly = poly[::-1]
    start = int(np.argmin((poly[:, 0] - x.min()) + (poly[:, 1] - y.min())))
    return np.ascontiguousarray(np.roll(poly, -start, axis=0))


def unclip(polygon: np.ndarray, ratio: float) -> np.ndarray | None:
    """Grow a polygon outward by ``area * ratio / perimeter`` (the DB paper's D')."""
    perimeter = polygon_perimeter(polygon)
    if perimeter <= 0:
        return None
    distance = polygon_area(polygon) * ratio / perimeter
    offset = pyclipper.PyclipperOffset()
    offset.AddPath([tuple(map(float, p)) for p in polygon], pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    solution = offset.Execute(distance)
    if not solution:
        return None
    # Several pieces can come back for odd shapes; the largest is the text region.
    best = max(solution, key=lambda s: polygon_area(np.asarray(s)))
    return np.asarray(best, dtype=np.float32)
