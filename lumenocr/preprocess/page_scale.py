"""Page-aware detection resolution: a second, finer pass for text-dense pages of small text.

One fixed rule cannot fit both kinds of image. Shrinking a 300-dpi A4 form (3508 x 2480) to
960 px makes its lines ~15 px tall in the network input, where DB merges neighbouring lines
and drops small characters; running every image at 2000 px instead costs scene photos, whose
few lines are found as well at 960, four times the detection time.

So the detector looks at its own first pass (at the model's ``limit_side_len`` rule):
when it found a text-dense page - at least ``dense_lines`` lines - whose median line is
shorter than ``text_height`` pixels in the network input, it detects again at the scale that
gives the median line that height, never beyond the image's own resolution nor
``max_side_len``. A page with that many lines spends most of its time in recognition, so
the second pass adds little to its total; a scene photo with a handful of lines never
takes it and keeps its speed.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from lumenocr.postprocess.geometry import quad_size
from lumenocr.preprocess.det import DetPreprocess, DetResized

#: A second pass must enlarge the input by at least this factor to be worth its cost.
MIN_GAIN = 1.25


def line_height(poly: np.ndarray) -> float:
    """Height of a detected line in image pixels: the shorter side of its box (vertical
    lines included)."""
    pts = np.asarray(poly, dtype=np.float32).reshape(-1, 2)
    quad = pts if len(pts) == 4 else np.asarray(cv2.boxPoints(cv2.minAreaRect(pts)), np.float32)
    return min(quad_size(quad))


def refined_ratio(
    pre: DetPreprocess, shape: tuple[int, int], first_ratio: float, polygons: Sequence[np.ndarray]
) -> float | None:
    """The resize ratio for a second detection pass, or ``None`` when the first one stands.

    ``first_ratio`` is the ratio the first pass ran at (network px per image px) and
    ``polygons`` what it found, in image coordinates.
    """
    if pre.dense_lines <= 0 or pre.text_height <= 0 or len(polygons) < pre.dense_lines:
        return None
    import statistics  # dense pages only (with decimal and fractions, ~2 ms of a one-photo start)

    median = statistics.median(line_height(p) for p in polygons)
    if median <= 0 or median * first_ratio >= pre.text_height:
        return None
    h, w = shape
    ratio = min(pre.text_height / median, 1.0, pre.max_side_len / max(h, w))
    return ratio if ratio >= first_ratio * MIN_GAIN else None


def resize_at(pre: DetPreprocess, image: np.ndarray, ratio: float) -> DetResized:
    """``image`` resized by ``ratio`` (sides rounded to the stride) and normalised."""
    h, w = image.shape[:2]
    s = pre.stride
    rh, rw = max(int(round(h * ratio / s) * s), s), max(int(round(w * ratio / s) * s), s)
    interp = cv2.INTER_AREA if rh * rw < h * w else cv2.INTER_LINEAR
    resized = cv2.resize(image, (rw, rh), interpolation=interp) if (rh, rw) != (h, w) else image
    return DetResized(pre.normalize(resized)[None], rh / h, rw / w, (h, w))
