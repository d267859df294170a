"""``lumenocr quantize``: int8 detector and recognizer files from a zoo model (see lumenocr/quantize.py)."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "quantize",
        help="int8 post-training quantization of a zoo model (calibrated on your images)",
        description="Write det_int8.onnx and rec_int8.onnx for a zoo model, calibrated on training images "
        "(never on what you evaluate on). Use them with `lumenocr ocr --det-model OUT/det_int8.onnx "
        "--rec-model OUT/rec_int8.onnx`. Measured (docs/performance.md): no loss on ICDAR scenes, but +0.9 "
        "point page CER on FUNSD forms for 8-14% less latency, so it is not a default: evaluate on your own "
        "data before adopting it.",
    )
    p.add_argument("calib", nargs="+", help="calibration images: files or folders (searched recursively)")
    p.add_argument("-o", "--output", required=True, help="folder for det_int8.onnx / rec_int8.onnx")
    p.add_argument("--model", default=None, help="zoo model to quantize (default: the default model)")
    p.add_argument("--parts", default="det,rec", help="det, rec or det,rec (default)")
    p.add_argument("--det-images", type=int, metavar="N", help="pages for the detector's ranges (48)")
    p.add_argument("--rec-lines", type=int, metavar="N", help="text lines for the recognizer's ranges (384)")
    p.add_argument("--synth-lines", type=int, metavar="N", help="generated lines added to the rec set (0)")
    p.add_argument("--seed", type=int, help="sampling seed (0)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lumenocr.errors import ConfigError
    from lumenocr.io.writers import prepare_folder
    from lumenocr.quantize import options_from, quantize_model
    from lumenocr.zoo import DEFAULT_MODEL

    for name, least in (("det_images", 1), ("rec_lines", 1), ("synth_lines", 0), ("seed", 0)):
        v = getattr(args, name)
        if v is not None and v < least:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least {least}, got {v}")
    opts = options_from(
        det_images=args.det_images, rec_lines=args.rec_lines, synth_lines=args.synth_lines, seed=args.seed
    )
    parts = tuple(s.strip() for s in args.parts.split(",") if s.strip())
    prepare_folder(args.output, "--output")
    report = quantize_model(args.model or DEFAULT_MODEL, args.calib, args.output, opts, parts)
    for path in (report.det, report.rec):
        if path is not None:
            print(f"wrote {path}")
    return 0
