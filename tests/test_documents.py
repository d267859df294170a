"""Document stages: blocks and column reading order, vertical text, tables (structure, cells,
TEDS), Markdown/HTML, page orientation, and bad input that must still give a valid result."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lumenocr.document.blocks import build_blocks, xy_cut
from lumenocr.document.pipeline import DocumentOptions
from lumenocr.document.table import build_table, fill_cells, parse_structure
from lumenocr.errors import ConfigError, ModelNotFoundError
from lumenocr.metrics.teds import teds
from lumenocr.postprocess.order import reading_order
from lumenocr.results import Block, OCRResult, Table, TableCell, TextLine, Word


def rect(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def line(x0, y0, x1, y1, text="word word word word"):
    return TextLine(rect(x0, y0, x1, y1), text, 0.9, 0.9)


# --- blocks and reading order ------------------------------------------------------------------
def two_column_page():
    """Header, full-width title, two columns of 4 lines (aligned rows), footer; names in order."""
    lines, names = [line(50, 10, 200, 26, "Running header")], ["header"]
    lines.append(line(100, 60, 700, 90, "A title across both columns"))
    names.append("title")
    for col, x in enumerate((50, 420)):
        for k in range(4):
            lines.append(line(x, 120 + 30 * k, x + 330, 140 + 30 * k))
            names.append(f"c{col}l{k}")
    lines.append(line(600, 975, 750, 990, "page 3"))
    names.append("footer")
    return lines, names


def test_blocks_read_column_by_column_with_header_and_footer_apart():
    lines, names = two_column_page()
    perm = np.random.default_rng(0).permutation(len(lines))
    order, rows, blocks = build_blocks([lines[i] for i in perm], (1000, 800))
    got = [names[perm[i]] for i in order]
    assert got == names
    kinds = [b.kind for b in blocks]
    assert kinds[0] == "header" and kinds[-1] == "footer"
    assert [b.order for b in blocks] == list(range(len(blocks)))
    assert sorted(i for b in blocks for i in b.lines) == list(range(len(lines)))
    # Rows within blocks: the columns' aligned lines are NOT joined across the gutter.
    assert all(len(r) == 1 for r in rows)


def test_today_row_order_reads_across_the_columns():
    lines, names = two_column_page()
    order, _ = reading_order([np.asarray(ln.points, float) for ln in lines])
    assert [names[i] for i in order][2:4] == ["c0l0", "c1l0"]


def test_layout_regions_group_lines_and_table_prose_check():
    from lumenocr.document.layout import Region

    lines, names = two_column_page()
    regions = [Region("title", (90, 55, 710, 95), 0.9), Region("table", (40, 110, 390, 240), 0.8)]
    order, _, blocks = build_blocks(lines, (1000, 800), regions)
    by_kind = {b.kind: b for b in blocks}
    assert "title" in by_kind and len(by_kind["title"].lines) == 1
    # Four-word lines are prose: the "table" region becomes a text block, still one block.
    assert "table" not in by_kind
    assert [names[i] for i in order] == names


def test_a_title_region_of_many_lines_is_body_text():
    from lumenocr.document.layout import Region

    lines = [line(50, 40 * k, 600, 40 * k + 20) for k in range(5)]
    _, _, blocks = build_blocks(lines, (300, 700), [Region("title", (40, 0, 610, 190), 0.9)])
    assert [b.kind for b in blocks] == ["text"]
    _, _, blocks = build_blocks(lines[:1], (300, 700), [Region("title", (40, 0, 610, 30), 0.9)])
    assert [b.kind for b in blocks] == ["title"]


def test_xy_cut_word_gaps_are_not_gutters():
    # One row of words with gaps smaller than the minimum gutter stays one column.
    boxes = np.array([[0, 0, 40, 20], [50, 0, 90, 20], [100, 0, 140, 20]], float)
    paths = {p for _, p in xy_cut(boxes, min_x_gap=20)}
    assert paths == {()}


def test_empty_page_gives_no_blocks():
    assert build_blocks([], (100, 100)) == ([], [], [])


# --- vertical text -------------------------------------------------------------------------------
def test_vertical_columns_right_to_left_each_its_own_row():
    title = rect(100, 10, 400, 40)
    cols = [rect(400 - 60 * k, 60, 430 - 60 * k, 300) for k in range(4)]  # first printed rightmost
    side = rect(20, 150, 150, 180)  # a horizontal line level with the columns' middle
    polys = [side, cols[2], title, cols[0], cols[3], cols[1]]
    vertical = [False, True, False, True, True, True]
    order, rows = reading_order([np.asarray(p, float) for p in polys], vertical=vertical)
    assert order == [2, 3, 5, 1, 4, 0]
    assert all(len(r) == 1 for r in rows)  # the side line is not merged into a column's row


# --- tables ----------------------------------------------------------------------------------------
def test_parse_structure_with_spans():
    tokens = [
        "<thead>",
        "<tr>",
        "<td",
        ' colspan="2"',
        ">",
        "</td>",
        "<td></td>",
        "</tr>",
        "</thead>",
        "<tbody>",
        "<tr>",
        "<td",
        ' rowspan="2"',
        ">",
        "</td>",
        "<td></td>",
        "<td></td>",
        "</tr>",
        "<tr>",
        "<td></td>",
        "<td></td>",
        "</tr>",
        "</tbody>",
    ]
    cells, n_rows, n_cols = parse_structure(tokens)
    assert (n_rows, n_cols) == (3, 3)
    pos = [(c.row, c.col, c.rowspan, c.colspan, c.header) for c in cells]
    assert pos == [
        (0, 0, 1, 2, True),
        (0, 2, 1, 1, True),
        (1, 0, 2, 1, False),
        (1, 1, 1, 1, False),
        (1, 2, 1, 1, False),
        (2, 1, 1, 1, False),
        (2, 2, 1, 1, False),
    ]


def test_parse_structure_of_garbage_does_not_crash():
    for tokens in ([], [">", "</td>", "</tr>"], ["<td"], [' colspan="99"', "<td", ' rowspan="x"']):
        cells, n_rows, n_cols = parse_structure(tokens)
        assert n_rows >= 0 and n_cols >= 0 and len(cells) == tokens.count("<td")


def test_fill_cells_splits_a_line_running_across_cells_by_its_words():
    cells = [TableCell(0, 0, points=rect(0, 0, 100, 30)), TableCell(0, 1, points=rect(100, 0, 200, 30))]
    words = [Word("Tax", 0.9, rect(10, 5, 40, 25)), Word("42.50", 0.9, rect(120, 5, 170, 25))]
    fill_cells(cells, [TextLine(rect(10, 5, 170, 25), "Tax 42.50", 0.9, 0.9, 0, words)])
    assert [c.text for c in cells] == ["Tax", "42.50"]


def test_markdown_and_html_of_tables():
    grid = Table([TableCell(r, c, text=f"{r}{c}", header=r == 0) for r in range(2) for c in range(2)], 2, 2)
    from lumenocr.document.render import table_html, table_markdown

    assert table_markdown(grid) == "| 00 | 01 |\n| --- | --- |\n| 10 | 11 |"
    grid.html = table_html(grid)
    assert grid.html.startswith("<table><thead><tr><th>00</th>")
    spanned = Table([TableCell(0, 0, colspan=2, text="a|b")], 1, 2)
    spanned.html = table_html(spanned)
    assert table_markdown(spanned) == '<table><tbody><tr><td colspan="2">a|b</td></tr></tbody></table>'
    res = OCRResult(
        [line(0, 0, 10, 10, "Heading"), line(0, 20, 10, 30, "x")],
        (40, 40),
        rows=[[0], [1]],
        blocks=[
            Block("title", rect(0, 0, 10, 10), [0], 0),
            Block("table", rect(0, 20, 10, 30), [1], 1, table=grid),
        ],
    )
    assert res.to_markdown() == "## Heading\n\n| 00 | 01 |\n| --- | --- |\n| 10 | 11 |\n"
    assert '<h2 class="title">Heading</h2>' in res.to_html() and "<table>" in res.to_html()
    d = json.loads(res.to_json())
    assert d["blocks"][1]["table"]["cells"][0] == {
        "row": 0,
        "col": 0,
        "text": "00",
        "points": [],
        "header": True,
    }


def test_teds():
    a = "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>"
    assert teds(a, a) == 1.0
    assert teds(a.replace(">d<", ">x<"), a) == pytest.approx(1 - 1 / 7)
    merged = '<table><tr><td colspan="2">ab</td></tr><tr><td>c</td><td>d</td></tr></table>'
    assert teds(merged, a) < teds(a.replace(">d<", ">x<"), a)
    assert teds(a.replace(">d<", ">x<"), a, structure_only=True) == 1.0
    assert teds("", a) < 0.2 and teds("<table><tr><td>a</td></tr>", a) < 1.0  # unclosed HTML is fine


def test_document_options():
    assert DocumentOptions.make(None, False, True).layout == "model"
    assert DocumentOptions.make(False, "columns").layout == "columns"
    with pytest.raises(ConfigError, match="layout must be one of"):
        DocumentOptions.make(None, "rows")


def test_synth_columns_label_order_is_the_reading_order(tmp_path):
    from lumenocr.metrics.page import page_text
    from lumenocr.synth.config import load_config
    from lumenocr.synth.generate import generate_det

    cfg = tmp_path / "c.yml"
    cfg.write_text(
        "text: {charset: latin, generators: {words: 1.0}}\npage_rotate_prob: 0\n"
        "page_perspective_prob: 0\ncolumns: [3, 3]\n"
    )
    generate_det(
        load_config(str(cfg), "det"), count=2, out_dir=str(tmp_path / "d"), seed=1, workers=1, progress=False
    )
    for row in (tmp_path / "d" / "label.txt").read_text().splitlines():
        items = json.loads(row.split("\t")[1])
        texts, polys = [b["transcription"] for b in items], [b["points"] for b in items]
        xs = [min(p[0] for p in poly) for poly in polys]
        assert len(items) > 10 and len(set(np.round(xs, -1))) >= 3  # several columns of lines
        assert page_text(polys, texts, order="columns") == "\n".join(texts)
        assert page_text(polys, texts, order="rows") != "\n".join(texts)


# --- with the models ---------------------------------------------------------------------------------
def _ocr(**kw):
    from lumenocr import OCR

    try:
        return OCR(threads=2, **kw)
    except ModelNotFoundError as e:
        pytest.skip(f"model not installed: {e}")


@pytest.fixture(scope="module")
def doc_ocr():
    return _ocr(orientation=True, layout=True, tables=True)


@pytest.mark.parametrize("angle", [90, 180, 270])
def test_turned_page_reads_like_upright_with_boxes_in_the_input_frame(doc_ocr, angle):
    from lumenocr.document.geometry import turn
    from lumenocr.vis.sample import render_lines

    lines = ["Page orientation matters", "for scanned reports 2024", "and faxed invoices too"]
    img = render_lines(lines, font_size=34)
    turned, _ = turn(img, angle)
    res = doc_ocr.ocr_image(turned)
    assert res.angle == angle
    assert res.text.replace("\n", " ") == " ".join(lines)
    h, w = turned.shape[:2]
    gray = turned.min(axis=2)
    for ln in res.lines:
        p = np.asarray(ln.points)
        assert (
            p[:, 0].min() >= -3 and p[:, 0].max() <= w + 2 and p[:, 1].min() >= -3 and p[:, 1].max() <= h + 2
        )
        x0, y0 = np.maximum(p.min(0).astype(int), 0)
        x1, y1 = p.max(0).astype(int)
        assert gray[y0:y1, x0:x1].min() < 100  # the box covers ink in the turned input
        long_side_vertical = np.ptp(p[:, 1]) > np.ptp(p[:, 0])
        assert long_side_vertical == (angle in (90, 270))


def test_vertical_chinese_page_in_printed_order():
    from lumenocr.vis.fonts import covers, get_font

    if not covers(get_font(24), "床前明月光静夜思"):
        pytest.skip("no CJK font installed")
    from lumenocr.synth.vertical import render_vertical_page

    ocr = _ocr(orientation=False)
    img, order = render_vertical_page(
        ["床前明月光", "疑是地上霜", "举头望明月", "低头思故乡"], title="静夜思", side="唐诗三百首"
    )
    assert ocr.ocr_image(img).text.split("\n") == order


@pytest.mark.parametrize("ruled", [True, False])
def test_generated_tables_teds(doc_ocr, ruled):
    from lumenocr.document.table import TableRecognizer
    from lumenocr.synth.tables import render_table

    table = render_table(np.random.default_rng(11 if ruled else 12), ruled=ruled)
    lines = doc_ocr.ocr_image(table.image).lines  # the whole image is the table's crop here
    recognizer = next(s for s in doc_ocr.stages if s.name == "tables").recognizer
    assert isinstance(recognizer, TableRecognizer)
    built = build_table(recognizer(table.image), lines, (0.0, 0.0))
    assert teds(built.html, table.html) >= 0.85  # measured 0.90-1.0 on such tables


def test_all_table_page_and_blank_page_give_valid_results(doc_ocr):
    from lumenocr.synth.tables import render_table

    table = render_table(np.random.default_rng(3), ruled=True)
    page = np.full((table.image.shape[0] + 200, table.image.shape[1] + 200, 3), 255, np.uint8)
    page[100:-100, 100:-100] = table.image
    res = doc_ocr.ocr_image(page)
    assert res.lines and res.blocks
    json.loads(res.to_json())
    assert res.to_markdown().strip()
    tables = [b for b in res.blocks if b.table is not None]
    if tables:  # the layout model found the table: its cells hold the text
        assert "|" in res.to_markdown() or "<table>" in res.to_markdown()
    blank = doc_ocr.ocr_image(np.full((300, 400, 3), 255, np.uint8))
    assert blank.lines == [] and blank.blocks == [] and blank.to_markdown() == ""
    assert json.loads(blank.to_json())["boxes"] == []


def test_unparseable_table_keeps_its_text(doc_ocr):
    from lumenocr.document.table import TableStage
    from lumenocr.pipeline.stages import PageState

    class Garbage:
        def __call__(self, image):
            from lumenocr.document.table import TableStructure

            return TableStructure([">", "</td>", "</tr>"], [], 0.1)

    st = PageState.start(np.full((200, 300, 3), 255, np.uint8))
    st.lines = [line(20, 20, 200, 40, "kept text")]
    st.rows = [[0]]
    st.blocks = [Block("table", rect(10, 10, 290, 190), [0], 0, 0.9)]
    TableStage(Garbage())(st)  # type: ignore[arg-type]
    res = st.to_result(0.0)
    assert res.blocks[0].table is None and res.text == "kept text"
    assert "kept text" in res.to_markdown()


def test_cli_markdown_html_and_json_blocks(tmp_path, capsys):
    import cv2

    from lumenocr.cli.main import main
    from lumenocr.synth.tables import render_table

    _ocr(orientation=False)  # skips when the models are absent
    table = render_table(np.random.default_rng(5), ruled=True)
    page = np.full((table.image.shape[0] + 160, table.image.shape[1] + 80, 3), 255, np.uint8)
    page[120:-40, 40:-40] = table.image
    cv2.putText(page, "Quarterly report", (40, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (0, 0, 0), 3)
    img = tmp_path / "page.png"
    cv2.imwrite(str(img), page)
    out_md = tmp_path / "page.md"
    vis = tmp_path / "vis"
    assert main(["ocr", str(img), "--layout", "--tables", "-o", str(out_md), "--vis", str(vis), "-q"]) == 0
    md = out_md.read_text()
    assert "Quarterly report" in md and ("| --- |" in md or "<table>" in md)
    assert len(list(vis.iterdir())) == 1
    assert main(["ocr", str(img), "--layout", "columns", "--format", "json", "--no-orientation"]) == 0
    rec = json.loads(capsys.readouterr().out)[0]
    assert rec["blocks"] and set(rec) >= {"image", "page", "boxes", "seconds", "blocks"}
    assert sorted(i for b in rec["blocks"] for i in b["lines"]) == list(range(len(rec["boxes"])))
    assert main(["ocr", str(img), "--rec-only", "--layout"]) == 2


def test_markdown_and_html_writers(tmp_path):
    from lumenocr.io.writers import open_writer

    rec = {"image": "a.png", "page": None, "boxes": [], "seconds": 0.1}
    with open_writer(str(tmp_path / "x.md"), headers=True) as w:
        w.write(rec, "## Title\n")
        w.write({**rec, "image": "b.png"}, "text")
    md = (tmp_path / "x.md").read_text()
    assert md == "<!-- a.png -->\n\n## Title\n\n---\n\n<!-- b.png -->\n\ntext\n"
    with open_writer(str(tmp_path / "x.html")) as w:
        w.write(rec, "<section>\n<p>hi</p>\n</section>\n")
    page = (tmp_path / "x.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<p>hi</p>" in page and page.rstrip().endswith("</html>")
    with open_writer(str(tmp_path / "empty.html")):
        pass
    assert (tmp_path / "empty.html").read_text().rstrip().endswith("</body></html>")
