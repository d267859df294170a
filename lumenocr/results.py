"""Typed OCR results and their JSON form.

The JSON/JSONL shape is the machine contract of the CLI and the server:
``{"image": str, "page": int | None, "boxes": [{"points": [[x, y], ...], "text": str, "score": float}], "seconds": float}``
Extra keys (``words``) may be present; consumers ignore what they do not know.
Document stages add, beside the flat ``boxes``, the page ``angle`` (0/90/180/270) and ``blocks``
(type, box, reading-order index, the indices of their lines in ``boxes``, and for tables the
cells and HTML).
:meth:`OCRResult.to_dict` is the one serializer of that shape (CLI, server, batch, evaluation).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from lumenocr.errors import ConfigError

#: How ``OCRResult.to_dict`` lists boxes. ``lines``: one box per detected line; ``words``: one
#: box per word (ICDAR/FUNSD granularity); ``nested``: line boxes, each with its ``words`` list.
BOX_MODES = ("lines", "words", "nested")


def _pts(points) -> list[list[float]]:
    return [[round(float(x), 1), round(float(y), 1)] for x, y in points]


@dataclass
class Word:
    """One word of a line, with a box derived from CTC character positions (or, for a word
    detector's one-word line, the detector's box)."""

    text: str
    score: float
    points: list[list[float]]

    def to_dict(self) -> dict:
        return {"text": self.text, "score": round(float(self.score), 5), "points": _pts(self.points)}


@dataclass
class TextLine:
    """A detected text region and its recognised text."""

    points: list[list[float]]  # polygon, clockwise from top-left, image coordinates
    text: str = ""
    score: float = 0.0  # recognition confidence (mean of per-character max probabilities)
    det_score: float = 0.0
    angle: int = 0  # 0 or 180, from the direction classifier
    words: list[Word] | None = None

    def to_dict(self, words: bool = False) -> dict:
        """``{"points", "text", "score"}``, plus ``"words"`` (a list, maybe empty) with ``words``."""
        d: dict = {"points": _pts(self.points), "text": self.text, "score": round(float(self.score), 5)}
        if words:
            d["words"] = [w.to_dict() for w in self.words or []]
        return d


@dataclass
class TableCell:
    """One cell of a table: grid position, spans, box and the text of the lines inside it."""

    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    points: list[list[float]] = field(default_factory=list)  # image coordinates
    text: str = ""
    header: bool = False  # a <thead> cell

    def to_dict(self) -> dict:
        d: dict = {"row": self.row, "col": self.col, "text": self.text, "points": _pts(self.points)}
        if self.rowspan > 1:
            d["rowspan"] = self.rowspan
        if self.colspan > 1:
            d["colspan"] = self.colspan
        if self.header:
            d["header"] = True
        return d


@dataclass
class Table:
    """A table's structure and content."""

    cells: list[TableCell] = field(default_factory=list)
    n_rows: int = 0
    n_cols: int = 0
    html: str = ""  # <table> with row/col spans and cell text

    def to_dict(self) -> dict:
        return {
            "rows": self.n_rows,
            "cols": self.n_cols,
            "html": self.html,
            "cells": [c.to_dict() for c in self.cells],
        }


@dataclass
class Block:
    """A region of a document page (layout class) holding some of its lines.

    ``kind`` is one of text, title, figure, figure_caption, table, table_caption, header,
    footer, reference, equation; ``lines`` are indices into :attr:`OCRResult.lines`.
    """

    kind: str
    points: list[list[float]]  # box polygon, image coordinates
    lines: list[int] = field(default_factory=list)
    order: int = 0  # reading-order index on the page
    score: float = 0.0  # layout detector confidence (1.0 for geometric blocks)
    table: Table | None = None

    def to_dict(self) -> dict:
        d: dict = {
            "type": self.kind,
            "order": self.order,
            "points": _pts(self.points),
            "lines": list(self.lines),
            "score": round(float(self.score), 5),
        }
        if self.table is not None:
            d["table"] = self.table.to_dict()
        return d


