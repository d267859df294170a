"""Tables: SLANet-plus structure prediction (pre/post-processing in numpy/OpenCV) and cells
filled with the OCR text that lies inside them.

The network reads the table crop resized so its longer side is 488, ImageNet-normalised and
zero-padded (after normalisation) to 488 x 488. It emits, step by step, a structure token
(``<tr>``, ``<td></td>``, ``<td`` + `` colspan="n"`` + ``>``, ...; the vocabulary is in the
file's metadata, with ``sos`` before and ``eos`` after it) and, for every cell token, the
cell's four corners normalised by the padded square's side (measured: normalising by the
unpadded height squeezes the rows of wide tables towards the top).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np

from lumenocr.document.models import MultiOutputEngine, load_doc_model
from lumenocr.errors import ModelError
from lumenocr.results import Table, TableCell, TextLine
from lumenocr.runtime.onnx import RuntimeOptions

_CELL_TOKENS = ("<td></td>", "<td", "<td>")
_SPAN = re.compile(r'\s*(colspan|rowspan)="(\d+)"')


@dataclass
class TableStructure:
    """What the structure model said: tokens and one quad per cell (crop pixels)."""

    tokens: list[str]
    cell_boxes: list[np.ndarray]  # (4, 2) each, in the order of the cell tokens
    score: float  # mean probability of the tokens read


class TableRecognizer:
    """Predicts a table's structure from its image. Thread-safe."""

    def __init__(self, engine: MultiOutputEngine, settings: dict):
        self.engine = engine
        self.max_side = int(settings.get("max_side", 488))
        self.mean = np.asarray(settings.get("mean", [0.485, 0.456, 0.406]), np.float32)
        self.std = np.asarray(settings.get("std", [0.229, 0.224, 0.225]), np.float32)
        vocab = list(engine.labels or [])
        if not vocab:
            raise ModelError(f"{engine.name} carries no structure vocabulary in its metadata")
        if "<td></td>" not in vocab:
            vocab.append("<td></td>")
        self.vocab = ["sos", *[t for t in vocab if t != "<td>"], "eos"]

    @classmethod
    def from_zoo(cls, ref: str = "slanet-plus", runtime: RuntimeOptions | None = None) -> TableRecognizer:
        engine, spec = load_doc_model(ref, "table", runtime)
        return cls(engine, spec.settings)

    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
        h, w = image.shape[:2]
        r = self.max_side / max(h, w)
        rh, rw = max(1, int(h * r)), max(1, int(w * r))
        x = cv2.resize(image, (rw, rh)).astype(np.float32) * np.float32(1 / 255)
        x = (x - self.mean) / self.std
        pad = np.zeros((self.max_side, self.max_side, 3), np.float32)
        pad[:rh, :rw] = x
        return pad.transpose(2, 0, 1)[None], (h, w)

    def decode(self, outputs: list[np.ndarray], size: tuple[int, int]) -> TableStructure:
        if len(outputs) < 2:
            raise ModelError(f"{self.engine.name}: expected box and structure outputs, got {len(outputs)}")
        loc, probs = np.asarray(outputs[0])[0], np.asarray(outputs[1])[0]
        if probs.ndim != 2 or probs.shape[1] != len(self.vocab) or loc.shape[-1] != 8:
            raise ModelError(f"{self.engine.name}: unexpected output shapes {loc.shape}, {probs.shape}")
        side = max(size)  # the padded square, in crop pixels
        ids, best = probs.argmax(axis=1), probs.max(axis=1)
        tokens: list[str] = []
        boxes: list[np.ndarray] = []
        scores: list[float] = []
        eos = len(self.vocab) - 1
        for step, k in enumerate(ids):
            k = int(k)
            if k == eos and step > 0:
                break
            if k in (0, eos):
                continue
            tok = self.vocab[k]
            tokens.append(tok)
            scores.append(float(best[step]))
            if tok in _CELL_TOKENS:
                b = loc[step].astype(np.float64).reshape(4, 2) * side
                boxes.append(b)
        return TableStructure(tokens, boxes, float(np.mean(scores)) if scores else 0.0)

    def __call__(self, image: np.ndarray) -> TableStructure:
        """Structure of the table in ``image`` (BGR uint8); cell boxes in ``image`` pixels.

        Blank margins are trimmed first (to 8 px around the ink): the model was trained on
        tight crops and invents empty title and footer rows in wide margins."""
        x0, y0, crop = trim_margins(image)
        x, size = self.preprocess(crop)
        st = self.decode(self.engine(x), size)
        st.cell_boxes = [b + [x0, y0] for b in st.cell_boxes]
        return st


