"""Whole-process time for one image: ``lumenocr ocr one.jpg`` against RapidOCR's CLI.

Each command is a fresh process (interpreter start, imports, model load, checksum, first
inference, output), run ``--runs`` times with the commands interleaved so background load
hits all alike; the wall time and the peak RSS of each run come from ``os.wait4``.

    python benchmarks/bench_startup.py                       # ICDAR 2015 img_10.jpg, 7 runs
    python benchmarks/bench_startup.py --image page.png --runs 11

Writes benchmarks/results/startup.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))


def commands(image: str, threads: int) -> dict[str, list[str]]:
    lumen = [
        sys.executable,
        "-m",
        "lumenocr.cli.main",
        "ocr",
        image,
        "--format",
        "txt",
        "--threads",
        str(threads),
    ]
    from lumenocr.runtime.openvino import native_precision

    # "auto" precision on OpenVINO: what its CPU device computes natively (bf16 on AVX512-BF16/AMX).
    return {
        "lumenocr (defaults: one image runs on ONNX Runtime, f32)": lumen,
        f"lumenocr --providers openvino ({native_precision()})": [*lumen, "--providers", "openvino"],
        "rapidocr CLI (ONNX Runtime)": [str(BIN / "rapidocr"), "-img", image],
    }


def byte_compile() -> None:
    """Compile lumenocr's modules as ``pip install`` does (RapidOCR, numpy and the rest come
    from wheels, compiled at install): a source checkout run with PYTHONDONTWRITEBYTECODE (or
    an editable install) would otherwise compile every module on every start, ~0.05 s of CPU
    that no installed copy pays."""
    import compileall

    compileall.compile_dir(str(REPO / "lumenocr"), quiet=1)


def run_once(cmd: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB, exit status) of one process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--image", default=str(DATA / "icdar2015_test" / "images" / "img_10.jpg"))
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument(
        "--threads", type=int, default=2, help="lumenocr --threads (RapidOCR's CLI has no such option)"
    )
    ap.add_argument(
        "--no-compile",
        action="store_true",
        help="do not byte-compile lumenocr first (measures a checkout that compiles on every start)",
    )
    ap.add_argument("--out", default=str(RESULTS / "startup"))
    args = ap.parse_args()
    cmds = commands(args.image, args.threads)
    if not args.no_compile:
        byte_compile()
    for name, cmd in cmds.items():  # warm the page cache and the user caches; not timed
        _, _, rc = run_once(cmd)
        if rc != 0:
            sys.exit(f"{name} failed (exit {rc}): {' '.join(cmd)}")
    times: dict[str, list[float]] = {k: [] for k in cmds}
    rss: dict[str, list[float]] = {k: [] for k in cmds}
    names = list(cmds)
    for i in range(args.runs):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            t, m, _ = run_once(cmds[name])
            times[name].append(t)
            rss[name].append(m)
    peer = "rapidocr CLI (ONNX Runtime)"
    rows = {
        k: {
            "median_s": statistics.median(v),
            "min_s": min(v),
            "max_s": max(v),
            "peak_rss_mb": max(rss[k]),
            "ratio_to_rapidocr": statistics.median(v) / statistics.median(times[peer]),
            "runs": v,
        }
        for k, v in times.items()
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # The image relative to the data folder: results files name no paths of this machine.
    image = Path(args.image).resolve()
    shown = str(image.relative_to(DATA.resolve())) if image.is_relative_to(DATA.resolve()) else image.name
    out.with_suffix(".json").write_text(json.dumps({"image": shown, "results": rows}, indent=1))
    lines = [
        "# Whole-process time for one image",
        "",
        f"Command: `python benchmarks/bench_startup.py {' '.join(sys.argv[1:])}`  ",
        f"Image: `{Path(args.image).name}`; {args.runs} runs per command, interleaved; date "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} cores, shared with other work; "
        + (
            "lumenocr run from source, compiled on every start."
            if args.no_compile
            else "lumenocr byte-compiled first, as pip installs it."
        ),
        "",
        "| command | median s | min s | max s | peak RSS MB | / RapidOCR CLI |",
        "|---|---|---|---|---|---|",
    ]
    for k, r in rows.items():
        lines.append(
            f"| {k} | {r['median_s']:.2f} | {r['min_s']:.2f} | {r['max_s']:.2f} | {r['peak_rss_mb']:.0f} | "
            f"{r['ratio_to_rapidocr']:.2f} |"
        )
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
