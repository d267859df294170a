"""Batch throughput: lumenocr's all-core batch against a sequential RapidOCR loop and
lumenocr's own sequential loop, same images, same run.

    python benchmarks/bench_batch.py                       # 100 ICDAR + 100 FUNSD/XFUND, 50-page PDF
    python benchmarks/bench_batch.py --icdar 20 --docs 20 --pdf-pages 10   # a quick look

Systems, each a fresh process timed from start to exit (model loading included, as a user's
command would be):

* ``rapidocr``: RapidOCR 3.10 (PP-OCRv6 small weights, its defaults, 2 ONNX Runtime threads),
  ``engine(path)`` for each image in turn, as benchmarks/bench_ocr.py invokes it;
* ``lumenocr-seq``: ``OCR(threads=2, words=False)``, ``ocr(path)`` for each image in turn (one
  process; line boxes only, the records the batch command writes by default);
* ``lumenocr-batch``: the command ``lumenocr ocr --from-list LIST -o out.jsonl`` at its
  defaults (all cores: one worker process per core);
* ``lumenocr-seq-bf16`` / ``lumenocr-batch-bf16``: the same two with ``precision="bf16"`` /
  ``--precision bf16`` (the opt-in OpenVINO bfloat16 mode; f32 is the default);
* ``lumenocr-batch-ort`` (only when asked for): the same command with ``--providers cpu``
  (ONNX Runtime workers instead of OpenVINO);
* ``lumenocr-ray`` (only when asked for with ``--systems``): the same with ``--ray``, which
  starts a local Ray instance (start-up included) and runs one OCR actor per core.

The image set is split in two rounds; round 1 runs the systems in one order and round 2 in the
reverse order, so background load on this shared machine hits every system alike. Reported:
images/s (total images / summed wall time), CPU seconds, peak RSS of the whole job (the sum
over the process tree, sampled every 0.1 s) and the load average while each ran. Then pages/s
on a 50-page PDF built from the document images, beside PaddleOCR's documented figures.
Results: benchmarks/results/batch_benchmark.md and .json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results"
sys.path.insert(0, str(REPO))

PADDLE_SOURCE = (
    "https://github.com/PaddlePaddle/PaddleOCR/blob/main/docs/version3.x/algorithm/PP-OCRv6/PP-OCRv6.en.md "
    '(section "3.3 End-to-End Inference Speed (s/image)")'
)
# PaddleOCR's documented end-to-end seconds per image for PP-OCRv6_small, the model class (and
# weights) lumenocr runs by default: 200 general + document images, image I/O, pre/post-processing
# and inference included; Intel Xeon 8350C (a 32-core server CPU; threads not stated).
PADDLE_CPU = {
    "PP-OCRv6_small, PaddlePaddle, Xeon 8350C": 0.79,
    "PP-OCRv6_small, ONNX Runtime, Xeon 8350C": 0.77,
    "PP-OCRv6_small, OpenVINO, Xeon 8350C": 0.55,
}


# Ratios written to the results file: (system, against), when both ran on the same images.
RATIOS = (
    ("lumenocr-batch", "rapidocr"),
    ("lumenocr-batch", "lumenocr-seq"),
    ("lumenocr-batch", "lumenocr-ray"),
    ("lumenocr-batch", "lumenocr-batch-ort"),
    ("lumenocr-batch-bf16", "rapidocr"),
    ("lumenocr-batch-bf16", "lumenocr-seq-bf16"),
    ("lumenocr-batch-bf16", "lumenocr-seq"),
)


def natural(p: Path):
    import re

    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)]


def pick_images(n_icdar: int, n_docs: int) -> tuple[list[str], list[str]]:
    icdar = sorted((DATA / "icdar2015_test" / "images").iterdir(), key=natural)
    step = max(1, len(icdar) // max(n_icdar, 1))
    scenes = [str(p) for p in icdar[::step][:n_icdar]]
    xfund = sorted((DATA / "xfund_zh_train_30" / "images").iterdir(), key=natural)
    funsd = sorted((DATA / "funsd_train" / "images").iterdir(), key=natural)
    n_x = min(len(xfund), n_docs * 3 // 10)
    docs = [str(p) for p in funsd[: n_docs - n_x]] + [str(p) for p in xfund[:n_x]]
    return scenes, docs


# --- children -----------------------------------------------------------------------------------------
def child(system: str, listing: str) -> None:
    files = Path(listing).read_text(encoding="utf-8").split("\n")
    files = [f for f in files if f]
    if system == "rapidocr":
        from peers import rapidocr_engine

        engine = rapidocr_engine(2)
        n = 0
        for f in files:
            out = engine(f)
            n += len(out.txts or ())
    elif system in ("lumenocr-seq", "lumenocr-seq-bf16"):
        from lumenocr import OCR

        ocr = OCR(threads=2, words=False, precision="bf16" if system.endswith("bf16") else "f32")
        n = 0
        for f in files:
            if f.lower().endswith(".pdf"):
                n += sum(len(r.lines) for r in ocr.iter_read(f))
            else:
                n += len(ocr(f).lines)
    else:
        raise SystemExit(f"unknown system {system}")
    print(json.dumps({"lines": n}), flush=True)


def command(system: str, listing: str, out: str) -> list[str]:
    if system == "lumenocr-batch":
        return [sys.executable, "-m", "lumenocr.cli.main", "ocr", "--from-list", listing, "-o", out, "-q"]
    if system == "lumenocr-batch-bf16":  # the opt-in bfloat16 mode (OpenVINO on a CPU that has it)
        return [
            sys.executable, "-m", "lumenocr.cli.main", "ocr", "--from-list", listing, "-o", out, "-q",
            "--precision", "bf16",
        ]  # fmt: skip
    if system == "lumenocr-batch-ort":  # the same on ONNX Runtime workers (memory vs speed)
        return [
            sys.executable, "-m", "lumenocr.cli.main", "ocr", "--from-list", listing, "-o", out, "-q",
            "--providers", "cpu",
        ]  # fmt: skip
    if system == "lumenocr-ray":  # a local Ray instance started by the command (start-up included)
        return [
            sys.executable,
            "-m",
            "lumenocr.cli.main",
            "ocr",
            "--from-list",
            listing,
            "-o",
            out,
            "-q",
            "--ray",
        ]
    return [sys.executable, __file__, "--child", system, "--list", listing]


# --- measuring ----------------------------------------------------------------------------------------
def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(x) for x in (task / "children").read_text().split()]
    return out


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(cmd: list[str], env: dict) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = [os.getloadavg()[0]]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        n = 0
        while not stop.is_set():
            peak = max(peak, sum(_rss_kb(p) for p in _tree(proc.pid)))
            n += 1
            if n % 50 == 0:
                load.append(os.getloadavg()[0])
            time.sleep(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    load.append(os.getloadavg()[0])
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{cmd} failed ({proc.returncode}): {err[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak / 1024, "load": sum(load) / len(load)}


def make_pdf(images: list[str], path: str, dpi: int = 200) -> None:
    """A PDF whose pages, rendered at ``dpi``, have the images' own pixel size."""
    from PIL import Image

    pages = [Image.open(p).convert("RGB") for p in images]
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=dpi)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--icdar", type=int, default=100)
    ap.add_argument("--docs", type=int, default=100)
    ap.add_argument("--pdf-pages", type=int, default=50)
    ap.add_argument(
        "--systems", default="rapidocr,lumenocr-seq,lumenocr-batch,lumenocr-seq-bf16,lumenocr-batch-bf16"
    )
    ap.add_argument("--out", default=str(RESULTS / "batch_benchmark"))
    ap.add_argument("--note", default="", help="how the run was made (written to the results file)")
    ap.add_argument("--child")
    ap.add_argument("--list")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.list)
        return

    systems = args.systems.split(",")
    scenes, docs = pick_images(args.icdar, args.docs)
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    tmp = Path(tempfile.mkdtemp(prefix="bench_batch_"))
    # Two rounds, each half scenes and half documents; the second runs the systems in reverse.
    halves = [scenes[::2] + docs[::2], scenes[1::2] + docs[1::2]]
    report: dict = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "images": {"icdar2015_test": len(scenes), "funsd/xfund": len(docs)},
        "runs": [],
        "note": args.note,
        "command": " ".join(
            ["python benchmarks/bench_batch.py"]
            + [a for a in sys.argv[1:] if not a.startswith("--note") and a != args.note]
        ),
    }
    totals = {s: {"wall_s": 0.0, "cpu_s": 0.0, "peak_rss_mb": 0.0, "loads": []} for s in systems}
    for rnd, files in enumerate(halves):
        listing = tmp / f"round{rnd}.txt"
        listing.write_text("\n".join(files) + "\n", encoding="utf-8")
        order = systems if rnd == 0 else systems[::-1]
        for s in order:
            m = measure(command(s, str(listing), str(tmp / f"{s}_{rnd}.jsonl")), env)
            m.update(system=s, round=rnd, images=len(files))
            report["runs"].append(m)
            t = totals[s]
            t["wall_s"] += m["wall_s"]
            t["cpu_s"] += m["cpu_s"]
            t["peak_rss_mb"] = max(t["peak_rss_mb"], m["peak_rss_mb"])
            t["loads"].append(m["load"])
            print(json.dumps(m), flush=True)
            save(report, totals, args.out)
    if args.pdf_pages:
        pdf = tmp / "docs50.pdf"
        make_pdf((docs * 2)[: args.pdf_pages], str(pdf))
        listing = tmp / "pdf.txt"
        listing.write_text(f"{pdf}\n", encoding="utf-8")
        report["pdf"] = {"pages": args.pdf_pages}
        for s in [s for s in ("lumenocr-batch", "lumenocr-seq") if s in systems]:
            m = measure(command(s, str(listing), str(tmp / f"pdf_{s}.jsonl")), env)
            m["pages_per_s"] = args.pdf_pages / m["wall_s"]
            report["pdf"][s] = m
            print(json.dumps({"pdf": s, **m}), flush=True)
            save(report, totals, args.out)
    if {"lumenocr-batch", "lumenocr-seq"} <= set(systems):
        report["same_text_pages"] = same_text(tmp)
    save(report, totals, args.out)


