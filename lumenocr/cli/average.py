"""``lumenocr average CK1.pt CK2.pt ... -o avg.pt``: the mean of the weights of checkpoints of one run."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "average",
        help="average the weights of checkpoints of one training run",
        description="Write a checkpoint whose weights are the uniform mean of the given checkpoints' weights "
        "(e.g. the step_N.pt files of one run's last evaluations); config, dictionary and pre/post-processing "
        "come from the last one. `lumenocr export` and global.pretrained accept it. Choose detection "
        "thresholds again for the average (they were chosen for the last checkpoint's weights).",
    )
    p.add_argument("checkpoints", nargs="+", help="checkpoints of one run, in training order (two or more)")
    p.add_argument("-o", "--output", required=True, help="checkpoint to write (.pt)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lumenocr.io.writers import prepare_output_file
    from lumenocr.train.average import write_average

    prepare_output_file(args.output)
    state = write_average(args.checkpoints, args.output)
    print(f"wrote {args.output} (mean of {len(args.checkpoints)} checkpoints, {len(state['model'])} tensors)")
    return 0
