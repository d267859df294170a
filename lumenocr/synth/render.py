"""Draw one text line as an ink mask, bend and warp it, and keep exact polygons.

Polygons are measured on the ink itself, in the line's own frame: a quad for straight lines,
a 2K-point polygon following the ink for curved ones. Geometric warps (rotation,
perspective) move mask and polygons with the same 3x3 matrix, so polygons stay exact: a
homography maps the polygon's straight edges to straight edges around the moved ink.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageDraw

# Interpolation during warps spreads ink by up to a pixel: polygons get this much room.
POLY_PAD = 1.0


@dataclass
class TextLayer:
    """A rendered line: ink alpha, its polygon and per-word polygons, in mask coordinates."""

    mask: np.ndarray  # uint8 (H, W) ink coverage 0..255
    polygon: np.ndarray  # float32 (N, 2), clockwise from top-left
    text: str
    words: list[tuple[str, np.ndarray]] = field(default_factory=list)
    vertical: bool = False
    line_height: float = 0.0  # font size in px before warps: scales effects
    tokens: list[str] = field(default_factory=list)


def draw_line(
    tokens: Sequence[str],
    font,
    spacing: float = 0.0,
    vertical: bool = False,
    underline: bool = False,
    strike: bool = False,
    bold: bool = False,
    extents: bool = True,
    measure=None,
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Draw ``tokens`` with a PIL ``font``; returns the mask and each token's extent along the line.

    Horizontal tokens advance by their width plus ``spacing`` px; vertical ones (CJK) stack
    top to bottom in em squares. Extents partition the line (gaps split at their middle),
    so every ink pixel belongs to exactly one token's extent. ``extents=False`` skips them
    (and the per-token measuring they need) when no word polygons are wanted. ``measure``
    (token -> advance px) replaces ``font.getlength``, e.g. with a memoised one.
    """
    measure = measure or font.getlength
    size = float(font.size)
    ascent, descent = font.getmetrics()
    pad = int(size * 0.3) + 2
    n = len(tokens)
    if vertical:
        adv = [size + spacing] * n
        starts = np.concatenate([[0.0], np.cumsum(adv)[:-1]]) + pad
        length = int(np.ceil(starts[-1] + size)) + pad if n else 2 * pad
        img = Image.new("L", (int(size) + 2 * pad, max(length, 1)), 0)
        draw = ImageDraw.Draw(img)
        cx = pad + size / 2
        for t, y in zip(tokens, starts, strict=True):
            if t != " ":
                draw.text((cx, y + size / 2), t, font=font, fill=255, anchor="mm")
    elif spacing == 0.0 and not extents:
        total = font.getlength("".join(tokens))
        adv = [total]
        starts = np.array([float(pad)])
        length = int(np.ceil(pad + total)) + pad
    else:
        adv = [measure(t) + spacing for t in tokens]
        starts = np.concatenate([[0.0], np.cumsum(adv)[:-1]]) + pad
        length = int(np.ceil(starts[-1] + adv[-1] - spacing)) + pad if n else 2 * pad
    if not vertical:
        baseline = pad + ascent
        img = Image.new("L", (max(length, 1), ascent + descent + 2 * pad), 0)
        draw = ImageDraw.Draw(img)
        if spacing == 0.0:  # one call: keeps the font's kerning and shaping
            draw.text((pad, baseline), "".join(tokens), font=font, fill=255, anchor="ls")
        else:
            for t, x in zip(tokens, starts, strict=True):
                if t != " ":
                    draw.text((float(x), baseline), t, font=font, fill=255, anchor="ls")
        thick = max(1, int(round(size / 16)))
        x0, x1 = float(starts[0]), float(starts[-1] + adv[-1] - spacing)
        if underline:
            y = baseline + max(2, int(descent * 0.45))
            draw.rectangle([x0, y, x1, y + thick - 1], fill=255)
        if strike:
            y = baseline - int(ascent * 0.3)
            draw.rectangle([x0, y, x1, y + thick - 1], fill=255)
    mask = np.asarray(img, dtype=np.uint8).copy()
    if bold:
        k = max(2, int(round(size / 18)))
        mask = cv2.dilate(mask, np.ones((k, k), np.uint8))
    if not extents:
        return mask, []
    ends = starts + np.array(adv) - (0.0 if vertical else spacing)
    spans = []
    for i in range(n):
        lo = 0.0 if i == 0 else (ends[i - 1] + starts[i]) / 2
        hi = float(mask.shape[0 if vertical else 1]) if i == n - 1 else (ends[i] + starts[i + 1]) / 2
        spans.append((float(lo), float(hi)))
    return mask, spans


