"""OpenVINO's per-shape runtime cache (``runtime/openvino.py: RUNTIME_CACHE_CAPACITY``): CPU per
pass and peak RSS against its capacity.

Two measurements, each capacity in a fresh process, capacities interleaved ``--reps`` times:

* ``pages``: ``OCR(threads=2)`` (f32) reads 10 ICDAR + 6 FUNSD + 4 XFUND pages ``--passes``
  times; a repeat pass is cheaper when the shapes of the first are still cached. CPU seconds
  (process time, all threads) and wall seconds per pass, peak RSS after each.
* ``shapes``: the worst case for memory: every recognizer batch width ``RecPreprocess`` makes
  (1/8-octave buckets, 320-3200 px) at batch sizes 1-4, then 120 detection sizes (320-960 px),
  twice over, straight into the two engines; peak RSS after each round.

    python benchmarks/bench_ov_cache.py --capacities 64,128,256 --reps 2   # ~4 min on 2 cores

Timing figures: run it under the machine's benchmark lock. Writes
benchmarks/results/openvino_cache.md and .json.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results"
sys.path.insert(0, str(REPO))

PAGES = (("icdar2015_test", 10), ("funsd_train", 6), ("xfund_zh_train_30", 4))


def _rss() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def pages_worker(capacity: int, passes: int) -> dict:
    import lumenocr.runtime.openvino as lov

    lov.RUNTIME_CACHE_CAPACITY = capacity  # read when the engines are built
    from lumenocr import OCR
    from lumenocr.io.labels import read_det_labels, resolve_image

    paths = []
    for name, n in PAGES:
        label = DATA / name / "label.txt"
        paths += [str(resolve_image(label, s.image_path)) for s in read_det_labels(label)[:n]]
    ocr = OCR(threads=2, precision="f32", providers=("openvino",))
    out: dict = {"capacity": capacity, "pages": len(paths), "passes": []}
    for _ in range(passes):
        c0, w0 = time.process_time(), time.perf_counter()
        for path in paths:
            ocr(path)
        out["passes"].append(
            {
                "cpu_s": round(time.process_time() - c0, 2),
                "wall_s": round(time.perf_counter() - w0, 2),
                "rss_mb": _rss(),
            }
        )
    return out


def shapes_worker(capacity: int) -> dict:
    import numpy as np

    import lumenocr.runtime.openvino as lov

    lov.RUNTIME_CACHE_CAPACITY = capacity
    from lumenocr.preprocess.rec import RecPreprocess
    from lumenocr.runtime.onnx import RuntimeOptions
    from lumenocr.zoo import DEFAULT_MODEL, get_spec, locate

    spec = get_spec(DEFAULT_MODEL)
    opts = RuntimeOptions(threads=2, precision="f32")
    rec = lov.OpenVinoEngine(str(locate(spec.rec.file)), opts)
    det = lov.OpenVinoEngine(str(locate(spec.det.file)), opts)
    pre = RecPreprocess(image_height=48, min_width=320, max_width=3200)
    widths = sorted({pre.batch_width([np.zeros((48, w, 3), np.uint8)]) for w in range(8, 3300, 8)})
    rng = np.random.default_rng(0)
    sizes = sorted({(32 * int(rng.integers(10, 31)), 32 * int(rng.integers(10, 31))) for _ in range(400)})[
        :120
    ]
    out: dict = {"capacity": capacity, "rec_shapes": 4 * len(widths), "det_shapes": len(sizes)}
    out["after_load_mb"] = _rss()
    for rnd in range(2):
        for w in widths:
            for b in (1, 2, 3, 4):
                rec(np.zeros((b, 3, 48, w), np.float32))
        for h, w in sizes:
            det(np.zeros((1, 3, h, w), np.float32))
        out[f"round{rnd}_rss_mb"] = _rss()
    return out


def run_worker(kind: str, capacity: int, passes: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, "--capacities", str(capacity), "--passes", str(passes)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", choices=("pages", "shapes"), help=argparse.SUPPRESS)
    ap.add_argument("--capacities", default="64,128,256")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--out", default=str(RESULTS / "openvino_cache"))
    args = ap.parse_args()
    caps = [int(c) for c in args.capacities.split(",")]
    if args.passes < 2 and not args.worker:
        ap.error("--passes must be at least 2 (a first pass, then repeats)")
    if args.worker:
        res = pages_worker(caps[0], args.passes) if args.worker == "pages" else shapes_worker(caps[0])
        print(json.dumps(res), flush=True)
        return
    pages: dict[int, list[dict]] = {c: [] for c in caps}
    for _ in range(args.reps):
        for c in caps:
            pages[c].append(run_worker("pages", c, args.passes))
    shapes = {c: run_worker("shapes", c, 0) for c in caps}
    lines = [
        "# OpenVINO runtime cache capacity",
        "",
        f"Command: `python benchmarks/bench_ov_cache.py {' '.join(sys.argv[1:])}`  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        "| capacity | first pass CPU s | repeat passes CPU s (mean) | repeat wall s (mean) | peak RSS MB (pages) "
        "| peak RSS MB after every shape, twice |",
        "|---|---|---|---|---|---|",
    ]
    for c in caps:
        runs = pages[c]
        first = statistics.mean(r["passes"][0]["cpu_s"] for r in runs)
        rep_cpu = statistics.mean(p["cpu_s"] for r in runs for p in r["passes"][1:])
        rep_wall = statistics.mean(p["wall_s"] for r in runs for p in r["passes"][1:])
        rss = "/".join(str(r["passes"][-1]["rss_mb"]) for r in runs)
        lines.append(
            f"| {c} | {first:.2f} | {rep_cpu:.2f} | {rep_wall:.2f} | {rss} | {shapes[c]['round1_rss_mb']} |"
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps({"pages": pages, "shapes": shapes}, indent=1))
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
