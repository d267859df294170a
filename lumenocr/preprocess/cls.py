"""Direction-classifier input: fixed 48x192 canvas, same resize/normalise as recognition."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lumenocr.preprocess.rec import resize_norm_pad


@dataclass(frozen=True)
class ClsPreprocess:
    image_height: int = 48
    image_width: int = 192

    def __call__(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        return np.stack([resize_norm_pad(c, self.image_height, self.image_width) for c in crops])
