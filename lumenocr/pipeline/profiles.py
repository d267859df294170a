"""Named pipeline profiles: the one home for settings that trade accuracy for speed.

``OCR(profile="fast")`` / ``lumenocr ocr --profile fast`` takes every setting of the profile
that the caller did not give explicitly; an explicit argument always wins
(``OCR(profile="fast", precision="f32")`` is the fast profile in f32). The default profile,
``"accurate"``, changes nothing: the library defaults are the accurate configuration.

Each setting says why it is there and what it was measured to cost; the figures and the
commands that reproduce them are in docs/performance.md ("Profiles").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from lumenocr.errors import ConfigError
from lumenocr.runtime.onnx import RuntimeOptions


@dataclass(frozen=True)
class Profile:
    """Settings a profile gives the pipeline; ``None`` leaves the library default."""

    name: str
    summary: str
    #: ``RuntimeOptions.precision`` (``"auto"``: bf16 on OpenVINO where the CPU computes it
    #: natively, f32 elsewhere).
    precision: str | None = None
    #: The page-orientation stage (90/180/270-degree pages turned upright before detection).
    orientation: bool | None = None
    #: ``RecPreprocess.min_width``: the narrowest recognizer input, short lines padded to it.
    rec_min_width: int | None = None
    #: Detection knobs (``DET_KNOBS``), as ``OCR(**knobs)`` takes them.
    det: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "det", MappingProxyType(dict(self.det)))


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("accurate", "the library defaults: f32 on every engine, pages turned upright, full padding"),
        Profile(
            "fast",
            "bf16 where the CPU computes it natively, no page-orientation pass, less recognizer "
            "padding, a coarser second detection pass on dense pages",
            # bf16 runs the detector ~1.8x and the recognizer ~1.6x faster per call on CPUs
            # with AVX512-BF16 / AMX (RapidOCR's OpenVINO engine runs it there too). Against f32
            # it cost 0.9 point of e2e hmean on the 500 ICDAR 2015 test photos, nothing
            # measurable on forms; ONNX Runtime and CPUs without bf16 stay f32.
            precision="auto",
            # One more model per page (10-15 ms of a ~70 ms scene photo on 2 cores) that only
            # pays on scans lying sideways or upside down: this profile assumes upright pages,
            # as RapidOCR does. Upside-down lines are still turned by the 0/180 classifier.
            orientation=False,
            # Short lines are padded to 160 input columns instead of PP-OCR's 320 (26-47% of
            # the recognizer's columns were that padding): less work for every short word. On
            # all of ICDAR 2015 test / FUNSD / XFUND this lost nothing (e2e +1.5 points on ICDAR).
            rec_min_width=160,
            # Dense pages (page_scale.py) are re-detected at a median line height of 24 instead
            # of 32 network pixels: 0.56x the pixels of that pass (the costliest part of a
            # 300-dpi scan). All 30 XFUND pages: page CER unchanged (9.9%).
            det={"text_height": 24},
        ),
    )
}

DEFAULT_PROFILE = "accurate"


def get_profile(name: str) -> Profile:
    """The profile called ``name``; a :class:`ConfigError` naming the known ones otherwise."""
    try:
        return PROFILES[name]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}") from None


def resolved_precision(profile: str, precision: str | None) -> str:
    """The precision a pipeline with ``profile`` runs at: ``precision`` when given, else the
    profile's, else the library default (``RuntimeOptions.precision``)."""
    return precision or get_profile(profile).precision or RuntimeOptions.precision