def same_text(tmp: Path) -> str:
    """How many pages the batch wrote with exactly the text a sequential lumenocr run reads."""
    from lumenocr import OCR

    ocr = OCR(threads=2)
    records = [
        json.loads(x) for f in sorted(tmp.glob("lumenocr-batch_*.jsonl")) for x in f.read_text().splitlines()
    ]
    sample = records[:: max(1, len(records) // 10)]
    same = sum([b["text"] for b in r["boxes"]] == [ln.text for ln in ocr(r["image"]).lines] for r in sample)
    return f"{same} of {len(sample)} sampled pages"


def save(report: dict, totals: dict, out: str) -> None:
    n = sum(report["images"].values())
    summary = {}
    for s, t in totals.items():
        done = sum(r["images"] for r in report["runs"] if r["system"] == s)
        if not done:
            continue
        summary[s] = {
            "images": done,
            "wall_s": round(t["wall_s"], 1),
            "images_per_s": round(done / t["wall_s"], 3),
            "cpu_s": round(t["cpu_s"], 1),
            "peak_rss_mb": round(t["peak_rss_mb"]),
            "load_avg": round(sum(t["loads"]) / len(t["loads"]), 1),
        }
    report["summary"] = summary
    Path(out + ".json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    lines = [
        "# Batch throughput",
        "",
        f"Machine: {report['machine']}, shared with other jobs (load average in the table). "
        f"Images: {report['images']} ({n}), split in two rounds run in opposite system orders.",
        f"Command: `{report.get('command', 'python benchmarks/bench_batch.py')}` (see its docstring).",
    ]
    if report.get("note"):
        lines += ["", report["note"]]
    lines += [
        "",
        "| system | images | wall s | images/s | CPU s | CPU s per image | cores busy | peak RSS MB (whole job) | load avg |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s, r in summary.items():
        lines.append(
            f"| {s} | {r['images']} | {r['wall_s']} | {r['images_per_s']} | {r['cpu_s']} | "
            f"{r['cpu_s'] / r['images']:.2f} | {r['cpu_s'] / r['wall_s']:.2f} | {r['peak_rss_mb']} | {r['load_avg']} |"
        )
    for name, peer in RATIOS:
        b = summary.get(name)
        if b and peer in summary and summary[peer]["images"] == b["images"]:
            lines.append(
                f"\n{name} / {peer} images per second: **{b['images_per_s'] / summary[peer]['images_per_s']:.2f}x**"
            )
    ceiling = [
        (s, r, summary[s.replace("batch", "seq")])
        for s, r in summary.items()
        if s in ("lumenocr-batch", "lumenocr-batch-bf16") and s.replace("batch", "seq") in summary
    ]
    if ceiling:
        lines += [
            "",
            "The most a pool could read at its measured CPU time per image, every core busy from start "
            "to exit (no start-up, no last image alone), against the sequential loop at the same precision:",
            "",
        ]
        for s, r, seq in ceiling:
            cores = os.cpu_count() or 1
            best = cores * r["images"] / r["cpu_s"]
            lines.append(
                f"* {s}: {cores} cores / {r['cpu_s'] / r['images']:.3f} CPU s per image = {best:.2f} images/s "
                f"= {best / seq['images_per_s']:.2f}x {s.replace('batch', 'seq')} (measured: "
                f"{r['images_per_s'] / seq['images_per_s']:.2f}x; the pool reached "
                f"{r['images_per_s'] / best:.0%} of it)"
            )
    if "lumenocr-ray" in summary:
        lines.append(
            "\nCPU s and cores busy of lumenocr-ray count only the processes the command waits for: "
            "Ray's own daemons and actor processes are not among them, so those two columns are not "
            "comparable (its wall time and images/s are)."
        )
    if "pdf" in report:
        p = report["pdf"]
        lines += [
            "",
            f"## {p['pages']}-page PDF (document pages at 200 dpi)",
            "",
            "| system | wall s | pages/s | pages/s per busy core | peak RSS MB | load avg |",
            "|---|---|---|---|---|---|",
        ]
        for s in ("lumenocr-batch", "lumenocr-seq"):
            if s in p:
                m = p[s]
                cores = max(m["cpu_s"] / m["wall_s"], 1e-9)
                lines.append(
                    f"| {s} | {m['wall_s']:.1f} | {m['pages_per_s']:.3f} | {m['pages_per_s'] / cores:.3f} | {m['peak_rss_mb']:.0f} | {m['load']:.1f} |"
                )
        lines += [
            "",
            f"PaddleOCR's documented figures for the same model ({PADDLE_SOURCE}; 200 general and "
            "document images, not these pages; a 32-core server CPU, not this 2-core machine):",
            "",
            "| configuration | s per image | images/s |",
            "|---|---|---|",
        ]
        for name, spi in PADDLE_CPU.items():
            lines.append(f"| {name} | {spi} | {1 / spi:.2f} |")
    if "same_text_pages" in report:
        lines += [
            "",
            f"Batch output identical in text to a sequential lumenocr run: {report['same_text_pages']}.",
        ]
    Path(out + ".md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
