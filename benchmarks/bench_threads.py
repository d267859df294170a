"""``lumenocr ocr --threads N`` against the default, in one run, on the same images.

Each configuration runs the whole command (start-up, model loading and OCR of every image)
as a fresh process; configurations take turns, round after round, so background load hits
them alike. Reports the median wall time per configuration and its ratio to the default.

    python benchmarks/bench_threads.py                          # default vs --threads 64
    python benchmarks/bench_threads.py --threads 4,64 --rounds 5
    python benchmarks/bench_threads.py --code <older checkout>  # also that code with --threads 64

Writes benchmarks/results/threads.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "icdar2015_test"


def images(n: int) -> list[str]:
    found = sorted(p for p in (DATA / "images").rglob("*.jpg")) if (DATA / "images").is_dir() else []
    if not found:
        found = sorted(DATA.rglob("*.jpg"))
    if not found:
        raise SystemExit(f"no ICDAR 2015 images under {DATA}")
    return [str(p) for p in found[:n]]


def run_once(code: Path, threads: int | None, files: list[str]) -> float:
    env = dict(os.environ, PYTHONPATH=str(code))
    cmd = [sys.executable, "-m", "lumenocr.cli.main", "ocr", *files, "-q", "--format", "txt"]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
    secs = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return secs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--threads", default="64", help="comma-separated thread counts to compare with the default"
    )
    ap.add_argument("--images", type=int, default=8, help="ICDAR 2015 test images per run (8)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--code", help="also run this older checkout with the largest --threads, once per round")
    args = ap.parse_args()
    files = images(args.images)
    configs: list[tuple[str, Path, int | None]] = [("default", REPO, None)]
    counts = [int(t) for t in args.threads.split(",")]
    configs += [(f"--threads {t}", REPO, t) for t in counts]
    if args.code:
        configs.append(
            (
                f"--threads {max(counts)} ({Path(args.code).name}, before the cap)",
                Path(args.code),
                max(counts),
            )
        )
    times: dict[str, list[float]] = {name: [] for name, _, _ in configs}
    for r in range(args.rounds):
        order = configs[r % len(configs) :] + configs[: r % len(configs)]
        for name, code, threads in order:
            times[name].append(run_once(code, threads, files))
            print(f"round {r + 1}: {name}: {times[name][-1]:.1f} s", file=sys.stderr, flush=True)
    base = statistics.median(times["default"])
    rows = [
        f"| {name} | {statistics.median(ts):.1f} | {statistics.median(ts) / base:.2f} | "
        + ", ".join(f"{t:.1f}" for t in ts)
        + " |"
        for name, ts in times.items()
    ]
    from lumenocr.runtime.cpu import cpu_budget

    text = "\n".join(
        [
            "# `lumenocr ocr --threads N` vs the default",
            "",
            f"Command: `python benchmarks/bench_threads.py {' '.join(sys.argv[1:])}`".rstrip() + "",
            "",
            f"{len(files)} ICDAR 2015 test images per command (whole process: start-up, model loading, OCR),",
            f"{args.rounds} rounds, configurations in turn. Machine: {cpu_budget().describe()},",
            f"load average at the end {os.getloadavg()[0]:.1f} (shared with other jobs). {time.strftime('%Y-%m-%d %H:%M')}.",
            "",
            "| configuration | median s | ratio to default | runs (s) |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )
    out = REPO / "benchmarks" / "results" / "threads.md"
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
