"""Request options: the CLI's knobs as typed, validated request fields.

The names are the CLI's long options with ``_`` for ``-`` (``--box-thresh`` -> ``box_thresh``;
``--no-cls`` -> ``cls: false``; ``--words`` / ``--nested-words`` -> ``boxes``). Unknown fields
are refused (a typo must not be silently ignored). Defaults come from the model, so a field
left out means "what ``lumenocr ocr`` would do".
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lumenocr.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _help(knob: str) -> str:
    """A detection knob's help and the default model's value, from the settings dataclasses
    (the one definition the CLI's options use too); the bounds below are the server's caps."""
    from lumenocr.pipeline.det import detection_help

    return detection_help()[knob]


class DetectionOptions(_Strict):
    """Detection knobs (``lumenocr ocr --help``, "detection"); unset: the model's defaults.
    The field names are the CLI's (``DET_OPTIONS``, derived from the settings dataclasses)."""

    limit_side_len: int | None = Field(None, ge=32, le=4000, description=_help("limit_side_len"))
    limit_type: Literal["max", "min"] | None = Field(None, description=_help("limit_type"))
    thresh: float | None = Field(None, ge=0, le=1, description=_help("thresh"))
    box_thresh: float | None = Field(None, ge=0, le=1, description=_help("box_thresh"))
    unclip_ratio: float | None = Field(None, gt=0, le=10, description=_help("unclip_ratio"))
    max_candidates: int | None = Field(None, ge=1, le=10000, description=_help("max_candidates"))
    score_mode: Literal["fast", "slow"] | None = Field(None, description=_help("score_mode"))
    use_dilation: bool | None = Field(None, description=_help("use_dilation"))
    box_type: Literal["quad", "poly"] | None = Field(None, description=_help("box_type"))

    def det_knobs(self) -> dict:
        return {
            name: getattr(self, name)
            for name in DetectionOptions.model_fields
            if getattr(self, name) is not None
        }


class PageOptions(BaseModel):
    """Which pages of a PDF/TIFF to read, and how PDFs are rendered."""

    pages: str | None = Field(
        None,
        max_length=200,
        description="1-based pages, e.g. '1-3,5' (default: all, up to the server's page cap)",
    )
    pdf_dpi: int | None = Field(
        None, ge=36, le=600, description="PDF rendering resolution (server default 200)"
    )

    @field_validator("pages")
    @classmethod
    def _pages(cls, v: str | None) -> str | None:
        if v is not None:
            from lumenocr.io.image import parse_page_spec

            try:
                parse_page_spec(v)
            except ConfigError as e:
                raise ValueError(str(e)) from None
        return v


class OCROptions(DetectionOptions, PageOptions):
    """Options of ``POST /v1/ocr``."""

    boxes: Literal["lines", "words", "nested"] = Field(
        "lines", description="line boxes, word boxes, or lines with their words"
    )
    cls: bool = Field(True, description="run the 0/180 direction classifier (CLI: --no-cls turns it off)")
    text_score: float | None = Field(
        None, ge=0, le=1, description="drop lines whose recognition score is lower (0.5)"
    )
    page_image: bool = Field(
        False, description="add each page as a JPEG data URL under 'page_image' (used by the web page)"
    )


class DetOptions(DetectionOptions, PageOptions):
    """Options of ``POST /v1/det``."""


class CropOptions(_Strict):
    """Options of ``POST /v1/rec`` and ``POST /v1/cls`` (each input is one text-line crop)."""