def trim_margins(image: np.ndarray, pad: int = 8, level: int = 40) -> tuple[int, int, np.ndarray]:
    """(x0, y0, crop): ``image`` cut to the box around everything darker than its background
    by ``level`` grey levels, plus ``pad``; the whole image when nothing stands out."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    background = float(np.median(gray))
    ys, xs = np.nonzero(np.abs(gray.astype(np.int16) - background) > level)
    if len(xs) == 0:
        return 0, 0, image
    h, w = gray.shape
    x0, y0 = max(int(xs.min()) - pad, 0), max(int(ys.min()) - pad, 0)
    x1, y1 = min(int(xs.max()) + pad + 1, w), min(int(ys.max()) + pad + 1, h)
    return x0, y0, image[y0:y1, x0:x1]


def parse_structure(tokens: list[str]) -> tuple[list[TableCell], int, int]:
    """Cells with grid positions and spans from structure tokens (cell boxes not set).

    Malformed sequences (a cell outside a row, unclosed tags) are read as leniently as
    possible: every cell token becomes a cell.
    """
    cells: list[TableCell] = []
    taken: set[tuple[int, int]] = set()
    row = -1
    col = 0
    in_head = False
    pending: TableCell | None = None
    for tok in tokens:
        if tok == "<thead>":
            in_head = True
        elif tok == "</thead>":
            in_head = False
        elif tok == "<tr>" or (tok in _CELL_TOKENS and row < 0):
            row += 1
            col = 0
        if tok in ("<td></td>", "<td>", "<td"):
            while (row, col) in taken:
                col += 1
            pending = TableCell(row, col, header=in_head)
            if tok != "<td":
                _place(pending, taken)
                cells.append(pending)
                col += 1
                pending = None
        elif pending is not None:
            m = _SPAN.match(tok)
            if m:
                n = max(1, min(int(m.group(2)), 50))
                if m.group(1) == "colspan":
                    pending.colspan = n
                else:
                    pending.rowspan = n
            elif tok in (">", "</td>"):
                _place(pending, taken)
                cells.append(pending)
                col += pending.colspan
                pending = None
    if pending is not None:
        _place(pending, taken)
        cells.append(pending)
    n_rows = max((c.row + c.rowspan for c in cells), default=0)
    n_cols = max((c.col + c.colspan for c in cells), default=0)
    return cells, n_rows, n_cols


def _place(cell: TableCell, taken: set[tuple[int, int]]) -> None:
    for r in range(cell.row, cell.row + cell.rowspan):
        for c in range(cell.col, cell.col + cell.colspan):
            taken.add((r, c))


def _frac_in(boxes: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Share of the box around ``pts`` that lies inside each of ``boxes`` (N x 4)."""
    x0, y0 = pts.min(0)
    x1, y1 = pts.max(0)
    area = max((x1 - x0) * (y1 - y0), 1e-6)
    ix = np.clip(np.minimum(x1, boxes[:, 2]) - np.maximum(x0, boxes[:, 0]), 0, None)
    iy = np.clip(np.minimum(y1, boxes[:, 3]) - np.maximum(y0, boxes[:, 1]), 0, None)
    return ix * iy / area


