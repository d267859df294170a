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


class DetectionOptions(_Strict):
    """Detection knobs (``lumenocr ocr --help``, "detection"); unset: the model's defaults."""

    limit_side_len: int | None = Field(
        None, ge=32, le=4000, description="resize so the limited side is this (960)"
    )
    limit_type: Literal["max", "min"] | None = Field(
        None, description="max: shrink the longer side; min: enlarge the shorter"
    )
    thresh: float | None = Field(None, ge=0, le=1, description="pixel threshold on the probability map (0.3)")
    box_thresh: float | None = Field(
        None, ge=0, le=1, description="minimum mean probability inside a box (0.6)"
    )
    unclip_ratio: float | None = Field(
        None, gt=0, le=10, description="how far boxes grow from the text kernel (1.5)"
    )
    max_candidates: int | None = Field(
        None, ge=1, le=10000, description="most boxes considered per image (1000)"
    )
    score_mode: Literal["fast", "slow"] | None = Field(
        None, description="box score over its rectangle or contour"
    )
    use_dilation: bool | None = Field(None, description="dilate the text map (joins broken strokes)")
    box_type: Literal["quad", "poly"] | None = Field(
        None, description="quadrilaterals, or polygons for curved text"
    )

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
