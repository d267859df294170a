"""Metric against training time: score the weights a run kept at each evaluation on other data.

A run with ``global.keep_eval_checkpoints: true`` keeps ``step_<N>.pt`` at every evaluation and
records the CPU seconds it had used by then (``cpu_s`` in ``eval_log.csv``). This scores each
kept checkpoint on the first ``--limit`` samples of ``--gt`` with the pipeline's own predictor
(as ``lumenocr eval`` scores the exported file, at the thresholds the run's config writes into it)
and prints a markdown table: step, CPU minutes, held-out metric of the run, metric on ``--gt``.

    python benchmarks/finetune_curve.py --run output/ft_det_ppocrv6_small \\
        --gt ../shared/data/icdar2015_test --limit 100 --zoo-baseline ppocrv6-small
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import time
from pathlib import Path


def checkpoints(run: Path) -> list[tuple[int, Path]]:
    found = [
        (int(m.group(1)), p) for p in run.glob("step_*.pt") if (m := re.fullmatch(r"step_(\d+)\.pt", p.name))
    ]
    return sorted(found)


def eval_rows(run: Path) -> dict[int, dict[str, str]]:
    path = run / "eval_log.csv"
    if not path.is_file():
        return {}
    with path.open(newline="") as f:
        return {int(r["step"]): r for r in csv.DictReader(f)}


def score(cfg, dictionary, predictor, gt: str, limit: int, normalize: str) -> dict[str, float]:
    """``predictor`` on the first ``limit`` samples of ``gt`` (a label file or a folder holding
    label.txt), read as the run's own evaluation reads its held-out set."""
    from dataclasses import replace

    from lumenocr.train.config import DataConfig
    from lumenocr.train.trainer import evaluate_predictor, make_dataset

    label = Path(gt)
    label = label / "label.txt" if label.is_dir() else label
    data = replace(cfg.eval or DataConfig(), label_files=[str(label)], lmdb=[], limit=limit)
    return evaluate_predictor(cfg.task, predictor, make_dataset(cfg, data, False, dictionary), normalize)


def predictor_from_checkpoint(path: Path):
    from lumenocr.pipeline.build import detector_from_engine, recognizer_from_engine
    from lumenocr.train.engine import TorchEngine
    from lumenocr.train.export import load_trained, model_meta

    model, cfg, dictionary = load_trained(path)
    engine = TorchEngine(model, "cpu", meta=model_meta(cfg, dictionary))
    pred = detector_from_engine(engine) if cfg.task == "det" else recognizer_from_engine(engine)
    return cfg, dictionary, pred


def tuned(pred, label: str | None):
    """``pred`` with the DB thresholds best on ``label`` (a detector; others unchanged)."""
    if label is None or not hasattr(pred, "postprocess") or not hasattr(pred.postprocess, "box_thresh"):
        return pred, ""
    from dataclasses import replace

    from lumenocr.train.tune import tune_db_thresholds

    best = tune_db_thresholds(pred, label)[0]
    pred.postprocess = replace(
        pred.postprocess, thresh=best.thresh, box_thresh=best.box_thresh, unclip_ratio=best.unclip_ratio
    )
    return pred, f"{best.thresh} / {best.box_thresh} / {best.unclip_ratio}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="training output_dir with step_<N>.pt and eval_log.csv")
    ap.add_argument("--gt", required=True, help="label file (or folder with label.txt) to score on")
    ap.add_argument("--limit", type=int, default=100, help="first N samples of --gt")
    ap.add_argument("--normalize", default="icdar", help="rec: text comparison (lumenocr eval --normalize)")
    ap.add_argument("--zoo-baseline", help="also score this zoo model's part as step 0")
    ap.add_argument(
        "--tune-on",
        help="det: choose each checkpoint's DB thresholds on this label file (held-out *training* "
        "images) before scoring, instead of the thresholds its config carries",
    )
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", help="write the table here (markdown) as well")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    run = Path(args.run)
    held_out = eval_rows(run)
    # scores already computed for a checkpoint (same file, data and options) are reused
    cache_path = run / "curve_cache.json"
    cache = json.loads(cache_path.read_text()) if cache_path.is_file() else {}

    def cached(path: Path, compute):
        key = f"{path.name}:{path.stat().st_mtime_ns}:{args.gt}:{args.limit}:{args.tune_on}:{args.normalize}"
        if key not in cache:
            cache[key] = compute()
            cache_path.write_text(json.dumps(cache, indent=1))
        return cache[key]

    t0 = time.time()
    if not checkpoints(run):
        raise SystemExit(f"{run}: no step_<N>.pt (train with global.keep_eval_checkpoints: true)")
    rows = []
    if args.zoo_baseline:
        from lumenocr.train.convert import convert

        kept = checkpoints(run)
        if not kept:
            raise SystemExit(f"{run}: no step_<N>.pt (train with global.keep_eval_checkpoints: true)")
        task = predictor_from_checkpoint(kept[0][1])[0].task
        base = run / f"zoo_{args.zoo_baseline}_{task}.pt"
        if not base.is_file():
            convert(args.zoo_baseline, base, task)
        cfg, dictionary, pred = predictor_from_checkpoint(base)
        rows.append(
            (0, 0.0, "", "defaults", score(cfg, dictionary, pred, args.gt, args.limit, args.normalize))
        )
        if args.tune_on:
            pred, chosen = tuned(pred, args.tune_on)
            rows.append(
                (0, 0.0, "", chosen, score(cfg, dictionary, pred, args.gt, args.limit, args.normalize))
            )
    for step, path in checkpoints(run):

        def one(path: Path = path) -> list:
            cfg, dictionary, pred = predictor_from_checkpoint(path)
            pred, chosen = tuned(pred, args.tune_on)
            return [cfg.task, chosen, score(cfg, dictionary, pred, args.gt, args.limit, args.normalize)]

        task, chosen, m = cached(path, one)
        r = held_out.get(step, {})
        cpu = float(r["cpu_s"]) / 60 if r.get("cpu_s") else float("nan")
        rows.append((step, cpu, r.get("value", ""), chosen, m))
        print(f"step {step}: {m}", flush=True)
    key = "hmean" if task == "det" else "accuracy"
    lines = [
        f"Command: `python benchmarks/finetune_curve.py {' '.join(_argv())}` ({time.time() - t0:.0f} s)",
        "",
        f"| step | training CPU minutes | held-out {key} (run's eval set) | thresholds | {key} on "
        f"{Path(args.gt).name}, first {args.limit} |",
        "|---|---|---|---|---|",
    ]
    for step, cpu, held, chosen, m in rows:
        extra = f" (P {m['precision']:.3f} R {m['recall']:.3f})" if task == "det" else ""
        cpu_txt = "0 (shipped)" if step == 0 else f"{cpu:.1f}"
        held_txt = f"{float(held):.4f}" if held else "-"
        lines.append(f"| {step} | {cpu_txt} | {held_txt} | {chosen or '-'} | {m[key]:.4f}{extra} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")


def _argv() -> list[str]:
    import sys

    return sys.argv[1:]


if __name__ == "__main__":
    main()