@dataclass
class OCRResult:
    """Everything OCR found in one image (or one PDF page), lines in reading order."""

    lines: list[TextLine] = field(default_factory=list)
    image_size: tuple[int, int] = (0, 0)  # (height, width)
    seconds: float = 0.0
    source: str | None = None
    page: int | None = None
    # Reading-order grouping: indices into ``lines`` for each visual row.
    rows: list[list[int]] = field(default_factory=list)
    # Document level (empty unless a document stage ran): blocks in reading order, the page turn.
    blocks: list[Block] = field(default_factory=list)
    angle: int = 0  # how far the page content is turned clockwise in the input (0, 90, 180, 270)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per pipeline stage

    @property
    def text(self) -> str:
        """Plain text in reading order: one visual row per line, items separated by spaces."""
        rows = self.rows or [[i] for i in range(len(self.lines))]
        out = []
        for row in rows:
            parts = [self.lines[i].text for i in row if self.lines[i].text]
            if parts:
                out.append(" ".join(parts))
        return "\n".join(out)

    def __len__(self) -> int:
        return len(self.lines)

    def __iter__(self):
        return iter(self.lines)

    def to_dict(self, boxes: str = "lines", det_only: bool = False) -> dict:
        """The JSON object of this image or page (the machine contract, see the module doc).

        ``boxes``: ``lines`` (one box per line), ``words`` (one per word; a line without word
        boxes stays whole), ``nested`` (line boxes, each with its ``words`` list). With
        ``det_only`` every box has ``"text": ""`` and ``"score"`` is the detection score.
        """
        if boxes not in BOX_MODES:
            raise ConfigError(f"boxes must be one of {', '.join(BOX_MODES)}, got {boxes!r}")
        if det_only:
            items = [
                {"points": _pts(ln.points), "text": "", "score": round(float(ln.det_score), 5)}
                for ln in self.lines
            ]
        elif boxes == "words":
            items = self.word_boxes()
        else:
            items = [ln.to_dict(words=boxes == "nested") for ln in self.lines]
        d = {
            "image": self.source,
            "page": self.page,
            "boxes": items,
            "seconds": round(float(self.seconds), 4),
        }
        d.update(self.document_dict())
        return d

    def document_dict(self) -> dict:
        """The document-level keys (``angle`` when turned, ``blocks`` when any), else ``{}``."""
        d: dict = {}
        if self.angle:
            d["angle"] = self.angle
        if self.blocks:
            d["blocks"] = [b.to_dict() for b in self.blocks]
        return d

    def to_markdown(self) -> str:
        """The page as Markdown: titles as headings, paragraphs, tables as Markdown tables
        (HTML where spans need it); without blocks, the text rows as paragraphs."""
        from lumenocr.document.render import to_markdown

        return to_markdown(self)

    def to_html(self) -> str:
        """The page as an HTML fragment (blocks as headings, paragraphs and tables)."""
        from lumenocr.document.render import to_html

        return to_html(self)

    def word_boxes(self) -> list[dict]:
        """Word-level boxes (``{"points", "text", "score"}``), falling back to the line when no words were computed."""
        out: list[dict] = []
        for ln in self.lines:
            if ln.words:
                out.extend(w.to_dict() for w in ln.words)
            elif ln.text.strip():
                out.append({"points": _pts(ln.points), "text": ln.text, "score": round(float(ln.score), 5)})
        return out

    def to_json(self, boxes: str = "lines", det_only: bool = False, **kw) -> str:
        """:meth:`to_dict` as a JSON string (``kw`` goes to ``json.dumps``)."""
        return json.dumps(self.to_dict(boxes, det_only), ensure_ascii=False, **kw)


@dataclass
class RecResult:
    """A recognised text crop."""

    text: str
    score: float
    # Per-character (start_column, end_column) in the CTC output grid, and the grid width.
    char_spans: list[tuple[int, int]] | None = None
    grid_width: int = 0
    char_scores: list[float] | None = None
