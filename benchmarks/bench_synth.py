"""Throughput of the synthetic data generator: lines/s and pages/s at 1 and N workers.

Usage: PYTHONPATH=. python benchmarks/bench_synth.py [--lines 2000] [--pages 60] [--workers 1 2]
Writes benchmarks/results/synth.md. Times are end to end as a user sees them: process pool
start, font loading, rendering, JPEG encoding and writing the folder dataset.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lumenocr.synth.config import DetSynthConfig, RecSynthConfig, load_config  # noqa: E402
from lumenocr.synth.generate import generate_det, generate_rec  # noqa: E402


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def nproc() -> str:
    try:
        return subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return str(os.cpu_count())


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (pool workers are joined by then)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "synth.md"))
    args = ap.parse_args()

    runs = [
        ("rec", "default (Latin + Chinese)", RecSynthConfig(), args.lines),
        (
            "rec",
            "configs/synth/rec_en.yml",
            load_config(ROOT / "configs/synth/rec_en.yml", "rec"),
            args.lines,
        ),
        ("det", "default pages", DetSynthConfig(), args.pages),
    ]
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, name, cfg, count in runs:
            for w in args.workers:
                out = Path(tmp) / f"{kind}_{w}_{len(rows)}"
                gen = generate_rec if kind == "rec" else generate_det
                cpu0 = _cpu_seconds()
                t0 = time.perf_counter()
                gen(cfg, count=count, out_dir=out, seed=0, workers=w, progress=False)
                secs = time.perf_counter() - t0
                cpu = _cpu_seconds() - cpu0
                size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
                unit = "lines/s" if kind == "rec" else "pages/s"
                rows.append(
                    (kind, name, w, count, secs, count / secs, unit, size / count / 1024, count / cpu)
                )
                print(
                    f"{kind:3s} {name:28s} workers={w} {count} in {secs:.1f}s = {count / secs:.1f} {unit}, "
                    f"{count / cpu:.1f} per CPU-second",
                    flush=True,
                )
    load_after = os.getloadavg()

    lines = [
        "# Synthetic data generator throughput",
        "",
        f"Command: `PYTHONPATH=. python benchmarks/bench_synth.py --lines {args.lines} --pages {args.pages} "
        f"--workers {' '.join(map(str, args.workers))}`",
        "",
        f"Machine: `nproc` = {nproc()}, CPU: {cpu_model()}, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        f"Load average (1 min) before / after: {load_before[0]:.1f} / {load_after[0]:.1f} "
        "(a shared machine: other jobs were running, so these are lower bounds).",
        "",
        "End to end: pool start, font loading, rendering, JPEG encoding, writing `images/` + `label.txt`.",
        "*Per CPU-second* divides the samples by the CPU time of the parent and its workers: it does",
        "not depend on what else the machine runs, and times the number of idle cores bounds the wall rate.",
        "",
        "| kind | config | workers | samples | wall s | throughput (wall) | per CPU-second | KB / sample |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, name, w, count, secs, rate, unit, kb, per_cpu in rows:
        lines.append(
            f"| {kind} | {name} | {w} | {count} | {secs:.1f} | {rate:.1f} {unit} | {per_cpu:.1f} | {kb:.1f} |"
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
