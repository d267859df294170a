"""``lumenocr synth rec|det``: render synthetic training data in PaddleOCR label format or LMDB."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "synth",
        help="generate synthetic training data (text lines or pages)",
        description="Render synthetic OCR training data: 'rec' writes cropped text lines, "
        "'det' writes pages with a polygon per line. Output is reproducible for a given --seed "
        "whatever the number of workers.",
    )
    kinds = parser.add_subparsers(dest="synth_kind", metavar="KIND")
    for kind, what, default_count in (
        ("rec", "text lines for recognition", 1000),
        ("det", "pages for detection", 100),
    ):
        p = kinds.add_parser(kind, help=what, description=f"Render {what}.")
        p.add_argument(
            "--count", type=int, default=default_count, help=f"samples to write (default {default_count})"
        )
        p.add_argument("--out", required=True, help="output folder (images/ + label.txt, or LMDB files)")
        p.add_argument("--config", help="YAML config (see configs/synth/); defaults need none")
        p.add_argument("--seed", type=int, default=0, help="same seed, same data (default 0)")
        p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
        p.add_argument("--format", choices=["folder", "lmdb"], default="folder", help="output layout")
        p.add_argument(
            "--fonts", action="append", default=[], metavar="DIR", help="extra font folder (repeatable)"
        )
        p.add_argument("--no-system-fonts", action="store_true", help="use only --fonts / config folders")
        p.add_argument("--dict", dest="dict_path", help="PaddleOCR dictionary: charset and balancing")
        p.add_argument("--corpus", help="text file, one line of text per line")
        p.add_argument(
            "--backgrounds",
            action="append",
            default=[],
            metavar="DIR",
            help="images to crop backgrounds from",
        )
        if kind == "det":
            p.add_argument(
                "--columns",
                metavar="N[-M]",
                help="article pages with N (to M) text columns; label.txt lists lines in reading order",
            )
        if kind == "rec":
            p.add_argument(
                "--handwriting", metavar="DIR", help="single-character images to compose lines from"
            )
        p.add_argument("--overwrite", action="store_true", help="replace a dataset already in --out")
        p.add_argument("--quiet", action="store_true", help="no progress bar")
        p.set_defaults(func=run)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def apply_overrides(cfg, args: argparse.Namespace):
    """Fold command-line options into a loaded config (command line wins)."""
    import dataclasses

    fonts = dataclasses.replace(
        cfg.fonts,
        dirs=list(cfg.fonts.dirs) + list(args.fonts),
        use_system=cfg.fonts.use_system and not args.no_system_fonts,
    )
    text = cfg.text
    if args.dict_path:
        text = dataclasses.replace(text, dict_path=args.dict_path)
    if args.corpus:
        text = dataclasses.replace(text, corpus_path=args.corpus)
    effects = cfg.effects
    if args.backgrounds:
        effects = dataclasses.replace(
            effects, background_dirs=list(effects.background_dirs) + list(args.backgrounds)
        )
    changes = {"fonts": fonts, "text": text, "effects": effects}
    if getattr(args, "columns", None):
        changes["columns"] = _column_range(args.columns)
    if getattr(args, "handwriting", None):
        changes["handwriting"] = dataclasses.replace(cfg.handwriting, char_dir=args.handwriting)
    return dataclasses.replace(cfg, **changes)


def _column_range(spec: str) -> list[int]:
    from lumenocr.errors import ConfigError

    try:
        lo, _, hi = spec.partition("-")
        rng = [int(lo), int(hi or lo)]
    except ValueError:
        raise ConfigError(f"--columns takes N or N-M (e.g. 2 or 2-3), got {spec!r}") from None
    if not 1 <= rng[0] <= rng[1] <= 6:
        raise ConfigError(f"--columns must be between 1 and 6 with N <= M, got {spec!r}")
    return rng


def run(args: argparse.Namespace) -> int:
    import sys

    from lumenocr.errors import ConfigError
    from lumenocr.synth.config import load_config
    from lumenocr.synth.generate import generate_det, generate_rec

    if args.count < 1:
        raise ConfigError(f"--count must be at least 1, got {args.count}")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {args.workers}")
    if args.seed < 0:  # numpy's generators take non-negative seeds
        raise ConfigError(f"--seed must be at least 0, got {args.seed}")
    cfg = apply_overrides(load_config(args.config, args.synth_kind), args)
    gen = generate_rec if args.synth_kind == "rec" else generate_det
    report = gen(
        cfg,
        count=args.count,
        out_dir=args.out,
        seed=args.seed,
        workers=args.workers,
        fmt=args.format,
        progress=not args.quiet and sys.stderr.isatty(),  # no bar updates in logs
        overwrite=args.overwrite,
    )
    unit = "lines" if args.synth_kind == "rec" else "pages"
    print(
        f"wrote {report.count} {unit} to {report.out_dir} ({report.fmt}) in {report.seconds:.1f} s "
        f"({report.per_second:.1f} {unit}/s, {report.workers} workers)",
        file=sys.stderr,
    )
    return 0
