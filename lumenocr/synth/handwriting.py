"""Handwriting-like lines composed from single-character images (PaddleOCR FAQ recipe).

The folder holds either ``labels.txt`` (``relative/path.png<TAB>char`` per line) or one
sub-folder per character (the folder name is the label). Images show dark ink on light paper;
each becomes an ink mask, scaled to a jittered height and set side by side with random
spacing and baseline drift, then styled like any other line.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from lumenocr.errors import ConfigError, InputNotFoundError
from lumenocr.synth.config import HandwritingConfig
from lumenocr.synth.effects import IMAGE_SUFFIXES
from lumenocr.synth.render import TextLayer, _word_spans, ink_polygon
from lumenocr.synth.text import TextSampler, _clean


def index_char_images(folder: str | Path) -> dict[str, list[str]]:
    """char -> image paths, from ``labels.txt`` or from per-character sub-folders."""
    root = Path(folder)
    if not root.is_dir():
        raise InputNotFoundError(f"handwriting folder not found: {root}")
    out: dict[str, list[str]] = {}
    labels = root / "labels.txt"
    if labels.is_file():
        for n, line in enumerate(labels.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            path, sep, char = line.partition("\t")
            if not sep or not char:
                raise ConfigError(f"{labels}:{n}: expected 'path<TAB>char', got {line!r}")
            out.setdefault(char, []).append(str(root / path))
    else:
        for sub in sorted(p for p in root.iterdir() if p.is_dir()):
            files = sorted(str(f) for f in sub.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
            if files:
                out[sub.name] = files
    if not out:
        raise ConfigError(f"no character images in {root} (need labels.txt or one sub-folder per character)")
    return {k: sorted(v) for k, v in sorted(out.items())}


@lru_cache(maxsize=2048)
def _ink(path: str) -> np.ndarray | None:
    """Ink alpha (uint8) of a character image, columns trimmed to the ink, rows kept."""
    from lumenocr.errors import InputError
    from lumenocr.io.sources import load_image

    try:  # the one image decoder: EXIF orientation, transparent ink on white
        gray = cv2.cvtColor(load_image(path), cv2.COLOR_BGR2GRAY)
    except InputError:  # an unreadable character image is skipped
        return None
    thr, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Ink = darker than paper; scale so the Otsu level maps to faint ink and black to full.
    ink = np.clip((thr - gray.astype(np.float32)) / max(thr, 1.0) * 255 * 1.5, 0, 255).astype(np.uint8)
    cols = np.flatnonzero(ink.max(axis=0) > 0)
    if cols.size == 0:
        return None
    return ink[:, cols[0] : cols[-1] + 1]


class HandwritingSet:
    """Draws handwriting-like :class:`TextLayer` lines from a character-image folder."""

    def __init__(self, cfg: HandwritingConfig, sampler: TextSampler):
        self.cfg = cfg
        index = index_char_images(cfg.char_dir or "")
        allowed = sampler.charset.token_set
        self.chars = {c: v for c, v in index.items() if c in allowed}
        if not self.chars:
            raise ConfigError(f"none of the characters in {cfg.char_dir} is in the charset")
        self.tokens = sorted(self.chars)
        self.sampler = sampler
        self.space = sampler.charset.space and any(c.isascii() and c.isalpha() for c in self.tokens)

    def make(self, rng: np.random.Generator) -> TextLayer:
        n = self.sampler.target_len(rng)
        toks = [self.tokens[int(i)] for i in rng.integers(len(self.tokens), size=n)]
        if self.space and n > 3:
            toks = [" " if 0 < i < n - 1 and rng.random() < 0.15 else t for i, t in enumerate(toks)]
        toks = _clean(toks) or toks[:1]
        return self.compose(rng, toks)

    def compose(self, rng: np.random.Generator, toks: list[str]) -> TextLayer:
        cfg = self.cfg
        height = int(rng.integers(cfg.height[0], cfg.height[1] + 1))
        pad = height // 2 + 2
        glyphs, xs, ys, extents = [], [], [], []
        x = float(pad)
        drift = 0.0
        for t in toks:
            if t == " ":
                extents.append((x, x + 0.45 * height))
                x += 0.45 * height
                continue
            ink = None
            paths = self.chars[t]
            for _ in range(3):
                ink = _ink(paths[int(rng.integers(len(paths)))])
                if ink is not None:
                    break
            if ink is None:
                raise ConfigError(f"unreadable character image(s) for {t!r} in {cfg.char_dir}")
            h = max(4, int(height * (1 + rng.uniform(-cfg.jitter, cfg.jitter))))
            w = max(1, int(round(ink.shape[1] * h / ink.shape[0])))
            g = cv2.resize(ink, (w, h), interpolation=cv2.INTER_AREA)
            drift = float(
                np.clip(drift + rng.normal(0, cfg.jitter * height * 0.3), -0.3 * height, 0.3 * height)
            )
            glyphs.append(g)
            xs.append(int(round(x)))
            ys.append(int(round(pad + drift + (height - h) / 2)))
            extents.append((x, x + w))
            x += w + rng.uniform(cfg.spacing[0], cfg.spacing[1]) * height
        width = (
            int(np.ceil(max(x, max((a + g.shape[1] for a, g in zip(xs, glyphs, strict=True)), default=0))))
            + pad
        )
        canvas = np.zeros((height + 2 * pad, max(width, 1)), np.uint8)
        for g, gx, gy in zip(glyphs, xs, ys, strict=True):
            region = canvas[gy : gy + g.shape[0], gx : gx + g.shape[1]]
            np.maximum(region, g[: region.shape[0], : region.shape[1]], out=region)
        # Split token extents at gap midpoints so word polygons partition the ink.
        bounds = [(0.0 if i == 0 else (extents[i - 1][1] + e[0]) / 2) for i, e in enumerate(extents)]
        parts = [
            (bounds[i], bounds[i + 1] if i + 1 < len(bounds) else float(width)) for i in range(len(bounds))
        ]
        segments = max(1, len(toks) // 2)
        poly = ink_polygon(canvas, segments=segments)
        if poly is None:
            raise ConfigError(f"character images in {cfg.char_dir} contain no visible ink")
        words = []
        for word, (lo, hi) in _word_spans(toks, parts):
            wp = ink_polygon(canvas, lo, hi, segments=max(1, len(word) // 2))
            if wp is not None:
                words.append((word, wp))
        return TextLayer(canvas, poly, "".join(toks), words, False, float(height), list(toks))
