"""Polygon matching under the ICDAR 2015 rules, shared by detection and end-to-end metrics.

Rules (one image at a time):

1. Polygons become shapely geometries. Self-intersecting ones ("bow ties") are repaired with
   ``shapely.make_valid``, which keeps every lobe (``buffer(0)`` would drop one); polygons
   with fewer than 3 points, non-finite coordinates or zero area are *degenerate*: they
   stay in the counts (a degenerate ground truth is a miss, a degenerate prediction a false
   positive) but can never match.
2. IoU = area(G ∩ P) / area(G ∪ P). Pairs whose IoU >= ``iou_threshold`` are candidates;
   candidates are matched one-to-one greedily, highest IoU first (ties: lower ground-truth
   index, then lower prediction index). The official script instead walks pairs in file
   order with IoU > 0.5; both agree whenever no box has two candidates, the usual case.
3. Don't-care ground truths (``###``) never count. A prediction that is not matched to a
   cared-for ground truth and has more than ``dontcare_overlap`` (0.5) of its area inside a
   single don't-care region is discarded (neither a hit nor a false positive). The official
   script discards such predictions *before* matching; ``dontcare_first=True`` reproduces
   that (it only differs when a cared-for box lies inside a don't-care one).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import Polygon

__all__ = ["ImageMatch", "match_polygons", "to_geometries", "to_geometry"]

_EMPTY = Polygon()


def _repair(geom) -> shapely.Geometry:
    """The areal part of ``make_valid(geom)``: every lobe of a bow tie, nothing of a flat polygon."""
    geom = shapely.make_valid(geom)
    if geom.geom_type == "GeometryCollection":  # keep the areal parts, drop stray lines/points
        parts = [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        return shapely.union_all(parts) if parts else _EMPTY
    return geom if geom.geom_type in ("Polygon", "MultiPolygon") else _EMPTY


def _points(points) -> np.ndarray | None:
    try:
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    except (TypeError, ValueError):
        return None
    return pts if len(pts) >= 3 and np.isfinite(pts).all() else None


def to_geometry(points) -> shapely.Geometry:
    """A valid shapely geometry for a polygon given as ``(N, 2)`` points (empty when degenerate)."""
    return to_geometries([points])[0]


def to_geometries(polygons: Sequence) -> np.ndarray:
    """:func:`to_geometry` for many polygons at once (vectorised per vertex count)."""
    out = np.full(len(polygons), _EMPTY, dtype=object)
    by_count: dict[int, list[int]] = {}
    pts = [_points(p) for p in polygons]
    for i, p in enumerate(pts):
        if p is not None:
            by_count.setdefault(len(p), []).append(i)
    for idx in by_count.values():
        out[idx] = shapely.polygons(np.stack([p for p in (pts[i] for i in idx) if p is not None]))
    for bad in np.flatnonzero(~shapely.is_valid(out)):
        out[bad] = _repair(out[bad])
    return out


@dataclass
class ImageMatch:
    """Outcome of matching one image's predictions to its ground truth."""

    pairs: list[tuple[int, int, float]] = field(default_factory=list)  # (gt index, pred index, IoU)
    gt_ignore: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    pred_ignore: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # discarded: inside don't-care
    gt_degenerate: int = 0
    pred_degenerate: int = 0

    @property
    def n_gt(self) -> int:
        """Ground truths that count (not don't-care)."""
        return int((~self.gt_ignore).sum())

    @property
    def n_pred(self) -> int:
        """Predictions that count (not discarded for lying inside a don't-care region)."""
        return int((~self.pred_ignore).sum())


