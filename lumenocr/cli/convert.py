"""``lumenocr convert MODEL.onnx|ZOO_NAME [--part det|rec|cls] -o model.pt``: weights -> training checkpoint."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "convert",
        help="turn a published PP-OCR ONNX model into a checkpoint for fine-tuning",
        description="Load the weights of a published ONNX model (a file, or a zoo name with --part) into the "
        "native PyTorch model and write a checkpoint (config + weights + dictionary + pre/post-processing) that "
        "global.pretrained accepts and `lumenocr export` turns back into ONNX.",
    )
    p.add_argument("source", help="ONNX file or zoo model name (see `lumenocr models`)")
    p.add_argument(
        "--part", choices=("det", "rec", "cls"), help="which model of a zoo entry (required for a name)"
    )
    p.add_argument("--dict", dest="dictionary", help="recognizer dictionary, when the ONNX file carries none")
    p.add_argument("-o", "--output", required=True, help="checkpoint to write (.pt)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lumenocr.io.writers import prepare_output_file
    from lumenocr.train.convert import convert

    prepare_output_file(args.output)
    info = convert(args.source, args.output, args.part, args.dictionary)
    print(f"wrote {info['output']} ({info['task']}, {info['architecture']}, {info['layers']} layers)")
    return 0
