"""Render known text into an image: the README's sample page and the tests' inputs."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lumenocr.vis.fonts import covers, get_font

#: The sample page's text, one entry per line (English and Chinese).
SAMPLE_LINES = (
    "lumenocr reads text in photos, scans and PDFs",
    "Invoice No. 2024-0815    Total: $1,234.56",
    "光学字符识别让图片中的文字可以被搜索",
    "The quick brown fox jumps over the lazy dog",
    "支持中文与英文混合排版 (CJK + Latin)",
)


def drawable_lines(lines: Sequence[str] = SAMPLE_LINES, font_path: str | None = None) -> list[str]:
    """The entries of ``lines`` that the font can draw (without a CJK font: the Latin ones)."""
    font = get_font(24, font_path)
    if not isinstance(font, ImageFont.FreeTypeFont):  # PIL's bitmap fallback: assume ASCII only
        return [t for t in lines if t.isascii()]
    return [t for t in lines if covers(font, t)]


def render_lines(
    lines: Sequence[str],
    font_size: int = 32,
    angle: float = 0.0,
    margin: int = 40,
    line_gap: float = 0.9,
    font_path: str | None = None,
) -> np.ndarray:
    """Black text on white, one line per entry, left-aligned; BGR uint8.

    ``angle`` (degrees, counter-clockwise) rotates the page about its centre, the canvas
    growing so no text is cut off. ``line_gap`` is the blank space between lines as a fraction
    of the font size.
    """
    font = get_font(font_size, font_path)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    width = int(max(probe.textlength(t, font=font) for t in lines)) if lines else 1
    pitch = int(font_size * (1 + line_gap))
    w, h = width + 2 * margin, pitch * len(lines) + 2 * margin - int(font_size * line_gap)
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    for i, text in enumerate(lines):
        draw.text((margin, margin + i * pitch + font_size / 2), text, fill="black", font=font, anchor="lm")
    bgr = cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)
    if angle:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        cos, sin = abs(m[0, 0]), abs(m[0, 1])
        nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
        m[0, 2] += nw / 2 - w / 2
        m[1, 2] += nh / 2 - h / 2
        bgr = cv2.warpAffine(bgr, m, (nw, nh), flags=cv2.INTER_CUBIC, borderValue=(255, 255, 255))
    return np.ascontiguousarray(bgr)
