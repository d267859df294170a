"""Page-level text metrics for documents: CER and WER of the page text in reading order.

Document ground truth is often labelled per word while detectors return lines (FUNSD), so box
IoU alone says little. These metrics compare what a reader gets: the whole page text.

Reading order (:func:`reading_order`, the pipeline's own) is applied identically to ground truth
and predictions so neither side is favoured: boxes are taken by vertical centre; a box joins the
first row whose vertical extent overlaps its own by at least half the smaller height, otherwise
it starts a new row; each row is read left to right. Multi-column layouts are read row by row
across columns.

Text is split into words on whitespace, each word normalised with :func:`normalize_text`
(words that become empty are dropped) and rejoined with single spaces; rows are joined with a
space too, so line breaks never count as errors.

* ``cer``: character edits / ground-truth characters (summed over pages);
* ``cer_nospace``: the same with every space removed from both texts, the fair figure for
  Chinese/Japanese, where spaces between boxes are an artefact of segmentation;
* ``wer``: word edits / ground-truth words;
* ``bag_precision / bag_recall / bag_f1``: order-free word matching (multiset intersection),
  robust to reading-order differences.
If a page's ground truth is empty, its CER/WER count as 0 for an empty prediction and 1 otherwise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from lumenocr.metrics.text import check_mode, edit_distance, normalize_text
from lumenocr.postprocess.order import reading_order as _pipeline_reading_order

__all__ = [
    "PageMetrics",
    "PageTextMetrics",
    "evaluate_page_text",
    "evaluate_pages",
    "page_text",
    "reading_order",
]


def reading_order(polygons: Sequence) -> list[list[int]]:
    """Indices of ``polygons`` grouped into visual rows, top to bottom, each row left to right.

    The pipeline's own ordering (:func:`lumenocr.postprocess.order.reading_order`), so page
    text is built the same way for ground truth, lumenocr and any peer.
    """
    return _pipeline_reading_order([np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in polygons])[1]


def page_text(
    polygons: Sequence, texts: Sequence[str], ignore: Sequence[bool] | None = None, order: str = "rows"
) -> str:
    """The text of a page in reading order, rows separated by newlines (don't-care boxes skipped).

    ``order="columns"`` reads blocks column by column as the pipeline's ``layout="columns"``
    does (:func:`lumenocr.document.blocks.build_blocks`); ``"rows"`` reads rows across the page.
    """
    keep = [i for i in range(len(texts)) if not (ignore is not None and ignore[i])]
    if order == "columns":
        rows = _column_rows([polygons[i] for i in keep], [texts[i] for i in keep])
    elif order == "rows":
        rows = reading_order([polygons[i] for i in keep])
    else:
        raise ValueError(f"page_text: order must be 'rows' or 'columns', got {order!r}")
    lines = [" ".join(texts[keep[k]] for k in row if texts[keep[k]].strip()) for row in rows]
    return "\n".join(line for line in lines if line)


def _column_rows(polygons: Sequence, texts: Sequence[str]) -> list[list[int]]:
    from lumenocr.document.blocks import build_blocks
    from lumenocr.results import TextLine

    if not polygons:
        return []
    lines = [TextLine(np.asarray(p, np.float64).reshape(-1, 2).tolist(), t) for p, t in zip(polygons, texts)]
    pts = np.concatenate([np.asarray(ln.points) for ln in lines])
    size = (int(pts[:, 1].max()) + 1, int(pts[:, 0].max()) + 1)
    order, rows, _ = build_blocks(lines, size)
    return [[order[k] for k in r] for r in rows]


def _words(text: str, mode: str) -> list[str]:
    return [w for w in (normalize_text(t, mode) for t in text.split()) if w]


@dataclass
class PageTextMetrics:
    """Text comparison of one page."""

    image: str
    cer: float
    wer: float
    char_errors: int
    gt_chars: int
    word_errors: int
    gt_words: int
    pred_words: int
    bag_hits: int

    def to_dict(self) -> dict:
        d = {
            k: getattr(self, k)
            for k in ("image", "char_errors", "gt_chars", "word_errors", "gt_words", "pred_words", "bag_hits")
        }
        d["cer"] = round(self.cer, 6)
        d["wer"] = round(self.wer, 6)
        return d


@dataclass
class PageMetrics:
    """Dataset-level page-text metrics (errors summed over pages, then divided)."""

    cer: float
    wer: float
    cer_nospace: float
    bag_precision: float
    bag_recall: float
    bag_f1: float
    char_errors: int
    gt_chars: int
    word_errors: int
    gt_words: int
    pred_words: int
    mode: str
    pages: int
    per_page: list[PageTextMetrics] = field(default_factory=list)

    def to_dict(self, per_image: bool = True) -> dict:
        d = {
            k: round(getattr(self, k), 6)
            for k in ("cer", "wer", "cer_nospace", "bag_precision", "bag_recall", "bag_f1")
        }
        for k in ("char_errors", "gt_chars", "word_errors", "gt_words", "pred_words", "mode", "pages"):
            d[k] = getattr(self, k)
        if per_image:
            d["per_page"] = [p.to_dict() for p in self.per_page]
        return d


def _rate(errors: int, total: int) -> float:
    return errors / total if total else float(errors > 0)


def evaluate_page_text(
    gt_pages: Sequence[str],
    pred_pages: Sequence[str],
    normalize: str = "exact",
    names: Sequence[str] | None = None,
) -> PageMetrics:
    """CER, WER and word-bag F1 of predicted page texts against ground-truth page texts (aligned lists)."""
    check_mode(normalize)
    if len(gt_pages) != len(pred_pages):
        raise ValueError(
            f"evaluate_page_text: {len(gt_pages)} ground-truth pages but {len(pred_pages)} predictions"
        )
    per_page = []
    tot: Counter[str] = Counter()
    for i, (g_text, p_text) in enumerate(zip(gt_pages, pred_pages, strict=True)):
        gw, pw = _words(g_text, normalize), _words(p_text, normalize)
        gs, ps = " ".join(gw), " ".join(pw)
        ce, we = edit_distance(gs, ps), edit_distance(gw, pw)
        hits = sum((Counter(gw) & Counter(pw)).values())
        name = names[i] if names is not None else str(i)
        per_page.append(
            PageTextMetrics(
                name, _rate(ce, len(gs)), _rate(we, len(gw)), ce, len(gs), we, len(gw), len(pw), hits
            )
        )
        g_dense, p_dense = "".join(gw), "".join(pw)
        tot.update(ce=ce, gc=len(gs), we=we, gw=len(gw), pw=len(pw), hits=hits)
        tot.update(ce_ns=edit_distance(g_dense, p_dense), gc_ns=len(g_dense))
    bp = tot["hits"] / tot["pw"] if tot["pw"] else float(tot["gw"] == 0)
    br = tot["hits"] / tot["gw"] if tot["gw"] else float(tot["pw"] == 0)
    return PageMetrics(
        cer=_rate(tot["ce"], tot["gc"]),
        wer=_rate(tot["we"], tot["gw"]),
        cer_nospace=_rate(tot["ce_ns"], tot["gc_ns"]),
        bag_precision=bp,
        bag_recall=br,
        bag_f1=2 * bp * br / (bp + br) if bp + br else 0.0,
        char_errors=tot["ce"],
        gt_chars=tot["gc"],
        word_errors=tot["we"],
        gt_words=tot["gw"],
        pred_words=tot["pw"],
        mode=normalize,
        pages=len(gt_pages),
        per_page=per_page,
    )


def evaluate_pages(gt: Sequence, pred: Sequence, normalize: str = "exact") -> PageMetrics:
    """Page-text metrics straight from boxes: ``gt`` items with ``polygons``/``texts``/``ignore``,
    ``pred`` items with ``polygons``/``texts`` (``None`` = nothing read), aligned.

    Don't-care ground-truth boxes are left out of the reference text, and predicted boxes lying
    mostly inside one (the ICDAR rule, see :mod:`lumenocr.metrics.geometry`) are left out of the
    predicted text, so reading unlabelled text is not counted as an insertion.
    """
    from lumenocr.metrics.geometry import match_polygons

    if len(gt) != len(pred):
        raise ValueError(f"evaluate_pages: {len(gt)} ground-truth items but {len(pred)} prediction items")
    gt_pages: list[str] = []
    pred_pages: list[str] = []
    names: list[str] = []
    for g, p in zip(gt, pred, strict=True):
        ignore = list(getattr(g, "ignore", None) or [False] * len(g.polygons))
        gt_pages.append(page_text(g.polygons, g.texts, ignore))
        names.append(str(getattr(g, "image_path", "") or len(names)))
        if p is None or not len(p.polygons):
            pred_pages.append("")
            continue
        dropped = list(match_polygons(g.polygons, ignore, p.polygons).pred_ignore) if any(ignore) else None
        pred_pages.append(page_text(p.polygons, p.texts, dropped))
    return evaluate_page_text(gt_pages, pred_pages, normalize, names=names)
