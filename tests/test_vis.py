"""Drawn pictures: layout, font discovery, and that the text drawn on the panel is legible."""

from __future__ import annotations

import warnings

import cv2
import numpy as np
import pytest

from lumenocr.errors import InputError
from lumenocr.results import OCRResult, TextLine
from lumenocr.vis import draw_result, fonts, save_picture
from lumenocr.vis.draw import box_colors, to_quad
from lumenocr.vis.sample import render_lines


def _noise_image(h=200, w=300) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)


def _line(points, text="", score=0.9) -> TextLine:
    return TextLine([list(map(float, p)) for p in points], text, score, 0.8)


def _split(picture: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Left half and right panel of a picture drawn from a ``w``-wide image."""
    return picture[:, :w], picture[:, picture.shape[1] - w :]


def test_picture_layout_and_box_tint():
    img = _noise_image()
    box = [[20, 30], [150, 30], [150, 70], [20, 70]]
    pic = draw_result(img, OCRResult([_line(box, "Hello")], img.shape[:2]))
    h, w = img.shape[:2]
    assert pic.shape[0] == h and pic.dtype == np.uint8 and w * 2 < pic.shape[1] <= w * 2 + 10
    left, right = _split(pic, w)
    # Outside the box the image is untouched, inside it is tinted.
    assert np.abs(left[150:, 200:].astype(int) - img[150:, 200:]).max() <= 1
    assert np.abs(left[40:60, 40:130].astype(int) - img[40:60, 40:130]).mean() > 10
    # The panel is white except the outline and the text inside the box.
    assert (right[100:, :] == 255).all()
    inside = right[34:66, 24:146]
    assert (inside.min(axis=2) < 100).sum() > 50  # dark text pixels


def test_boxes_without_text_are_outlined_only():
    img = np.full((100, 100, 3), 128, np.uint8)
    pic = draw_result(img, OCRResult([_line([[10, 10], [90, 10], [90, 50], [10, 50]])], (100, 100)))
    right = _split(pic, 100)[1]
    assert (right[20:40, 20:80] == 255).all()  # nothing written inside
    assert (right[10, 20:80] != 255).any()  # the outline


def test_empty_result_gives_a_blank_panel():
    img = _noise_image(50, 60)
    pic = draw_result(img, OCRResult([], (50, 60)))
    left, right = _split(pic, 60)
    assert np.array_equal(left, img) and (right == 255).all()


def test_bad_image_is_an_input_error():
    with pytest.raises(InputError, match="BGR uint8"):
        draw_result(np.zeros((10, 10), np.uint8), OCRResult())


def test_colors_are_distinct_and_reproducible():
    c = box_colors(12)
    assert c == box_colors(12) and len(set(c)) == 12


def test_to_quad_orders_a_polygon_clockwise_from_top_left():
    hexagon = [[10, 10], [50, 8], [90, 10], [90, 40], [50, 42], [10, 40]]
    q = to_quad(hexagon)
    assert q.shape == (4, 2)
    assert q[0, 0] < q[1, 0] and q[0, 1] < q[3, 1]  # top-left, then top-right ... bottom-left
    (ax, ay), (bx, by) = q[1] - q[0], q[3] - q[0]
    assert ax * by - ay * bx > 0  # clockwise in image coordinates (y down)
    quad = [[1, 2], [3, 2], [3, 4], [1, 4]]
    assert np.array_equal(to_quad(quad), np.float32(quad))


def test_a_cjk_font_is_found_when_one_is_installed():
    found = fonts.find_font()
    if found is None or not fonts.covers(fonts.get_font(24), "中文"):
        pytest.skip("no CJK-capable font installed (e.g. apt install fonts-noto-cjk)")
    assert fonts.covers(fonts.get_font(24), "光学字符识别 OCR")
    assert not fonts.covers(fonts.get_font(24), "\U0010fffd")


def test_without_any_font_pil_default_is_used_with_a_warning(monkeypatch):
    monkeypatch.setattr(fonts, "find_font", lambda: None)
    fonts._warn_no_font.cache_clear()
    img = np.full((60, 200, 3), 255, np.uint8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pic = draw_result(img, OCRResult([_line([[5, 5], [190, 5], [190, 50], [5, 50]], "Latin")], (60, 200)))
    fonts._warn_no_font.cache_clear()
    assert any("no TrueType font" in str(w.message) for w in caught)
    assert (_split(pic, 200)[1][10:45, 10:185].min(axis=2) < 100).any()


def test_bad_font_path_is_a_config_error(tmp_path):
    from lumenocr.errors import ConfigError

    bogus = tmp_path / "x.ttf"
    bogus.write_bytes(b"not a font")
    with pytest.raises(ConfigError, match="cannot load font"):
        fonts.get_font(12, str(bogus))


def test_save_picture_by_extension(tmp_path):
    img = _noise_image(20, 30)
    save_picture(tmp_path / "a" / "x.png", img)
    save_picture(tmp_path / "x.jpg", img)
    assert np.array_equal(cv2.imread(str(tmp_path / "a" / "x.png")), img)
    assert cv2.imread(str(tmp_path / "x.jpg")).shape == img.shape


@pytest.fixture(scope="module")
def ocr():
    try:
        from lumenocr import OCR

        return OCR()
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"default model not available: {e}")


def test_panel_text_is_legible_and_in_place(ocr):
    """OCR of the drawn panel reads back the texts, each inside its own box (Latin and CJK)."""
    if not fonts.covers(fonts.get_font(24), "中文"):
        pytest.skip("no CJK-capable font installed")
    img = render_lines(["Receipt total 42.50", "光学字符识别"], font_size=30, angle=8)
    res = ocr.ocr_image(img)
    assert len(res.lines) == 2
    pic = draw_result(img, res)
    panel = _split(pic, img.shape[1])[1]
    again = ocr.ocr_image(np.ascontiguousarray(panel))
    assert [ln.text for ln in again.lines] == [ln.text for ln in res.lines]
    for a, b in zip(again.lines, res.lines):  # same place: centres within a few pixels
        assert np.abs(np.mean(a.points, axis=0) - np.mean(b.points, axis=0)).max() < 8


def test_words_mode_draws_the_word_boxes():
    from lumenocr.results import Word

    img = np.full((60, 220, 3), 200, np.uint8)
    words = [
        Word("ab", 0.9, [[10, 10], [60, 10], [60, 50], [10, 50]]),
        Word("cd", 0.9, [[150, 10], [200, 10], [200, 50], [150, 50]]),
    ]
    line = TextLine([[5, 5], [210, 5], [210, 55], [5, 55]], "ab cd", 0.9, 0.9, 0, words)
    res = OCRResult([line], (60, 220))
    by_line = _split(draw_result(img, res), 220)[1]
    by_word = _split(draw_result(img, res, words=True), 220)[1]
    # Word mode: outlines at the word edges and no ink in the gap between the words.
    assert (by_word[30, 58:63] != 255).any() and (by_word[15:45, 80:130] == 255).all()
    assert (by_line[5, 80:130] != 255).any()  # line mode outlines the whole line
