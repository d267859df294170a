"""Generated tables with known structure: an image and its ground-truth HTML (for TEDS).

Tables are ruled (every cell boxed) or unruled (only a rule under the header, or none), with a
header row, 3-8 body rows, 2-5 columns, text drawn from words, numbers, dates and prices, and
sometimes a header cell spanning two columns.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw

from lumenocr.vis.fonts import get_font

_WORDS = [
    "name",
    "total",
    "date",
    "price",
    "amount",
    "region",
    "north",
    "south",
    "east",
    "west",
    "item",
    "units",
    "cost",
    "sales",
    "year",
    "quarter",
    "revenue",
    "account",
    "status",
    "open",
    "closed",
    "paid",
    "due",
    "order",
    "shipped",
    "pending",
    "customer",
    "office",
    "product",
    "code",
    "rate",
    "tax",
    "net",
    "gross",
    "balance",
    "notes",
    "report",
    "budget",
    "actual",
    "target",
    "plan",
]


@dataclass
class GeneratedTable:
    image: np.ndarray  # BGR uint8
    html: str  # ground truth, <table> with <thead>/<tbody>, spans and cell text
    n_rows: int
    n_cols: int
    ruled: bool


def _cell_text(rng: np.random.Generator, col: int) -> str:
    kind = rng.random()
    if col == 0 or kind < 0.4:
        n = int(rng.integers(1, 3))
        return " ".join(str(rng.choice(_WORDS)) for _ in range(n)).capitalize()
    if kind < 0.6:
        return str(int(rng.integers(1, 100000)))
    if kind < 0.8:
        return f"{rng.integers(1, 10000)}.{rng.integers(0, 100):02d}"
    return f"20{rng.integers(10, 30)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"


def render_table(rng: np.random.Generator, ruled: bool, font_path: str | None = None) -> GeneratedTable:
    """One table image with its HTML ground truth."""
    n_cols = int(rng.integers(2, 6))
    n_body = int(rng.integers(3, 9))
    size = int(rng.integers(18, 26))
    font = get_font(size, font_path)
    header = [str(rng.choice(_WORDS)).capitalize() for _ in range(n_cols)]
    span_at = int(rng.integers(0, n_cols - 1)) if n_cols >= 3 and rng.random() < 0.3 else -1
    body = [[_cell_text(rng, c) for c in range(n_cols)] for _ in range(n_body)]
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    pad_x, pad_y = int(size * 0.6), int(size * 0.45)
    widths = []
    for c in range(n_cols):
        texts = [row[c] for row in body] + ([] if c in (span_at, span_at + 1) else [header[c]])
        widths.append(int(max(probe.textlength(t, font=font) for t in texts)) + 2 * pad_x)
    if span_at >= 0:  # the spanning header must fit its two columns
        need = int(probe.textlength(header[span_at], font=font)) + 2 * pad_x
        extra = max(0, need - widths[span_at] - widths[span_at + 1])
        widths[span_at] += extra
    row_h = size + 2 * pad_y
    margin = int(size * 1.2)
    w = sum(widths) + 2 * margin
    h = row_h * (n_body + 1) + 2 * margin
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    xs = np.cumsum([margin, *widths])
    ys = [margin + r * row_h for r in range(n_body + 2)]
    ink = (20, 20, 20)
    line = (60, 60, 60)
    if ruled:
        for y in ys:
            draw.line([(xs[0], y), (xs[-1], y)], fill=line, width=1)
        for c, x in enumerate(xs):
            # Inside a spanning header cell there is no vertical rule.
            top = ys[1] if c == span_at + 1 and span_at >= 0 else ys[0]
            draw.line([(x, top), (x, ys[-1])], fill=line, width=1)
    elif rng.random() < 0.6:
        draw.line([(xs[0], ys[1]), (xs[-1], ys[1])], fill=line, width=2)

    def put(text: str, x0: float, x1: float, y0: float, numeric: bool) -> None:
        tw = probe.textlength(text, font=font)
        x = x1 - pad_x - tw if numeric else x0 + pad_x
        draw.text((x, y0 + row_h / 2), text, fill=ink, font=font, anchor="lm")

    head_cells = []
    c = 0
    while c < n_cols:
        if c == span_at:
            put(header[c], xs[c], xs[c + 2], ys[0], False)
            head_cells.append(f'<td colspan="2">{html.escape(header[c])}</td>')
            c += 2
        else:
            put(header[c], xs[c], xs[c + 1], ys[0], False)
            head_cells.append(f"<td>{html.escape(header[c])}</td>")
            c += 1
    body_rows = []
    for r, row in enumerate(body):
        cells = []
        for c, t in enumerate(row):
            put(t, xs[c], xs[c + 1], ys[r + 1], c > 0 and t[:1].isdigit())
            cells.append(f"<td>{html.escape(t)}</td>")
        body_rows.append("<tr>" + "".join(cells) + "</tr>")
    truth = (
        "<table><thead><tr>"
        + "".join(head_cells)
        + "</tr></thead><tbody>"
        + "".join(body_rows)
        + "</tbody></table>"
    )
    bgr = cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)
    return GeneratedTable(np.ascontiguousarray(bgr), truth, n_body + 1, n_cols, ruled)
