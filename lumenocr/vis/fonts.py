"""Find a system font that can draw the recognised text (CJK included).

Search order: ``$LUMENOCR_FONT``; well-known CJK fonts of Linux, macOS and Windows; any font
in the standard folders whose glyphs cover CJK; DejaVu Sans (Latin, Greek, Cyrillic); PIL's
built-in font with a warning. Coverage is checked by drawing: a font that lacks a character
draws its ``.notdef`` glyph, which is the same for every missing character.
"""

from __future__ import annotations

import os
import warnings
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from lumenocr.io.fonts import find_font_files, system_font_dirs

# Probe characters: two common ideographs, and a code point no font has (plane 16 private use).
_CJK_PROBE = "中文"
_MISSING = "\U0010fffd"

# File names of common CJK-capable fonts, most preferred first.
_KNOWN_CJK = (
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKsc-Regular.otf",
    "NotoSansSC-Regular.otf",
    "NotoSansSC-Regular.ttf",
    "SourceHanSans-Regular.ttc",
    "SourceHanSansSC-Regular.otf",
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
    "DroidSansFallbackFull.ttf",
    "DroidSansFallback.ttf",
    "NotoSerifCJK-Regular.ttc",
    "PingFang.ttc",
    "Hiragino Sans GB.ttc",
    "STHeiti Light.ttc",
    "Arial Unicode.ttf",
    "msyh.ttc",
    "msyh.ttf",
    "simhei.ttf",
    "simsun.ttc",
    "YuGothR.ttc",
    "malgun.ttf",
)
_CJK_NAME_HINTS = (
    "cjk",
    "han",
    "wqy",
    "fallback",
    "sc-",
    "gb",
    "hei",
    "song",
    "ming",
    "gothic",
    "unicode",
    "msyh",
)
_LATIN = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "arial.ttf", "Helvetica.ttc")


def _font_files() -> list[Path]:
    return find_font_files(system_font_dirs())


def covers(font: ImageFont.FreeTypeFont, text: str) -> bool:
    """True when ``font`` has a glyph for every non-space character of ``text``."""
    missing = font.getmask(_MISSING)
    missing_key = (missing.size, bytes(missing))
    for ch in set(text):
        if ch.isspace():
            continue
        m = font.getmask(ch)
        if (m.size, bytes(m)) == missing_key:
            return False
    return True


def _load(path: Path | str, index: int = 0, size: int = 24) -> ImageFont.FreeTypeFont | None:
    try:
        return ImageFont.truetype(str(path), size=size, index=index)
    except OSError:
        return None


@lru_cache(maxsize=32)
def _best_face(path: Path) -> int:
    """In a collection prefer the Simplified Chinese face (broadest Hanzi coverage for our models)."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    for i in range(16):
        f = _load(path, i)
        if f is None:
            break
        if " SC" in " ".join(n or "" for n in f.getname()):
            return i
    return 0


def _cjk_candidate(path: Path) -> tuple[str, int] | None:
    index = _best_face(path)
    font = _load(path, index)
    if font is not None and covers(font, _CJK_PROBE):
        return str(path), index
    return None


@lru_cache(maxsize=1)
def find_font() -> tuple[str, int] | None:
    """(path, face index) of the best system font for drawing text, or None (use PIL's default)."""
    env = os.environ.get("LUMENOCR_FONT")
    if env:
        if _load(env) is not None:
            return env, _best_face(Path(env))
        warnings.warn(f"LUMENOCR_FONT={env!r} is not a readable font; searching system fonts", stacklevel=2)
    files = _font_files()
    by_name = {f.name: f for f in files}
    for name in _KNOWN_CJK:
        if name in by_name and (hit := _cjk_candidate(by_name[name])):
            return hit
    # Unknown CJK fonts: try names that hint at CJK first, then everything else.
    hinted = [f for f in files if any(h in f.name.lower() for h in _CJK_NAME_HINTS)]
    for f in hinted + [f for f in files if f not in hinted]:
        if hit := _cjk_candidate(f):
            return hit
    for name in _LATIN:
        if name in by_name and _load(by_name[name]) is not None:
            return str(by_name[name]), 0
    return None


def get_font(size: int, font_path: str | None = None) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A font of ``size`` pixels: ``font_path`` if given, else :func:`find_font`'s choice."""
    if font_path is not None:
        try:
            return _cached_font(str(font_path), _best_face(Path(font_path)), size)
        except OSError:
            from lumenocr.errors import ConfigError

            raise ConfigError(f"cannot load font {font_path!r} (expected a TrueType/OpenType file)") from None
    found = find_font()
    if found is not None:
        return _cached_font(found[0], found[1], size)
    _warn_no_font()
    try:
        return ImageFont.load_default(size)
    except TypeError:  # Pillow < 10.1: a fixed-size bitmap font
        return ImageFont.load_default()


@lru_cache(maxsize=256)
def _cached_font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=size, index=index)


@lru_cache(maxsize=1)
def _warn_no_font() -> None:
    warnings.warn(
        "no TrueType font found in the system font folders: drawing text with PIL's built-in font, "
        "which cannot draw CJK; install fonts-noto-cjk or set LUMENOCR_FONT=/path/to/font.ttf",
        stacklevel=3,
    )
