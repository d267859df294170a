"""Inputs that real users send and benchmark sets do not hold, rendered with known text.

Benchmark sets are street scenes and page scans. Users also send a small label or a
thumbnail, a tight crop of one line with no margin, a very wide single line, light or
coloured text on a transparent PNG, and numpy arrays in grey+alpha ``(H, W, 2)`` or
single-channel ``(H, W, 1)`` layout. :func:`make_kind_samples` renders such inputs with
several fonts, sizes and colours, each with its text, so the pipeline can be tested and
benchmarked on them (``benchmarks/bench_input_kinds.py``).

Only system fonts are used (``fonts-noto-cjk``, ``fonts-dejavu-core``, ``fonts-liberation``
on Debian); Chinese text is drawn only with a font that covers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lumenocr.io.fonts import find_font_files, system_font_dirs

#: The input kinds, in the order reports list them.
KINDS = ("small", "tight", "wide", "alpha_png", "gray_alpha", "single_channel")

ENGLISH = (
    "Net weight 250 g",
    "Best before 12/2027",
    "Store in a cool dry place",
    "Made in Portugal",
    "Batch 4417-B",
    "Price $3.49 per unit",
    "Ingredients: water, sugar, salt",
    "Keep out of reach of children",
    "Recycle this packaging",
    "Serial No. 55810-22",
    "Shipping label for parcel 8812",
    "Open here and pull gently",
    "Meeting room booked until noon",
    "Call 0800 123 456 for support",
    "Printed on recycled paper",
    "Total due by Friday",
)
CHINESE = (
    "净含量二百五十克",
    "保质期至二零二七年",
    "请存放于阴凉干燥处",
    "在中国制造的产品",
    "欢迎光临本店",
    "请勿将包装随意丢弃",
    "会议室已预订到中午",
    "客服电话请见背面",
    "每件售价三元五角",
    "开启时请轻轻拉动",
)
#: A long sentence (and its Chinese counterpart) for the very wide lines.
LONG_ENGLISH = (
    "A very long single line of text that a user cut out of a document and sent on its own, "
    "to see whether the whole sentence comes back in one piece and in the right order"
)
LONG_CHINESE = (
    "这是一行很长的文字用户从文件里剪下来单独发送想看看整句话能否完整并按正确顺序识别出来没有任何遗漏"
)

_LATIN_FONTS = (
    "DejaVuSans.ttf",
    "LiberationSerif-Regular.ttf",
    "LiberationSans-Regular.ttf",
    "LiberationMono-Regular.ttf",
)
_CJK_FONTS = ("NotoSansCJK-Regular.ttc", "NotoSerifCJK-Regular.ttc")


@dataclass
class KindSample:
    """One rendered input: ``image`` is what a user would pass (a BGR array, an array in
    another layout, or PNG bytes for a transparent file); ``lines`` its text, top to bottom."""

    name: str
    kind: str
    image: np.ndarray | bytes
    lines: list[str]


@lru_cache(maxsize=1)
def _font_paths() -> dict[str, Path]:
    try:
        files = find_font_files(system_font_dirs())
    except Exception:  # noqa: BLE001 - no font folders at all
        files = []
    return {p.name: p for p in files}


def available_fonts(cjk: bool) -> list[Path]:
    """Font files of the set that are installed (CJK-capable ones when ``cjk``)."""
    paths = _font_paths()
    names = _CJK_FONTS if cjk else _LATIN_FONTS + _CJK_FONTS
    return [paths[n] for n in names if n in paths]


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def _draw_lines(
    lines: Sequence[str],
    font: ImageFont.FreeTypeFont,
    fg: tuple[int, ...],
    bg: tuple[int, ...],
    margin: tuple[int, int],
    mode: str = "RGB",
    gap: float = 0.6,
) -> Image.Image:
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    boxes = [probe.textbbox((0, 0), t, font=font, anchor="ls") for t in lines]
    width = int(max(b[2] - min(b[0], 0) for b in boxes))
    ascent, descent = font.getmetrics()
    pitch = int((ascent + descent) * (1 + gap))
    mx, my = margin
    h = 2 * my + (ascent + descent) + pitch * (len(lines) - 1)
    img = Image.new(mode, (width + 2 * mx, int(h)), bg)
    draw = ImageDraw.Draw(img)
    for i, t in enumerate(lines):
        draw.text((mx, my + ascent + i * pitch), t, fill=fg, font=font, anchor="ls")
    return img


def _tight(img: Image.Image, bg: tuple[int, ...]) -> Image.Image:
    """Crop to the ink's bounding box: no margin at all."""
    arr = np.asarray(img).astype(np.int16)
    diff = np.abs(arr - np.asarray(bg, np.int16)).max(axis=2)
    ys, xs = np.nonzero(diff > 24)
    return img.crop((int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))


