"""Cost of each pipeline stage, line pipeline vs all document stages, on real pages.

Runs ``OCR(orientation=False)`` (the line pipeline) and ``OCR(orientation=True, layout=True,
tables=True)`` on the first ``--limit`` pages of FUNSD and XFUND, alternating which goes first
page by page, and reports the median seconds of every stage (``OCRResult.timings``) and of the
whole call.

    python benchmarks/bench_document_stages.py --limit 6 --out benchmarks/results/documents_stages.md
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import cv2

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=6)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="benchmarks/results/documents_stages.md")
    args = ap.parse_args()

    from lumenocr import OCR

    systems = {
        "lines": OCR(threads=args.threads, orientation=False),
        "document": OCR(threads=args.threads, orientation=True, layout=True, tables=True),
    }
    rows = []
    for name in ("funsd_train", "xfund_zh_train_30"):
        labels = (DATA / name / "label.txt").read_text(encoding="utf-8").splitlines()[: args.limit]
        stage_t: dict[str, dict[str, list[float]]] = {k: {} for k in systems}
        for i, row in enumerate(labels):
            img = cv2.imread(str(DATA / name / row.split("\t", 1)[0]))
            order = list(systems.items()) if i % 2 == 0 else list(systems.items())[::-1]
            for key, ocr in order:
                t0 = time.perf_counter()
                res = ocr.ocr_image(img)
                total = time.perf_counter() - t0
                for stage, sec in res.timings.items():
                    stage_t[key].setdefault(stage, []).append(sec)
                stage_t[key].setdefault("total", []).append(total)
            print(name, i, flush=True)
        for key, d in stage_t.items():
            rows.append((name, len(labels), key, {s: statistics.median(v) for s, v in d.items()}))
    stages = ["orient", "detect", "recognize", "order", "layout", "tables", "total"]
    out = [
        "# Cost of each stage",
        "",
        f"Command: `python benchmarks/bench_document_stages.py --limit {args.limit}` (threads {args.threads}, "
        f"{time.strftime('%Y-%m-%d')}; shared 2-core machine under load, so compare within a row). "
        "Median seconds per page.",
        "",
        "| data set | pages | pipeline | " + " | ".join(stages) + " |",
        "|---|---|---|" + "---|" * len(stages),
    ]
    for name, n, key, med in rows:
        cells = [f"{med[s]:.3f}" if s in med else "-" for s in stages]
        out.append(f"| {name} | {n} | {key} | " + " | ".join(cells) + " |")
    out.append("")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(out), encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
