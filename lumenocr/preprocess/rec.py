"""Recognition / classification input: keep aspect, resize to a fixed height, pad right."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np


def resize_norm_pad(image: np.ndarray, height: int, width: int, max_width: int | None = None) -> np.ndarray:
    """Resize a BGR crop to ``height`` keeping its aspect (at most ``width`` wide), scale to
    [-1, 1] and right-pad with zeros to ``width``. Returns float32 CHW.

    This is PaddleOCR's ``resize_norm_img`` for CTC recognizers and the direction classifier.
    """
    h, w = image.shape[:2]
    new_w = min(width, max(1, int(math.ceil(height * w / max(h, 1)))))
    if max_width is not None:
        new_w = min(new_w, max_width)
    resized = cv2.resize(image, (new_w, height), interpolation=cv2.INTER_LINEAR)
    out = np.zeros((3, height, width), np.float32)
    out[:, :, :new_w] = (resized.astype(np.float32).transpose(2, 0, 1) - 127.5) / 127.5
    return out


@dataclass(frozen=True)
class RecPreprocess:
    """CTC recognizer input rule.

    Each batch is padded to the width of its widest crop at ``image_height`` (at least
    ``min_width``, at most ``max_width``); narrower crops are right-padded. With crops
    sorted by aspect ratio, padding is small and the model sees each line at its
    natural aspect, as PaddleOCR's ``TextRecognizer`` does.
    """

    image_height: int = 48
    min_width: int = 320
    max_width: int = 3200
    width_multiple: int = 8
    #: Batch widths are rounded up to a step of at least ``width_multiple`` that grows with
    #: the width, so padding stays under 1 / ``width_steps`` of it (``0``: ``width_multiple``
    #: only). Few distinct input shapes keep a shape-caching engine (OpenVINO) from preparing
    #: and holding kernels for hundreds of widths: 8-px steps cost OpenVINO ~5 MB of memory per
    #: shape seen (4.4 GB after 840 shapes) and a preparation on almost every call.
    width_steps: int = 8
    #: Margin added after the text, as a fraction of the crop height, repeating the edge
    #: pixels (a model whose training crops carried such a margin can ask for it in its
    #: metadata). None by default: tight crops lose no character since the padding is decoded
    #: too (:meth:`decode_width`), and a repeated edge smears a final ``:`` or ``.`` into
    #: ``=`` or ``-`` (``benchmarks/results/crop_margin.md``).
    pad_right: float = 0.0

    #: Whether the model may place characters in the padding up to ``min_width``: true of
    #: PP-OCR's recognizers (trained with the CTC loss over the whole padded grid, as
    #: PaddleOCR trains); false for models trained here, whose loss ends at the crop's columns
    #: (their padding columns are untrained and are not read). See :meth:`decode_width`.
    read_padding: bool = True

    def decode_width(self, resized_width: int) -> int:
        """Input columns whose CTC output belongs to a crop ``resized_width`` wide: the crop
        and (with ``read_padding``) the padding up to ``min_width``, the input the crop has
        when read on its own.

        CTC models are trained on lines padded to ``min_width`` with the loss taken over the
        whole padded grid, so a line with more characters than its own columns can hold (a
        short, squeezed word: an axis-aligned box around slanted scene text) emits its last
        characters in the padding. Cutting the output at the crop's edge dropped them
        (ICDAR 2015 word crops: ``SALE`` -> ``SAL``, ``DISCOUNTS`` -> ``DISC``). Padding a
        batch beyond ``min_width`` for a wider neighbour is not what the model was trained
        on, so those columns stay out: a crop reads the same in any batch.
        """
        return max(self.min_width, resized_width) if self.read_padding else resized_width

    def padded(self, crop: np.ndarray) -> np.ndarray:
        if self.pad_right <= 0:
            return crop
        extra = int(round(crop.shape[0] * self.pad_right))
        return cv2.copyMakeBorder(crop, 0, 0, 0, extra, cv2.BORDER_REPLICATE) if extra else crop

    def aspect(self, crop: np.ndarray) -> float:
        """Width/height of ``crop`` as the network will see it (margin included)."""
        h, w = crop.shape[:2]
        return (w + int(round(h * self.pad_right))) / max(h, 1)

    def batch_width(self, crops: Sequence[np.ndarray]) -> int:
        ratio = max(self.aspect(c) for c in crops)
        w = int(math.ceil(self.image_height * ratio))
        w = max(self.min_width, min(self.max_width, w))
        m = self.width_multiple
        if self.width_steps > 0:  # a power-of-two step: 1/8 of the octave w lies in, by default
            step = max(m, 2 ** int(math.log2(w)) // self.width_steps)
            # The last bucket below max_width reaches up to the cap itself.
            w = min(math.ceil(w / step) * step, self.max_width)
        w = int(math.ceil(w / m) * m)
        # Rounding up must not break the max_width cap (when max_width is not a multiple of m).
        return w if w <= self.max_width else max(m, self.max_width // m * m)

    def __call__(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """Stack ``crops`` (BGR uint8) into one (N, 3, H, W) float32 batch."""
        width = self.batch_width(crops)
        return np.stack([resize_norm_pad(self.padded(c), self.image_height, width) for c in crops])
