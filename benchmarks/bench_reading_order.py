"""Reading order on generated 2- and 3-column article pages (exact reading-order ground truth).

Pages come from ``lumenocr synth det --columns N`` (header, full-width title, paragraphs
flowing column by column, footer; label.txt lists the lines in reading order). Each page is
read once by the default line pipeline; the same recognised lines are then put in order three
ways: ``rows`` (today's order: rows across the page), ``columns`` (``layout="columns"``: blocks
from white space, XY-cut column by column) and ``model`` (``layout="model"``: CDLA layout
regions, then the same XY-cut). Page CER (characters, whitespace collapsed) against the
ground-truth text in reading order; also the order with the ground-truth boxes themselves
(``page_text(..., order=...)`` of the metrics), which isolates ordering from recognition.

    python benchmarks/bench_reading_order.py --pages 8 --out benchmarks/results/documents_reading_order.md
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import cv2


def generate(out: Path, columns: int, pages: int, seed: int) -> Path:
    from lumenocr.synth.config import load_config
    from lumenocr.synth.generate import generate_det

    cfg_path = out / "cfg.yml"
    cfg_path.write_text(
        "text: {charset: latin, max_len: 40, generators: {words: 1.0}}\n"
        "page_rotate_prob: 0.0\npage_perspective_prob: 0.0\nwidth: [900, 1100]\naspect: [1.2, 1.4]\n"
        f"columns: [{columns}, {columns}]\n",
        encoding="utf-8",
    )
    folder = out / f"cols{columns}"
    generate_det(
        load_config(str(cfg_path), "det"),
        count=pages,
        out_dir=str(folder),
        seed=seed,
        workers=1,
        fmt="folder",
        progress=False,
        overwrite=True,
    )
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=8, help="pages per column count")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="benchmarks/results/documents_reading_order.md")
    args = ap.parse_args()

    from lumenocr import OCR
    from lumenocr.document.blocks import LayoutStage
    from lumenocr.document.layout import LayoutDetector
    from lumenocr.metrics.page import evaluate_page_text, page_text
    from lumenocr.pipeline.stages import PageState

    ocr = OCR(threads=args.threads, orientation=False)
    model = LayoutStage(LayoutDetector.from_zoo())
    geometric = LayoutStage(None)
    rows_out = []
    timing = {"columns": [], "model": []}
    with tempfile.TemporaryDirectory() as tmp:
        for n_cols in (2, 3):
            folder = generate(Path(tmp), n_cols, args.pages, args.seed + n_cols)
            gt_pages, gt_rows, gt_cols = [], [], []
            pred = {"rows": [], "columns": [], "model": []}
            for line in (folder / "label.txt").read_text(encoding="utf-8").splitlines():
                name, boxes = line.split("\t", 1)
                items = json.loads(boxes)
                texts = [b["transcription"] for b in items]
                polys = [b["points"] for b in items]
                gt_pages.append("\n".join(texts))
                gt_rows.append(page_text(polys, texts, order="rows"))
                gt_cols.append(page_text(polys, texts, order="columns"))
                img = cv2.imread(str(folder / name))
                res = ocr.ocr_image(img)
                pred["rows"].append(res.text)
                for key, stage in (("columns", geometric), ("model", model)):
                    st = PageState.start(img)
                    st.lines, st.rows = list(res.lines), [list(r) for r in res.rows]
                    t0 = time.perf_counter()
                    stage(st)
                    timing[key].append(time.perf_counter() - t0)
                    pred[key].append(st.to_result(0.0).text)
            row = {"n_cols": n_cols, "pages": len(gt_pages)}
            for key, pages in pred.items():
                row[key] = evaluate_page_text(gt_pages, pages, "nfkc").cer
            row["gt_rows"] = evaluate_page_text(gt_pages, gt_rows, "nfkc").cer
            row["gt_columns"] = evaluate_page_text(gt_pages, gt_cols, "nfkc").cer
            rows_out.append(row)
            print(row, flush=True)
    ms = {k: 1000 * sum(v) / max(len(v), 1) for k, v in timing.items()}
    out = [
        "# Reading order on generated column pages",
        "",
        f"Command: `python benchmarks/bench_reading_order.py --pages {args.pages} --seed {args.seed}` "
        f"({time.strftime('%Y-%m-%d')}). Page CER (NFKC, whitespace collapsed) against the exact "
        "reading-order text; lower is better.",
        "",
        "| columns | pages | rows (today) | columns (white space) | model (CDLA regions) | rows / columns | "
        "GT boxes, rows | GT boxes, columns |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows_out:
        ratio = r["rows"] / r["columns"] if r["columns"] else float("inf")
        out.append(
            f"| {r['n_cols']} | {r['pages']} | {100 * r['rows']:.1f}% | {100 * r['columns']:.1f}% | "
            f"{100 * r['model']:.1f}% | {ratio:.1f}x | {100 * r['gt_rows']:.1f}% | {100 * r['gt_columns']:.1f}% |"
        )
    out += [
        "",
        f"Ordering cost per page (on top of OCR): white-space blocks {ms['columns']:.1f} ms, "
        f"layout model + blocks {ms['model']:.1f} ms (mean).",
        "",
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(out), encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