def _bgr(img: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(cv2.cvtColor(np.asarray(img.convert("RGB")), cv2.COLOR_RGB2BGR))


def _png(img: Image.Image) -> bytes:
    import io

    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


_LIGHT = ((255, 255, 255), (250, 220, 60), (120, 230, 255), (255, 170, 200))  # white, yellow, cyan, pink
_DARK = ((0, 0, 0), (200, 30, 30), (20, 60, 180), (30, 110, 40))  # black, red, blue, green
_PAPER = ((255, 255, 255), (245, 240, 225), (230, 240, 250), (255, 250, 200))


def make_kind_samples(kind: str, count: int = 8, seed: int = 0) -> list[KindSample]:
    """``count`` inputs of one of :data:`KINDS`, rendered deterministically from ``seed``."""
    if kind not in KINDS:
        raise ValueError(f"unknown input kind {kind!r}; kinds: {', '.join(KINDS)}")
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    latin, cjk = available_fonts(cjk=False), available_fonts(cjk=True)
    if not latin:
        raise RuntimeError(
            "no usable system font: install fonts-dejavu-core / fonts-liberation / fonts-noto-cjk"
        )
    out: list[KindSample] = []
    for i in range(count):
        # Tight crops: every other one Chinese (CJK lines touching the border are the ones
        # that break apart); other kinds: every third.
        chinese = bool(cjk) and (i % 2 == 1 if kind == "tight" else i % 3 == 2)
        pool, fonts = (CHINESE, cjk) if chinese else (ENGLISH, latin)
        font_path = fonts[int(rng.integers(len(fonts)))]
        name = f"{kind}_{i:02d}"
        pick = [str(s) for s in rng.choice(pool, size=4, replace=False)]
        if kind == "small":
            out.append(_small(name, pick, font_path, rng, i))
        elif kind == "tight":
            size = int(rng.choice([12, 16, 24, 36, 48, 60]))
            fg, bg = _DARK[i % len(_DARK)], _PAPER[int(rng.integers(len(_PAPER)))]
            img = _tight(_draw_lines(pick[:1], _font(font_path, size), fg, bg, (8, 8)), bg)
            out.append(KindSample(name, kind, _bgr(img), pick[:1]))
        elif kind == "wide":
            text = LONG_CHINESE if chinese else LONG_ENGLISH
            size = int(rng.choice([28, 32, 36]))
            words = text if chinese else text.split(" ")
            cut = int(rng.integers(len(words) * 2 // 3, len(words) + 1))
            text = "".join(words[:cut]) if chinese else " ".join(words[:cut])
            img = _draw_lines([text], _font(font_path, size), (0, 0, 0), (255, 255, 255), (10, 10))
            out.append(KindSample(name, kind, _bgr(img), [text]))
        elif kind == "alpha_png":
            # Light text on a transparent background, half of them with black "hidden" pixels
            # under the transparency (what most editors write), half with white ones; every
            # fourth sample is dark text, which must keep reading as before.
            size = int(rng.choice([24, 32, 40]))
            fg = _DARK[i % len(_DARK)] if i % 4 == 3 else _LIGHT[i % len(_LIGHT)]
            hidden = (0, 0, 0) if i % 2 == 0 else (255, 255, 255)
            img = _draw_lines(pick[:2], _font(font_path, size), (*fg, 255), (*hidden, 0), (16, 14), "RGBA")
            out.append(KindSample(name, kind, _png(img), pick[:2]))
        elif kind == "gray_alpha":
            size = int(rng.choice([24, 32, 40]))
            light = i % 2 == 0
            ink = 255 if light else 0
            img = _draw_lines(pick[:2], _font(font_path, size), (ink, 255), (255 - ink, 0), (16, 14), "LA")
            out.append(KindSample(name, kind, np.asarray(img).copy(), pick[:2]))  # (H, W, 2)
        else:  # single_channel
            size = int(rng.choice([24, 32, 40]))
            img = _draw_lines(pick[:2], _font(font_path, size), (20,), (235,), (16, 14), "L")
            out.append(KindSample(name, kind, np.asarray(img)[:, :, None].copy(), pick[:2]))  # (H, W, 1)
    return out


def _small(name: str, texts: list[str], font_path: Path, rng: np.random.Generator, i: int) -> KindSample:
    """A product label (about 400 x 300) or a thumbnail (about 200 x 150) with small text.

    Drawn three times larger and shrunk, then JPEG-compressed, as a photo or a page shrunk
    to a thumbnail is: text 6-10 pixels high with soft edges.
    """
    thumb = i % 2 == 1
    size = int(rng.choice([6, 7, 8]) if thumb else rng.choice([8, 9, 10]))
    n = 3 if thumb else 4
    lines = texts[:n]
    fg, bg = _DARK[i % len(_DARK)], _PAPER[int(rng.integers(len(_PAPER)))]
    scale = 3
    block = _draw_lines(lines, _font(font_path, size * scale), fg, bg, (0, 0), gap=0.9)
    block = block.resize(
        (max(1, block.width // scale), max(1, block.height // scale)), Image.Resampling.LANCZOS
    )
    w, h = (200, 150) if thumb else (400, 300)
    w, h = max(w, block.width + 16), max(h, block.height + 16)
    canvas = Image.new("RGB", (w, h), bg)
    x = int(rng.integers(6, max(7, w - block.width - 6)))
    y = int(rng.integers(6, max(7, h - block.height - 6)))
    canvas.paste(block, (x, y))
    _, buf = cv2.imencode(".jpg", _bgr(canvas), [cv2.IMWRITE_JPEG_QUALITY, 70])
    image = np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), np.uint8)
    return KindSample(name, "small", image, lines)
