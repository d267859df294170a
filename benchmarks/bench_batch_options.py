"""What else a batch could do, measured: the ideas that docs/batch.md lists as "not built".

    python benchmarks/bench_batch_options.py            # all three, ~5 minutes on 2 cores
    python benchmarks/bench_batch_options.py --only rec,det

* ``rec``: recognizing the crops of several pages in one call. The crops of ``--pages``
  document/scene pages are cut once (the pipeline's detector and crop rule); then the CPU time
  of ``TextRecognizer.recognize`` is taken per page, over 4 pages at once and over 8 pages at
  once, at the default batch size and at 8 and 16 lines per batch. One thread, best of
  ``--reps`` passes (CPU time, so other work on the machine matters little).
* ``det``: detecting several same-size scenes in one call: the detector engine on 8 ICDAR
  2015 inputs one at a time against 2 calls of 4 stacked inputs, one thread, CPU time.
* ``threads``: two processes (the batch pool, ``run_batch(workers=2)``) against one process with
  two threads over one shared ``OCR(threads=1)``, on ``--images`` mixed images: wall time and
  CPU time. This one is a timing figure: run it alone on the machine.

Results: benchmarks/results/batch_options.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import pick_images  # noqa: E402


def _cpu() -> float:
    return time.process_time()


def rec_pooling(n_pages: int, reps: int) -> dict:
    import cv2

    from lumenocr import OCR
    from lumenocr.pipeline.crop import crop_region

    scenes, docs = pick_images(n_pages // 2, n_pages - n_pages // 2)
    ocr = OCR(threads=1, words=False)
    assert ocr.detector is not None and ocr.recognizer is not None
    pages = []
    for path in scenes + docs:
        image = cv2.imread(path)
        pages.append([crop_region(image, p).image for p in ocr.detector(image).polygons])
    rec = ocr.recognizer
    out: dict = {"pages": len(pages), "crops": sum(map(len, pages)), "cpu_s": {}, "text_changed": {}}
    alone = [r.text for crops in pages for r, _ in rec.recognize(crops)]  # the pipeline's reading
    for size in (4, 8, 16):
        rec.batch_size = size
        for group in (1, 4, 8):
            calls = [sum(pages[i : i + group], []) for i in range(0, len(pages), group)]
            rec.recognize(calls[0])  # shapes seen once before timing
            best = float("inf")
            for _ in range(reps):
                t0 = _cpu()
                for crops in calls:
                    rec.recognize(crops)
                best = min(best, _cpu() - t0)
            texts = [r.text for crops in calls for r, _ in rec.recognize(crops)]
            key = f"{group} page(s) per call, {size} lines per batch"
            out["cpu_s"][key] = round(best, 2)
            out["text_changed"][key] = sum(a != b for a, b in zip(alone, texts))
            print(json.dumps({"rec": key, "cpu_s": round(best, 2), "text_changed": out["text_changed"][key]}))
    return out


def det_stacking(reps: int) -> dict:
    import cv2
    import numpy as np

    from lumenocr import OCR

    scenes, _ = pick_images(8, 0)
    ocr = OCR(threads=1, words=False)
    det = ocr.detector
    assert det is not None
    tensors = [det.preprocess(cv2.imread(p)).tensor for p in scenes]
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise SystemExit(f"det: the scenes do not share one input shape: {shapes}")
    stacks = [np.concatenate(tensors[i : i + 4]) for i in range(0, len(tensors), 4)]
    det.engine(tensors[0])
    det.engine(stacks[0])
    one, four = float("inf"), float("inf")
    for _ in range(reps):
        t0 = _cpu()
        for t in tensors:
            det.engine(t)
        one = min(one, _cpu() - t0)
        t0 = _cpu()
        for s in stacks:
            det.engine(s)
        four = min(four, _cpu() - t0)
    out = {"images": len(tensors), "shape": list(next(iter(shapes))), "one_per_call_cpu_s": round(one, 2)}
    out["four_per_call_cpu_s"] = round(four, 2)
    print(json.dumps({"det": out}), flush=True)
    return out


def _threads_child(mode: str, files: list[str]) -> dict:
    t0 = time.perf_counter()
    if mode == "threads":
        from lumenocr import OCR

        ocr = OCR(threads=1, words=False)
        with ThreadPoolExecutor(2) as pool:
            lines = sum(pool.map(lambda f: len(ocr(f).lines), files))
    else:
        from lumenocr.batch import BatchJob, BatchOptions, run_batch

        class Count:
            lines = 0

            def write(self, record: dict, text: str) -> None:
                Count.lines += len(record["boxes"])

        run_batch(files, BatchJob(), {"threads": 1, "words": False}, Count(), options=BatchOptions(workers=2))
        lines = Count.lines
    wall = time.perf_counter() - t0
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    return {
        "mode": mode,
        "images": len(files),
        "lines": lines,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
    }


def threads_vs_processes(n_images: int) -> list[dict]:
    import subprocess

    scenes, docs = pick_images(n_images // 2, n_images - n_images // 2)
    files = json.dumps(scenes + docs)
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    runs = []
    for mode in ("processes", "threads", "threads", "processes"):  # both orders
        out = subprocess.run(
            [sys.executable, __file__, "--child", mode, "--files", files],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
        run = json.loads(out.stdout.strip().splitlines()[-1])
        run["images_per_s"] = round(run["images"] / run["wall_s"], 3)
        print(json.dumps(run), flush=True)
        runs.append(run)
    return runs


def write(report: dict, out: str) -> None:
    Path(out + ".json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    lines = [
        "# What else a batch could do (measured, not built)",
        "",
        f"Machine: {report['machine']}. Command: `{report['command']}` (see its docstring).",
    ]
    if report.get("note"):
        lines += ["", report["note"]]
    for key, command in report.get("earlier", {}).items():
        lines += ["", f"The {key} section is from an earlier run: `{command}`."]
    if "rec" in report:
        r = report["rec"]
        lines += [
            "",
            f"## Recognizing the crops of several pages together ({r['pages']} pages, {r['crops']} crops, "
            "1 thread, CPU s, best of the passes)",
            "",
            "| call | CPU s | crops read differently from page by page at the default |",
            "|---|---|---|",
        ]
        lines += [f"| {k} | {v} | {r['text_changed'].get(k, '')} |" for k, v in r["cpu_s"].items()]
    if "det" in report:
        d = report["det"]
        lines += [
            "",
            f"## Detecting same-size scenes together ({d['images']} ICDAR 2015 images, input {d['shape']}, "
            "1 thread, CPU s)",
            "",
            f"One a call: {d['one_per_call_cpu_s']} s; four a call: {d['four_per_call_cpu_s']} s.",
        ]
    if "threads" in report:
        lines += [
            "",
            "## Two processes (the batch pool) against one process with two threads",
            "",
            "| mode | images | wall s | images/s | CPU s | lines |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['mode']} | {r['images']} | {r['wall_s']} | {r['images_per_s']} | {r['cpu_s']} | {r['lines']} |"
            for r in report["threads"]
        ]
    Path(out + ".md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="rec,det,threads")
    ap.add_argument("--pages", type=int, default=16, help="pages for the rec experiment")
    ap.add_argument("--images", type=int, default=60, help="images for the threads experiment")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--out", default=str(RESULTS / "batch_options"))
    ap.add_argument("--note", default="")
    ap.add_argument("--child")
    ap.add_argument("--files")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_threads_child(args.child, json.loads(args.files))), flush=True)
        return
    report: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "command": " ".join(
            ["python benchmarks/bench_batch_options.py"]
            + [a for a in sys.argv[1:] if a != args.note and a != "--note"]
        ),
        "note": args.note,
    }
    only = set(args.only.split(","))
    earlier = Path(args.out + ".json")
    if earlier.exists():  # sections this run does not redo are kept, with the command that made them
        old = json.loads(earlier.read_text(encoding="utf-8"))
        for key in ("rec", "det", "threads"):
            if key in old and key not in only:
                report[key] = old[key]
                report.setdefault("earlier", {})[key] = old.get("earlier", {}).get(key, old["command"])
    if "rec" in only:
        report["rec"] = rec_pooling(args.pages, args.reps)
        write(report, args.out)
    if "det" in only:
        report["det"] = det_stacking(args.reps)
        write(report, args.out)
    if "threads" in only:
        report["threads"] = threads_vs_processes(args.images)
    write(report, args.out)


if __name__ == "__main__":
    main()
