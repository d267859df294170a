"""Architectures of the published PP-OCR models, as ``model`` config sections.

One home for each shipped architecture: ``lumenocr convert`` builds the model from these to
load a published ONNX file's weights, and the fine-tuning recipes in ``configs/`` repeat the
same ``model`` section (a test keeps them equal).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Preset:
    name: str
    task: str
    model: dict[str, Any]  # the ``model`` section of a training config
    zoo: tuple[str, ...] = ()  # "zoo-name/part" entries this architecture describes

    def model_section(self) -> dict[str, Any]:
        return copy.deepcopy(self.model)


PRESETS: dict[str, Preset] = {}


def _add(p: Preset) -> None:
    PRESETS[p.name] = p


_add(
    Preset(
        "ppocrv6_small_det",
        "det",
        {
            "task": "det",
            "backbone": {
                "name": "RepViTNet",
                "stem_channels": [24, 48],
                "stages": [[48, "10"], [96, "10"], [192, "1010"], [384, "10"]],
            },
            "neck": {"name": "LKRSEFPN", "out_channels": 96, "kernel": 7},
            "head": {"name": "DBHead", "k": 50, "batch_norm": False},
        },
        zoo=("ppocrv6-small/det",),
    )
)
_add(
    Preset(
        "ppocrv6_small_rec",
        "rec",
        {
            "task": "rec",
            "backbone": {
                "name": "RepViTNet",
                "stem_channels": [48, 96],
                "stages": [[96, "100"], [192, "101010"], [384, "10"]],
                "rec_pool": [3, 2],
            },
            "neck": {
                "name": "LiteSVTREncoder",
                "dims": 120,
                "depth": 2,
                "heads": 8,
                "mlp_ratio": 2.0,
                "kernel": 7,
            },
            "head": {"name": "CTCHead"},
        },
        zoo=("ppocrv6-small/rec",),
    )
)


_add(
    Preset(
        "ppocr_mobile_v2_cls",
        "cls",
        {
            "task": "cls",
            "backbone": {"name": "PPMobileNetV3", "scale": 0.35},
            "neck": None,
            "head": {"name": "ClsHead"},
        },
        zoo=("ppocrv6-small/cls", "ppocrv4-mobile/cls"),
    )
)


_add(
    Preset(
        "ppocrv5_mobile_det",
        "det",
        {
            "task": "det",
            "backbone": {"name": "PPLCNetV3", "scale": 0.75},
            "neck": {"name": "LKRSEFPN", "out_channels": 96, "kernel": 0},
            "head": {"name": "DBHead", "k": 50, "batch_norm": True},
        },
        zoo=("ppocrv5-mobile/det",),
    )
)


_add(
    Preset(
        "ppocrv5_mobile_rec",
        "rec",
        {
            "task": "rec",
            "backbone": {"name": "PPLCNetV3", "scale": 0.95},
            "neck": {"name": "SVTREncoder", "dims": 120, "depth": 2, "hidden": 120, "heads": 8, "kernel": 3},
            "head": {"name": "CTCHead"},
        },
        zoo=("ppocrv5-mobile/rec",),
    )
)


def preset_for_zoo(model: str, part: str) -> Preset | None:
    key = f"{model}/{part}"
    return next((p for p in PRESETS.values() if key in p.zoo), None)
