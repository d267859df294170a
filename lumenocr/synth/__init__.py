"""Synthetic OCR training data: recognition lines and detection pages.

Python API::

    from lumenocr.synth import RecSynthConfig, generate_rec, render_line
    report = generate_rec(RecSynthConfig(), count=10_000, out_dir="data/synth_rec", seed=0)
    image, text = render_line()  # one line in memory

Heavy pieces (fonts, PIL) load on first use; importing this package is cheap.
"""

from __future__ import annotations

from lumenocr.synth.config import (
    DetSynthConfig,
    EffectsConfig,
    FontConfig,
    HandwritingConfig,
    RecSynthConfig,
    StyleConfig,
    TextConfig,
    det_config,
    load_config,
    rec_config,
)

__all__ = [
    "DetSynthConfig",
    "EffectsConfig",
    "FontConfig",
    "HandwritingConfig",
    "RecSynthConfig",
    "StyleConfig",
    "TextConfig",
    "det_config",
    "generate_det",
    "generate_rec",
    "load_config",
    "rec_config",
    "render_line",
    "RecSynth",
    "PageSynth",
]


def __getattr__(name: str):
    if name in {"generate_rec", "generate_det"}:
        from lumenocr.synth import generate

        return getattr(generate, name)
    if name in {"render_line", "RecSynth"}:
        from lumenocr.synth import line

        return getattr(line, name)
    if name == "PageSynth":
        from lumenocr.synth.page import PageSynth

        return PageSynth
    raise AttributeError(name)
