"""``lumenocr data``: look at training data the way the model sees it, and convert it.

* ``inspect -c config.yml``: a grid of augmented samples with their targets (CTC text, DB
  shrink and threshold maps): check augmentation and labels before a long run.
* ``to-lmdb LABEL_FILE OUT_DIR``: pack a recognition label file into a PaddleOCR-style LMDB.
* ``crops DET_LABEL OUT_DIR``: cut recognition word crops out of a detection label file.
* ``split DET_LABEL OUT_DIR --val 0.1``: hold out images for validation (thresholds, early stop).
"""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser("data", help="inspect or convert training data")
    sub = p.add_subparsers(dest="data_command", metavar="ACTION")
    ins = sub.add_parser("inspect", help="save a grid of augmented training samples with their targets")
    ins.add_argument("-c", "--config", required=True, help="YAML training config")
    ins.add_argument("-o", "--override", action="append", default=[], metavar="KEY=VALUE")
    ins.add_argument("--split", choices=("train", "eval"), default="train")
    ins.add_argument("-n", "--count", type=int, default=16, help="samples to show (default 16)")
    ins.add_argument("--epoch", type=int, default=0, help="epoch whose augmentation to show")
    ins.add_argument("--out", default="inspect.png", help="image to write (default inspect.png)")
    ins.set_defaults(func=inspect)
    lm = sub.add_parser("to-lmdb", help="pack a recognition label file into an LMDB folder")
    lm.add_argument("label_file")
    lm.add_argument("out_dir")
    lm.set_defaults(func=to_lmdb)
    cr = sub.add_parser("crops", help="cut recognition crops out of a detection label file")
    cr.add_argument("label_file", help="detection / end-to-end label file (PaddleOCR format)")
    cr.add_argument("out_dir")
    cr.add_argument(
        "--mode",
        choices=("quad", "box", "both"),
        default="quad",
        help="quad: rectified quadrilateral (what the pipeline reads); box: axis-aligned box; both",
    )
    cr.set_defaults(func=crops)
    sp = sub.add_parser("split", help="split a detection label file by image into train.txt / val.txt")
    sp.add_argument("label_file")
    sp.add_argument("out_dir")
    sp.add_argument("--val", type=float, default=0.1, help="fraction of images held out (default 0.1)")
    sp.add_argument("--seed", type=int, default=0)
    sp.set_defaults(func=split)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def inspect(args: argparse.Namespace) -> int:
    import cv2

    from lumenocr.errors import ConfigError
    from lumenocr.train.config import load_config
    from lumenocr.train.inspect import sample_grid
    from lumenocr.train.trainer import make_dataset, make_dictionary

    if args.count < 1:
        raise ConfigError(f"--count must be >= 1, got {args.count}")
    cfg = load_config(args.config, args.override)
    data = cfg.train if args.split == "train" else cfg.eval
    if data is None:
        raise ConfigError("the config has no eval section")
    ds = make_dataset(cfg, data, args.split == "train", make_dictionary(cfg))
    ds.set_epoch(args.epoch)
    grid = sample_grid(cfg, ds, min(args.count, len(ds)))
    if not cv2.imwrite(args.out, grid):
        raise ConfigError(f"cannot write {args.out}")
    print(f"wrote {args.out} ({min(args.count, len(ds))} of {len(ds)} samples)")
    return 0


def to_lmdb(args: argparse.Namespace) -> int:
    from lumenocr.io.writers import prepare_folder
    from lumenocr.train.lmdb_writer import write_rec_lmdb

    prepare_folder(args.out_dir, "out_dir")
    n = write_rec_lmdb(args.label_file, args.out_dir)
    print(f"wrote {n} samples to {args.out_dir}")
    return 0


def crops(args: argparse.Namespace) -> int:
    from lumenocr.io.writers import prepare_folder
    from lumenocr.train.crops import cut_word_crops

    prepare_folder(args.out_dir, "out_dir")
    c = cut_word_crops(args.label_file, args.out_dir, args.mode)
    print(
        f"wrote {c['crops']} crops from {c['images']} images to {args.out_dir} "
        f"({c['skipped_boxes']} don't-care/empty boxes skipped, {c['unreadable_images']} unreadable images)"
    )
    return 1 if c["unreadable_images"] else 0


def split(args: argparse.Namespace) -> int:
    from lumenocr.io.writers import prepare_folder
    from lumenocr.train.crops import split_det_labels

    prepare_folder(args.out_dir, "out_dir")
    train, val = split_det_labels(args.label_file, args.out_dir, args.val, args.seed)
    print(f"wrote {train} and {val}")
    return 0
