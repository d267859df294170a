"""Train a DB detector from scratch on generated pages within a CPU time budget.

Generates pages with :mod:`lumenocr.train.toydata` (OpenCV Hershey fonts, 3-8 horizontal lines
per 480x640 page, word-level boxes), trains ``configs/det_db_mv3.yml`` (MobileNetV3-large x0.5,
DB-FPN 64) on 256x256 text-keeping crops, exports best.pt to ONNX and scores the *exported*
model through the pipeline (``TextDetector.from_onnx``) on held-out pages with the evaluation
toolkit (IoU 0.5). Appends a section to ``benchmarks/results/train.md``.

    nice -n 5 python benchmarks/bench_train_det.py --minutes 25
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import torch  # noqa: E402

from lumenocr.io.labels import read_det_labels, resolve_image  # noqa: E402
from lumenocr.metrics import evaluate_detection  # noqa: E402
from lumenocr.pipeline.det import TextDetector  # noqa: E402
from lumenocr.train.config import load_config  # noqa: E402
from lumenocr.train.datasets import read_image  # noqa: E402
from lumenocr.train.export import export_onnx, parity  # noqa: E402
from lumenocr.train.toydata import make_det_set  # noqa: E402
from lumenocr.train.trainer import Trainer  # noqa: E402


def generated(folder: Path, count: int, seed: int) -> Path:
    label = folder / "label.txt"
    if label.is_file() and len(label.read_text().splitlines()) == count:
        return label
    return make_det_set(folder, count, seed=seed)


def score(model: Path, label_file: Path) -> dict:
    samples = read_det_labels(label_file)
    det = TextDetector.from_onnx(str(model))
    t0 = time.perf_counter()
    preds = [det(read_image(resolve_image(label_file, s.image_path))) for s in samples]
    dt = time.perf_counter() - t0
    m = evaluate_detection(samples, preds, iou=0.5)
    return {
        "hmean": m.hmean,
        "precision": m.precision,
        "recall": m.recall,
        "pages": len(samples),
        "gt_boxes": m.gt,
        "seconds": dt,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=25.0)
    ap.add_argument("--steps", type=int, default=1000, help="max_steps (the cosine schedule's length)")
    ap.add_argument("--train-count", type=int, default=2000)
    ap.add_argument("--val-count", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--lr", type=float, default=0.005)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 suits a busy shared CPU)")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "lumenocr_bench_train_det"))
    ap.add_argument("--results", default=str(REPO / "benchmarks" / "results" / "train.md"))
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    work = Path(args.work)
    train_labels = generated(work / "train", args.train_count, 0)
    val_labels = generated(work / "val", args.val_count, 1)
    out = work / "run"
    overrides = [
        f"global.output_dir={out}",
        f"global.device={args.device}",
        f"global.threads={args.threads}",
        f"global.max_steps={args.steps}",
        f"global.max_minutes={args.minutes}",
        "global.progress_bar=false",
        "global.log_every=50",
        "global.eval_every=250",
        f"train.label_files=[{train_labels}]",
        f"train.batch_size={args.batch_size}",
        f"train.num_workers={args.workers}",
        "train.augment.size=256",
        "train.augment.scale_range=[0.5, 1.5]",
        f"eval.label_files=[{val_labels}]",
        "eval.limit=50",
        f"optimizer.lr={args.lr}",
        "schedule.warmup_steps=100",
        "model.neck.out_channels=64",
        "inference.preprocess.limit_side_len=640",
    ]
    trainer = Trainer(load_config(REPO / "configs" / "det_db_mv3.yml", overrides))
    t = time.perf_counter()
    summary = trainer.fit()
    train_s = time.perf_counter() - t
    onnx_path = export_onnx(out / "best.pt", out / "det.onnx")
    diff = parity(out / "best.pt", onnx_path)
    held_out = score(onnx_path, val_labels)
    result = {
        "train_seconds": round(train_s, 1),
        "steps": summary["step"],
        "samples_per_s": round(summary["samples_per_s"] or 0, 2),
        "best_eval_hmean_50": summary["best"],
        "held_out": held_out,
        "parity_max_abs_diff": diff,
    }
    print(json.dumps(result, indent=2))
    lines = [
        "\n## DB detector (MobileNetV3-large x0.5 + DB-FPN 64) from scratch on generated pages\n",
        f"- Command: `nice -n 5 python benchmarks/bench_train_det.py {' '.join(sys.argv[1:])}` "
        f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, device {trainer.device}, "
        f"torch threads {torch.get_num_threads()})",
        f"- Data: {args.train_count} generated 480x640 pages (Hershey fonts, 3-8 word lines each), "
        f"{args.val_count} held-out pages (other seed); training crops 256x256",
        f"- Trained {summary['step']} steps x batch {args.batch_size} in {train_s / 60:.1f} min: "
        f"**{result['samples_per_s']} samples/s**",
        f"- Held-out pages (exported ONNX through `TextDetector.from_onnx`, IoU 0.5): **hmean {held_out['hmean']:.4f}** "
        f"(precision {held_out['precision']:.4f}, recall {held_out['recall']:.4f}, {held_out['gt_boxes']} boxes)",
        f"- torch vs ONNX Runtime max |diff|: {diff:.2e}\n",
    ]
    with open(args.results, "a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
