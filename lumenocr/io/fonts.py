"""Where font files live: the one font search shared by drawn results and synthetic data."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from lumenocr.errors import InputNotFoundError

FONT_SUFFIXES = frozenset({".ttf", ".otf", ".ttc", ".otc"})


def system_font_dirs() -> list[Path]:
    """Standard font folders of this OS (those that exist)."""
    home = Path.home()
    if sys.platform == "darwin":
        cands = [
            Path("/System/Library/Fonts"),
            Path("/System/Library/Fonts/Supplemental"),
            Path("/Library/Fonts"),
            home / "Library/Fonts",
        ]
    elif sys.platform.startswith("win"):
        windir = Path(os.environ.get("WINDIR", "C:/Windows"))
        cands = [windir / "Fonts", home / "AppData/Local/Microsoft/Windows/Fonts"]
    else:
        cands = [
            Path("/usr/share/fonts"),
            Path("/usr/local/share/fonts"),
            home / ".local/share/fonts",
            home / ".fonts",
        ]
    return [p for p in cands if p.is_dir()]


def find_font_files(dirs: Iterable[str | Path]) -> list[Path]:
    """All font files under ``dirs`` (recursively; a font file may be named directly),
    sorted so results are reproducible. A folder that does not exist is an error."""
    files: set[Path] = set()
    for d in dirs:
        p = Path(d).expanduser()
        if p.is_file() and p.suffix.lower() in FONT_SUFFIXES:
            files.add(p)
            continue
        if not p.is_dir():
            raise InputNotFoundError(f"font folder not found: {p}")
        files.update(f for f in p.rglob("*") if f.suffix.lower() in FONT_SUFFIXES and f.is_file())
    return sorted(files)
