"""End-to-end metrics: geometric match AND text match, with don't-care handling."""

from __future__ import annotations

import numpy as np
import pytest

from lumenocr.io.labels import DetSample
from lumenocr.metrics import evaluate_end_to_end
from lumenocr.metrics.predictions import PredSample


def rect(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


GT = DetSample(
    "a.jpg",
    [rect(0, 0, 10, 10), rect(20, 0, 30, 10), rect(40, 0, 50, 10)],
    ["Hello", "World", "###"],
    [False, False, True],
)
PRED = PredSample(
    "a.jpg",
    [rect(0, 0, 10, 10), rect(20, 0, 30, 10), rect(41, 0, 49, 10), rect(60, 0, 70, 10)],
    ["hello", "w0rld", "junk", "x"],  # right up to case, misread, inside don't-care, spurious
)


def test_icdar_mode():
    m = evaluate_end_to_end([GT], [PRED], normalize="icdar")
    assert (m.gt, m.pred, m.matched, m.correct, m.ignored_pred) == (2, 3, 2, 1, 1)
    assert (m.precision, m.recall) == (pytest.approx(1 / 3), 0.5)
    assert m.hmean == pytest.approx(0.4)  # 2 * 1/3 * 1/2 / (1/3 + 1/2)
    assert (m.det_precision, m.det_recall, m.det_hmean) == (pytest.approx(2 / 3), 1.0, pytest.approx(0.8))
    assert m.per_image[0].misread == [(1, 1, "World", "w0rld")]


def test_exact_mode_is_case_sensitive():
    m = evaluate_end_to_end([GT], [PRED], normalize="exact")
    assert m.correct == 0
    assert m.hmean == 0.0


def test_official_rule_trims_ground_truth_punctuation():
    g = DetSample("b.jpg", [rect(0, 0, 10, 10)], ["Hello!"], [False])
    assert (
        evaluate_end_to_end([g], [PredSample("b.jpg", [rect(0, 0, 10, 10)], ["HELLO"])], "icdar2015").correct
        == 1
    )
    assert (
        evaluate_end_to_end([g], [PredSample("b.jpg", [rect(0, 0, 10, 10)], ["HELLO"])], "exact").correct == 0
    )


def test_right_text_in_wrong_place_does_not_count():
    g = DetSample("c.jpg", [rect(0, 0, 10, 10)], ["sale"], [False])
    m = evaluate_end_to_end([g], [PredSample("c.jpg", [rect(5, 0, 15, 10)], ["sale"])], "icdar")  # IoU 1/3
    assert (m.matched, m.correct, m.hmean) == (0, 0, 0.0)


def test_missing_prediction_is_empty():
    m = evaluate_end_to_end([GT], [None])
    assert (m.gt, m.pred, m.correct, m.recall) == (2, 0, 0, 0.0)


def test_texts_must_align_with_polygons():
    bad = PredSample("a.jpg", [rect(0, 0, 1, 1)], [])
    with pytest.raises(ValueError, match="1 polygons but 0 texts"):
        evaluate_end_to_end([GT], [bad])


def test_unicode_text_is_normalised():
    # Decomposed vs composed accents, full-width digits: equal under icdar, and under exact only the accent.
    g = DetSample(
        "d.jpg", [rect(0, 0, 10, 10), rect(20, 0, 30, 10)], ["Caf\u00e9", "２０２４"], [False, False]
    )
    p = PredSample("d.jpg", [rect(0, 0, 10, 10), rect(20, 0, 30, 10)], ["Cafe\u0301", "2024"])
    assert evaluate_end_to_end([g], [p], "icdar").correct == 2
    assert evaluate_end_to_end([g], [p], "exact").correct == 1
    assert evaluate_end_to_end([g], [p], "nfkc").correct == 2
