"""Tables: TEDS on generated ruled and unruled tables with known structure.

Each table (``lumenocr.synth.tables.render_table``: header row, 3-8 body rows, 2-5 columns,
sometimes a header cell spanning two columns) is read by the OCR line pipeline (with word
boxes) and SLANet-plus; cells are filled with the OCR text (:func:`build_table`). TEDS
compares the predicted HTML with the ground truth (structure and cell text); TEDS-S the
structure alone. thead/tbody grouping is not compared (see :mod:`lumenocr.metrics.teds`).

    python benchmarks/bench_tables.py --count 20 --out benchmarks/results/documents_tables.md
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=20, help="tables of each kind")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="benchmarks/results/documents_tables.md")
    args = ap.parse_args()

    from lumenocr import OCR
    from lumenocr.document.table import TableRecognizer, build_table
    from lumenocr.metrics.teds import teds
    from lumenocr.synth.tables import render_table

    ocr = OCR(threads=args.threads, orientation=False, words=True)
    tables = TableRecognizer.from_zoo()
    rows = []
    for ruled in (True, False):
        rng = np.random.default_rng([args.seed, int(ruled)])
        scores, struct, secs = [], [], []
        for _ in range(args.count):
            t = render_table(rng, ruled=ruled)
            lines = ocr.ocr_image(t.image).lines
            t0 = time.perf_counter()
            built = build_table(tables(t.image), lines, (0.0, 0.0))
            secs.append(time.perf_counter() - t0)
            scores.append(teds(built.html, t.html))
            struct.append(teds(built.html, t.html, structure_only=True))
        rows.append(("ruled" if ruled else "unruled", scores, struct, secs))
        print(rows[-1][0], np.mean(scores), flush=True)
    out = [
        "# Tables: TEDS on generated tables",
        "",
        f"Command: `python benchmarks/bench_tables.py --count {args.count} --seed {args.seed}` "
        f"({time.strftime('%Y-%m-%d')}).",
        "",
        "| tables | count | TEDS mean | TEDS min | TEDS >= 0.9 | TEDS-S mean | structure + cells s (median) |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, s, st, secs in rows:
        out.append(
            f"| {kind} | {len(s)} | {np.mean(s):.3f} | {np.min(s):.3f} | {sum(x >= 0.9 for x in s)}/{len(s)} | "
            f"{np.mean(st):.3f} | {statistics.median(secs):.3f} |"
        )
    allv = [x for _, s, _, _ in rows for x in s]
    out += ["", f"All tables: TEDS mean {np.mean(allv):.3f}.", ""]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(out), encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
