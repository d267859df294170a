"""Detection input: resize to a multiple of 32 under a side-length rule, then normalise."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from lumenocr.errors import ConfigError


@dataclass(frozen=True)
class DetResized:
    """A detection input tensor and the scale factors back to the original image."""

    tensor: np.ndarray  # (1, 3, H, W) float32
    ratio_h: float  # resized_h / original_h
    ratio_w: float
    original_shape: tuple[int, int]  # (h, w)


@dataclass(frozen=True)
class DetPreprocess:
    """PaddleOCR ``DetResizeForTest`` (type 0) + ``NormalizeImage`` on a BGR image.

    ``limit_type="max"`` shrinks images whose longer side exceeds ``limit_side_len``;
    ``"min"`` enlarges images whose shorter side is below it. ``max_side_len`` caps the
    result either way so a huge or very elongated image cannot blow up memory.
    """

    # PP-OCR's published settings. ``help`` metadata makes a field a CLI option (lumenocr ocr).
    limit_side_len: int = field(
        default=960, metadata={"help": "resize so the limited side is PX", "metavar": "PX"}
    )
    limit_type: str = field(
        default="max",
        metadata={
            "help": "max: shrink the longer side to PX; min: enlarge the shorter side to PX",
            "choices": ("max", "min"),
        },
    )
    max_side_len: int = 4000
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    stride: int = 32

    def __post_init__(self) -> None:
        if self.limit_type not in ("max", "min"):
            raise ConfigError(f"limit_type must be 'max' or 'min', got {self.limit_type!r}")
        if self.limit_side_len < self.stride:
            raise ConfigError(f"limit_side_len must be >= {self.stride}, got {self.limit_side_len}")

    def target_size(self, h: int, w: int) -> tuple[int, int]:
        """Return the (height, width) the network sees for an ``h`` x ``w`` image."""
        if self.limit_type == "max":
            ratio = self.limit_side_len / max(h, w) if max(h, w) > self.limit_side_len else 1.0
        else:
            ratio = self.limit_side_len / min(h, w) if min(h, w) < self.limit_side_len else 1.0
        if max(h, w) * ratio > self.max_side_len:
            ratio = self.max_side_len / max(h, w)
        s = self.stride
        rh = max(int(round(h * ratio / s) * s), s)
        rw = max(int(round(w * ratio / s) * s), s)
        return rh, rw

    def resize(self, image: np.ndarray) -> tuple[np.ndarray, float, float]:
        h, w = image.shape[:2]
        rh, rw = self.target_size(h, w)
        if (rh, rw) != (h, w):
            interp = cv2.INTER_AREA if rh * rw < h * w else cv2.INTER_LINEAR
            image = cv2.resize(image, (rw, rh), interpolation=interp)
        return image, rh / h, rw / w

    def normalize(self, image: np.ndarray) -> np.ndarray:
        """uint8 HWC BGR -> float32 CHW, ``(x/255 - mean) / std`` per channel."""
        mean = np.asarray(self.mean, np.float32) * 255.0
        inv_std = 1.0 / (np.asarray(self.std, np.float32) * 255.0)
        out = (image.astype(np.float32) - mean) * inv_std
        return np.ascontiguousarray(out.transpose(2, 0, 1))

    def __call__(self, image: np.ndarray) -> DetResized:
        resized, rh, rw = self.resize(image)
        return DetResized(self.normalize(resized)[None], rh, rw, image.shape[:2])
