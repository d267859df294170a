"""Page-text metrics: reading order, CER, WER and word-bag F1."""

from __future__ import annotations

import numpy as np
import pytest

from lumenocr.metrics import evaluate_page_text, page_text, reading_order


def rect(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def test_reading_order_rows_then_left_to_right():
    boxes = [
        rect(60, 22, 90, 31),  # 0: row 2, right
        rect(50, 1, 80, 11),  # 1: row 1, right (slightly lower than box 2)
        rect(0, 20, 40, 30),  # 2: row 2, left
        rect(0, 0, 40, 10),  # 3: row 1, left
    ]
    assert reading_order(boxes) == [[3, 1], [2, 0]]
    assert reading_order([]) == []


def test_boxes_overlapping_less_than_half_start_a_new_row():
    # Heights 10, vertical overlap 4 (< 5): two rows.
    assert reading_order([rect(0, 0, 10, 10), rect(20, 6, 30, 16)]) == [[0], [1]]
    # Overlap 6 (>= 5): one row.
    assert reading_order([rect(20, 4, 30, 14), rect(0, 0, 10, 10)]) == [[1, 0]]


def test_page_text_skips_dont_care_boxes():
    polys = [rect(50, 0, 90, 10), rect(0, 0, 40, 10), rect(0, 20, 40, 30)]
    assert page_text(polys, ["John", "Name:", "###"], [False, False, True]) == "Name: John"
    assert page_text(polys, ["John", "Name:", "Date"]) == "Name: John\nDate"


def test_word_labels_against_line_predictions():
    # Ground truth labelled per word, prediction per line: same page text, CER 0.
    gt = page_text([rect(0, 0, 40, 10), rect(50, 0, 90, 10)], ["Name:", "John"])
    pred = page_text([rect(0, 0, 90, 10)], ["Name: John"])
    m = evaluate_page_text([gt], [pred])
    assert (m.cer, m.wer, m.bag_f1) == (0.0, 0.0, 1.0)


def test_cer_wer_by_hand():
    m = evaluate_page_text(["the quick\nbrown fox"], ["the quick brwn fox"])
    # Line breaks are spaces: 19 characters, 1 deletion; 4 words, 1 substituted.
    assert (m.char_errors, m.gt_chars, m.word_errors, m.gt_words) == (1, 19, 1, 4)
    assert (m.cer, m.wer) == (pytest.approx(1 / 19), 0.25)
    assert (m.bag_precision, m.bag_recall) == (0.75, 0.75)
    assert m.cer_nospace == pytest.approx(1 / 16)  # "thequickbrownfox"


def test_cer_without_spaces_for_cjk_segments():
    # Ground truth in two segments, prediction as one line: only the space differs.
    m = evaluate_page_text(["发票 号码"], ["发票号码"])
    assert (m.cer, m.cer_nospace) == (pytest.approx(1 / 5), 0.0)


def test_word_bag_ignores_order_but_wer_does_not():
    m = evaluate_page_text(["a b c"], ["c b a"])
    assert m.bag_f1 == 1.0
    assert m.wer == pytest.approx(2 / 3)


def test_normalisation_applies_per_word():
    m = evaluate_page_text(["Total: 12,50 EUR"], ["total 1250 eur"], normalize="icdar")
    assert (m.cer, m.wer) == (0.0, 0.0)
    assert evaluate_page_text(["Total: 12,50 EUR"], ["total 1250 eur"]).wer == 1.0


def test_empty_pages():
    m = evaluate_page_text(["", "ab"], ["", ""])
    assert [p.cer for p in m.per_page] == [0.0, 1.0]
    assert m.cer == 1.0
    assert evaluate_page_text([""], ["x"]).cer == 1.0  # text where there is none is an error
    d = m.to_dict()
    assert d["pages"] == 2
    assert len(d["per_page"]) == 2


def test_evaluate_pages_leaves_dont_care_regions_out_of_both_texts():
    from lumenocr.io.labels import DetSample
    from lumenocr.metrics import evaluate_pages
    from lumenocr.metrics.predictions import PredSample

    gt = DetSample(
        "p.jpg",
        [rect(0, 0, 40, 10), rect(50, 0, 90, 10), rect(0, 20, 90, 50)],
        ["Name:", "John", "###"],  # a multi-line block nobody transcribed
        [False, False, True],
    )
    pred = PredSample(
        "p.jpg",
        [rect(0, 0, 90, 10), rect(2, 22, 88, 32), rect(0, 60, 40, 70)],
        ["Name: John", "unlabelled text", "extra"],  # line 2 lies inside the ### block: not an insertion
    )
    m = evaluate_pages([gt], [pred])
    assert m.per_page[0].pred_words == 3  # "Name:", "John", "extra"
    assert (m.word_errors, m.gt_words) == (1, 2)
    assert m.bag_precision == pytest.approx(2 / 3)
    assert evaluate_pages([gt], [None]).cer == 1.0
