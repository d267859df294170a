"""Blocks and their reading order: lines grouped into layout regions (or, without a layout
model, into paragraphs found from the page's white space), blocks ordered column by column.

Order comes from a recursive XY-cut over the blocks' boxes: at each level the widest white
gap, across the whole group, in either direction is cut (a column gutter is wider than the
leading between lines, a full-width title sits above a gap that spans both columns), top
before bottom and left before right. Headers and footers (layout classes, or a first/last
band within the page's outer 8% when there is no layout model) are kept apart: first and last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lumenocr.postprocess.order import reading_order
from lumenocr.results import Block, TextLine

#: Fraction of page height within which a lone first/last band counts as header/footer.
MARGIN_BAND = 0.08
#: A column gutter is at least this many median line heights wide (word gaps are narrower).
MIN_GUTTER = 1.0
#: A title/header/footer region holding more lines than this is body text.
MAX_TITLE_LINES = 3
#: Lines of one column further apart than this many line heights start a new paragraph.
PARAGRAPH_GAP = 1.0


@dataclass
class _Unit:
    box: np.ndarray  # x0, y0, x1, y1
    lines: list[int]
    kind: str | None  # layout class, or None for a free line
    score: float = 1.0
    region_box: np.ndarray | None = None


def _bbox(points) -> np.ndarray:
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return np.array([p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()])


def _gaps(lo: np.ndarray, hi: np.ndarray) -> list[tuple[float, float]]:
    """White intervals (start, width) between the intervals [lo, hi] projected on one axis."""
    order = np.argsort(lo, kind="stable")
    out = []
    reach = hi[order[0]]
    for i in order[1:]:
        if lo[i] > reach:
            out.append((float(reach), float(lo[i] - reach)))
        reach = max(reach, hi[i])
    return out


def xy_cut(boxes: np.ndarray, min_x_gap: float, shrink: float = 0.15) -> list[tuple[int, tuple]]:
    """Indices of ``boxes`` (N x 4) in XY-cut reading order, each with its column path (the
    sequence of vertical cuts that isolate it; equal paths mean the same column)."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(boxes) == 0:
        return []
    # Boxes of neighbouring lines touch or overlap a little (detector margins): project
    # their cores so leading still shows as white.
    h = boxes[:, 3] - boxes[:, 1]
    w = boxes[:, 2] - boxes[:, 0]
    core = (
        boxes
        + np.c_[np.minimum(shrink * h, 0.45 * w), shrink * h, -np.minimum(shrink * h, 0.45 * w), -shrink * h]
    )
    out: list[tuple[int, tuple]] = []

    def rec(idx: np.ndarray, path: tuple) -> None:
        if len(idx) == 1:
            out.append((int(idx[0]), path))
            return
        c = core[idx]
        ygaps = _gaps(c[:, 1], c[:, 3])
        xgaps = [g for g in _gaps(c[:, 0], c[:, 2]) if g[1] >= min_x_gap]
        by = max(ygaps, key=lambda g: g[1]) if ygaps else None
        bx = max(xgaps, key=lambda g: g[1]) if xgaps else None
        if bx is not None and (by is None or bx[1] >= by[1]):
            cut = bx[0] + bx[1] / 2
            left = idx[c[:, 0] < cut]
            right = idx[c[:, 0] >= cut]
            rec(left, (*path, ("x", len(out), 0)))
            rec(right, (*path, ("x", len(out), 1)))
        elif by is not None:
            cut = by[0] + by[1] / 2
            rec(idx[c[:, 1] < cut], path)
            rec(idx[c[:, 1] >= cut], path)
        else:  # overlapping boxes: top to bottom, then left to right
            for i in sorted(idx, key=lambda k: (boxes[k, 1] + boxes[k, 3], boxes[k, 0])):
                out.append((int(i), path))

    rec(np.arange(len(boxes)), ())
    return out


