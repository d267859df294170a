"""Text recognition metrics: line accuracy, normalised edit distance, CER and character confusions.

All figures are computed on texts normalised with :func:`normalize_text` under one mode
(``"exact"`` by default; ``"icdar"`` is the usual case-insensitive alphanumeric comparison;
see :mod:`lumenocr.metrics.text`). Correctness uses :func:`texts_match`, so ``"icdar2015"``
applies the official edge-punctuation rule.

* ``accuracy``: share of samples read exactly right.
* ``mean_ned``: mean over samples of edit distance / max(len(gt), len(pred)) (0 is perfect);
  ``1 - mean_ned`` is the "norm edit distance" score PaddleOCR prints.
* ``cer``: total edits / total ground-truth characters (a sample with empty ground truth
  adds its prediction's length to the edits).
* ``confusions``: most frequent ``(gt_char, pred_char)`` errors; ``""`` on the prediction
  side is a missed character, on the ground-truth side a spurious one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from lumenocr.metrics.text import (
    check_mode,
    edit_distance,
    edit_ops,
    normalize_text,
    normalized_edit_distance,
    texts_match,
)

#: Crops recognised per call when a recognizer is evaluated (``lumenocr eval rec --model`` and
#: training-time evaluation alike): batches are planned within a call, so both must use the
#: same chunks to give the very same figures; it also bounds the crops held in memory.
EVAL_CHUNK = 32

__all__ = [
    "RecMetrics",
    "edit_distance",
    "evaluate_recognition",
    "normalize_text",
    "normalized_edit_distance",
    "texts_match",
]


@dataclass
class RecMetrics:
    """Dataset-level recognition metrics."""

    accuracy: float
    correct: int
    total: int
    mean_ned: float
    cer: float
    char_errors: int
    gt_chars: int
    mode: str
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    wrong: list[int] = field(default_factory=list)  # indices of the samples read wrong

    def to_dict(self, wrong: bool = True) -> dict:
        d = {
            "accuracy": round(self.accuracy, 6),
            "correct": self.correct,
            "total": self.total,
            "mean_ned": round(self.mean_ned, 6),
            "norm_edit_score": round(1.0 - self.mean_ned, 6),
            "cer": round(self.cer, 6),
            "char_errors": self.char_errors,
            "gt_chars": self.gt_chars,
            "mode": self.mode,
            "confusions": [{"gt": g, "pred": p, "count": n} for g, p, n in self.confusions],
        }
        if wrong:
            d["wrong"] = list(self.wrong)
        return d


def evaluate_recognition(
    gt_texts: Sequence[str], pred_texts: Sequence[str], normalize: str = "exact", top_confusions: int = 20
) -> RecMetrics:
    """Compare recognised texts with ground-truth texts (aligned lists, one string per crop).

    A missing prediction must be passed as ``""`` (it then counts as wrong), never dropped.
    """
    check_mode(normalize)
    if len(gt_texts) != len(pred_texts):
        raise ValueError(
            f"evaluate_recognition: {len(gt_texts)} ground-truth texts but {len(pred_texts)} predictions"
        )
    correct = 0
    ned_sum = 0.0
    errors = 0
    chars = 0
    confusions: Counter[tuple[str, str]] = Counter()
    wrong = []
    for i, (g_raw, p_raw) in enumerate(zip(gt_texts, pred_texts, strict=True)):
        if texts_match(g_raw, p_raw, normalize):
            correct += 1
        else:
            wrong.append(i)
        g, p = normalize_text(g_raw, normalize), normalize_text(p_raw, normalize)
        ned_sum += normalized_edit_distance(g, p)
        errors += edit_distance(g, p)
        chars += len(g)
        if g != p:
            confusions.update(edit_ops(g, p))
    n = len(gt_texts)
    top = sorted(confusions.items(), key=lambda kv: (-kv[1], kv[0]))[:top_confusions]
    return RecMetrics(
        accuracy=correct / n if n else 0.0,
        correct=correct,
        total=n,
        mean_ned=ned_sum / n if n else 0.0,
        cer=errors / chars if chars else float(errors > 0),
        char_errors=errors,
        gt_chars=chars,
        mode=normalize,
        confusions=[(g, p, c) for (g, p), c in top],
        wrong=wrong,
    )
