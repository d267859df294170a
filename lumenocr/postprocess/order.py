"""Reading order: rows top to bottom, boxes left to right within a row."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from lumenocr.postprocess.geometry import bounding_quad, quad_size

#: Page skew beyond this is not corrected (rotated scene text, not a tilted page).
MAX_SKEW_DEGREES = 20.0


def page_skew(polygons: Sequence[np.ndarray]) -> float:
    """Median angle (radians) of the clearly horizontal boxes' long sides; 0 if none."""
    angles = []
    for p in polygons:
        if len(p) < 3:
            continue
        quad = bounding_quad(p)
        (w, h), (tl, tr) = quad_size(quad), quad[:2]
        a = math.atan2(float(tr[1] - tl[1]), float(tr[0] - tl[0]))
        if w >= 1.5 * h and abs(math.degrees(a)) <= MAX_SKEW_DEGREES:
            angles.append(a)
    return float(np.median(angles)) if angles else 0.0


def reading_order(polygons: Sequence[np.ndarray], overlap: float = 0.5) -> tuple[list[int], list[list[int]]]:
    """Return (order, rows): indices sorted in reading order, and the visual rows.

    A box joins a row when its vertical extent overlaps the row's by at least ``overlap``
    of the smaller height; this keeps slightly skewed lines together without merging
    adjacent lines of a dense page.
    """
    if not polygons:
        return [], []
    pts = [np.asarray(q, dtype=np.float32).reshape(-1, 2) for q in polygons]
    # On a tilted page the axis-aligned extents of long lines overlap their neighbours'
    # (5 degrees over 800 px is 70 px): measure rows in the page's own frame instead.
    skew = page_skew(pts)
    if abs(skew) > math.radians(0.5):
        c, s = math.cos(skew), math.sin(skew)
        unrotate = np.array([[c, s], [-s, c]], np.float32)  # rotation by -skew, applied as p @ R.T
        pts = [p @ unrotate.T for p in pts]
    boxes = np.array([[p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()] for p in pts])
    centers = (boxes[:, 1] + boxes[:, 3]) / 2
    rows: list[list[int]] = []
    row_ext: list[list[float]] = []  # [top, bottom] of each row's core
    for i in np.argsort(centers, kind="stable"):
        top, bottom = boxes[i, 1], boxes[i, 3]
        h = max(bottom - top, 1e-6)
        placed = False
        for r, (rt, rb) in enumerate(row_ext):
            inter = min(bottom, rb) - max(top, rt)
            if inter >= overlap * min(h, rb - rt):
                rows[r].append(int(i))
                placed = True
                break
        if not placed:
            rows.append([int(i)])
            row_ext.append([float(top), float(bottom)])
    rows = [sorted(r, key=lambda k: boxes[k, 0]) for r in rows]
    rows.sort(key=lambda r: float(np.median(centers[r])))
    order = [i for r in rows for i in r]
    return order, rows
