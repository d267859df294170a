"""End-to-end (detection + recognition) metrics, ICDAR 2015 Task 4.4 style.

Boxes are matched exactly as in :mod:`lumenocr.metrics.det` (one-to-one, IoU >= 0.5,
don't-care regions removed from the counts). A matched pair is a hit only when its texts
also match under the chosen normalisation (:func:`lumenocr.metrics.text.texts_match`;
``"icdar"`` is case-insensitive alphanumeric, ``"icdar2015"`` the official rule). A pair whose
text is wrong counts as a miss AND a false positive, as in the official script.
Precision = hits / counted predictions, recall = hits / cared-for ground truths.

Prediction items need ``polygons`` and ``texts`` (e.g. :class:`PredSample`).
The detection-only figures of the same matching are reported alongside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lumenocr.metrics.det import gt_fields, pred_polygons, prf
from lumenocr.metrics.geometry import match_polygons
from lumenocr.metrics.text import check_mode, texts_match

__all__ = ["E2EMetrics", "ImageE2EMetrics", "evaluate_end_to_end"]


@dataclass
class ImageE2EMetrics:
    """End-to-end outcome of one image."""

    image: str
    gt: int
    pred: int
    matched: int  # geometric matches
    correct: int  # geometric matches whose text matches too
    precision: float
    recall: float
    hmean: float
    # (gt index, pred index, gt text, pred text) of geometric matches read wrong
    misread: list[tuple[int, int, str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("image", "gt", "pred", "matched", "correct")}
        d.update({k: round(getattr(self, k), 6) for k in ("precision", "recall", "hmean")})
        d["misread"] = [list(m) for m in self.misread]
        return d


@dataclass
class E2EMetrics:
    """Dataset-level end-to-end metrics, with the detection figures of the same matching."""

    precision: float
    recall: float
    hmean: float
    det_precision: float
    det_recall: float
    det_hmean: float
    gt: int
    pred: int
    matched: int
    correct: int
    ignored_gt: int
    ignored_pred: int
    mode: str
    iou_threshold: float
    images: int
    per_image: list[ImageE2EMetrics] = field(default_factory=list)

    def to_dict(self, per_image: bool = True) -> dict:
        d = {
            k: round(getattr(self, k), 6)
            for k in ("precision", "recall", "hmean", "det_precision", "det_recall", "det_hmean")
        }
        for k in (
            "gt",
            "pred",
            "matched",
            "correct",
            "ignored_gt",
            "ignored_pred",
            "mode",
            "iou_threshold",
            "images",
        ):
            d[k] = getattr(self, k)
        if per_image:
            d["per_image"] = [m.to_dict() for m in self.per_image]
        return d


def _pred_texts(pred, n: int) -> list[str]:
    texts = [] if pred is None else list(getattr(pred, "texts", []) or [])
    if len(texts) != n:
        raise ValueError(f"end-to-end prediction has {n} polygons but {len(texts)} texts")
    return texts


def evaluate_end_to_end(
    gt: Sequence, pred: Sequence, normalize: str = "exact", iou: float = 0.5, dontcare_first: bool = False
) -> E2EMetrics:
    """End-to-end precision/recall/hmean of ``pred`` against ``gt`` (aligned lists, one item per image)."""
    check_mode(normalize)
    if len(gt) != len(pred):
        raise ValueError(
            f"evaluate_end_to_end: {len(gt)} ground-truth items but {len(pred)} prediction items"
        )
    per_image = []
    n_gt = n_pred = n_match = n_correct = n_ign_g = n_ign_p = 0
    for g, p in zip(gt, pred, strict=True):
        name, polys, ignore = gt_fields(g)
        g_texts = list(g.texts)
        p_polys = pred_polygons(p)
        p_texts = _pred_texts(p, len(p_polys))
        m = match_polygons(polys, ignore, p_polys, iou, dontcare_first=dontcare_first)
        correct = 0
        misread = []
        for gi, pi, _ in m.pairs:
            if texts_match(g_texts[gi], p_texts[pi], normalize):
                correct += 1
            else:
                misread.append((gi, pi, g_texts[gi], p_texts[pi]))
        per_image.append(
            ImageE2EMetrics(
                name, m.n_gt, m.n_pred, len(m.pairs), correct, *prf(correct, m.n_gt, m.n_pred), misread
            )
        )
        n_gt += m.n_gt
        n_pred += m.n_pred
        n_match += len(m.pairs)
        n_correct += correct
        n_ign_g += int(m.gt_ignore.sum())
        n_ign_p += int(m.pred_ignore.sum())
    return E2EMetrics(
        *prf(n_correct, n_gt, n_pred),
        *prf(n_match, n_gt, n_pred),
        gt=n_gt,
        pred=n_pred,
        matched=n_match,
        correct=n_correct,
        ignored_gt=n_ign_g,
        ignored_pred=n_ign_p,
        mode=normalize,
        iou_threshold=iou,
        images=len(gt),
        per_image=per_image,
    )
