"""Vertical Chinese text: rendered pages of top-to-bottom columns (3-6, read right to left),
half of them under a horizontal title, half beside a horizontal line level with the columns.

A page counts as in printed order when the result has one line per printed line (title,
each column, side line) in that order; the line-order accuracy is over all printed lines
(longest common subsequence of the line sequence, lines matched by CER <= 0.34), and page CER
compares the whole text in order.

    python benchmarks/bench_vertical.py --pages 12 --out benchmarks/results/documents_vertical.md
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

POOL = (
    "春眠不觉晓处处闻啼鸟夜来风雨声花落知多少白日依山尽黄河入海流欲穷千里目更上一层楼"
    "床前明月光疑是地上霜举头望明月低头思故乡红豆生南国春来发几枝愿君多采撷此物最相思"
    "空山不见人但闻人语响返景入深林复照青苔上千山鸟飞绝万径人踪灭孤舟蓑笠翁独钓寒江雪"
)


def lcs(a: list[int], b: list[int]) -> int:
    dp = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a)):
        for j in range(len(b)):
            dp[i + 1][j + 1] = dp[i][j] + 1 if a[i] == b[j] else max(dp[i][j + 1], dp[i + 1][j])
    return dp[-1][-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=12)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="benchmarks/results/documents_vertical.md")
    args = ap.parse_args()

    from lumenocr import OCR
    from lumenocr.metrics.text import edit_distance
    from lumenocr.postprocess.order import reading_order
    from lumenocr.synth.vertical import render_vertical_page

    ocr = OCR(threads=args.threads)  # the default pipeline (orientation on where installed)
    rng = np.random.default_rng(args.seed)
    exact = exact_before = errors_before = 0
    matched = total = 0
    errors = chars = 0
    for k in range(args.pages):
        n = int(rng.integers(3, 7))
        cols = []
        for _ in range(n):
            start = int(rng.integers(0, len(POOL) - 10))
            cols.append(POOL[start : start + int(rng.integers(4, 10))])
        title = "静夜思" if k % 2 == 0 else None
        side = "唐诗三百首选读" if k % 4 in (1, 2) else None
        img, order = render_vertical_page(cols, title=title, side=side, font_size=int(rng.integers(26, 40)))
        res = ocr.ocr_image(img)
        got = [t.replace(" ", "") for t in res.text.split("\n") if t.strip()]
        want = [t.replace(" ", "") for t in order]
        exact += got == want
        # The order before vertical columns were recognised: rows across the page.
        _, rows = reading_order([np.asarray(ln.points, np.float64) for ln in res.lines])
        before = ["".join(res.lines[i].text for i in r).replace(" ", "") for r in rows]
        exact_before += before == want
        errors_before += edit_distance("".join(before), "".join(want))
        # Which printed line each result line is (CER <= 0.34), then the order kept.
        ids: list[int] = []
        for g in got:
            cer = [edit_distance(g, w) / max(len(w), 1) for w in want]
            best = [i for i, c in enumerate(cer) if c == min(cer) and c <= 0.34]
            if best:  # a repeated line: the copy after the last one matched
                later = [i for i in best if not ids or i > ids[-1]]
                ids.append((later or best)[0])
        matched += lcs(ids, list(range(len(want))))
        total += len(want)
        errors += edit_distance("".join(got), "".join(want))
        chars += len("".join(want))
        print(k, got == want, got, flush=True)
    out = [
        "# Vertical Chinese text: reading order",
        "",
        f"Command: `python benchmarks/bench_vertical.py --pages {args.pages} --seed {args.seed}` "
        f"({time.strftime('%Y-%m-%d')}), default pipeline.",
        "",
        "| order | pages | pages in exact printed order (one line per column) | printed lines in order | page CER |",
        "|---|---|---|---|---|",
        f"| vertical-aware (now) | {args.pages} | {exact}/{args.pages} | {matched}/{total} | "
        f"{100 * errors / max(chars, 1):.1f}% |",
        f"| rows only (before) | {args.pages} | {exact_before}/{args.pages} | - | "
        f"{100 * errors_before / max(chars, 1):.1f}% |",
        "",
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(out), encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
