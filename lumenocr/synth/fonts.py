"""Font discovery and per-character coverage.

PIL silently draws a missing-glyph box (or nothing) for characters a font lacks, so coverage
comes from the font's own character map (fontTools reads the ``cmap``). Coverage sets are
cached on disk per (file, face, size, mtime) because parsing a CJK collection takes a second.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from lumenocr.errors import ConfigError
from lumenocr.io.fonts import FONT_SUFFIXES, find_font_files, system_font_dirs  # noqa: F401 (re-exported)


@dataclass(frozen=True, eq=False)  # identity hash: hashing a 40k-char coverage set is slow
class FontFace:
    """One face of a font file (a .ttc collection holds several) and the characters it has."""

    path: str
    index: int
    name: str
    coverage: frozenset[str]

    def covers(self, text: str) -> bool:
        """True when every non-whitespace character of ``text`` has a glyph in this face."""
        cov = self.coverage
        return all(ch in cov or ch.isspace() for ch in text)


def _cache_dir() -> Path:
    from lumenocr.cache import cache_root

    return (cache_root() or Path(tempfile.gettempdir()) / "lumenocr") / "font_coverage"


def _read_faces(path: Path) -> list[tuple[int, str, str]]:
    """(face index, full name, covered characters) of every face in ``path``, via fontTools."""
    from fontTools.ttLib import TTCollection, TTFont

    if path.suffix.lower() in {".ttc", ".otc"}:
        fonts = TTCollection(str(path), lazy=True).fonts
    else:
        fonts = [TTFont(str(path), lazy=True)]
    faces = []
    for i, font in enumerate(fonts):
        cmap = font.getBestCmap() or {}
        # Control characters map to empty glyphs in many fonts; they are never text.
        chars = "".join(chr(c) for c in sorted(cmap) if c >= 0x20 and not 0x7F <= c < 0xA0)
        name = font["name"].getDebugName(4) or font["name"].getDebugName(1) or path.stem
        faces.append((i, str(name), chars))
    return faces


def _faces_cached(path: Path) -> list[tuple[int, str, str]]:
    st = path.stat()
    key = hashlib.sha1(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|v1".encode()).hexdigest()[:20]
    cache = _cache_dir() / f"{key}.json"
    try:
        return [tuple(x) for x in json.loads(cache.read_text(encoding="utf-8"))]
    except (OSError, ValueError):
        pass
    faces = _read_faces(path)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(faces, ensure_ascii=False), encoding="utf-8")
        tmp.replace(cache)
    except OSError:  # read-only home: just recompute next time
        pass
    return faces


def load_faces(
    dirs: Sequence[str] = (),
    use_system: bool = True,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> list[FontFace]:
    """Discover font faces in ``dirs`` (plus system folders) filtered by name substrings.

    Raises :class:`ConfigError` when nothing usable is found, naming what was searched.
    """
    search = [Path(d) for d in dirs] + (system_font_dirs() if use_system else [])
    files = []
    for path in find_font_files(search):
        st = path.stat()
        files.append((str(path), st.st_size, st.st_mtime_ns))
    try:
        return list(_load_faces_cached(tuple(files), tuple(include), tuple(exclude)))
    except ConfigError:
        where = ", ".join(map(str, search)) or "(no folders)"
        raise ConfigError(
            f"no usable fonts found in {where}; install e.g. fonts-dejavu-core fonts-liberation "
            "fonts-noto-cjk or pass a font folder (--fonts DIR)"
        ) from None


@lru_cache(maxsize=8)
def _load_faces_cached(
    files: tuple[tuple[str, int, int], ...], include: tuple[str, ...], exclude: tuple[str, ...]
) -> tuple[FontFace, ...]:
    """Faces of ``files`` (path, size, mtime: the key changes when a folder's fonts change)."""
    faces: list[FontFace] = []
    for name_, _, _ in files:
        path = Path(name_)
        try:
            entries = _faces_cached(path)
        except Exception:  # a broken font file must not stop generation; it is simply not used
            continue
        for index, name, chars in entries:
            label = f"{name} {path.name}"
            if include and not any(s.lower() in label.lower() for s in include):
                continue
            if any(s.lower() in label.lower() for s in exclude):
                continue
            if len(chars) < 10 or not _pil_can_load(str(path), int(index)):
                continue
            faces.append(FontFace(str(path), int(index), name, frozenset(chars)))
    if not faces:
        raise ConfigError("no usable fonts")
    return tuple(faces)


def _pil_can_load(path: str, index: int) -> bool:
    """Some files fontTools reads (bitmap-only, exotic outlines) FreeType cannot draw: skip them
    here rather than fail inside a worker."""
    from PIL import ImageFont

    try:
        ImageFont.truetype(path, size=16, index=index).getbbox("A")
    except (OSError, ValueError):
        return False
    return True


class FontCache:
    """PIL font objects per (face, size). Loading one costs ~0.5 ms but holds 1-3 MB (a CJK
    face more), so the cache is bounded: 160 entries keep a worker under ~400 MB."""

    def __init__(self, maxsize: int = 160):
        self.maxsize = maxsize
        self._get = lru_cache(maxsize=maxsize)(self._load)
        self._widths: dict[tuple[str, int, int], dict[str, float]] = {}

    @staticmethod
    def _load(path: str, index: int, size: int):
        from PIL import ImageFont

        return ImageFont.truetype(path, size=size, index=index)

    def get(self, face: FontFace, size: int):
        return self._get(face.path, face.index, int(size))

    def measurer(self, face: FontFace, size: int):
        """``token -> advance width`` for this face and size, memoised: layout runs once per token."""
        font = self.get(face, size)
        table = self._widths.setdefault((face.path, face.index, int(size)), {})
        if len(self._widths) > 4 * self.maxsize:  # bound memory like the font cache
            self._widths.clear()
            table = self._widths.setdefault((face.path, face.index, int(size)), {})

        def width(token: str) -> float:
            w = table.get(token)
            if w is None:
                w = table[token] = font.getlength(token)
            return w

        return width


# A private-use code point of plane 16: no normal font maps it, so drawing it shows .notdef.
_MISSING = "\U0010fffd"


class GlyphChecker:
    """Second line of defence after the cmap: does the font really draw a glyph for a token?

    Some fonts map code points to empty glyphs or to their missing-glyph box (placeholder and
    "last resort" fonts, half-built user fonts). A token passes when, drawn alone, it leaves ink
    that differs from the face's .notdef drawing. Results are memoised: each (face, token)
    is drawn once per process, and the answer depends on nothing else, so generation stays
    reproducible.
    """

    SIZE = 24

    def __init__(self, cache: FontCache):
        self.cache = cache
        self._ok: dict[tuple[str, int, str], bool] = {}
        self._notdef: dict[tuple[str, int], np.ndarray | None] = {}

    def _draw(self, font, text: str):
        from PIL import Image, ImageDraw

        img = Image.new("L", (3 * self.SIZE, 2 * self.SIZE), 0)
        ImageDraw.Draw(img).text((self.SIZE // 2, self.SIZE // 4), text, font=font, fill=255)
        return np.asarray(img)

    def bad_tokens(self, face: FontFace, tokens) -> list[str]:
        """The tokens of ``tokens`` that ``face`` draws as nothing or as its missing-glyph box."""
        bad = []
        for t in tokens:
            if t.isspace():
                continue
            key = (face.path, face.index, t)
            ok = self._ok.get(key)
            if ok is None:
                font = self.cache.get(face, self.SIZE)
                fkey = (face.path, face.index)
                if fkey not in self._notdef:
                    self._notdef[fkey] = None if _MISSING in face.coverage else self._draw(font, _MISSING)
                glyph = self._draw(font, t)
                notdef = self._notdef[fkey]
                ok = self._ok[key] = bool(glyph.any()) and (
                    notdef is None or not np.array_equal(glyph, notdef)
                )
            if not ok:
                bad.append(t)
        return bad
