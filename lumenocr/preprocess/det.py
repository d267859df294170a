"""Detection input: resize to a multiple of 32 under a side-length rule, then normalise."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from lumenocr.errors import ConfigError

#: An image at least this many times longer than high (or high than long) is line-shaped.
LINE_ASPECT = 3.0


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

    Inputs unlike the pages the detector was trained on:

    * ``max_upscale``: with ``"max"``, an image smaller than ``limit_side_len`` is enlarged
      towards it by at most this factor. A 400 x 300 label or a thumbnail holds text a few
      pixels high, which the 1/4-resolution probability map cannot separate into lines.
    * ``min_side_len``: the shorter side is never made smaller than this (within
      ``max_side_len``), so a 2000 x 60 line is not shrunk into a 29-pixel sliver whose
      letters the detector reads as separate pieces.
    * ``line_pad``: a line-shaped image (longer side at least ``LINE_ASPECT`` times the
      shorter) or a small one gets a margin of ``line_pad`` times its shorter side, in its
      background colour, before detection (see :meth:`padding`): DB finds a text region by
      its shrunk kernel and grows it back, which fails when the text touches the border, as
      in a tight crop of one line.
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
    # Small, tight and very wide inputs (see above); measured on the generated input kinds
    # of benchmarks/bench_input_kinds.py, pages and street scenes are left as they were.
    max_upscale: float = field(
        default=3.0,
        metadata={"help": "enlarge a small image towards PX by at most this factor", "metavar": "F"},
    )
    min_side_len: int = field(
        default=64, metadata={"help": "never shrink the shorter side below this many pixels", "metavar": "PX"}
    )
    line_pad: float = field(
        default=0.25,
        metadata={
            "help": "margin around a small or line-shaped image, times its shorter side",
            "metavar": "R",
        },
    )
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    stride: int = 32
    #: Page-aware resolution (preprocess/page_scale.py): a first pass that finds at least
    #: ``dense_lines`` lines whose median is under ``text_height`` network pixels tall is
    #: redone at the scale giving that height (0 in either turns the second pass off).
    dense_lines: int = field(
        default=20,
        metadata={
            "help": "page-aware resolution: a second, finer detection pass for pages with at least N "
            "lines (0: off)",
            "metavar": "N",
        },
    )
    text_height: int = field(
        default=32,
        metadata={
            "help": "that pass runs at the scale giving the median line PX pixels (0: off)",
            "metavar": "PX",
        },
    )

    def __post_init__(self) -> None:
        if self.limit_type not in ("max", "min"):
            raise ConfigError(f"limit_type must be 'max' or 'min', got {self.limit_type!r}")
        if self.limit_side_len < self.stride:
            raise ConfigError(f"limit_side_len must be >= {self.stride}, got {self.limit_side_len}")
        if not self.max_upscale >= 1.0:
            raise ConfigError(f"max_upscale must be >= 1, got {self.max_upscale}")
        if self.min_side_len < 0 or self.line_pad < 0:
            raise ConfigError(
                f"min_side_len and line_pad must be >= 0, got {self.min_side_len}, {self.line_pad}"
            )

    def target_size(self, h: int, w: int) -> tuple[int, int]:
        """Return the (height, width) the network sees for an ``h`` x ``w`` image."""
        if self.limit_type == "max":
            ratio = min(self.limit_side_len / max(h, w), self.max_upscale)
            ratio = min(ratio, 1.0) if max(h, w) > self.limit_side_len else max(ratio, 1.0)
        else:
            ratio = self.limit_side_len / min(h, w) if min(h, w) < self.limit_side_len else 1.0
        if min(h, w) * ratio < self.min_side_len:
            ratio = self.min_side_len / min(h, w)
        if max(h, w) * ratio > self.max_side_len:
            ratio = self.max_side_len / max(h, w)
        s = self.stride
        rh = max(int(round(h * ratio / s) * s), s)
        rw = max(int(round(w * ratio / s) * s), s)
        return rh, rw

    def padding(self, h: int, w: int) -> int:
        """Margin (pixels, each side) to add around an ``h`` x ``w`` image before detection:
        ``line_pad`` times the shorter side for a line-shaped or small image, else 0."""
        short, long = min(h, w), max(h, w)
        if self.line_pad <= 0 or (long < LINE_ASPECT * short and long >= self.limit_side_len):
            return 0
        return int(round(self.line_pad * short))

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
