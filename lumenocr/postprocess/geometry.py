"""Small polygon helpers used by detection post-processing, cropping and reading order."""

from __future__ import annotations

import numpy as np


def order_quad(points: np.ndarray) -> np.ndarray:
    """Order 4 points clockwise starting at the top-left (image coordinates, y down).

    Sorting by x then splitting left/right pairs is robust for rotated boxes where the
    sum/diff trick fails at 45 degrees.
    """
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    xs = pts[np.argsort(pts[:, 0], kind="stable")]
    left, right = xs[:2], xs[2:]
    tl, bl = left[np.argsort(left[:, 1], kind="stable")]
    tr, br = right[np.argsort(right[:, 1], kind="stable")]
    return np.array([tl, tr, br, bl], dtype=np.float32)


def polygon_area(points: np.ndarray) -> float:
    """Unsigned shoelace area."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    x, y = p[:, 0], p[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


def polygon_perimeter(points: np.ndarray) -> float:
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return float(np.linalg.norm(p - np.roll(p, -1, axis=0), axis=1).sum())


def quad_size(quad: np.ndarray) -> tuple[float, float]:
    """(width, height) of an ordered quad: the longer of each pair of opposite sides."""
    tl, tr, br, bl = np.asarray(quad, dtype=np.float32).reshape(4, 2)
    w = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    h = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    return float(w), float(h)


def bounding_quad(points: np.ndarray) -> np.ndarray:
    """Minimum-area rectangle around any polygon, as an ordered quad."""
    import cv2

    rect = cv2.minAreaRect(np.asarray(points, dtype=np.float32).reshape(-1, 2))
    return order_quad(cv2.boxPoints(rect))


def median(values) -> float:
    """``float(np.median(values))`` of a 1-D sequence, bit for bit (the middle element, or
    ``np.mean`` of the two middle ones after sorting), without np.median's NaN check, which
    imports numpy.ma (~6 ms of a one-photo start). NaN for no values."""
    a = np.sort(np.asarray(values).ravel())
    n = a.size
    if n == 0:
        return float("nan")
    m = n // 2
    return float(np.mean(a[m : m + 1] if n % 2 else a[m - 1 : m + 1]))
