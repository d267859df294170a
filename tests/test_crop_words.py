"""Crops of rotated/vertical text boxes, their mapping back to the page, and word boxes."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from geometry_helpers import rotated_rect
from shapely.geometry import Polygon

from lumenocr.pipeline.crop import Crop, crop_region
from lumenocr.pipeline.words import word_boxes
from lumenocr.results import RecResult


def quadrant_patch(w, h):
    """A w x h patch whose four quadrants have distinct grey levels (TL 0, TR 80, BL 160, BR 240)."""
    p = np.empty((h, w, 3), np.uint8)
    p[: h // 2, : w // 2], p[: h // 2, w // 2 :] = 0, 80
    p[h // 2 :, : w // 2], p[h // 2 :, w // 2 :] = 160, 240
    return p


def paste(patch, quad, size=(300, 400)):
    """Warp ``patch`` onto a white page so that its corners land on ``quad`` (tl, tr, br, bl)."""
    h, w = patch.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(src, np.asarray(quad, np.float32))
    return cv2.warpPerspective(
        patch, m, (size[1], size[0]), flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255)
    )


def quadrant_levels(img):
    """Median grey of each quadrant's inner part: (TL, TR, BL, BR)."""
    h, w = img.shape[:2]
    g = img[..., 0].astype(int)
    qh, qw = h // 2, w // 2
    mh, mw = max(qh // 4, 1), max(qw // 4, 1)
    cells = [
        g[mh : qh - mh, mw : qw - mw],
        g[mh : qh - mh, qw + mw : w - mw],
        g[qh + mh : h - mh, mw : qw - mw],
        g[qh + mh : h - mh, qw + mw : w - mw],
    ]
    return tuple(int(np.median(c)) for c in cells)


# -- crops -------------------------------------------------------------------------------------
@pytest.mark.parametrize("degrees", [0, 15, -25, 40])
def test_rotated_box_gives_upright_crop_of_expected_size(degrees):
    quad = rotated_rect(200, 150, 160, 40, degrees)
    page = paste(quadrant_patch(160, 40), quad)
    crop = crop_region(page, quad)
    assert not crop.vertical
    assert crop.image.shape == (40, 160, 3)
    levels = quadrant_levels(crop.image)
    np.testing.assert_allclose(levels, (0, 80, 160, 240), atol=12)  # upright, not mirrored


@pytest.mark.parametrize("degrees", [0, 15, -25, 40])
def test_crop_corners_map_back_onto_the_source_quad(degrees):
    quad = rotated_rect(200, 150, 160, 40, degrees)
    crop = crop_region(paste(quadrant_patch(160, 40), quad), quad[[2, 0, 3, 1]])  # any input order
    h, w = crop.image.shape[:2]
    back = crop.map_points(np.array([[0, 0], [w, 0], [w, h], [0, h]]))
    np.testing.assert_allclose(back, quad, atol=1.0)
    # Interior points too: the crop centre is the box centre.
    np.testing.assert_allclose(crop.map_points(np.array([[w / 2, h / 2]]))[0], (200, 150), atol=1.0)


def test_polygon_is_cropped_through_its_min_area_rectangle():
    quad = rotated_rect(200, 150, 160, 40, 10)
    page = paste(quadrant_patch(160, 40), quad)
    # Densely sampled outline of the same box (8 points): same crop as the quad.
    poly = np.concatenate([quad, (quad + np.roll(quad, -1, axis=0)) / 2])
    poly = poly[[0, 4, 1, 5, 2, 6, 3, 7]]
    crop = crop_region(page, poly)
    assert crop.image.shape == (40, 160, 3)
    np.testing.assert_allclose(quadrant_levels(crop.image), (0, 80, 160, 240), atol=12)


def test_vertical_box_is_rotated_to_a_horizontal_line():
    # A 30 x 120 column: top half dark (start of the vertical text), bottom half light.
    patch = np.full((120, 30, 3), 200, np.uint8)
    patch[:60] = 0
    page = np.full((300, 400, 3), 255, np.uint8)
    page[40:160, 50:80] = patch
    quad = np.array([[50, 40], [80, 40], [80, 160], [50, 160]], np.float32)
    crop = crop_region(page, quad)
    assert crop.vertical
    assert crop.image.shape == (30, 120, 3)
    g = crop.image[..., 0]
    assert g[:, 5:55].max() < 30 and g[:, 65:115].min() > 170  # top of the column reads first (left)
    # Crop (0, 0) is the column's top-right corner; crop x runs down the column.
    back = crop.map_points(np.array([[0, 0], [120, 0], [120, 30], [0, 30]]))
    np.testing.assert_allclose(back, [[80, 40], [80, 160], [50, 160], [50, 40]], atol=1.0)
    # A pixel read in the crop comes from the page pixel its mapping names.
    x, y = crop.map_points(np.array([[100.5, 10.5]]))[0]
    assert page[int(y), int(x), 0] == crop.image[10, 100, 0]


def test_slanted_vertical_box_maps_back():
    quad = rotated_rect(200, 150, 36, 150, 8)
    crop = crop_region(np.zeros((300, 400, 3), np.uint8), quad)
    assert crop.vertical
    h, w = crop.image.shape[:2]
    assert (w, h) == (150, 36)
    back = crop.map_points(np.array([[0, 0], [w, 0], [w, h], [0, h]]))
    # Same four corners as the quad, in rotated order: crop tl is the quad's tr.
    np.testing.assert_allclose(back, quad[[1, 2, 3, 0]], atol=1.0)


def test_rotate_180_mapping_is_consistent():
    quad = rotated_rect(200, 150, 160, 40, 12)
    page = paste(quadrant_patch(160, 40), quad)
    crop = crop_region(page, quad)
    flipped = crop.rotate_180()
    h, w = crop.image.shape[:2]
    np.testing.assert_array_equal(flipped.image, crop.image[::-1, ::-1])
    np.testing.assert_allclose(quadrant_levels(flipped.image), (240, 160, 80, 0), atol=12)
    pts = np.array([[0, 0], [w, 0], [w, h], [0, h], [30, 10]])
    np.testing.assert_allclose(flipped.map_points(pts), crop.map_points(np.array([w, h]) - pts), atol=1e-6)
    np.testing.assert_allclose(flipped.rotate_180().to_source, crop.to_source, atol=1e-9)


# -- word boxes --------------------------------------------------------------------------------
def line_rec(text, spans, grid=40):
    return RecResult(text, 0.9, spans, grid, [0.9] * len(text))


# "ab cd" on a 40-column grid: a 2-3, b 5-6, space 10, c 13-14, d 16-17.
AB_CD = line_rec("ab cd", [(2, 3), (5, 6), (10, 10), (13, 14), (16, 17)])


def test_word_boxes_on_translated_crop():
    # A 200 x 40 crop at (100, 50). At height 48 it is 240 px wide in a 320 px batch, so a
    # grid column is 8 input px = 8 * 200 / 240 = 6.67 crop px.
    crop = Crop(np.zeros((40, 200, 3), np.uint8), np.array([[1, 0, 100], [0, 1, 50], [0, 0, 1]], float))
    words = word_boxes(AB_CD, crop, resized_width=240, batch_width=320)
    assert [w.text for w in words] == ["ab", "cd"]
    col = 8 * 200 / 240
    (a, b) = (np.array(w.points) for w in words)
    # Character pitch 3 columns: "ab" spans centres 3..6 +- 1.5, "cd" 14..17 +- 1.5.
    assert a[:, 0].min() == pytest.approx(100 + 1.5 * col, abs=0.5)
    assert a[:, 0].max() == pytest.approx(100 + 7.5 * col, abs=0.5)
    assert b[:, 0].min() == pytest.approx(100 + 12.5 * col, abs=0.5)
    assert b[:, 0].max() == pytest.approx(100 + 18.5 * col, abs=0.5)
    np.testing.assert_allclose(a[:, 1], [50, 50, 90, 90])  # full crop height
    space_x = 100 + 10.5 * col
    assert a[:, 0].max() < space_x < b[:, 0].min()


def test_word_boxes_on_rotated_line_lie_inside_it():
    quad = rotated_rect(300, 200, 240, 40, 18)
    crop = crop_region(np.zeros((400, 600, 3), np.uint8), quad)
    assert crop.image.shape[:2] == (40, 240)
    words = word_boxes(AB_CD, crop, resized_width=288, batch_width=320)
    assert [w.text for w in words] == ["ab", "cd"]
    line = Polygon(quad).buffer(0.5)
    polys = [Polygon(w.points) for w in words]
    assert all(line.contains(p) for p in polys)
    assert not polys[0].intersects(polys[1])
    # Along the line's direction, "ab" comes first and the space falls between the words.
    u = np.array([math.cos(math.radians(18)), math.sin(math.radians(18))])
    proj = [np.asarray(p.exterior.coords) @ u for p in polys]
    space = crop.map_points(np.array([[10.5 * 8 * 240 / 288, 20]]))[0] @ u
    assert proj[0].max() < space < proj[1].min()


def test_single_letter_words_stop_at_the_space():
    # "a b": the only character pitch the line offers spans the space (8 columns), so
    # +- half a pitch around each letter would reach across it; boxes must stop at the space.
    rec = line_rec("a b", [(2, 3), (6, 6), (10, 11)])
    crop = Crop(np.zeros((48, 320, 3), np.uint8), np.eye(3))
    a, b = (np.array(w.points)[:, 0] for w in word_boxes(rec, crop, resized_width=320, batch_width=320))
    space_x = 6.5 * 8
    assert a.max() <= space_x <= b.min()
    assert a.min() < 3 * 8 and b.max() > 11 * 8  # each still covers its letter


def test_cjk_characters_are_single_words():
    rec = line_rec("中文ab", [(2, 3), (6, 7), (10, 11), (13, 14)])
    crop = Crop(np.zeros((48, 320, 3), np.uint8), np.eye(3))
    words = word_boxes(rec, crop, resized_width=320, batch_width=320)
    assert [w.text for w in words] == ["中", "文", "ab"]
    xs = [np.array(w.points)[:, 0] for w in words]
    assert xs[0].max() <= xs[1].min() + 1e-6 and xs[1].max() <= xs[2].min() + 1e-6


def test_no_positions_no_words():
    crop = Crop(np.zeros((40, 200, 3), np.uint8), np.eye(3))
    assert word_boxes(RecResult("ab", 0.9, None, 40, None), crop, 240, 320) == []


def test_a_word_detectors_one_word_line_keeps_its_box_and_its_lines_of_several_words_split():
    """box_unit "word": the detector's box of a one-word line is its word box (CTC positions
    would only estimate it); a box holding two words is still split at the space."""
    quad = rotated_rect(300, 200, 240, 40, 18)
    crop = crop_region(np.zeros((400, 600, 3), np.uint8), quad)
    one = line_rec("abcd", [(2, 3), (5, 6), (8, 9), (11, 12)])
    (estimated,) = word_boxes(one, crop, resized_width=288, batch_width=320)
    (kept,) = word_boxes(one, crop, resized_width=288, batch_width=320, region_is_word=True)
    assert kept.text == estimated.text == "abcd"
    assert Polygon(kept.points).symmetric_difference(Polygon(quad)).area < 1.0
    assert Polygon(estimated.points).area < 0.8 * Polygon(quad).area  # the estimate is narrower
    split = word_boxes(AB_CD, crop, resized_width=288, batch_width=320, region_is_word=True)
    assert [w.points for w in split] == [
        w.points for w in word_boxes(AB_CD, crop, resized_width=288, batch_width=320)
    ]


def test_the_detector_says_what_its_boxes_hold():
    from lumenocr.errors import ConfigError
    from lumenocr.postprocess.db import DBPostProcess

    assert DBPostProcess().box_unit == "line"  # PP-OCR's detectors find lines
    with pytest.raises(ConfigError, match="box_unit"):
        DBPostProcess(box_unit="words")
