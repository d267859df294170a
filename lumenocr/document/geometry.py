"""Quarter turns of a page and the transform that maps turned coordinates back."""

from __future__ import annotations

import cv2
import numpy as np

_CV_TURN = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def turn(image: np.ndarray, clockwise: int) -> tuple[np.ndarray, np.ndarray]:
    """``image`` turned ``clockwise`` degrees (0, 90, 180 or 270) and the 3x3 matrix mapping
    pixel coordinates of the turned image back to ``image`` (pixel-index convention)."""
    k = clockwise % 360
    if k not in (0, 90, 180, 270):
        raise ValueError(f"a page turns by 0, 90, 180 or 270 degrees, not {clockwise}")
    h, w = image.shape[:2]
    if k == 0:
        return image, np.eye(3)
    out = np.ascontiguousarray(cv2.rotate(image, _CV_TURN[k]))
    if k == 90:  # x' = h-1-y, y' = x
        back = [[0, 1, 0], [-1, 0, h - 1], [0, 0, 1]]
    elif k == 180:  # x' = w-1-x, y' = h-1-y
        back = [[-1, 0, w - 1], [0, -1, h - 1], [0, 0, 1]]
    else:  # 270: x' = y, y' = w-1-x
        back = [[0, -1, w - 1], [1, 0, 0], [0, 0, 1]]
    return out, np.array(back, np.float64)
