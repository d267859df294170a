"""Shared helpers for the synth tests: skip cleanly when this machine has no fonts."""

from __future__ import annotations

import functools

import pytest

from lumenocr.errors import ConfigError


@functools.lru_cache(maxsize=1)
def _faces():
    from lumenocr.synth.fonts import load_faces

    try:
        return load_faces((), True, (), ("Math", "CJK JP", "CJK KR", "CJK HK"))
    except ConfigError:
        return []


def need_fonts(cjk: bool = False):
    """Skip the test unless system fonts (and, with ``cjk``, a Chinese font) are installed."""
    faces = _faces()
    if not faces:
        pytest.skip("no system fonts (install fonts-dejavu-core fonts-liberation fonts-noto-cjk)")
    if cjk and not any("中" in f.coverage for f in faces):
        pytest.skip("no Chinese font (install fonts-noto-cjk)")
    return faces
