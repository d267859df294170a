"""Cut text regions out of an image as upright rectangles, keeping the mapping back."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lumenocr.postprocess.geometry import bounding_quad, order_quad, quad_size

#: A crop this much taller than wide is read as vertical text and turned to horizontal.
VERTICAL_RATIO = 1.5


@dataclass
class Crop:
    """An upright text-line image and the homography from its pixels to the source image."""

    image: np.ndarray  # BGR uint8
    to_source: np.ndarray  # 3x3, maps crop (x, y, 1) -> source image
    vertical: bool = False

    def rotate_180(self) -> Crop:
        h, w = self.image.shape[:2]
        flip = np.array([[-1, 0, w], [0, -1, h], [0, 0, 1]], dtype=np.float64)
        return Crop(np.ascontiguousarray(self.image[::-1, ::-1]), self.to_source @ flip, self.vertical)

    def map_points(self, pts: np.ndarray) -> np.ndarray:
        """Map (N, 2) crop coordinates to source-image coordinates."""
        p = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        hom = np.c_[p, np.ones(len(p))] @ self.to_source.T
        return hom[:, :2] / hom[:, 2:3]


def crop_region(image: np.ndarray, polygon: np.ndarray) -> Crop:
    """Perspective-warp a quad (or a polygon's min-area rectangle) to an upright crop.

    Tall crops are rotated 90 degrees counter-clockwise, which turns top-to-bottom
    vertical text into a left-to-right line the recognizer can read.
    """
    pts = np.asarray(polygon, dtype=np.float32).reshape(-1, 2)
    quad = order_quad(pts) if len(pts) == 4 else bounding_quad(pts)
    w, h = quad_size(quad)
    w, h = max(int(round(w)), 1), max(int(round(h)), 1)
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(quad, dst)
    out = cv2.warpPerspective(image, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return upright(out, np.linalg.inv(m.astype(np.float64)))


def upright(image: np.ndarray, to_source: np.ndarray | None = None) -> Crop:
    """Wrap an already rectified text image as a :class:`Crop`, turning tall (vertical)
    text into a left-to-right line as :func:`crop_region` does."""
    to_source = np.eye(3) if to_source is None else to_source
    h, w = image.shape[:2]
    if h >= VERTICAL_RATIO * w and h > 0:
        # rot90 CCW: new (x', y') = (y, w - x)  ->  old (x, y) = (w - y', x')
        out = np.ascontiguousarray(np.rot90(image))
        back = np.array([[0, -1, w], [1, 0, 0], [0, 0, 1]], dtype=np.float64)
        return Crop(out, to_source @ back, vertical=True)
    return Crop(image, to_source, vertical=False)
