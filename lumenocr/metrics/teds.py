"""TEDS: tree-edit-distance similarity of two tables' HTML (the PubTabNet metric).

``TEDS(a, b) = 1 - EditDistance(a, b) / max(|a|, |b|)`` over the trees of ``<table>`` HTML,
where ``|t|`` counts nodes. Inserting or deleting a node costs 1; renaming costs 1 when the
tags differ or two cells' ``colspan``/``rowspan`` differ, and otherwise, for two cells, the
normalised edit distance of their texts. ``structure_only`` ignores cell text (TEDS-S).
The tree edit distance itself comes from ``apted`` (APTED, Pawlik & Augsten).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from lumenocr.metrics.text import edit_distance


@dataclass
class TableNode:
    tag: str
    colspan: int = 1
    rowspan: int = 1
    text: str = ""
    children: list[TableNode] = field(default_factory=list)

    def size(self) -> int:
        return 1 + sum(c.size() for c in self.children)


class _TreeBuilder(HTMLParser):
    KEEP = {"table", "thead", "tbody", "tr", "td", "th"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: TableNode | None = None
        self.stack: list[TableNode] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag not in self.KEEP:
            return
        a = dict(attrs)
        node = TableNode("td" if tag == "th" else tag, _int(a.get("colspan")), _int(a.get("rowspan")))
        if self.stack:
            self.stack[-1].children.append(node)
        elif self.root is None:
            self.root = node
        else:
            return  # a second top-level table: only the first is compared
        self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        tag = "td" if tag == "th" else tag
        if tag not in self.KEEP:
            return
        # Close up to the matching open tag (lenient with unclosed cells/rows).
        for k in range(len(self.stack) - 1, -1, -1):
            if self.stack[k].tag == tag:
                del self.stack[k:]
                break

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1].tag == "td":
            self.stack[-1].text += data


def _int(v) -> int:
    try:
        return max(1, int(v))
    except (TypeError, ValueError):
        return 1


def parse_table_html(html: str) -> TableNode:
    """The tree of the first ``<table>`` in ``html`` (an empty table when there is none).

    ``<thead>``/``<tbody>`` are dropped so that a header row marked or not compares alike
    (lumenocr's generated ground truth and models disagree on it less than on content)."""
    b = _TreeBuilder()
    b.feed(html)
    b.close()
    root = b.root or TableNode("table")
    rows: list[TableNode] = []
    for c in root.children:
        rows.extend(c.children if c.tag in ("thead", "tbody") else [c])
    for r in rows:
        for cell in r.children:
            cell.text = " ".join(cell.text.split())
    return TableNode("table", children=[r for r in rows if r.tag == "tr"])


def teds(pred_html: str, true_html: str, structure_only: bool = False) -> float:
    """TEDS similarity in [0, 1] between a predicted and a ground-truth table."""
    from apted import APTED, Config

    class _Cost(Config):
        def rename(self, a: TableNode, b: TableNode) -> float:
            if a.tag != b.tag or a.colspan != b.colspan or a.rowspan != b.rowspan:
                return 1.0
            if a.tag == "td" and not structure_only:
                if not a.text and not b.text:
                    return 0.0
                return edit_distance(a.text, b.text) / max(len(a.text), len(b.text))
            return 0.0

        def children(self, node: TableNode) -> list[TableNode]:
            return node.children

    pred, true = parse_table_html(pred_html), parse_table_html(true_html)
    n = max(pred.size(), true.size())
    dist = APTED(pred, true, _Cost()).compute_edit_distance()
    return max(0.0, 1.0 - float(dist) / n)