def _assign(line_boxes: np.ndarray, regions: Sequence) -> list[int]:
    """For each line, the index of the region holding most of it (>= half its area), or -1."""
    out = []
    for lb in line_boxes:
        area = max((lb[2] - lb[0]) * (lb[3] - lb[1]), 1e-6)
        best, best_key = -1, (0.5, 0.0)
        for k, r in enumerate(regions):
            x0, y0, x1, y1 = r.box
            inter = max(0.0, min(lb[2], x1) - max(lb[0], x0)) * max(0.0, min(lb[3], y1) - max(lb[1], y0))
            frac = inter / area
            key = (frac, -(x1 - x0) * (y1 - y0))  # most of the line, then the tighter region
            if frac >= 0.5 and key > best_key:
                best, best_key = k, key
        out.append(best)
    return out


def build_blocks(
    lines: Sequence[TextLine],
    page_size: tuple[int, int],
    regions: Sequence | None = None,
    vertical: Sequence[bool] | None = None,
) -> tuple[list[int], list[list[int]], list[Block]]:
    """Group ``lines`` into blocks in reading order.

    ``regions`` are layout regions (``kind``, ``box``, ``score``); lines outside every region
    form paragraph blocks of their own. Returns ``(order, rows, blocks)``: ``order`` lists the
    line indices in reading order, and ``rows``/``blocks`` refer to positions in that order.
    """
    height = page_size[0]
    regions = list(regions or [])
    n = len(lines)
    line_boxes = np.array([_bbox(ln.points) for ln in lines]).reshape(-1, 4)
    vertical = list(vertical) if vertical is not None else [False] * n
    owner = _assign(line_boxes, regions) if regions else [-1] * n
    units: list[_Unit] = []
    for k, r in enumerate(regions):
        members = [i for i in range(n) if owner[i] == k]
        if not members and r.kind not in ("table", "figure"):
            continue
        box = np.asarray(r.box, np.float64)
        if members:  # the region as its lines extend it
            mb = line_boxes[members]
            box = np.array(
                [
                    min(box[0], mb[:, 0].min()),
                    min(box[1], mb[:, 1].min()),
                    max(box[2], mb[:, 2].max()),
                    max(box[3], mb[:, 3].max()),
                ]
            )
        kind = r.kind
        if kind in ("table", "figure") and _looks_like_prose(lines, members):
            kind = "text"
        elif kind in ("title", "header", "footer") and len(members) > MAX_TITLE_LINES:
            kind = "text"  # a heading is a line or three; a region of many lines is body text
        units.append(_Unit(box, members, kind, r.score, np.asarray(r.box, np.float64)))
    for i in range(n):
        if owner[i] < 0:
            units.append(_Unit(line_boxes[i], [i], None))
    if not units:
        return [], [], []

    heights = [min(b[3] - b[1], b[2] - b[0]) for b in line_boxes] or [10.0]
    med_h = float(np.median(heights)) if heights else 10.0
    head = [u for u in units if u.kind == "header"]
    foot = [u for u in units if u.kind == "footer"]
    body = [u for u in units if u.kind not in ("header", "footer")]
    ordered = xy_cut(np.array([u.box for u in body]).reshape(-1, 4), MIN_GUTTER * med_h) if body else []

    # Free lines: consecutive ones in the same column, close together, are one paragraph.
    groups: list[tuple[str, list[_Unit], float]] = []
    prev: tuple | None = None
    for k, path in ordered:
        u = body[k]
        if u.kind is None and groups and groups[-1][0] == "free" and prev is not None and prev[0] == path:
            last = groups[-1][1][-1].box
            gap = u.box[1] - last[3]
            if gap <= PARAGRAPH_GAP * med_h and not vertical[u.lines[0]]:
                groups[-1][1].append(u)
                prev = (path, u)
                continue
        groups.append(("free" if u.kind is None else "region", [u], u.score))
        prev = (path, u)

    # Lone first/last bands near the page edge are header/footer when no model said so.
    if not regions and len(groups) > 2:
        top_units, bottom_units = groups[0][1], groups[-1][1]
        if max(u.box[3] for u in top_units) < MARGIN_BAND * height and len(top_units) <= 2:
            head = [_Unit(_union(top_units), sum((u.lines for u in top_units), []), "header")]
            groups = groups[1:]
        if min(u.box[1] for u in bottom_units) > (1 - MARGIN_BAND) * height and len(bottom_units) <= 2:
            foot = [_Unit(_union(bottom_units), sum((u.lines for u in bottom_units), []), "footer")]
            groups = groups[:-1]

    seq: list[_Unit] = list(head)
    for kind, us, _ in groups:
        if kind == "free":
            seq.append(_Unit(_union(us), sum((u.lines for u in us), []), "text"))
        else:
            seq.extend(us)
    seq += foot

    order: list[int] = []
    rows: list[list[int]] = []
    blocks: list[Block] = []
    for bi, u in enumerate(seq):
        start = len(order)
        members = u.lines
        if members:
            for sub_rows in _block_rows(lines, members, vertical, u.kind == "table", MIN_GUTTER * med_h):
                base = len(order)
                flat = [i for r in sub_rows for i in r]
                order.extend(flat)
                pos = {i: base + p for p, i in enumerate(flat)}
                rows.extend([[pos[i] for i in r] for r in sub_rows])
        box = u.region_box if u.region_box is not None and not members else u.box
        x0, y0, x1, y1 = (float(v) for v in box)
        blocks.append(
            Block(
                u.kind or "text",
                [[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
                list(range(start, len(order))),
                bi,
                float(u.score),
            )
        )
    return order, rows, blocks


def _block_rows(
    lines: Sequence[TextLine], members: list[int], vertical: list[bool], table: bool, gutter: float
) -> list[list[list[int]]]:
    """The rows of a block's lines, column by column (a region may hold several columns);
    tables are read row by row across the whole table. Returns row lists per column."""
    boxes = np.array([_bbox(lines[i].points) for i in members]).reshape(-1, 4)
    paths: list[tuple[tuple, list[int]]] = [((), list(range(len(members))))] if table else []
    if not table:
        for k, path in xy_cut(boxes, gutter):  # runs of one column, in reading order
            if paths and paths[-1][0] == path:
                paths[-1][1].append(k)
            else:
                paths.append((path, [k]))
    out = []
    for _, ks in paths:
        pts = [np.asarray(lines[members[k]].points, np.float64) for k in ks]
        _, sub_rows = reading_order(pts, vertical=[vertical[members[k]] for k in ks])
        out.append([[members[ks[j]] for j in r] for r in sub_rows])
    return out


def _looks_like_prose(lines: Sequence[TextLine], members: list[int]) -> bool:
    """Table cells hold a few words; a "table" region whose lines carry four or more words
    each (median) is running text laid out in columns."""
    if len(members) < 4:
        return False
    return float(np.median([len(lines[i].text.split()) for i in members])) >= 4


def _union(units: Sequence[_Unit]) -> np.ndarray:
    b = np.array([u.box for u in units])
    return np.array([b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()])


class LayoutStage:
    """Finds layout regions (with a layout model) and groups the page's lines into ordered
    blocks; replaces the line order and rows with the block-wise ones."""

    name = "layout"

    def __init__(self, detector=None):
        self.detector = detector  # a LayoutDetector, or None for white-space blocks only

    def __call__(self, page) -> None:
        from lumenocr.pipeline.stages import is_vertical_line

        regions = self.detector(page.image) if self.detector is not None else None
        lines = page.lines
        order, rows, blocks = build_blocks(
            lines, page.image.shape[:2], regions, [is_vertical_line(ln) for ln in lines]
        )
        page.lines = [lines[i] for i in order]
        page.rows = rows
        page.blocks = blocks
