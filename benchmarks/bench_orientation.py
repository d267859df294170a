"""Page orientation: OCR of pages turned by 0/90/180/270 degrees, with and without the
orientation stage, and the stage's cost on upright pages.

For each page of ``../shared/data/funsd_train`` and ``xfund_zh_train_30`` (first ``--limit``):
page token F1 (multiset of tokens, order-free: words for FUNSD, characters for XFUND, text
normalised with NFKC) of the text read from the upright page and from the page turned by 90,
180 and 270 degrees, orientation accuracy over all turned and upright pages, and the median
added time of the orientation stage on upright pages (its own timer inside the pipeline, and
the whole-call ratio with/without, pages interleaved so load hits both alike).

    python benchmarks/bench_orientation.py --limit 12 --out benchmarks/results/documents_orientation.md
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TURN = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def tokens(text: str, chars: bool) -> Counter:
    import unicodedata

    t = unicodedata.normalize("NFKC", text)
    return Counter(c for c in t if not c.isspace()) if chars else Counter(t.split())


def f1(gt: Counter, pred: Counter) -> float:
    hits = sum((gt & pred).values())
    p = hits / max(sum(pred.values()), 1)
    r = hits / max(sum(gt.values()), 1)
    return 2 * p * r / (p + r) if p + r else 0.0


def gt_text(label_line: str) -> str:
    import json

    _, boxes = label_line.split("\t", 1)
    return " ".join(b["transcription"] for b in json.loads(boxes) if b["transcription"] != "###")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=12, help="pages per data set")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="benchmarks/results/documents_orientation.md")
    args = ap.parse_args()

    from lumenocr import OCR

    with_o = OCR(threads=args.threads, orientation=True)
    without = OCR(threads=args.threads, orientation=False)
    rows = []
    confusion = Counter()
    overhead_ms, call_ratio = [], []
    for name, chars in (("funsd_train", False), ("xfund_zh_train_30", True)):
        folder = DATA / name
        if not (folder / "label.txt").is_file():
            raise SystemExit(f"data not found: {folder}")
        labels = (folder / "label.txt").read_text(encoding="utf-8").splitlines()[: args.limit]
        f1s: dict[tuple[str, int], list[float]] = {}
        for line in labels:
            img = cv2.imread(str(folder / line.split("\t", 1)[0]))
            gt = tokens(gt_text(line), chars)
            # Upright: both pipelines, interleaved (order alternates page to page).
            pair = [("on", with_o), ("off", without)]
            if len(call_ratio) % 2:
                pair.reverse()
            secs = {}
            for tag, ocr in pair:
                t0 = time.perf_counter()
                res = ocr.ocr_image(img)
                secs[tag] = time.perf_counter() - t0
                f1s.setdefault((tag, 0), []).append(f1(gt, tokens(res.text, chars)))
                if tag == "on":
                    overhead_ms.append(res.timings.get("orient", 0.0) * 1000)
                    confusion[(0, res.angle)] += 1
            call_ratio.append(secs["on"] / secs["off"])
            for angle, code in TURN.items():
                turned = cv2.rotate(img, code)
                for tag, ocr in (("on", with_o), ("off", without)):
                    res = ocr.ocr_image(turned)
                    f1s.setdefault((tag, angle), []).append(f1(gt, tokens(res.text, chars)))
                    if tag == "on":
                        confusion[(angle, res.angle)] += 1
            print(name, line.split("\t", 1)[0], flush=True)
        for tag in ("off", "on"):
            vals = [float(np.mean(f1s[(tag, a)])) for a in (0, 90, 180, 270)]
            rows.append((name, len(labels), tag, vals))
    total = sum(confusion.values())
    correct = sum(v for (a, p), v in confusion.items() if a == p)
    turned_total = sum(v for (a, _), v in confusion.items() if a)
    turned_correct = sum(v for (a, p), v in confusion.items() if a and a == p)
    out = [
        "# Page orientation (0/90/180/270)",
        "",
        f"Command: `python benchmarks/bench_orientation.py --limit {args.limit}` "
        f"(threads {args.threads}; {time.strftime('%Y-%m-%d')}).",
        "",
        "Page token F1 (order-free multiset of NFKC tokens: words for FUNSD, characters for XFUND) "
        "of the page text read from the page as given, turned by 90/180/270 degrees clockwise.",
        "",
        "| data set | pages | orientation stage | upright | 90 | 180 | 270 | worst drop vs upright |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, n, tag, vals in rows:
        drop = vals[0] - min(vals[1:])
        out.append(f"| {name} | {n} | {tag} | " + " | ".join(f"{v:.3f}" for v in vals) + f" | {drop:+.3f} |")
    out += [
        "",
        f"Orientation accuracy: {correct}/{total} pages = {correct / total:.3f} "
        f"(turned pages: {turned_correct}/{turned_total}; upright pages left upright: "
        f"{confusion[(0, 0)]}/{sum(v for (a, _), v in confusion.items() if a == 0)}).",
        "",
        "Confusion (true angle -> predicted: count): "
        + ", ".join(f"{a}->{p}: {v}" for (a, p), v in sorted(confusion.items())),
        "",
        f"Added latency on upright pages: orientation stage median {statistics.median(overhead_ms):.1f} ms "
        f"(p90 {np.percentile(overhead_ms, 90):.1f} ms); whole call with/without the stage, median ratio "
        f"{statistics.median(call_ratio):.3f} over {len(call_ratio)} pages (interleaved, same process).",
        "",
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(out), encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
