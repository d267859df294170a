"""Rendered vertical CJK pages: columns written top to bottom, read right to left, optionally
under a horizontal title and beside a horizontal line (tests and benchmarks of reading order)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image, ImageDraw

from lumenocr.vis.fonts import get_font


def render_vertical_page(
    columns: Sequence[str],
    title: str | None = None,
    side: str | None = None,
    font_size: int = 32,
    gap: float = 0.9,
    font_path: str | None = None,
) -> tuple[np.ndarray, list[str]]:
    """A page of vertical ``columns`` (the first printed rightmost), an optional horizontal
    ``title`` above them and an optional horizontal ``side`` line level with their middle, to
    their left. Returns the BGR image and its lines in reading order (title, columns right to
    left, side line)."""
    font = get_font(font_size, font_path)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    pitch = int(font_size * (1 + gap))
    col_h = int(max((len(c) for c in columns), default=1) * font_size * 1.1)
    margin = font_size * 2
    side_w = int(probe.textlength(side, font=font)) + font_size * 2 if side else 0
    title_h = int(font_size * 2.5) if title else 0
    cols_w = pitch * len(columns)
    title_w = int(probe.textlength(title, font=font)) if title else 0
    w = max(cols_w + side_w, title_w) + 2 * margin
    h = col_h + title_h + 2 * margin
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    if title:
        draw.text((w / 2, margin + font_size / 2), title, fill="black", font=font, anchor="mm")
    top = margin + title_h
    right = w - margin
    for k, text in enumerate(columns):
        cx = right - k * pitch - font_size / 2
        for i, ch in enumerate(text):
            draw.text((cx, top + (i + 0.5) * font_size * 1.1), ch, fill="black", font=font, anchor="mm")
    if side:
        draw.text((margin, top + col_h / 2), side, fill="black", font=font, anchor="lm")
    order = ([title] if title else []) + list(columns) + ([side] if side else [])
    return np.ascontiguousarray(cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)), order
