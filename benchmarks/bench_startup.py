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
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))


FLOOR = "floor: numpy + OpenCV + ONNX Runtime, lumenocr's sessions and model calls, nothing else"
FLOOR_NO_ORIENT = "floor without page orientation (detector, direction, recognizer: RapidOCR's models' work)"


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


def record_plan(image: str, threads: int, path: Path, orientation: bool = True) -> None:
    """Write the plan ``startup_floor.py`` runs: the ONNX Runtime sessions (file, intra-op
    threads, spinning, arena) and the model calls (input shapes, in order) of lumenocr's one-image run
    (``lumenocr ocr IMAGE`` run in this process; ``orientation=False``: with
    ``--no-orientation``), recorded from ONNX Runtime itself."""
    import contextlib
    import io

    import onnxruntime as ort

    from lumenocr.cli.main import main as lumenocr_main

    calls: list[tuple[str, list[int]]] = []
    options: dict[str, dict] = {}
    run = ort.InferenceSession.run

    def recording_run(self, output_names, feed, *a, **kw):
        path = self._model_path
        so = self.get_session_options()
        options[path] = {
            "path": path,
            "threads": so.intra_op_num_threads,
            "spinning": so.get_session_config_entry("session.intra_op.allow_spinning") != "0",
            "arena": so.enable_cpu_mem_arena,
            "optimized": so.graph_optimization_level == ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
        }
        calls.append((path, list(next(iter(feed.values())).shape)))
        return run(self, output_names, feed, *a, **kw)

    ort.InferenceSession.run = recording_run  # type: ignore[method-assign]
    argv = ["ocr", image, "--format", "txt", "--threads", str(threads)]
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the command itself, as timed above
            rc = lumenocr_main(argv + ([] if orientation else ["--no-orientation"]))
        if rc != 0:
            sys.exit(f"lumenocr ocr failed while recording the floor's plan (exit {rc})")
    finally:
        ort.InferenceSession.run = run  # type: ignore[method-assign]
    order = list(dict.fromkeys(p for p, _ in calls))  # sessions in the order of first use
    plan = {
        "image": image,
        "models": [options[p] for p in order],
        "calls": [[order.index(p), shape] for p, shape in calls],
    }
    path.write_text(json.dumps(plan))


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
    ap.add_argument(
        "--before",
        metavar="DIR",
        help="also time the lumenocr package in DIR (e.g. `git archive` of an older commit), "
        "byte-compiled likewise: a before/after in the same run",
    )
    ap.add_argument("--before-label", default="before", help="how the --before row is named (a commit)")
    ap.add_argument("--out", default=str(RESULTS / "startup"))
    ap.add_argument("--record-plan", metavar="JSON", help=argparse.SUPPRESS)
    ap.add_argument("--no-orientation", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.record_plan:  # the floor's plan, recorded in a process of its own (see main)
        record_plan(args.image, args.threads, Path(args.record_plan), not args.no_orientation)
        return
    cmds = commands(args.image, args.threads)
    if args.before:
        before = Path(args.before).resolve()
        # -c, not -m: the package in DIR comes first on sys.path, not the one in this checkout.
        code = f"import sys; sys.path.insert(0, {str(before)!r}); from lumenocr.cli.main import main; sys.exit(main())"
        default = next(iter(cmds))
        cmds[f"lumenocr {args.before_label} (same command, that commit's code)"] = [
            sys.executable, "-c", code, *cmds[default][3:]
        ]  # fmt: skip
    # The floor: any ORT program's least work for what lumenocr ran (see startup_floor.py).
    plans = Path(tempfile.mkdtemp(prefix="startup_floor_"))
    floor = [sys.executable, str(REPO / "benchmarks" / "startup_floor.py")]
    for orientation in (True, False):
        plan = plans / f"plan_{int(orientation)}.json"
        # In a child: this process's own RSS would otherwise show in every child's peak (fork).
        subprocess.run(
            [sys.executable, __file__, "--image", args.image, "--threads", str(args.threads),
             "--record-plan", str(plan), *([] if orientation else ["--no-orientation"])],
            check=True, cwd=REPO,
        )  # fmt: skip
        name = FLOOR if orientation else FLOOR_NO_ORIENT
        cmds[name] = [*floor, str(plan)]
    if not args.no_compile:
        byte_compile()
        if args.before:
            import compileall

            compileall.compile_dir(str(Path(args.before) / "lumenocr"), quiet=1)
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
    shutil.rmtree(plans, ignore_errors=True)
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
    # No paths of this machine in the results: --before's folder is shown as DIR.
    shown_args = " ".join("DIR" if args.before and a == args.before else a for a in sys.argv[1:])
    lines = [
        "# Whole-process time for one image",
        "",
        f"Command: `python benchmarks/bench_startup.py {shown_args}`  ",
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
    lines += [
        "",
        "The floor rows run `benchmarks/startup_floor.py`: a process that imports numpy, OpenCV and "
        "ONNX Runtime only, creates the ONNX Runtime sessions lumenocr used on this image (same files, "
        "same session settings) in parallel threads while OpenCV decodes the image, and makes the "
        "model calls lumenocr made (same order, same input shapes), with no pre- or post-processing "
        "and no output: a lower bound for any program that runs these models on ONNX Runtime. The "
        "calls are recorded from a lumenocr run in the benchmark's own process.",
    ]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
