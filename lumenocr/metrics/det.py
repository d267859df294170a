"""Text detection metrics: precision, recall and hmean of one-to-one polygon matches (ICDAR 2015).

Matching rules are in :mod:`lumenocr.metrics.geometry`. Precision = matches / counted
predictions, recall = matches / cared-for ground truths, hmean = their harmonic mean. A ratio
over an empty set is 1.0 when both sets are empty (nothing to find, nothing claimed) and 0.0
otherwise, per image and over the dataset.

``gt`` items are :class:`lumenocr.io.labels.DetSample` or anything with ``polygons`` (and
optionally ``ignore`` and ``image_path``); ``pred`` items are anything with ``polygons``
(e.g. :class:`lumenocr.metrics.predictions.PredSample`, ``DetResult``) or a plain list of
polygons, aligned with ``gt`` (``None`` = no prediction for that image).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lumenocr.metrics.geometry import ImageMatch, match_polygons

__all__ = ["DetMetrics", "ImageDetMetrics", "evaluate_detection", "prf"]


def _ratio(num: int, den: int, other: int) -> float:
    if den:
        return num / den
    return 1.0 if other == 0 else 0.0


def prf(matched: int, n_gt: int, n_pred: int) -> tuple[float, float, float]:
    """``(precision, recall, hmean)`` from counts (empty-set convention in the module docstring)."""
    p = _ratio(matched, n_pred, n_gt)
    r = _ratio(matched, n_gt, n_pred)
    h = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return p, r, h


def gt_fields(sample) -> tuple[str, list, list[bool]]:
    """``(name, polygons, ignore)`` of a ground-truth item."""
    polys = list(sample.polygons)
    ignore = getattr(sample, "ignore", None)
    ignore = [False] * len(polys) if ignore is None else list(ignore)
    name = getattr(sample, "image_path", None) or getattr(sample, "image", None) or ""
    return str(name), polys, ignore


def pred_polygons(pred) -> list:
    """The polygons of a prediction item (object with ``polygons``, plain list, or ``None``)."""
    if pred is None:
        return []
    polys = getattr(pred, "polygons", pred)
    return list(polys)


@dataclass
class ImageDetMetrics:
    """Detection outcome of one image."""

    image: str
    gt: int
    pred: int
    matched: int
    ignored_pred: int
    precision: float
    recall: float
    hmean: float
    matches: list[tuple[int, int, float]] = field(default_factory=list)  # (gt index, pred index, IoU)

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("image", "gt", "pred", "matched", "ignored_pred")}
        d.update({k: round(getattr(self, k), 6) for k in ("precision", "recall", "hmean")})
        d["matches"] = [[g, p, round(i, 4)] for g, p, i in self.matches]
        return d


@dataclass
class DetMetrics:
    """Dataset-level detection metrics (counts summed over images, then ratios)."""

    precision: float
    recall: float
    hmean: float
    gt: int  # cared-for ground-truth boxes
    pred: int  # predictions that count
    matched: int
    ignored_gt: int  # don't-care ground-truth boxes
    ignored_pred: int  # predictions discarded inside don't-care regions
    degenerate_gt: int
    degenerate_pred: int
    mean_iou: float  # over matched pairs
    iou_threshold: float
    images: int
    per_image: list[ImageDetMetrics] = field(default_factory=list)

    def to_dict(self, per_image: bool = True) -> dict:
        d: dict[str, Any] = {
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
            "hmean": round(self.hmean, 6),
            "mean_iou": round(self.mean_iou, 6),
        }
        for k in ("gt", "pred", "matched", "ignored_gt", "ignored_pred", "degenerate_gt", "degenerate_pred"):
            d[k] = getattr(self, k)
        d["iou_threshold"] = self.iou_threshold
        d["images"] = self.images
        if per_image:
            d["per_image"] = [m.to_dict() for m in self.per_image]
        return d


def match_image(gt_sample, pred, iou: float, dontcare_first: bool = False) -> tuple[str, ImageMatch]:
    """Match one ground-truth item to its prediction item."""
    name, polys, ignore = gt_fields(gt_sample)
    return name, match_polygons(polys, ignore, pred_polygons(pred), iou, dontcare_first=dontcare_first)


def evaluate_detection(
    gt: Sequence, pred: Sequence, iou: float = 0.5, dontcare_first: bool = False
) -> DetMetrics:
    """Precision, recall and hmean of ``pred`` against ``gt`` (aligned lists, one item per image)."""
    if len(gt) != len(pred):
        raise ValueError(f"evaluate_detection: {len(gt)} ground-truth items but {len(pred)} prediction items")
    per_image = []
    totals = dict(gt=0, pred=0, matched=0, ignored_gt=0, ignored_pred=0, degenerate_gt=0, degenerate_pred=0)
    iou_sum = 0.0
    for g, p in zip(gt, pred, strict=True):
        name, m = match_image(g, p, iou, dontcare_first)
        n_match = len(m.pairs)
        ign_p = int(m.pred_ignore.sum())
        per_image.append(
            ImageDetMetrics(name, m.n_gt, m.n_pred, n_match, ign_p, *prf(n_match, m.n_gt, m.n_pred), m.pairs)
        )
        totals["gt"] += m.n_gt
        totals["pred"] += m.n_pred
        totals["matched"] += n_match
        totals["ignored_gt"] += int(m.gt_ignore.sum())
        totals["ignored_pred"] += ign_p
        totals["degenerate_gt"] += m.gt_degenerate
        totals["degenerate_pred"] += m.pred_degenerate
        iou_sum += sum(x for _, _, x in m.pairs)
    p, r, h = prf(totals["matched"], totals["gt"], totals["pred"])
    mean_iou = iou_sum / totals["matched"] if totals["matched"] else 0.0
    return DetMetrics(
        p, r, h, **totals, mean_iou=mean_iou, iou_threshold=iou, images=len(gt), per_image=per_image
    )