def curve_mask(
    mask: np.ndarray, amplitude: float, period: float, phase: float
) -> tuple[np.ndarray, np.ndarray]:
    """Bend a horizontal line along ``y += amplitude * sin(2 pi x / period + phase)``.

    Returns the taller mask and the per-column shift that was applied.
    """
    h, w = mask.shape
    a = int(np.ceil(abs(amplitude))) + 1
    xs = np.arange(w, dtype=np.float32)
    shift = (amplitude * np.sin(2 * np.pi * xs / period + phase)).astype(np.float32)
    map_x = np.broadcast_to(xs, (h + 2 * a, w)).astype(np.float32)
    map_y = (np.arange(h + 2 * a, dtype=np.float32)[:, None] - a - shift[None, :]).astype(np.float32)
    out = cv2.remap(mask, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return out, shift + a


def ink_polygon(
    mask: np.ndarray, lo: float = 0, hi: float | None = None, segments: int = 1
) -> np.ndarray | None:
    """Polygon around the ink of columns ``[lo, hi)`` of ``mask``: top edge left to right, bottom back.

    With ``segments`` > 1 the edges follow the ink in steps; each vertex takes the extreme of
    its two neighbouring segments, so the straight edge between two vertices never cuts ink.
    Returns ``None`` when there is no ink in the range.
    """
    h, w = mask.shape
    c0, c1 = max(0, int(np.floor(lo))), min(w, int(np.ceil(w if hi is None else hi)))
    sub = mask[:, c0:c1] > 0
    cols = np.flatnonzero(sub.any(axis=0))
    if cols.size == 0:
        return None
    x_lo, x_hi = c0 + int(cols[0]), c0 + int(cols[-1]) + 1
    sub = mask[:, x_lo:x_hi] > 0
    has = sub.any(axis=0)
    top = np.where(has, sub.argmax(axis=0), h).astype(np.float32)
    bot = np.where(has, h - sub[::-1].argmax(axis=0), 0).astype(np.float32)
    segments = max(1, min(segments, (x_hi - x_lo) // 2 or 1))
    xs = np.linspace(x_lo, x_hi, segments + 1)
    edges = np.round(xs - x_lo).astype(int)
    seg_top = np.array([top[edges[i] : max(edges[i + 1], edges[i] + 1)].min() for i in range(segments)])
    seg_bot = np.array([bot[edges[i] : max(edges[i + 1], edges[i] + 1)].max() for i in range(segments)])
    vt = np.array([seg_top[max(i - 1, 0) : i + 1].min() for i in range(segments + 1)]) - POLY_PAD
    vb = np.array([seg_bot[max(i - 1, 0) : i + 1].max() for i in range(segments + 1)]) + POLY_PAD
    xs = xs.copy()
    xs[0] -= POLY_PAD
    xs[-1] += POLY_PAD
    poly = np.concatenate([np.stack([xs, vt], 1), np.stack([xs[::-1], vb[::-1]], 1)])
    return poly.astype(np.float32)


def transpose_polygon(poly: np.ndarray) -> np.ndarray:
    """Swap x/y (vertical lines are measured transposed); restore clockwise order from top-left."""
    return np.roll(poly[::-1, ::-1], 1, axis=0).copy()


def make_layer(
    tokens: Sequence[str],
    font,
    spacing: float = 0.0,
    vertical: bool = False,
    underline: bool = False,
    strike: bool = False,
    bold: bool = False,
    curve: tuple[float, float, float] | None = None,
    words: bool = True,
    measure=None,
) -> TextLayer | None:
    """Render ``tokens`` into a :class:`TextLayer` with line and (if ``words``) word polygons.

    ``curve`` = (amplitude px, period px, phase) bends a horizontal line. Returns ``None``
    when nothing visible was drawn.
    """
    mask, extents = draw_line(tokens, font, spacing, vertical, underline, strike, bold, words, measure)
    if curve is not None and not vertical:
        mask, _ = curve_mask(mask, *curve)
    work = mask.T if vertical else mask  # vertical: measure along rows as if they were columns
    segments = 1
    if curve is not None and not vertical:
        segments = int(np.clip(mask.shape[1] / max(font.size * 0.6, 1), 2, 24))
    poly = ink_polygon(work, segments=segments)
    if poly is None:
        return None
    word_polys = []
    for word, (lo, hi) in _word_spans(tokens, extents) if words else ():
        wp = ink_polygon(work, lo, hi, segments=max(1, int(segments * (hi - lo) / max(work.shape[1], 1)) + 1))
        if wp is not None:
            word_polys.append((word, transpose_polygon(wp) if vertical else wp))
    if vertical:
        poly = transpose_polygon(poly)
    return TextLayer(mask, poly, "".join(tokens), word_polys, vertical, float(font.size), list(tokens))


def _word_spans(tokens: Sequence[str], extents: Sequence[tuple[float, float]]):
    """(word, (lo, hi)) for each space-separated word; spaces are split between their neighbours
    so the spans still partition the line (overhanging italics and punctuation stay inside)."""
    word, lo, hi = "", None, None
    start = 0.0
    for t, (a, b) in zip(tokens, extents, strict=True):
        if t == " ":
            if word:
                yield word, (lo, (a + b) / 2)
            word, lo, hi = "", None, None
            start = (a + b) / 2
            continue
        word += t
        lo = start if lo is None else lo
        hi = b
    if word:
        yield word, (lo, hi)


def warp_layer(layer: TextLayer, matrix: np.ndarray) -> TextLayer:
    """Apply the 3x3 ``matrix`` to mask and polygons, on a canvas that holds the whole result."""
    h, w = layer.mask.shape
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32).reshape(-1, 1, 2)
    moved = cv2.perspectiveTransform(corners, matrix.astype(np.float64)).reshape(-1, 2)
    x0, y0 = np.floor(moved.min(0)) - 1
    x1, y1 = np.ceil(moved.max(0)) + 1
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
    m = shift @ matrix
    size = (int(x1 - x0), int(y1 - y0))
    mask = cv2.warpPerspective(layer.mask, m, size, flags=cv2.INTER_LINEAR, borderValue=0)
    return TextLayer(
        mask,
        transform_points(layer.polygon, m),
        layer.text,
        [(t, transform_points(p, m)) for t, p in layer.words],
        layer.vertical,
        layer.line_height,
        layer.tokens,
    )


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, np.float64).reshape(-1, 1, 2)
    return cv2.perspectiveTransform(pts, np.asarray(matrix, np.float64)).reshape(-1, 2).astype(np.float32)


def rotation_perspective(
    w: float, h: float, angle_deg: float, jitter: np.ndarray | None = None
) -> np.ndarray:
    """3x3 matrix: rotate about the centre by ``angle_deg`` (counter-clockwise), then move the
    four corners by ``jitter`` (4x2 px) for a perspective look."""
    rot = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0), [0, 0, 1]])
    if jitter is None:
        return rot
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = (src + jitter).astype(np.float32)
    return cv2.getPerspectiveTransform(src, dst).astype(np.float64) @ rot
