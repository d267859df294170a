"""Training-time evaluation vs `lumenocr eval rec --model` on the same crops.

Runs the zoo recognizer through the trainer's evaluation code (``train.trainer.evaluate_predictor``
on a ``RecDataset`` eval set, predictor from the one factory) and through the
``lumenocr eval rec --model`` command, and, for reference, the way training-time evaluation read
crops before the predictor factory was shared (no right margin, no vertical turn). Writes
benchmarks/results/train_eval_parity.md.

    python benchmarks/bench_train_eval_parity.py [--gt ../shared/data/icdar2015_rec_test] [--model ppocrv6-small]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lumenocr.cli.main import main as cli  # noqa: E402
from lumenocr.metrics import evaluate_recognition  # noqa: E402
from lumenocr.pipeline.build import build_recognizer  # noqa: E402
from lumenocr.runtime.onnx import RuntimeOptions  # noqa: E402
from lumenocr.train.datasets import Dictionary, RecDataset  # noqa: E402
from lumenocr.train.trainer import evaluate_predictor  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--gt", default="../shared/data/icdar2015_rec_test", help="relative to the repository root"
    )
    ap.add_argument("--model", default="ppocrv6-small")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    gt = Path(args.gt) if Path(args.gt).is_absolute() else REPO / args.gt
    label = gt / "label.txt"
    rec = build_recognizer(args.model, RuntimeOptions(threads=args.threads))
    chars = list(rec.decoder.characters)
    # An evaluation set keeps every sample, as `lumenocr eval` does.
    ds = RecDataset([str(label)], dictionary=Dictionary(chars, rec.decoder.use_space_char), role="evaluation")

    t0 = time.perf_counter()
    train_time = evaluate_predictor("rec", rec, ds)
    t_train = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "eval.json"
        t0 = time.perf_counter()
        code = cli(
            [
                "eval",
                "rec",
                "--gt",
                str(gt),
                "--model",
                args.model,
                "--threads",
                str(args.threads),
                "--json",
                str(out),
                "--quiet",
            ]
        )
        t_cli = time.perf_counter() - t0
        assert code == 0
        cli_metrics = json.loads(out.read_text(encoding="utf-8"))["metrics"]

    # Before: the trainer built its own recognizer and called it on the crops as decoded by
    # cv2.imdecode (no EXIF turn), without the tight-crop margin or the vertical turn.
    import cv2

    crops, texts = [], []
    for i in range(len(ds)):
        si, key, text = ds.items[i]
        crops.append(cv2.imread(str(gt / key)))
        texts.append(text)
    old = evaluate_recognition(texts, [r.text for r in rec(crops)])

    rows = [
        (
            "training-time evaluation (evaluate_predictor, one factory)",
            train_time["accuracy"],
            train_time["cer"],
        ),
        ("`lumenocr eval rec --model`", cli_metrics["accuracy"], cli_metrics["cer"]),
        ("before: trainer's own recognizer (no margin, no vertical turn)", old.accuracy, old.cer),
    ]
    lines = [
        f"# Training-time evaluation vs `lumenocr eval rec --model` ({args.model}, {gt.name}, "
        f"{len(ds)} crops)",
        "",
        f"Command: `python benchmarks/bench_train_eval_parity.py --gt {args.gt} --model {args.model}`",
        "",
        "| path | accuracy % | CER % |",
        "|---|---|---|",
        *[f"| {name} | {100 * acc:.2f} | {100 * cer:.2f} |" for name, acc, cer in rows],
        "",
        f"Wall time: training-time path {t_train:.0f} s, CLI {t_cli:.0f} s.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    (REPO / "benchmarks" / "results" / "train_eval_parity.md").write_text(text, encoding="utf-8")
    return 0 if abs(train_time["accuracy"] - cli_metrics["accuracy"]) < 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())
