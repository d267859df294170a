"""Page-aware detection resolution: when a second, finer pass runs, and at what scale."""

from __future__ import annotations

import numpy as np
import pytest

from lumenocr.preprocess.det import DetPreprocess
from lumenocr.preprocess.page_scale import MIN_GAIN, line_height, refined_ratio, resize_at


def boxes(n: int, height: float, width: float = 200.0) -> list[np.ndarray]:
    return [
        np.array(
            [
                [10, 10 + 3 * height * i],
                [10 + width, 10 + 3 * height * i],
                [10 + width, 10 + 3 * height * i + height],
                [10, 10 + 3 * height * i + height],
            ],
            np.float32,
        )
        for i in range(n)
    ]


PRE = DetPreprocess(limit_side_len=960, dense_lines=20, text_height=24)


def test_line_height_is_the_short_side_also_for_vertical_lines():
    assert line_height(boxes(1, 30)[0]) == pytest.approx(30)
    tall = np.array([[0, 0], [30, 0], [30, 300], [0, 300]], np.float32)
    assert line_height(tall) == pytest.approx(30)


def test_sparse_images_keep_the_first_pass():
    # A scene photo with 5 small lines: no second pass, whatever the text size.
    assert refined_ratio(PRE, (720, 1280), 0.75, boxes(5, 12)) is None


def test_dense_page_of_small_lines_is_refined_to_the_target_height():
    # A4 at 300 dpi: first pass at 960 px (ratio 0.274); lines 50 px tall in the image are
    # 13.7 px in the network input, under the 24 px target.
    ratio = refined_ratio(PRE, (3508, 2480), 960 / 3508, boxes(60, 50))
    assert ratio == pytest.approx(24 / 50)
    ratio_h = resize_at(PRE, np.zeros((3508, 2480, 3), np.uint8), ratio).ratio_h
    assert 50 * ratio_h == pytest.approx(24, abs=0.5)


def test_dense_page_with_large_enough_text_is_not_refined():
    assert refined_ratio(PRE, (3508, 2480), 960 / 3508, boxes(60, 100)) is None  # 27 px already


def test_refinement_never_exceeds_the_image_resolution_nor_max_side():
    # Lines 16 px tall in the image itself: the original resolution is the limit.
    assert refined_ratio(PRE, (3508, 2480), 960 / 3508, boxes(60, 16)) == pytest.approx(1.0)
    capped = DetPreprocess(limit_side_len=960, dense_lines=20, text_height=24, max_side_len=2000)
    assert refined_ratio(capped, (3508, 2480), 960 / 3508, boxes(60, 16)) == pytest.approx(2000 / 3508)


def test_small_gain_is_not_worth_a_second_pass():
    # FUNSD-like page 1000 x 762 already run at ratio 0.96: even the full resolution gains < MIN_GAIN.
    assert MIN_GAIN > 1.0 / 0.96
    assert refined_ratio(PRE, (1000, 762), 0.96, boxes(60, 14)) is None


def test_switched_off():
    assert (
        refined_ratio(DetPreprocess(dense_lines=0, text_height=24), (3508, 2480), 0.27, boxes(60, 40)) is None
    )
    assert (
        refined_ratio(DetPreprocess(dense_lines=20, text_height=0), (3508, 2480), 0.27, boxes(60, 40)) is None
    )


def test_resize_at_keeps_the_stride_and_reports_ratios():
    img = np.full((1001, 757, 3), 255, np.uint8)
    r = resize_at(DetPreprocess(), img, 0.5)
    _, _, h, w = r.tensor.shape
    assert h % 32 == 0 and w % 32 == 0
    assert r.ratio_h == pytest.approx(h / 1001) and r.ratio_w == pytest.approx(w / 757)
    assert r.original_shape == (1001, 757)


def test_detector_runs_the_second_pass_at_the_chosen_scale():
    """A fake engine records the input sizes the detector asks for."""
    from lumenocr.pipeline.det import TextDetector
    from lumenocr.postprocess.db import DBPostProcess

    seen: list[tuple[int, int]] = []

    class Engine:
        meta = None
        name = "fake"

        def __call__(self, batch):
            seen.append(batch.shape[2:])
            h, w = batch.shape[2:]
            prob = np.zeros((1, 1, h, w), np.float32)
            # 40 lines, each 1/150 of the page tall: dense and small at 960 px.
            step = h / 40
            for i in range(40):
                y = int(i * step + step / 3)
                prob[0, 0, y : y + max(2, int(h / 150)), w // 10 : w // 2] = 1.0
            return prob

    det = TextDetector(
        Engine(), DetPreprocess(limit_side_len=960, dense_lines=20, text_height=24), DBPostProcess()
    )
    res = det(np.zeros((3508, 2480, 3), np.uint8))
    assert len(seen) == 2 and seen[1][0] > seen[0][0] * MIN_GAIN
    assert len(res.polygons) >= 30
    seen.clear()
    det.with_options(dense_lines=0)(np.zeros((3508, 2480, 3), np.uint8))
    assert len(seen) == 1
