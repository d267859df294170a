"""Reading order: rows top to bottom, boxes left to right within a row."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from lumenocr.postprocess.geometry import bounding_quad, median, quad_size

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
    return median(angles) if angles else 0.0


def reading_order(
    polygons: Sequence[np.ndarray], overlap: float = 0.5, vertical: Sequence[bool] | None = None
) -> tuple[list[int], list[list[int]]]:
    """Return (order, rows): indices sorted in reading order, and the visual rows.

    A box joins a row when its vertical extent overlaps the row's by at least ``overlap``
    of the smaller height; this keeps slightly skewed lines together without merging
    adjacent lines of a dense page.

    Boxes flagged in ``vertical`` (top-to-bottom CJK columns) never join a horizontal row:
    columns that overlap vertically form a group read right to left, each column its own
    row, and the group takes its place among the rows by its top edge.
    """
    if not polygons:
        return [], []
    if vertical is not None and any(vertical):
        return _with_vertical(polygons, overlap, [bool(v) for v in vertical])
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
    rows.sort(key=lambda r: median(centers[r]))
    order = [i for r in rows for i in r]
    return order, rows


def _bounds(polygons: Sequence[np.ndarray]) -> np.ndarray:
    pts = [np.asarray(q, dtype=np.float32).reshape(-1, 2) for q in polygons]
    return np.array([[p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()] for p in pts])


def _with_vertical(
    polygons: Sequence[np.ndarray], overlap: float, vertical: list[bool]
) -> tuple[list[int], list[list[int]]]:
    horiz = [i for i, v in enumerate(vertical) if not v]
    vert = [i for i, v in enumerate(vertical) if v]
    boxes = _bounds(polygons)
    # Horizontal rows as usual, keyed by their centre line.
    items: list[tuple[float, list[list[int]]]] = []
    if horiz:
        _, hrows = reading_order([polygons[i] for i in horiz], overlap)
        for r in hrows:
            rows_i = [horiz[k] for k in r]
            items.append((median((boxes[rows_i, 1] + boxes[rows_i, 3]) / 2), [rows_i]))
    # Vertical columns: group those whose vertical extents overlap (a block of columns).
    groups: list[list[int]] = []
    extents: list[list[float]] = []
    for i in sorted(vert, key=lambda k: boxes[k, 1]):
        top, bottom = boxes[i, 1], boxes[i, 3]
        for g, (gt, gb) in enumerate(extents):
            if min(bottom, gb) - max(top, gt) >= overlap * min(bottom - top, gb - gt):
                groups[g].append(i)
                extents[g] = [min(gt, top), max(gb, bottom)]
                break
        else:
            groups.append([i])
            extents.append([float(top), float(bottom)])
    for grp, (gt, _) in zip(groups, extents):
        cols = sorted(grp, key=lambda k: -(boxes[k, 0] + boxes[k, 2]))  # right to left
        items.append((float(gt), [[k] for k in cols]))
    items.sort(key=lambda it: it[0])
    rows = [r for _, rs in items for r in rs]
    return [i for r in rows for i in r], rows
