"""Render an OCR result as Markdown or HTML.

With blocks (a document stage ran) titles become headings, tables become tables, headers
and footers are kept apart from the body; without blocks every visual row is a paragraph line.
"""

from __future__ import annotations

import html

from lumenocr.results import Block, OCRResult, Table

#: Block kinds left out of the body text flow but still rendered (marked as such).
MARGINAL = ("header", "footer")


def _row_texts(result: OCRResult, indices: list[int] | None = None) -> list[str]:
    """Visual rows (joined by spaces) restricted to ``indices`` of ``result.lines``."""
    rows = result.rows or [[i] for i in range(len(result.lines))]
    keep = None if indices is None else set(indices)
    out = []
    for row in rows:
        parts = [result.lines[i].text for i in row if (keep is None or i in keep) and result.lines[i].text]
        if parts:
            out.append(" ".join(parts))
    return out


def block_text(result: OCRResult, block: Block, sep: str = "\n") -> str:
    return sep.join(_row_texts(result, block.lines))


def _md_escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def table_grid(table: Table) -> list[list[str]] | None:
    """The table as a rectangular grid of cell texts, or None when a span makes that lossy."""
    if any(c.rowspan > 1 or c.colspan > 1 for c in table.cells) or table.n_rows == 0 or table.n_cols == 0:
        return None
    grid = [["" for _ in range(table.n_cols)] for _ in range(table.n_rows)]
    for c in table.cells:
        if 0 <= c.row < table.n_rows and 0 <= c.col < table.n_cols:
            grid[c.row][c.col] = c.text
    return grid


def table_markdown(table: Table) -> str:
    """A Markdown (GFM) table; tables with row/col spans fall back to their HTML, which
    Markdown renderers display as is."""
    grid = table_grid(table)
    if grid is None:
        return table.html
    head, body = grid[0], grid[1:]
    lines = ["| " + " | ".join(_md_escape_cell(t) for t in head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(_md_escape_cell(t) for t in row) + " |" for row in body]
    return "\n".join(lines)


def table_html(table: Table) -> str:
    """HTML of a table from its cells (``<thead>`` for header cells, spans kept)."""
    rows: dict[int, list] = {}
    for c in sorted(table.cells, key=lambda c: (c.row, c.col)):
        rows.setdefault(c.row, []).append(c)
    head = [r for r in sorted(rows) if rows[r] and all(c.header for c in rows[r])]
    parts = ["<table>"]
    for section, keys in (("thead", head), ("tbody", [r for r in sorted(rows) if r not in head])):
        if not keys:
            continue
        parts.append(f"<{section}>")
        for r in keys:
            parts.append("<tr>")
            for c in rows[r]:
                tag = "th" if c.header else "td"
                span = (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "") + (
                    f' colspan="{c.colspan}"' if c.colspan > 1 else ""
                )
                parts.append(f"<{tag}{span}>{html.escape(c.text)}</{tag}>")
            parts.append("</tr>")
        parts.append(f"</{section}>")
    parts.append("</table>")
    return "".join(parts)


def to_markdown(result: OCRResult) -> str:
    """The page as Markdown (see the module docstring)."""
    if not result.blocks:
        return "\n\n".join(_row_texts(result)) + ("\n" if result.lines else "")
    out: list[str] = []
    for b in sorted(result.blocks, key=lambda b: b.order):
        if b.kind == "table" and b.table is not None:
            out.append(table_markdown(b.table))
            continue
        text = block_text(result, b, " " if b.kind in ("title", "header", "footer") else "\n")
        if not text:
            continue
        if b.kind == "title":
            out.append("## " + text)
        elif b.kind in MARGINAL:
            out.append(f"<!-- {b.kind} -->\n{text}")
        elif b.kind == "equation":
            out.append(f"$${text}$$")
        elif b.kind in ("figure_caption", "table_caption"):
            out.append(f"*{text}*")
        elif b.kind == "figure":
            out.append(f"<!-- figure -->\n{text}")
        else:
            out.append(text.replace("\n", "  \n"))
    return "\n\n".join(out) + ("\n" if out else "")


_HTML_TAG = {
    "title": "h2",
    "header": "header",
    "footer": "footer",
    "figure_caption": "figcaption",
    "table_caption": "p",
    "equation": "p",
    "reference": "p",
    "figure": "figure",
}


def to_html(result: OCRResult) -> str:
    """The page as an HTML fragment (``<section>``), blocks in reading order."""
    out = ["<section>"]
    if not result.blocks:
        out += [f"<p>{html.escape(t)}</p>" for t in _row_texts(result)]
    for b in sorted(result.blocks, key=lambda b: b.order):
        if b.kind == "table" and b.table is not None:
            out.append(b.table.html or table_html(b.table))
            continue
        rows = _row_texts(result, b.lines)
        if not rows:
            continue
        tag = _HTML_TAG.get(b.kind, "p")
        body = "<br>".join(html.escape(t) for t in rows)
        out.append(f'<{tag} class="{b.kind}">{body}</{tag}>')
    out.append("</section>")
    return "\n".join(out) + "\n"
