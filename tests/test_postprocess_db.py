"""DB post-processing on synthetic probability maps with hand-computed expected boxes."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from shapely.geometry import Point, Polygon

from lumenocr.errors import ConfigError
from lumenocr.postprocess.db import DBPostProcess, unclip
from lumenocr.postprocess.geometry import polygon_area


def rotated_rect(cx, cy, w, h, degrees):
    """Corners tl, tr, br, bl of a w x h rectangle whose x axis is turned by ``degrees``
    (positive: clockwise on screen, since image y points down)."""
    t = math.radians(degrees)
    u = np.array([math.cos(t), math.sin(t)])
    v = np.array([-math.sin(t), math.cos(t)])
    c = np.array([cx, cy], dtype=np.float64)
    return np.array(
        [
            c - w / 2 * u - h / 2 * v,
            c + w / 2 * u - h / 2 * v,
            c + w / 2 * u + h / 2 * v,
            c - w / 2 * u + h / 2 * v,
        ]
    )


def draw(prob, poly, value=0.9):
    cv2.fillPoly(prob, [np.round(poly).astype(np.int32)], float(value))
    return prob


def signed_area(p):
    """Shoelace; positive means clockwise on screen (y down)."""
    p = np.asarray(p, dtype=np.float64)
    return 0.5 * float(np.sum(p[:, 0] * np.roll(p[:, 1], -1) - np.roll(p[:, 0], -1) * p[:, 1]))


def test_empty_map_gives_nothing():
    polys, scores = DBPostProcess()(np.zeros((64, 64), np.float32), (64, 64))
    assert polys == [] and scores == []


def test_rotated_box_found_grown_by_unclip_and_ordered():
    w, h, angle = 120, 30, 20
    kernel = rotated_rect(150, 100, w, h, angle)
    prob = draw(np.zeros((200, 300), np.float32), kernel)
    polys, scores = DBPostProcess()(prob, (200, 300))
    assert len(polys) == 1
    box = polys[0]
    assert box.shape == (4, 2) and box.dtype == np.float32
    # Mean over the kernel rectangle; its rasterised edge pixels are partly outside the blob.
    assert scores[0] == pytest.approx(0.9, abs=0.05)
    # The box contains the whole kernel ...
    grown = Polygon(box)
    assert grown.buffer(0.5).contains(Polygon(kernel))
    # ... and is larger by d = area * ratio / perimeter on every side.
    d = w * h * 1.5 / (2 * (w + h))  # 18 px
    expected = rotated_rect(150, 100, w + 2 * d, h + 2 * d, angle)
    # Corners in order tl, tr, br, bl (clockwise from the top-left), each within a few px.
    np.testing.assert_allclose(box, expected, atol=4.0)
    assert signed_area(box) > 0


def test_boxes_scaled_to_original_with_non_uniform_ratio():
    # Map 100 x 200, original 300 x 400: x scales by 2, y by 3.
    prob = np.zeros((100, 200), np.float32)
    prob[40:60, 50:150] = 0.9  # pixel centres x 50..149, y 40..59
    polys, _ = DBPostProcess()(prob, (300, 400))
    assert len(polys) == 1
    box = polys[0]
    # Kernel as seen by the contour: 99 x 19 -> d = 99 * 19 * 1.5 / 236 = 11.95
    d = 99 * 19 * 1.5 / (2 * (99 + 19))
    x0, x1 = (50 - d) * 2, (149 + d) * 2
    y0, y1 = (40 - d) * 3, (59 + d) * 3
    np.testing.assert_allclose(box, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]], atol=3.0)


def test_box_thresh_drops_low_probability_blob():
    prob = np.zeros((100, 300), np.float32)
    prob[20:40, 20:120] = 0.35  # above thresh 0.3, below box_thresh 0.6
    prob[60:80, 150:250] = 0.9
    polys, scores = DBPostProcess()(prob, (100, 300))
    assert len(polys) == 1
    assert polys[0][:, 0].min() > 130  # the strong blob on the right
    assert scores[0] == pytest.approx(0.9, abs=0.01)
    # Lowering box_thresh keeps both.
    polys, scores = DBPostProcess(box_thresh=0.3)(prob, (100, 300))
    assert sorted(round(s, 2) for s in scores) == [0.35, 0.9]


def test_max_candidates_limits_contours():
    prob = np.zeros((200, 200), np.float32)
    for k in range(5):
        prob[10 + 38 * k : 30 + 38 * k, 20:180] = 0.9
    assert len(DBPostProcess()(prob, (200, 200))[0]) == 5
    assert len(DBPostProcess(max_candidates=2)(prob, (200, 200))[0]) == 2


def test_min_size_drops_thin_blobs():
    prob = np.zeros((100, 200), np.float32)
    prob[20:22, 20:180] = 0.9  # 2 px tall: its contour is 1 px tall, below min_size 3
    prob[60:66, 20:180] = 0.9  # 6 px tall: contour 5 px
    polys, _ = DBPostProcess()(prob, (100, 200))
    assert len(polys) == 1 and polys[0][:, 1].min() > 40
    assert DBPostProcess(min_size=8)(prob, (100, 200))[0] == []


def test_score_mode_slow_keeps_concave_blob_fast_drops_it():
    # An L made of two 10 px arms: 1900 px inside a 100 x 100 bounding rectangle, so the
    # rectangle's mean is 0.9 * 0.19 = 0.17 while the exact contour's mean is 0.9.
    prob = np.zeros((160, 160), np.float32)
    prob[20:120, 20:30] = 0.9
    prob[110:120, 20:120] = 0.9
    fast = DBPostProcess(score_mode="fast")(prob, (160, 160))
    slow = DBPostProcess(score_mode="slow")(prob, (160, 160))
    assert fast == ([], [])
    assert len(slow[0]) == 1 and slow[1][0] == pytest.approx(0.9, abs=0.05)
    # With a low box_thresh, fast mode keeps it and reports the diluted score.
    fast_low = DBPostProcess(score_mode="fast", box_thresh=0.1)(prob, (160, 160))
    assert fast_low[1][0] == pytest.approx(0.9 * 1900 / 10000, abs=0.05)


def test_use_dilation_joins_blobs_one_pixel_apart():
    prob = np.zeros((60, 200), np.float32)
    prob[20:40, 10:90] = 0.9
    prob[20:40, 91:180] = 0.9  # column 90 is the only gap
    assert len(DBPostProcess()(prob, (60, 200))[0]) == 2
    joined, _ = DBPostProcess(use_dilation=True)(prob, (60, 200))
    assert len(joined) == 1
    assert joined[0][:, 0].min() < 10 and joined[0][:, 0].max() > 180


def test_poly_on_curved_band():
    prob = np.zeros((200, 300), np.float32)
    cv2.ellipse(prob, (150, 200), (120, 120), 0, 200, 340, 0.9, thickness=16)
    band = Polygon(
        cv2.findContours((prob > 0.3).astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)[0][0].reshape(
            -1, 2
        )
    )
    polys, scores = DBPostProcess(box_type="poly")(prob, (200, 300))
    assert len(polys) == 1 and scores[0] == pytest.approx(0.9, abs=0.05)
    poly = polys[0]
    assert len(poly) > 4
    assert signed_area(poly) > 0  # clockwise on screen ...
    # ... from the point nearest the top-left of its bounding box, as for quads
    corner_dist = (poly[:, 0] - poly[:, 0].min()) + (poly[:, 1] - poly[:, 1].min())
    assert corner_dist[0] == corner_dist.min()
    shape = Polygon(poly)
    assert shape.is_valid and shape.buffer(1).contains(band)
    # It hugs the arc: far smaller than the rotated rectangle around it.
    rect_area = polygon_area(cv2.boxPoints(cv2.minAreaRect(poly)))
    assert shape.area < 0.6 * rect_area
    # The same band in quad mode is a rectangle whose mean probability is low: dropped.
    assert DBPostProcess(box_type="quad")(prob, (200, 300)) == ([], [])


def test_three_point_contour_is_kept():
    # A right triangle with a 45-degree side: its contour has 3 points after CHAIN_APPROX_SIMPLE.
    prob = np.zeros((100, 100), np.float32)
    cv2.fillPoly(prob, [np.array([[40, 40], [70, 70], [40, 70]], np.int32)], 0.9)
    polys, scores = DBPostProcess(box_thresh=0.3)(prob, (100, 100))
    assert len(polys) == 1
    assert Polygon(polys[0]).buffer(0.5).contains(Polygon([[40, 40], [70, 70], [40, 70]]))


def test_boxes_clipped_inside_image():
    prob = np.zeros((100, 150), np.float32)
    prob[0:20, 0:60] = 0.9  # touches the top-left corner
    prob[85:100, 100:150] = 0.9  # touches bottom-right
    polys, _ = DBPostProcess()(prob, (100, 150))
    assert len(polys) == 2
    for p in polys:
        assert p[:, 0].min() >= 0 and p[:, 1].min() >= 0
        assert p[:, 0].max() <= 149 and p[:, 1].max() <= 99
    corner = min(polys, key=lambda p: p[:, 0].min())
    assert corner[0].tolist() == [0.0, 0.0]


def test_unclip_distance():
    square = np.array([[0, 0], [100, 0], [100, 100], [0, 100]], np.float32)
    grown = unclip(square, 2.0)  # d = 10000 * 2 / 400 = 50
    xs, ys = grown[:, 0], grown[:, 1]
    assert xs.min() == pytest.approx(-50, abs=1) and xs.max() == pytest.approx(150, abs=1)
    assert ys.min() == pytest.approx(-50, abs=1) and ys.max() == pytest.approx(150, abs=1)
    # Round joins: the corner region is cut, so not every point of the 200 px square is inside.
    assert not Polygon(grown).contains(Point(-49, -49))


@pytest.mark.parametrize(
    "kw",
    [
        {"score_mode": "exact"},
        {"box_type": "rect"},
        {"thresh": 1.5},
        {"thresh": 0.0},
        {"box_thresh": -0.1},
        {"unclip_ratio": 0},
        {"max_candidates": 0},
        {"max_candidates": -1},
        {"min_size": -1},
    ],
)
def test_invalid_knobs(kw):
    with pytest.raises(ConfigError):
        DBPostProcess(**kw)
