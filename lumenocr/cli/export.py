"""``lumenocr export CHECKPOINT --output model.onnx``: ONNX with dictionary and pre/post-processing inside."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export",
        help="export a trained checkpoint to ONNX",
        description="Export best.pt / latest.pt to ONNX with dynamic axes; the metadata carries the task, "
        "dictionary and pre/post-processing, so `lumenocr ocr --det-model/--rec-model` loads it as is.",
    )
    p.add_argument("checkpoint", help="checkpoint written by `lumenocr train` (best.pt or latest.pt)")
    p.add_argument("-o", "--output", required=True, help="ONNX file to write")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset (default 17)")
    p.add_argument("--check", action="store_true", help="compare torch and ONNX Runtime outputs after export")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lumenocr.io.writers import prepare_output_file
    from lumenocr.train.export import export_onnx, parity

    prepare_output_file(args.output)
    path = export_onnx(args.checkpoint, args.output, args.opset)
    print(f"wrote {path}")
    if args.check:
        diff = parity(args.checkpoint, path)
        print(f"max |torch - onnxruntime| = {diff:.3g}")
        if diff > 1e-4:
            print("warning: outputs differ by more than 1e-4")
            return 1
    return 0
