"""ONNX Runtime thread spinning on and off (``RuntimeOptions.spinning``), whole pipeline.

Each configuration runs in a fresh process (``--child``) over the same first pages of each
set, twice round (the order of the configurations alternates between rounds), and reports the
median page time of ``OCR.ocr_image`` (decoded image in, one warm-up call per set).

    python benchmarks/bench_spinning.py --limits icdar2015_test=8,funsd_train=3,xfund_zh_train_30=2 \
        --rounds 2 --out benchmarks/results/ort_spinning
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
CONFIGS = {
    "OpenVINO bf16": {"precision": "bf16"},
    "ONNX Runtime f32": {"providers": ["cpu"]},
}


def child(options: dict, spinning: bool, limits: dict[str, int], threads: int) -> dict[str, float]:
    import cv2

    import lumenocr.runtime.onnx as onnx
    from lumenocr import OCR

    if spinning:  # every ONNX Runtime session of this process spins (ORT's own default)
        original = onnx.OnnxEngine.__init__

        def spinning_init(self, path, options=None, *a, **kw):
            original(
                self, path, dataclasses.replace(options or onnx.RuntimeOptions(), spinning=True), *a, **kw
            )

        onnx.OnnxEngine.__init__ = spinning_init  # type: ignore[method-assign]
    ocr = OCR(threads=threads, **options)
    out = {}
    for ds, n in limits.items():
        rows = (DATA / ds / "label.txt").read_text(encoding="utf-8").splitlines()[:n]
        images = [cv2.imread(str(DATA / ds / r.split("\t", 1)[0])) for r in rows]
        ocr.ocr_image(images[0])
        times = []
        for img in images:
            t0 = time.perf_counter()
            ocr.ocr_image(img)
            times.append(time.perf_counter() - t0)
        out[ds] = statistics.median(times)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limits", default="icdar2015_test=8,funsd_train=3,xfund_zh_train_30=2")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "ort_spinning"))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    limits = {k: int(v) for k, v in (kv.split("=") for kv in args.limits.split(","))}
    if args.child:
        name, spin = json.loads(args.child)
        print(json.dumps(child(CONFIGS[name], spin, limits, args.threads)))
        return
    runs: dict[tuple[str, bool], list[dict[str, float]]] = {}
    jobs = [(name, spin) for name in CONFIGS for spin in (True, False)]
    for r in range(args.rounds):
        for name, spin in jobs if r % 2 == 0 else jobs[::-1]:
            cmd = [
                sys.executable,
                __file__,
                "--child",
                json.dumps([name, spin]),
                "--limits",
                args.limits,
                "--threads",
                str(args.threads),
            ]
            res = json.loads(
                subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()[-1]
            )
            runs.setdefault((name, spin), []).append(res)
            print(
                name,
                "spinning" if spin else "no spinning",
                {k: round(v * 1000) for k, v in res.items()},
                flush=True,
            )
    lines = [
        "# ONNX Runtime thread spinning (RuntimeOptions.spinning)",
        "",
        f"Command: `python benchmarks/bench_spinning.py --limits {args.limits} --rounds {args.rounds} "
        f"--threads {args.threads}` (under the benchmark lock, raised scheduler group). "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Median ms per page of each round "
        "(a fresh process per configuration and round), then the ratio no-spinning / spinning of the "
        "rounds' medians. The OpenVINO pipeline has one ONNX Runtime model: page orientation.",
        "",
        "| pipeline | data set | spinning (ms per round) | no spinning (ms per round) | ratio |",
        "|---|---|---|---|---|",
    ]
    for name in CONFIGS:
        for ds in limits:
            on = [r[ds] * 1000 for r in runs[(name, True)]]
            off = [r[ds] * 1000 for r in runs[(name, False)]]
            ratio = statistics.median(off) / statistics.median(on)
            lines.append(
                f"| {name} | {ds} ({limits[ds]}) | {', '.join(f'{v:.0f}' for v in on)} | "
                f"{', '.join(f'{v:.0f}' for v in off)} | {ratio:.2f} |"
            )
    text = "\n".join(lines) + "\n"
    Path(args.out).with_suffix(".md").write_text(text, encoding="utf-8")
    Path(args.out).with_suffix(".json").write_text(
        json.dumps({f"{k[0]} | spinning={k[1]}": v for k, v in runs.items()}, indent=1)
    )
    print(text)


if __name__ == "__main__":
    main()