def _intersection_areas(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return shapely.area(shapely.intersection(a, b))
    except GEOSException:
        # A rare robustness failure of GEOS on nearly-coincident edges: retry pair by pair on a
        # fine precision grid rather than failing the whole evaluation.
        out = np.zeros(len(a))
        for k, (ga, gb) in enumerate(zip(a, b, strict=True)):
            try:
                out[k] = shapely.intersection(ga, gb).area
            except GEOSException:
                try:
                    out[k] = shapely.intersection(ga, gb, grid_size=1e-3).area
                except GEOSException as e:
                    warnings.warn(f"polygon overlap could not be computed ({e}); counted as 0", stacklevel=3)
        return out


def match_polygons(
    gt_polygons: Sequence,
    gt_ignore: Sequence[bool] | None,
    pred_polygons: Sequence,
    iou_threshold: float = 0.5,
    dontcare_overlap: float = 0.5,
    dontcare_first: bool = False,
) -> ImageMatch:
    """Match one image's predicted polygons to its ground-truth polygons (rules in the module docstring)."""
    n_g, n_p = len(gt_polygons), len(pred_polygons)
    g_ign = np.zeros(n_g, bool) if gt_ignore is None else np.asarray(gt_ignore, bool).reshape(n_g)
    g_geo = to_geometries(gt_polygons)
    p_geo = to_geometries(pred_polygons)
    g_area = shapely.area(g_geo) if n_g else np.zeros(0)
    p_area = shapely.area(p_geo) if n_p else np.zeros(0)
    result = ImageMatch(
        gt_ignore=g_ign,
        pred_ignore=np.zeros(n_p, bool),
        gt_degenerate=int(((g_area <= 0) & ~g_ign).sum()),
        pred_degenerate=int((p_area <= 0).sum()),
    )
    if n_g == 0 or n_p == 0:
        return result

    # Candidate pairs from bounding-box overlap (STRtree), then exact areas, vectorised.
    tree = shapely.STRtree(g_geo)
    p_idx, g_idx = tree.query(p_geo, predicate="intersects")
    # Exact overlays are the expensive part: skip pairs whose bounding-box overlap already rules out
    # both a match and "mostly inside a don't-care region".
    p_b, g_b = shapely.bounds(p_geo[p_idx]), shapely.bounds(g_geo[g_idx])
    bw = np.minimum(p_b[:, 2], g_b[:, 2]) - np.maximum(p_b[:, 0], g_b[:, 0])
    bh = np.minimum(p_b[:, 3], g_b[:, 3]) - np.maximum(p_b[:, 1], g_b[:, 1])
    pa, ga = p_area[p_idx], g_area[g_idx]
    bound = np.minimum(np.clip(bw, 0, None) * np.clip(bh, 0, None), np.minimum(pa, ga))
    iou_bound = np.divide(bound, pa + ga - bound, out=np.zeros_like(bound), where=pa + ga - bound > 0)
    inside_bound = np.divide(bound, pa, out=np.zeros_like(bound), where=pa > 0)
    eps = 1e-9  # the bound must never drop a pair over float rounding
    keep = (iou_bound >= iou_threshold - eps) | (g_ign[g_idx] & (inside_bound > dontcare_overlap - eps))
    p_idx, g_idx = p_idx[keep], g_idx[keep]
    inter = _intersection_areas(p_geo[p_idx], g_geo[g_idx]) if len(p_idx) else np.zeros(0)
    union = p_area[p_idx] + g_area[g_idx] - inter
    iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)

    # Share of each prediction's area inside each don't-care region it touches.
    dc = g_ign[g_idx] & (p_area[p_idx] > 0)
    inside = np.zeros_like(inter)
    inside[dc] = inter[dc] / p_area[p_idx][dc]
    mostly_inside_dontcare = np.zeros(n_p, bool)
    np.logical_or.at(mostly_inside_dontcare, p_idx, dc & (inside > dontcare_overlap))
    if dontcare_first:
        result.pred_ignore = mostly_inside_dontcare

    ok = (~g_ign[g_idx]) & (~result.pred_ignore[p_idx]) & (iou >= iou_threshold) & (inter > 0)
    cand = np.flatnonzero(ok)
    order = cand[np.lexsort((p_idx[cand], g_idx[cand], -iou[cand]))]
    g_used = np.zeros(n_g, bool)
    p_used = np.zeros(n_p, bool)
    for k in order:
        g, p = g_idx[k], p_idx[k]
        if not g_used[g] and not p_used[p]:
            g_used[g] = p_used[p] = True
            result.pairs.append((int(g), int(p), float(iou[k])))
    if not dontcare_first:
        result.pred_ignore = mostly_inside_dontcare & ~p_used
    result.pairs.sort()
    return result
