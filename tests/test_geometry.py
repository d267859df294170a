"""Polygon helpers: quad ordering on rotated boxes, areas, sizes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from geometry_helpers import rotated_rect

from lumenocr.postprocess.geometry import (
    bounding_quad,
    order_quad,
    polygon_area,
    polygon_perimeter,
    quad_size,
)


def signed_area(p):
    p = np.asarray(p, dtype=np.float64)
    return 0.5 * float(np.sum(p[:, 0] * np.roll(p[:, 1], -1) - np.roll(p[:, 0], -1) * p[:, 1]))


@pytest.mark.parametrize("degrees", [0, 5, -5, 20, -30, 44, 45, -45, 60])
def test_order_quad_recovers_text_corners_for_every_input_order(degrees):
    # A wide text box: up to 60 degrees its own tl/tr/br/bl are the answer.
    expected = rotated_rect(200, 150, 120, 30, degrees)
    for perm in itertools.permutations(range(4)):
        np.testing.assert_allclose(order_quad(expected[list(perm)]), expected, atol=1e-4)


@pytest.mark.parametrize("degrees", [80, 89, 90, 91, -80, -89])
def test_order_quad_near_vertical_is_clockwise_from_top_left(degrees):
    # Near vertical the text direction is ambiguous; the result must still be a simple
    # clockwise quad starting at a left-most, upper corner, whatever the input order.
    box = rotated_rect(200, 150, 120, 30, degrees)
    results = {tuple(np.round(order_quad(box[list(p)]), 3).ravel()) for p in itertools.permutations(range(4))}
    assert len(results) == 1
    q = order_quad(box)
    assert signed_area(q) > 0
    assert signed_area(q) == pytest.approx(120 * 30, rel=1e-4)  # not self-intersecting
    left = np.sort(q[:, 0])[:2]
    assert q[0, 0] in left and q[3, 0] in left  # tl and bl are the two left-most corners
    assert q[0, 1] <= q[3, 1]


def test_order_quad_square_at_45_degrees():
    # Diamond: two corners share x; any start is fine as long as the quad is clockwise and simple.
    box = rotated_rect(0, 0, 10, 10, 45)
    for perm in itertools.permutations(range(4)):
        q = order_quad(box[list(perm)])
        assert signed_area(q) == pytest.approx(100, rel=1e-4)


def test_area_and_perimeter():
    tri = np.array([[0, 0], [4, 0], [0, 3]])
    assert polygon_area(tri) == pytest.approx(6)
    assert polygon_area(tri[::-1]) == pytest.approx(6)  # unsigned
    assert polygon_perimeter(tri) == pytest.approx(12)
    box = rotated_rect(0, 0, 120, 30, 33)
    assert polygon_area(box) == pytest.approx(3600, rel=1e-5)
    assert polygon_perimeter(box) == pytest.approx(300, rel=1e-5)


def test_quad_size_uses_longer_opposite_sides():
    assert quad_size(rotated_rect(50, 50, 120, 30, 27)) == pytest.approx((120, 30), rel=1e-5)
    trapezoid = np.array([[0, 0], [100, 0], [90, 20], [10, 25]], np.float32)
    w, h = quad_size(trapezoid)
    assert w == pytest.approx(100) and h == pytest.approx(math.hypot(10, 25))


def test_bounding_quad_of_polygon():
    # An L shape: its min-area rectangle is its 10 x 8 bounding box, ordered from the top-left.
    ell = np.array([[0, 0], [2, 0], [2, 6], [10, 6], [10, 8], [0, 8]], np.float32)
    q = bounding_quad(ell)
    np.testing.assert_allclose(q, [[0, 0], [10, 0], [10, 8], [0, 8]], atol=1e-4)


def test_median_is_numpys_bit_for_bit():
    """postprocess.geometry.median replaces np.median in the reading order (whose NaN check
    imports numpy.ma at start-up): the same float for every kind of input the order code gives."""
    from lumenocr.postprocess.geometry import median

    rng = np.random.default_rng(0)
    for n in range(1, 40):
        for values in (
            rng.normal(size=n) * 1e3,  # float64, odd and even counts
            rng.integers(-500, 500, n),  # integers: the mean of two is a float
            list(rng.uniform(-0.1, 0.1, n)),  # a list of Python floats (page skew angles)
            np.round(rng.normal(size=n), 1),  # ties
        ):
            assert median(values) == float(np.median(values)), (n, values)
    assert np.isnan(median([]))
