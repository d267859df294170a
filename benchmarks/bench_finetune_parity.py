"""Parity of the native PyTorch PP-OCRv6 small models with the shipped ONNX files.

1. ``lumenocr convert`` the zoo's det and rec models, ``lumenocr export`` them back to ONNX.
2. Torch vs ONNX Runtime (shipped file): max |difference| of detection probability maps on
   ``--det-images`` ICDAR 2015 test images and of recognition softmax outputs on ``--rec-crops``
   word crops (the pipeline's own pre-processing).
3. The re-exported files through ``lumenocr eval``: every crop of icdar2015_rec_test must read the
   same text as the zoo model; icdar2015_test detection hmean must agree to 3 decimals.

    python benchmarks/bench_finetune_parity.py            # writes benchmarks/results/finetune_parity.md
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


def lumenocr(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "lumenocr.cli.main", *args], check=True, cwd=REPO)


def max_diffs(work: Path, n_det: int, n_rec: int) -> tuple[float, float]:
    import onnxruntime as ort
    import torch

    from lumenocr.io.labels import read_det_labels, read_rec_labels
    from lumenocr.preprocess import DetPreprocess, RecPreprocess
    from lumenocr.train.export import load_trained
    from lumenocr.zoo import get_spec, locate

    spec = get_spec("ppocrv6-small")
    det, _, _ = load_trained(work / "det.pt")
    rec, _, _ = load_trained(work / "rec.pt")
    sdet = ort.InferenceSession(str(locate(spec.det.file)), providers=["CPUExecutionProvider"])
    srec = ort.InferenceSession(str(locate(spec.rec.file)), providers=["CPUExecutionProvider"])
    pre = DetPreprocess(
        **{k: v for k, v in spec.det.preprocess.items() if k in ("limit_side_len", "limit_type")}
    )
    worst_det = 0.0
    d = DATA / "icdar2015_test"
    for s in read_det_labels(d / "label.txt")[:n_det]:
        x = pre(cv2.imread(str(d / s.image_path))).tensor
        with torch.no_grad():
            a = det(torch.from_numpy(x)).numpy()
        worst_det = max(worst_det, float(np.abs(a - sdet.run(None, {"x": x})[0]).max()))
    r = DATA / "icdar2015_rec_test"
    samples = read_rec_labels(r / "label.txt")[:n_rec]
    rpre = RecPreprocess()
    worst_rec = 0.0
    for i in range(0, len(samples), 16):
        x = rpre([cv2.imread(str(r / s.image_path)) for s in samples[i : i + 16]])
        with torch.no_grad():
            a = rec(torch.from_numpy(x)).numpy()
        worst_rec = max(worst_rec, float(np.abs(a - srec.run(None, {"x": x})[0]).max()))
    return worst_det, worst_rec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--det-images", type=int, default=20)
    ap.add_argument("--rec-crops", type=int, default=256)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "finetune_parity.md"))
    args = ap.parse_args()
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for part in ("det", "rec"):
            lumenocr("convert", "ppocrv6-small", "--part", part, "-o", str(work / f"{part}.pt"))
            lumenocr("export", str(work / f"{part}.pt"), "-o", str(work / f"{part}.onnx"))
        det_diff, rec_diff = max_diffs(work, args.det_images, args.rec_crops)
        res = {}
        for name, extra in (("zoo", []), ("exported", ["--rec-model", str(work / "rec.onnx")])):
            js, pred = work / f"rec_{name}.json", work / f"rec_{name}.jsonl"
            lumenocr(
                "eval",
                "rec",
                "--gt",
                str(DATA / "icdar2015_rec_test"),
                "--model",
                "ppocrv6-small",
                *extra,
                "--normalize",
                "icdar",
                "--json",
                str(js),
                "--save-pred",
                str(pred),
                "--quiet",
            )
            res[f"rec_{name}"] = json.loads(js.read_text())["metrics"]["accuracy"]
            res[f"rec_{name}_texts"] = [
                json.loads(ln)["text"] for ln in pred.read_text().splitlines() if ln.strip()
            ]
        for name, extra in (("zoo", []), ("exported", ["--det-model", str(work / "det.onnx")])):
            js = work / f"det_{name}.json"
            lumenocr(
                "eval",
                "det",
                "--gt",
                str(DATA / "icdar2015_test"),
                "--model",
                "ppocrv6-small",
                *extra,
                "--json",
                str(js),
                "--quiet",
            )
            res[f"det_{name}"] = json.loads(js.read_text())["metrics"]["hmean"]
    a, b = res["rec_zoo_texts"], res["rec_exported_texts"]
    differing = sum(x != y for x, y in zip(a, b, strict=True))
    lines = [
        "# Native PyTorch PP-OCRv6 small vs the shipped ONNX files",
        "",
        f"Command: `python benchmarks/bench_finetune_parity.py` ({time.time() - t0:.0f} s on the shared 2-core VM)",
        "",
        "| check | result |",
        "|---|---|",
        f"| det probability map, torch vs shipped ONNX, max abs diff ({args.det_images} icdar2015_test images) | {det_diff:.2e} |",
        f"| rec softmax, torch vs shipped ONNX, max abs diff ({args.rec_crops} icdar2015_rec_test crops) | {rec_diff:.2e} |",
        f"| rec: crops of icdar2015_rec_test read differently, re-exported vs zoo | {differing} of {len(a)} |",
        f"| rec accuracy (icdar), zoo / re-exported | {res['rec_zoo']:.4f} / {res['rec_exported']:.4f} |",
        f"| det hmean icdar2015_test, zoo / re-exported | {res['det_zoo']:.3f} / {res['det_exported']:.3f} |",
        "",
    ]
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
