"""Detection pages: text blocks (paragraphs, tables, scattered lines) with exact polygons."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from lumenocr.synth.config import DetSynthConfig, StyleConfig
from lumenocr.synth.effects import (
    background,
    composite,
    degrade,
    list_images,
    luminance,
    text_color,
    text_shadow,
)
from lumenocr.synth.fonts import FontCache, GlyphChecker
from lumenocr.synth.line import LineMaker, faces_for
from lumenocr.synth.render import TextLayer, rotation_perspective, transform_points, warp_layer
from lumenocr.synth.text import LinePlan, TextSampler


@dataclass
class PageLine:
    """One line on a page: its text, polygon and word polygons, in page pixels."""

    text: str
    polygon: np.ndarray
    words: list[tuple[str, np.ndarray]] = field(default_factory=list)
    vertical: bool = False


@dataclass
class PageSample:
    image: np.ndarray  # BGR uint8
    lines: list[PageLine]
    ink: np.ndarray | None = None  # uint8 text coverage of the page (before degradations), for checks

    def annotations(self, level: str = "line") -> list[dict]:
        """PaddleOCR det label entries (``transcription``, ``points``) at ``level`` line|word."""
        out = []
        for ln in self.lines:
            items = [(ln.text, ln.polygon)] if level == "line" else ln.words
            for text, poly in items:
                pts = [[round(float(x), 1), round(float(y), 1)] for x, y in poly]
                out.append({"transcription": text, "points": pts})
        return out


def _stamp(ink: np.ndarray, mask: np.ndarray, x: int, y: int) -> None:
    """Max ``mask`` into ``ink`` at (x, y), clipped to the page."""
    h, w = mask.shape
    H, W = ink.shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    if x1 > x0 and y1 > y0:
        region = ink[y0:y1, x0:x1]
        np.maximum(region, mask[y0 - y : y1 - y, x0 - x : x1 - x], out=region)


class _Rects:
    """Occupied page rectangles, so blocks and lines never overlap."""

    def __init__(self) -> None:
        self.rects: list[tuple[float, float, float, float]] = []

    def free(self, r: tuple[float, float, float, float], gap: float = 2.0) -> bool:
        x0, y0, x1, y1 = r
        return all(
            x1 + gap <= a or b + gap <= x0 or y1 + gap <= c or d + gap <= y0 for a, c, b, d in self.rects
        )

    def add(self, r: tuple[float, float, float, float]) -> None:
        self.rects.append(r)


class PageSynth:
    """Renders detection pages for a :class:`DetSynthConfig`."""

    def __init__(self, cfg: DetSynthConfig, seed: int = 0):
        self.cfg = cfg
        cache = FontCache()
        checker = GlyphChecker(cache).bad_tokens
        self.sampler = TextSampler(cfg.text, faces_for(cfg.fonts), seed=seed, glyph_check=checker)
        self.maker = LineMaker(self.sampler, cfg.fonts, cfg.style, cache)
        list_images(tuple(cfg.effects.background_dirs))  # missing or empty folders fail here, not mid-run
        # Lines inside paragraphs and tables stay straight; the page itself may tilt.
        flat = StyleConfig(
            **{**cfg.style.__dict__, "rotate_prob": 0.0, "perspective_prob": 0.0, "curve_prob": 0.0}
        )
        self.flat_maker = LineMaker(self.sampler, cfg.fonts, flat)
        self.flat_maker.cache = self.maker.cache

    def render(self, rng: np.random.Generator) -> PageSample:
        cfg = self.cfg
        w = int(rng.integers(cfg.width[0], cfg.width[1] + 1))
        h = int(w * rng.uniform(cfg.aspect[0], cfg.aspect[1]))
        page = background(rng, h, w, cfg.effects, dark_prob=0.1).copy()
        self._ink: np.ndarray = np.zeros((h, w), np.uint8)
        lines: list[PageLine] = []
        rects = _Rects()
        names = sorted(k for k, v in cfg.layouts.items() if v > 0)
        weights = np.array([cfg.layouts[k] for k in names], float)
        n_cols = int(rng.integers(cfg.columns[0], cfg.columns[1] + 1))
        n_blocks = 0 if n_cols > 1 else int(rng.integers(cfg.blocks[0], cfg.blocks[1] + 1))
        if n_cols > 1:
            self._columns(rng, page, n_cols, lines)
        for _ in range(n_blocks):
            layout = names[int(rng.choice(len(names), p=weights / weights.sum()))]
            block = self._block_rect(rng, w, h, rects, layout)
            if block is None:
                continue
            rects.add(block)
            if layout == "paragraph":
                self._paragraph(rng, page, block, lines)
            elif layout == "table":
                self._table(rng, page, block, lines)
            else:
                self._scatter(rng, page, block, lines)
        page, lines = self._page_geometry(rng, page, lines)
        page = degrade(rng, page, cfg.effects, scale=1.0)
        return PageSample(page, lines, self._ink)

    # --- layout ---------------------------------------------------------------------------------
    def _block_rect(self, rng, w: int, h: int, rects: _Rects, layout: str):
        for attempt in range(16):
            shrink = 1.0 - attempt / 20  # later attempts try smaller blocks in the gaps left
            bw = w * rng.uniform(0.3, 0.95) * shrink
            bh = h * rng.uniform(0.12, 0.6 if layout != "scatter" else 0.35) * shrink
            x0 = rng.uniform(0.02 * w, max(0.02 * w + 1, w * 0.98 - bw))
            y0 = rng.uniform(0.02 * h, max(0.02 * h + 1, h * 0.98 - bh))
            r = (x0, y0, x0 + bw, y0 + bh)
            if rects.free(r, gap=8):
                return r
        return None

    def _place(
        self, rng, page: np.ndarray, layer: TextLayer, x: float, y: float, color, lines: list[PageLine]
    ):
        """Composite ``layer`` with its mask origin at (x, y) and record its polygons.

        A line that would not lie wholly on the page is not drawn: cut text with a full label
        would teach the detector wrong boxes.
        """
        xi, yi = int(round(x)), int(round(y))
        h, w = page.shape[:2]
        lo, hi = layer.polygon.min(0) + (xi, yi), layer.polygon.max(0) + (xi, yi)
        if lo[0] < 0 or lo[1] < 0 or hi[0] > w or hi[1] > h:
            return
        if rng.random() < self.cfg.style.text_shadow_prob:
            shade, dx, dy = text_shadow(rng, layer.mask, layer.line_height)
            composite(page, shade, color * 0.3, xi + dx, yi + dy)
        composite(page, layer.mask, color, xi, yi)
        _stamp(self._ink, layer.mask, xi, yi)
        off = np.array([xi, yi], np.float32)
        lines.append(
            PageLine(layer.text, layer.polygon + off, [(t, p + off) for t, p in layer.words], layer.vertical)
        )

    def _color(self, rng, page: np.ndarray, rect) -> np.ndarray:
        x0, y0, x1, y1 = (int(v) for v in rect)
        region = page[max(y0, 0) : max(y1, y0 + 1), max(x0, 0) : max(x1, x0 + 1)]
        return text_color(rng, luminance(region), self.cfg.style.min_contrast)

    def _paragraph(self, rng, page, block, lines):
        x0, y0, x1, y1 = block
        size = self.maker.font_size(rng)
        color = self._color(rng, page, block)
        # Columns are common on CJK pages: a few times the line-level share, if Chinese can be drawn.
        vertical = "chinese" in self.sampler.kinds and rng.random() < min(
            1.0, self.cfg.style.vertical_prob * 3
        )
        leading = size * rng.uniform(1.15, 1.7)
        align = rng.choice(["left", "left", "center", "right"])
        look = self._block_look(rng, size, "chinese" if vertical else None)
        if vertical:
            n_before = len(lines)
            x = x1
            while x - leading >= x0:
                made = self.flat_maker.make(
                    rng,
                    LinePlan(-1, "chinese", ()),
                    size=size,
                    geometry=False,
                    max_width=y1 - y0,
                    long=True,
                    want_vertical=True,
                    **look,
                )
                if made is None:
                    break
                layer = made[0]
                if not layer.vertical:
                    break  # no CJK font/text: fall back to what was drawn so far
                lh, lw = layer.mask.shape
                if lh <= y1 - y0 + size:
                    self._place(rng, page, layer, x - lw, y0, color, lines)
                x -= leading
            if len(lines) > n_before:
                return
        y = y0
        while y + size * 1.2 <= y1:
            made = self.flat_maker.make(
                rng,
                size=size,
                geometry=False,
                max_width=x1 - x0,
                allow_vertical=False,
                long=rng.random() < 0.8,
                **look,
            )
            if made is None:
                break
            layer = made[0]
            lh, lw = layer.mask.shape
            if lw > x1 - x0 + size:
                y += leading
                continue
            if align == "center":
                x = x0 + (x1 - x0 - lw) / 2
            elif align == "right":
                x = x1 - lw
            else:
                x = x0
            self._place(rng, page, layer, x, y, color, lines)
            y += leading

    def _columns(self, rng, page, n_cols: int, lines: list[PageLine]) -> None:
        """An article page: optional running header, a full-width title, ``n_cols`` columns of
        paragraphs filled one column after the other, optional footer. Lines are recorded in
        reading order (header, title, column 1 top to bottom, column 2, ..., footer)."""
        h, w = page.shape[:2]
        mx, my = w * rng.uniform(0.05, 0.08), h * rng.uniform(0.04, 0.06)
        size = int(
            np.clip(self.maker.font_size(rng), self.cfg.fonts.size[0], max(self.cfg.fonts.size[0], 22))
        )
        color = self._color(rng, page, (0, 0, w, h))
        look = self._block_look(rng, size, None)
        small = max(self.cfg.fonts.size[0], int(size * 0.8))

        def line(max_w: float, sz: int, long: bool = True):
            made = self.flat_maker.make(
                rng, size=sz, geometry=False, max_width=max_w, allow_vertical=False, long=long, **look
            )
            return None if made is None else made[0]

        y_top, y_bottom = my, h - my
        header = line((w - 2 * mx) * 0.5, small, long=False) if rng.random() < 0.5 else None
        footer = line((w - 2 * mx) * 0.3, small, long=False) if rng.random() < 0.5 else None
        if header is not None:
            self._place(rng, page, header, mx, y_top, color, lines)
            y_top += header.mask.shape[0] + size * 2.0
        if rng.random() < 0.8:
            big = min(int(size * 1.6), self.cfg.fonts.size[1])
            title = line(w - 2 * mx, big, long=False)
            if title is not None and title.mask.shape[1] <= w - 2 * mx:
                self._place(
                    rng, page, title, mx + (w - 2 * mx - title.mask.shape[1]) / 2, y_top, color, lines
                )
                y_top += title.mask.shape[0] + size * 1.8
        if footer is not None:
            y_bottom -= footer.mask.shape[0] + size * 2.0
        gutter = w * rng.uniform(0.04, 0.07)
        col_w = (w - 2 * mx - (n_cols - 1) * gutter) / n_cols
        leading = size * rng.uniform(1.3, 1.6)
        for c in range(n_cols):
            x = mx + c * (col_w + gutter)
            y = y_top
            while y + leading <= y_bottom:
                layer = line(col_w, size, long=rng.random() < 0.85)
                if layer is None:
                    break
                if layer.mask.shape[1] <= col_w:
                    self._place(rng, page, layer, x, y, color, lines)
                y += leading
                if rng.random() < 0.12:
                    y += leading * 0.8  # paragraph break
        if footer is not None:
            self._place(
                rng, page, footer, w - mx - footer.mask.shape[1], h - my - footer.mask.shape[0], color, lines
            )

    def _block_look(self, rng, size: int, kind: str | None) -> dict:
        """One font, letter spacing and weight for all lines of a paragraph or table."""
        st = self.cfg.style
        spacing = (
            float(rng.uniform(st.spacing[0], st.spacing[1])) * size if rng.random() < st.spacing_prob else 0.0
        )
        return {
            "face_id": self.sampler.pick_face(rng, (), kind),
            "spacing": spacing,
            "bold": bool(rng.random() < st.bold_prob),
        }

    def _table(self, rng, page, block, lines):
        x0, y0, x1, y1 = block
        size = int(
            np.clip(self.maker.font_size(rng), self.cfg.fonts.size[0], max(self.cfg.fonts.size[0], 28))
        )
        row_h = size * rng.uniform(1.6, 2.4)
        rows = max(1, int((y1 - y0) // row_h))
        cols = int(rng.integers(2, 6))
        col_w = (x1 - x0) / cols
        color = self._color(rng, page, block)
        look = self._block_look(rng, size, None)
        if rng.random() < 0.7:  # ruled table
            thick = int(rng.integers(1, 3))
            c = tuple(float(v) for v in (color * 0.6 + page[int(y0), int(x0)] * 0.4))
            for r in range(rows + 1):
                yy = int(y0 + r * row_h)
                cv2.line(page, (int(x0), yy), (int(x1), yy), c, thick)
            for k in range(cols + 1):
                xx = int(x0 + k * col_w)
                cv2.line(page, (xx, int(y0)), (xx, int(y0 + rows * row_h)), c, thick)
        for r in range(rows):
            for k in range(cols):
                if rng.random() < 0.15:
                    continue  # empty cell
                made = self.flat_maker.make(
                    rng, size=size, geometry=False, max_width=col_w - 6, allow_vertical=False, **look
                )
                if made is None:
                    continue
                layer = made[0]
                lh, lw = layer.mask.shape
                if lw > col_w + size * 0.6 or lh > row_h + size * 0.6:
                    continue
                cx = x0 + k * col_w + (3 if rng.random() < 0.6 else (col_w - lw) / 2)
                cy = y0 + r * row_h + (row_h - lh) / 2
                self._place(rng, page, layer, cx - size * 0.3, cy, color, lines)

    def _scatter(self, rng, page, block, lines):
        x0, y0, x1, y1 = block
        rects = _Rects()
        for _ in range(int(rng.integers(2, 8))):
            made = self.maker.make(rng, max_width=x1 - x0)
            if made is None:
                continue
            layer = made[0]
            if rng.random() < 0.3:  # stronger tilt than body text: labels, stamps, signs
                hh, ww = layer.mask.shape
                layer = warp_layer(layer, rotation_perspective(ww, hh, float(rng.uniform(-25, 25))))
            lh, lw = layer.mask.shape
            if lw > x1 - x0 or lh > y1 - y0:
                continue
            for _ in range(6):
                x, y = rng.uniform(x0, x1 - lw), rng.uniform(y0, y1 - lh)
                px0, py0 = layer.polygon.min(0)
                px1, py1 = layer.polygon.max(0)
                r = (x + px0, y + py0, x + px1, y + py1)
                if rects.free(r, gap=4):
                    rects.add(r)
                    self._place(rng, page, layer, x, y, self._color(rng, page, r), lines)
                    break

    # --- page geometry --------------------------------------------------------------------------
    def _page_geometry(self, rng, page: np.ndarray, lines: list[PageLine]):
        cfg = self.cfg
        h, w = page.shape[:2]
        angle = (
            float(rng.uniform(cfg.page_rotate[0], cfg.page_rotate[1]))
            if rng.random() < cfg.page_rotate_prob
            else 0.0
        )
        jitter = None
        if rng.random() < cfg.page_perspective_prob:
            jitter = rng.uniform(-1, 1, (4, 2)) * cfg.page_perspective * np.array([w, h])
        if angle == 0.0 and jitter is None:
            return page, lines
        # Shrink a little about the centre so the turned page usually stays inside the frame.
        k = float(rng.uniform(0.86, 0.98))
        shrink = np.array([[k, 0, (1 - k) * w / 2], [0, k, (1 - k) * h / 2], [0, 0, 1]], np.float64)
        m = rotation_perspective(w, h, angle, jitter) @ shrink
        # Keep the frame size; where the page no longer covers it, show a "desk" behind the page.
        out = cv2.warpPerspective(page, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        cover = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, (w, h), flags=cv2.INTER_LINEAR)
        if cover.min() < 255:
            desk = background(rng, h, w, cfg.effects, dark_prob=0.5)
            edge = cover < 255  # blend only where the page does not fully cover the frame
            a = cover[edge].astype(np.float32)[:, None] * (1 / 255)
            out[edge] = (desk[edge] * (1 - a) + out[edge] * a + 0.5).astype(np.uint8)
        moved = []
        for ln in lines:
            poly = transform_points(ln.polygon, m)
            if poly[:, 0].min() < 0 or poly[:, 1].min() < 0 or poly[:, 0].max() > w or poly[:, 1].max() > h:
                continue
            moved.append(
                PageLine(ln.text, poly, [(t, transform_points(p, m)) for t, p in ln.words], ln.vertical)
            )
        if len(moved) < len(lines):
            return page, lines  # a line would leave the frame (cut text, wrong label): keep the page flat
        self._ink = cv2.warpPerspective(self._ink, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
        return out, moved
