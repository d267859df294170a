"""Reading order: rows top to bottom, boxes left to right within a row."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def reading_order(polygons: Sequence[np.ndarray], overlap: float = 0.5) -> tuple[list[int], list[list[int]]]:
    """Return (order, rows): indices sorted in reading order, and the visual rows.

    A box joins a row when its vertical extent overlaps the row's by at least ``overlap``
    of the smaller height; this keeps slightly skewed lines together without merging
    adjacent lines of a dense page.
    """
    if not polygons:
        return [], []
    boxes = np.array([[p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()] for p in
                      (np.asarray(q, dtype=np.float32).reshape(-1, 2) for q in polygons)])
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
