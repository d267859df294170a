"""What ``--threads`` buys on 1, 2, ... cores: median latency per image, engines x threads x cores.

Each configuration is a worker process of bench_ocr.py pinned to the first N cores
(``sched_setaffinity``, as ``taskset`` does), images fed to all of them in turn so
background load hits every configuration alike.

    python benchmarks/bench_cores.py --limit 20          # ICDAR 2015 test images
    python benchmarks/bench_cores.py --dataset funsd_train --cores 1,2 --threads 1,2,4

Writes benchmarks/results/cores.md and .json. Only core counts this machine has are run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_ocr  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="icdar2015_test")
    ap.add_argument("--limit", type=int, default=20)
    ap.add_argument("--cores", default="1,2,4,8")
    ap.add_argument("--threads", default="1,2,4")
    ap.add_argument("--systems", default="lumenocr,lumenocr-ort")
    ap.add_argument("--out", default=str(bench_ocr.RESULTS / "cores"))
    args = ap.parse_args()
    from lumenocr.io.labels import read_det_labels, resolve_image

    have = sorted(os.sched_getaffinity(0))
    cores = [int(c) for c in args.cores.split(",") if int(c) <= len(have)]
    skipped = [int(c) for c in args.cores.split(",") if int(c) > len(have)]
    threads = [int(t) for t in args.threads.split(",")]
    label = bench_ocr.DATA / args.dataset / "label.txt"
    samples = read_det_labels(label)[: args.limit]
    paths = [str(resolve_image(label, s.image_path)) for s in samples]
    lang = bench_ocr.DET_SETS.get(args.dataset, "en")
    configs = [(s, c, t) for s in args.systems.split(",") for c in cores for t in threads]
    workers = {
        cfg: bench_ocr.Worker(cfg[0], cfg[2], "ppocrv6-small", cpus=set(have[: cfg[1]])) for cfg in configs
    }
    secs: dict = {cfg: [] for cfg in configs}
    rss: dict = {}
    try:
        for w in workers.values():
            w.ask(kind="page", path=paths[0], lang=lang)
        for i, path in enumerate(paths):
            order = configs[i % len(configs) :] + configs[: i % len(configs)]
            for cfg in order:
                secs[cfg].append(workers[cfg].ask(kind="page", path=path, lang=lang)["seconds"])
        for cfg, w in workers.items():
            rss[cfg] = w.ask(kind="rss")["rss_mb"]
    finally:
        for w in workers.values():
            w.close()
    rows = [
        {
            "system": s,
            "cores": c,
            "threads": t,
            "median_ms": 1000 * statistics.median(secs[(s, c, t)]),
            "peak_rss_mb": rss[(s, c, t)],
        }
        for s, c, t in configs
    ]
    out = Path(args.out)
    out.with_suffix(".json").write_text(
        json.dumps({"dataset": args.dataset, "images": len(paths), "rows": rows}, indent=1)
    )
    lines = [
        "# Cores and threads",
        "",
        f"Command: `python benchmarks/bench_cores.py {' '.join(sys.argv[1:])}`  ",
        f"Data: {args.dataset}, {len(paths)} images; machine: {bench_ocr.machine()}, shared with other work; "
        f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        *(
            [f"Not run: {', '.join(map(str, skipped))} cores (this machine has {len(have)})."]
            if skipped
            else []
        ),
        "",
        "| system | cores | --threads | median ms | peak RSS MB |",
        "|---|---|---|---|---|",
        *[
            f"| {r['system']} | {r['cores']} | {r['threads']} | {r['median_ms']:.0f} | {r['peak_rss_mb']:.0f} |"
            for r in rows
        ],
    ]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
