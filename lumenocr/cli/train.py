"""``lumenocr train -c config.yml [-o section.key=value ...]``: train a detector, recognizer or classifier.

Data-parallel: ``torchrun --nproc_per_node 2 -m lumenocr.cli.main train -c config.yml``.
"""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a model from a YAML config",
        description="Train from a YAML config (see configs/). Writes config.yml, train_log.csv, eval_log.csv, "
        "train.log, latest.pt (resumable) and best.pt to global.output_dir.",
    )
    p.add_argument("-c", "--config", required=True, help="YAML training config")
    p.add_argument(
        "-o",
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. -o global.max_steps=1000 -o optimizer.lr=5e-4 (repeatable)",
    )
    p.add_argument("--resume", metavar="CHECKPOINT", help="shorthand for -o global.checkpoint=CHECKPOINT")
    p.set_defaults(func=run)


def setup_logging(output_dir: str, main: bool) -> None:
    import logging
    from pathlib import Path

    logger = logging.getLogger("lumenocr.train")
    logger.setLevel(logging.INFO if main else logging.WARNING)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S")
    # A second run in the same process (a notebook, a script calling main twice) writes its own
    # train.log: the previous run's file handler goes, the console handler stays.
    for handler in [h for h in logger.handlers if isinstance(h, logging.FileHandler)]:
        logger.removeHandler(handler)
        handler.close()
    if not logger.handlers:
        console = logging.StreamHandler()
        console.setFormatter(fmt)
        logger.addHandler(console)
    if main:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        file = logging.FileHandler(Path(output_dir) / "train.log", encoding="utf-8")
        file.setFormatter(fmt)
        logger.addHandler(file)


def run(args: argparse.Namespace) -> int:
    import os

    from lumenocr.train.config import load_config

    overrides = list(args.override)
    if args.resume:
        overrides.append(f"global.checkpoint={args.resume}")
    cfg = load_config(args.config, overrides)
    main = int(os.environ.get("RANK", "0")) == 0
    if main:
        from lumenocr.io.writers import prepare_folder

        prepare_folder(cfg.global_.output_dir, "global.output_dir")
    setup_logging(cfg.global_.output_dir, main)

    from lumenocr.train.trainer import Trainer

    summary = Trainer(cfg).fit()
    import logging
    import signal

    if summary["stopped_by"]:  # latest.pt holds the last step; the shell sees the usual 128 + signal
        return 128 + int(signal.Signals[summary["stopped_by"]])
    logging.getLogger("lumenocr.train").info(
        "done: %d steps, best %s %s, %s samples/s, outputs in %s",
        summary["step"],
        summary["metric"],
        summary["best"],
        f"{summary['samples_per_s']:.1f}" if summary["samples_per_s"] else "?",
        summary["output_dir"],
    )
    return 0