def _pieces(lines: list[TextLine], boxes: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Text pieces to place in cells: a line that lies in one cell whole, else its words (a
    detected line can run across the cells of an unruled table; its words do not)."""
    out: list[tuple[str, np.ndarray]] = []
    for ln in lines:
        pts = np.asarray(ln.points, np.float64).reshape(-1, 2)
        if ln.words and len(ln.words) > 1 and _frac_in(boxes, pts).max() < 0.75:
            out.extend((w.text, np.asarray(w.points, np.float64).reshape(-1, 2)) for w in ln.words if w.text)
        elif ln.text:
            out.append((ln.text, pts))
    return out


def _join(parts: list[str]) -> str:
    """Pieces joined by spaces, except between two CJK characters (no spaces in CJK text)."""
    from lumenocr.pipeline.words import _is_cjk as is_cjk

    out = ""
    for t in parts:
        if out and not (is_cjk(out[-1]) and is_cjk(t[0])):
            out += " "
        out += t
    return out


def fill_cells(cells: list[TableCell], lines: list[TextLine]) -> None:
    """Put each piece of text into the cell holding most of it (the nearest cell centre when
    none holds a third of it). Cell ``points`` must be set."""
    if not cells:
        return
    boxes = np.array([[*np.min(c.points, 0), *np.max(c.points, 0)] for c in cells], np.float64)
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    placed: list[list[tuple[float, float, str]]] = [[] for _ in cells]
    for text, pts in _pieces(lines, boxes):
        frac = _frac_in(boxes, pts)
        k = int(frac.argmax())
        (x0, y0), (x1, y1) = pts.min(0), pts.max(0)
        if frac[k] < 1 / 3:
            k = int(np.linalg.norm(centres - [(x0 + x1) / 2, (y0 + y1) / 2], axis=1).argmin())
        placed[k].append(((y0 + y1) / 2, x0, text))
    for cell, items in zip(cells, placed):
        cell.text = _join([t for _, _, t in _cell_order(items)]).strip()


def _cell_order(items: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Pieces of one cell in reading order: rows (centres within a few pixels), left to right."""
    rows: list[list[tuple[float, float, str]]] = []
    for it in sorted(items):
        if rows and abs(it[0] - rows[-1][0][0]) < 6:
            rows[-1].append(it)
        else:
            rows.append([it])
    return [it for r in rows for it in sorted(r, key=lambda t: t[1])]


def _drop_empty_edge_rows(cells: list[TableCell], n_rows: int) -> tuple[list[TableCell], int]:
    """Drop leading and trailing rows that received no text (the structure model sometimes adds
    an empty title or closing row); rows between stay, as do rows a span reaches into."""

    def empty(r: int) -> bool:
        touching = [c for c in cells if c.row <= r < c.row + c.rowspan]
        return all(c.row == r and c.rowspan == 1 and not c.text for c in touching)

    top = 0
    while top < n_rows and empty(top):
        top += 1
    bottom = n_rows
    while bottom > top and empty(bottom - 1):
        bottom -= 1
    if top == 0 and bottom == n_rows:
        return cells, n_rows
    kept = [c for c in cells if top <= c.row < bottom]
    for c in kept:
        c.row -= top
    return kept, bottom - top


def build_table(structure: TableStructure, lines: list[TextLine], offset: tuple[float, float]) -> Table:
    """A :class:`Table` from a predicted structure, with cell boxes moved by ``offset`` (the
    crop's origin on the page) and filled with ``lines`` (page coordinates)."""
    from lumenocr.document.render import table_html

    cells, n_rows, n_cols = parse_structure(structure.tokens)
    ox, oy = offset
    for cell, box in zip(cells, structure.cell_boxes):
        cell.points = (box + [ox, oy]).tolist()
    cells = [c for c in cells if c.points]  # a cell token without a box cannot hold text
    fill_cells(cells, lines)
    cells, n_rows = _drop_empty_edge_rows(cells, n_rows)
    table = Table(cells, n_rows, n_cols)
    table.html = table_html(table)
    return table


class TableStage:
    """Reads the structure of every table block and fills its cells with the block's text.

    Runs after the layout stage. A table the model cannot read (no cells) stays a table
    block with its lines as text, so nothing read is lost.
    """

    name = "tables"

    def __init__(self, recognizer: TableRecognizer, min_side: int = 16):
        self.recognizer = recognizer
        self.min_side = min_side

    def __call__(self, page) -> None:
        h, w = page.image.shape[:2]
        for block in page.blocks:
            if block.kind != "table":
                continue
            pts = np.asarray(block.points, np.float64)
            # A little context around the region: its boxes are often tight on the rules.
            pad = 4
            x0, y0 = np.maximum(np.floor(pts.min(0)) - pad, 0).astype(int)
            x1, y1 = np.minimum(np.ceil(pts.max(0)) + pad, [w, h]).astype(int)
            if x1 - x0 < self.min_side or y1 - y0 < self.min_side:
                continue
            structure = self.recognizer(page.image[y0:y1, x0:x1])
            lines = [page.lines[i] for i in block.lines]
            table = build_table(structure, lines, (float(x0), float(y0)))
            if table.cells:
                block.table = table
