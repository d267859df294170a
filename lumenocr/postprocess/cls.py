"""Direction-classifier post-processing: when a crop counts as upside down."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from lumenocr.errors import ConfigError


@dataclass(frozen=True)
class ClsPostProcess:
    """``thresh``: a crop is turned only when its "180" probability is at least this (PaddleOCR's
    ``cls_thresh``); a high bar because turning a right-way-up line ruins it."""

    name: ClassVar[str] = "cls"

    thresh: float = field(
        default=0.9, metadata={"help": "flip a line when P(180) is at least P", "metavar": "P"}
    )

    def __post_init__(self) -> None:
        if not 0.0 <= self.thresh <= 1.0:
            raise ConfigError(f"cls thresh must be in [0, 1], got {self.thresh}")

    def is_flipped(self, label: str, score: float) -> bool:
        return label == "180" and score >= self.thresh
