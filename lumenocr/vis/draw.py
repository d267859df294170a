"""Draw an OCR result: the image with its boxes on the left, the recognised text on a white
panel on the right, each text written inside its box's outline."""

from __future__ import annotations

import colorsys

import cv2
import numpy as np
from PIL import Image, ImageDraw

from lumenocr.results import OCRResult
from lumenocr.vis.fonts import get_font

_MIN_FONT = 6


def box_colors(n: int) -> list[tuple[int, int, int]]:
    """``n`` distinct, saturated BGR colours; the same for every call (pictures are reproducible)."""
    out = []
    for i in range(n):
        hue = (i * 0.618033988749895) % 1.0  # golden-ratio steps spread neighbours apart
        r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.95)
        out.append((int(b * 255), int(g * 255), int(r * 255)))
    return out


def to_quad(points) -> np.ndarray:
    """A 4-point box (top-left, top-right, bottom-right, bottom-left) for any polygon.

    Quads are kept as given (the pipeline emits them clockwise from top-left); polygons get
    their minimum-area rectangle, ordered so that its first edge is the text's baseline direction.
    """
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    if len(pts) == 4:
        return pts
    rect = cv2.boxPoints(cv2.minAreaRect(pts))
    # Start from the corner nearest the top-left and walk clockwise.
    s = rect.sum(axis=1)
    start = int(np.argmin(s))
    rect = np.roll(rect, -start, axis=0)
    (ax, ay), (bx, by) = rect[1] - rect[0], rect[3] - rect[0]
    if ax * by - ay * bx < 0:  # counter-clockwise in image coordinates (y down)
        rect = rect[[0, 3, 2, 1]]
    return rect


def _text_canvas(text: str, width: int, height: int, font_path: str | None) -> np.ndarray:
    """The text as an ink mask (uint8, 255 = ink) filling a ``width`` x ``height`` box."""
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    vertical = height > 1.5 * width and len(text) > 1
    if vertical:  # one character under the other, as vertical CJK is written
        size = max(_MIN_FONT, int(min(width * 0.85, height * 0.95 / len(text))))
        font = get_font(size, font_path)
        step = height / len(text)
        for i, ch in enumerate(text):
            draw.text((width / 2, (i + 0.5) * step), ch, fill=255, font=font, anchor="mm")
        return np.asarray(canvas)
    # Keep clear of the box outline: a margin of a tenth of the height on each side.
    margin = max(2.0, height * 0.1)
    room = max(width - 2 * margin, 1.0)
    size = max(_MIN_FONT, int(height * 0.75))
    font = get_font(size, font_path)
    text_w = draw.textlength(text, font=font)
    if text_w > room:
        size = max(_MIN_FONT, int(size * room / text_w))
        font = get_font(size, font_path)
    draw.text((margin, height / 2), text, fill=255, font=font, anchor="lm")
    return np.asarray(canvas)


def _paste_text(
    panel: np.ndarray,
    quad: np.ndarray,
    text: str,
    font_path: str | None,
    color: tuple[int, int, int] = (0, 0, 0),
) -> None:
    """Write ``text`` into ``quad`` of ``panel`` (in place), warped to the box's angle and shape."""
    w = int(round(max(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3]))))
    h = int(round(max(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1]))))
    if w < 2 or h < 2:
        return
    ink = _text_canvas(text, w, h, font_path)
    # Warp only into the box's bounding rectangle: warping the full panel per box would be slow.
    x0, y0 = np.floor(quad.min(axis=0)).astype(int)
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int) + 1
    ph, pw = panel.shape[:2]
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, pw), min(y1, ph)
    if x1 <= x0 or y1 <= y0:
        return
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(src, (quad - [x0, y0]).astype(np.float32))
    alpha = cv2.warpPerspective(ink, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR)
    a = (alpha.astype(np.float32) / 255.0)[..., None]
    roi = panel[y0:y1, x0:x1].astype(np.float32)
    panel[y0:y1, x0:x1] = np.rint(roi * (1 - a) + np.array(color, np.float32) * a).astype(np.uint8)


def draw_result(
    image: np.ndarray,
    result: OCRResult,
    font_path: str | None = None,
    *,
    words: bool = False,
    fill_alpha: float = 0.35,
) -> np.ndarray:
    """Picture of ``result`` on ``image`` (BGR uint8): returns a BGR array a little over twice as wide.

    Left: the image with each box filled translucently and outlined. Right: a white panel with
    the same outlines and each box's text written inside it (CJK is drawn when a CJK font is
    installed; see :mod:`lumenocr.vis.fonts`). Boxes without text (detection only) are outlined.
    With ``words`` the word boxes are drawn instead of the lines (lines without words as lines).
    """
    if not (
        isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8
    ):
        from lumenocr.errors import InputError

        raise InputError("draw_result expects a BGR uint8 image of shape (H, W, 3)")
    boxes = (
        [(b["points"], b["text"]) for b in result.word_boxes()]
        if words
        else [(ln.points, ln.text) for ln in result.lines]
    )
    h, w = image.shape[:2]
    thickness = max(1, int(round(min(h, w) / 400)))
    polys = [np.round(np.asarray(p, np.float32).reshape(-1, 2)).astype(np.int32) for p, _ in boxes]
    colors = box_colors(len(polys))
    overlay = image.copy()
    for poly, color in zip(polys, colors):
        cv2.fillPoly(overlay, [poly], color)
    left = cv2.addWeighted(image, 1.0 - fill_alpha, overlay, fill_alpha, 0)
    right = np.full_like(image, 255)
    for (points, text), poly, color in zip(boxes, polys, colors):
        cv2.polylines(left, [poly], True, color, thickness, cv2.LINE_AA)
        cv2.polylines(right, [poly], True, color, thickness, cv2.LINE_AA)
        if text:
            _paste_text(right, to_quad(points), text, font_path)
    if result.blocks:
        from lumenocr.vis.blocks import draw_blocks

        draw_blocks(left, result, thickness)
    gap = np.full((h, max(2, w // 100), 3), 200, np.uint8)  # a thin grey rule between the halves
    return np.ascontiguousarray(np.hstack([left, gap, right]))


def save_picture(path, picture: np.ndarray, quality: int = 90) -> None:
    """Write a BGR picture; the extension chooses the format (``.png``, ``.jpg``, ``.webp``)."""
    from pathlib import Path

    p = Path(path)
    ext = p.suffix.lower() or ".png"
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if ext in (".jpg", ".jpeg") else []
    ok, buf = cv2.imencode(ext, picture, params)
    if not ok:
        from lumenocr.errors import ConfigError

        raise ConfigError(f"cannot encode a picture as {ext!r}")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(buf.tobytes())


__all__ = ["box_colors", "draw_result", "save_picture", "to_quad"]
