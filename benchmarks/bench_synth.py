"""Throughput of the synthetic data generator: lines/s and pages/s at 1 and N workers.

Usage: PYTHONPATH=. python benchmarks/bench_synth.py [--lines 8000] [--pages 150] [--workers 1 2]
Writes benchmarks/results/synth.md. Times are end to end as a user sees them: process pool
start, font loading, rendering, JPEG encoding and writing the folder dataset.

``--readback N`` instead renders N lines per rec config and reads them with the zoo's pretrained
recognizer (``ppocrv6-small``): a low character error rate shows the images are readable and
their labels right. Writes benchmarks/results/synth_readback.md.
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


def edit_distance(a: str, b: str) -> int:
    d = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, cb in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (ca != cb))
    return d[len(b)]


def readback(n: int, model: str, out: Path) -> None:
    """Render ``n`` lines per rec config (seed 0, as generate_rec does) and recognise them."""
    import numpy as np

    from lumenocr import OCR
    from lumenocr.synth.generate import _REC
    from lumenocr.synth.line import RecSynth

    ocr = OCR(model=model)
    configs = [
        ("default (Latin + Chinese)", RecSynthConfig()),
        ("configs/synth/rec_en.yml", load_config(ROOT / "configs/synth/rec_en.yml", "rec")),
        ("configs/synth/rec_en_words.yml", load_config(ROOT / "configs/synth/rec_en_words.yml", "rec")),
    ]
    rows, examples = [], []
    for name, cfg in configs:
        synth = RecSynth(cfg, seed=0)
        samples = [
            synth.render(np.random.default_rng([0, p.index, _REC]), p) for p in synth.sampler.plan(0, 0, n)
        ]
        preds = [r.text for r in ocr.recognizer([s.image for s in samples])]
        errors = [edit_distance(p, s.text) for p, s in zip(preds, samples, strict=True)]
        chars = sum(len(s.text) for s in samples)
        exact = sum(p == s.text for p, s in zip(preds, samples, strict=True))
        nospace = sum(
            p.replace(" ", "") == s.text.replace(" ", "") for p, s in zip(preds, samples, strict=True)
        )
        rows.append((name, n, sum(errors) / chars, exact / n, nospace / n))
        worst = sorted(zip(errors, preds, samples, strict=True), key=lambda x: -x[0] / max(len(x[2].text), 1))
        examples += [(name, s.text, p) for _, p, s in worst[:5]]
        print(f"{name}: CER {sum(errors) / chars:.4f}, exact {exact}/{n}", flush=True)
    lines = [
        "# Synthetic lines read back by a pretrained recognizer",
        "",
        f"Command: `PYTHONPATH=. python benchmarks/bench_synth.py --readback {n} --model {model}`",
        "",
        f"{n} lines per config (seed 0, the first lines `generate_rec` writes), recognised by the zoo's "
        f"`{model}` (PP-OCR weights, trained on real and synthetic data of its own). Low error means the",
        "lines are legible and their labels match their pixels; it is not a measure of how well a model",
        "trained on them will do.",
        "",
        "| config | lines | CER | exact match | exact ignoring spaces |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {c} | {k} | {cer:.2%} | {ex:.1%} | {ns:.1%} |" for c, k, cer, ex, ns in rows]
    lines += ["", "Hardest lines (label -> read):", ""]
    lines += [f"- {c}: `{t!r}` -> `{p!r}`" for c, t, p in examples]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=8000)
    ap.add_argument("--pages", type=int, default=150)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument(
        "--readback", type=int, default=0, metavar="N", help="read N lines back with a recognizer"
    )
    ap.add_argument("--model", default="ppocrv6-small", help="zoo model for --readback")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    if args.readback:
        readback(args.readback, args.model, Path(args.out or ROOT / "benchmarks/results/synth_readback.md"))
        return
    args.out = args.out or str(ROOT / "benchmarks" / "results" / "synth.md")

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
        "*Per CPU-second* divides the samples by the CPU time of the parent and its workers: it depends",
        "much less on what else the machine runs than the wall rate does (contention for caches and memory",
        "still lowers it). Each spawned worker costs ~0.5 CPU-second to start (imports, fonts).",
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
