"""Reading order: rows top to bottom, left to right within a row; OCRResult.text joins rows."""

from __future__ import annotations

import math

import numpy as np
from geometry_helpers import rotated_rect

from lumenocr.postprocess.order import reading_order
from lumenocr.results import OCRResult, TextLine


def rect(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def shuffled(items, seed=0):
    perm = np.random.default_rng(seed).permutation(len(items))
    return [items[i] for i in perm], perm


def test_empty():
    assert reading_order([]) == ([], [])


def test_one_row_given_in_shuffled_order():
    # Five words on one line with a little baseline jitter, listed in random order.
    boxes = [rect(100 * k, 100 + (-1) ** k * 3, 100 * k + 80, 122 + (-1) ** k * 2) for k in range(5)]
    given, perm = shuffled(boxes, seed=1)
    order, rows = reading_order(given)
    assert len(rows) == 1
    assert [int(perm[i]) for i in order] == [0, 1, 2, 3, 4]


def test_two_aligned_columns_are_read_row_by_row():
    left = [rect(0, 40 * k, 300, 40 * k + 22) for k in range(3)]
    right = [rect(400, 40 * k + 1, 700, 40 * k + 23) for k in range(3)]
    given, perm = shuffled(left + right, seed=2)
    order, rows = reading_order(given)
    named = [[int(perm[i]) for i in r] for r in rows]
    # Indices 0-2 are the left column, 3-5 the right one.
    assert named == [[0, 3], [1, 4], [2, 5]]
    assert [int(perm[i]) for i in order] == [0, 3, 1, 4, 2, 5]


def test_tall_box_spanning_two_rows():
    # A label on the left as tall as two lines on the right: it joins the first row only,
    # and the two lines stay separate rows.
    tall = rect(0, 0, 100, 60)
    first, second = rect(150, 0, 400, 25), rect(150, 35, 400, 60)
    order, rows = reading_order([second, tall, first])
    assert rows == [[1, 2], [0]]
    assert order == [1, 2, 0]


def test_close_lines_of_a_dense_page_stay_apart():
    lines = [rect(0, 18 * k, 500, 18 * k + 16) for k in range(10)]  # 2 px leading
    order, rows = reading_order(lines[::-1])
    assert rows == [[9 - k] for k in range(10)]


def test_skewed_page_lines():
    # A photo of a page turned 5 degrees: long lines whose axis-aligned extents overlap
    # their neighbours' by more than half must still be separate rows, top to bottom.
    for degrees in (-5, 2, 5, 8):
        lines = [rotated_rect(500, 100 + 45 * k, 800, 30, degrees) for k in range(5)]
        given, perm = shuffled(lines, seed=3)
        order, rows = reading_order(given)
        assert [[int(perm[i]) for i in r] for r in rows] == [[0], [1], [2], [3], [4]], degrees


def test_skewed_page_words():
    # Same page cut into word boxes: along a 5 degree line the words drift by more than the
    # line spacing, yet each line's words form one row, left to right.
    t = math.radians(5)
    u, v = np.array([math.cos(t), math.sin(t)]), np.array([-math.sin(t), math.cos(t)])
    boxes, expected = [], []
    for line in range(4):
        row = []
        for word in range(4):
            c = np.array([100.0, 100.0]) + (200 * word + 90) * u + 45 * line * v
            boxes.append(rotated_rect(c[0], c[1], 180, 30, 5))
            row.append(len(boxes) - 1)
        expected.append(row)
    given, perm = shuffled(boxes, seed=4)
    order, rows = reading_order(given)
    assert [[int(perm[i]) for i in r] for r in rows] == expected
    assert [int(perm[i]) for i in order] == [i for r in expected for i in r]


def test_rotated_scene_text_mixture_does_not_crash():
    boxes = [
        rotated_rect(100 + 50 * k, 100 + 30 * k, 80, 20, a) for k, a in enumerate([0, 30, 60, 90, -45, 120])
    ]
    order, rows = reading_order(boxes)
    assert sorted(order) == list(range(6))
    assert sorted(i for r in rows for i in r) == list(range(6))


def test_ocr_result_text_joins_rows():
    lines = [
        TextLine(rect(0, 0, 10, 10).tolist(), "Hello"),
        TextLine(rect(20, 0, 30, 10).tolist(), "world"),
        TextLine(rect(0, 20, 10, 30).tolist(), ""),
        TextLine(rect(0, 40, 10, 50).tolist(), "again"),
    ]
    res = OCRResult(lines, (60, 40), rows=[[0, 1], [2], [3]])
    assert res.text == "Hello world\nagain"  # empty rows vanish
    # Without rows, one line of text per box.
    assert OCRResult(lines, (60, 40)).text == "Hello\nworld\nagain"
