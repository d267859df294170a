"""DB training targets: shrunk text kernels and the threshold (border) map.

A text polygon of area A and perimeter L is shrunk (kernel) or grown (border) by
``D = A * (1 - r**2) / L`` with ``r = shrink_ratio``, as in the DB paper. ``###`` regions
and polygons too small to shrink are masked out of the probability loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pyclipper
from shapely.geometry import Polygon


def _offset(poly: np.ndarray, distance: float) -> list[np.ndarray]:
    pco = pyclipper.PyclipperOffset()
    pco.AddPath(
        [tuple(map(int, map(round, p))) for p in poly], pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON
    )
    return [np.asarray(p, np.float32) for p in pco.Execute(distance)]


def _segment_distance(xs: np.ndarray, ys: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from each grid point to the segment ``a``-``b``."""
    ab = b - a
    denom = float(ab @ ab) or 1e-6
    t = np.clip(((xs - a[0]) * ab[0] + (ys - a[1]) * ab[1]) / denom, 0.0, 1.0)
    return np.hypot(xs - (a[0] + t * ab[0]), ys - (a[1] + t * ab[1]))


@dataclass
class DBTargets:
    """Builds ``shrink_map``, ``shrink_mask``, ``threshold_map``, ``threshold_mask`` (float32 HxW)."""

    shrink_ratio: float = 0.4
    min_text_size: int = 8
    thresh_min: float = 0.3
    thresh_max: float = 0.7

    def __call__(
        self, shape: tuple[int, int], polygons: list[np.ndarray], ignore: list[bool]
    ) -> dict[str, np.ndarray]:
        h, w = shape
        shrink_map = np.zeros((h, w), np.float32)
        shrink_mask = np.ones((h, w), np.float32)
        border = np.zeros((h, w), np.float32)
        thresh_mask = np.zeros((h, w), np.float32)
        for poly, ign in zip(polygons, ignore, strict=True):
            poly = np.asarray(poly, np.float32)
            ph = poly[:, 1].max() - poly[:, 1].min()
            pw = poly[:, 0].max() - poly[:, 0].min()
            shape_poly = Polygon(poly)
            if ign or min(ph, pw) < self.min_text_size or not shape_poly.is_valid or shape_poly.area < 1:
                cv2.fillPoly(shrink_mask, [poly.round().astype(np.int32)], 0.0)
                continue
            distance = shape_poly.area * (1 - self.shrink_ratio**2) / shape_poly.length
            shrunk = _offset(poly, -distance)
            if not shrunk or len(shrunk[0]) < 3:
                cv2.fillPoly(shrink_mask, [poly.round().astype(np.int32)], 0.0)
                continue
            cv2.fillPoly(shrink_map, [shrunk[0].round().astype(np.int32)], 1.0)
            self._draw_border(poly, distance, border, thresh_mask)
        threshold_map = border * (self.thresh_max - self.thresh_min) + self.thresh_min
        return {
            "shrink_map": shrink_map,
            "shrink_mask": shrink_mask,
            "threshold_map": threshold_map.astype(np.float32),
            "threshold_mask": thresh_mask,
        }

    @staticmethod
    def _draw_border(poly: np.ndarray, distance: float, border: np.ndarray, mask: np.ndarray) -> None:
        """Max-accumulate ``1 - d/D`` around the polygon's edges inside its grown outline."""
        grown = _offset(poly, distance)
        if not grown:
            return
        grown_poly = grown[0]
        cv2.fillPoly(mask, [grown_poly.round().astype(np.int32)], 1.0)
        h, w = border.shape
        x0, y0 = np.floor(grown_poly.min(0)).astype(int)
        x1, y1 = np.ceil(grown_poly.max(0)).astype(int)
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w - 1), min(y1, h - 1)
        if cx1 < cx0 or cy1 < cy0:
            return
        ys, xs = np.mgrid[cy0 : cy1 + 1, cx0 : cx1 + 1].astype(np.float32)
        dist = np.full(xs.shape, np.inf, np.float32)
        for i in range(len(poly)):
            dist = np.minimum(dist, _segment_distance(xs, ys, poly[i], poly[(i + 1) % len(poly)]))
        value = 1.0 - np.clip(dist / distance, 0.0, 1.0)
        region = border[cy0 : cy1 + 1, cx0 : cx1 + 1]
        np.maximum(region, value, out=region)
