"""``lumenocr`` command line: a thin dispatcher over one module per sub-command.

Each sub-command module exposes ``register(subparsers)`` and sets ``func`` on its parser;
modules import heavy dependencies (torch, fonts) only inside ``func`` so that
``lumenocr --help`` and ``lumenocr ocr`` stay fast and need no training extras.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import warnings
from collections.abc import Iterator

from lumenocr.errors import LumenOCRError

# name -> module implementing it. Order is the order shown in --help.
SUBCOMMANDS = {
    "ocr": "lumenocr.cli.ocr",
    "models": "lumenocr.cli.models",
    "eval": "lumenocr.cli.eval",
    "synth": "lumenocr.cli.synth",
    "train": "lumenocr.cli.train",
    "export": "lumenocr.cli.export",
    "convert": "lumenocr.cli.convert",
    "average": "lumenocr.cli.average",
    "quantize": "lumenocr.cli.quantize",
    "data": "lumenocr.cli.data",
    "serve": "lumenocr.cli.serve",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command-line parser; with ``command`` (a sub-command name) only that sub-command
    is registered, so running it imports its own module and no other (``lumenocr ocr`` does not
    pay for the evaluation, training or server modules' imports)."""
    from lumenocr import __version__

    parser = argparse.ArgumentParser(
        prog="lumenocr", description="OCR toolkit: read, evaluate, train, export."
    )
    parser.add_argument("--version", action="version", version=f"lumenocr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = [command] if command in SUBCOMMANDS else list(SUBCOMMANDS)
    for module_name in (SUBCOMMANDS[n] for n in names):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name == module_name:  # sub-command not built yet
                continue
            raise
        module.register(sub)
    return parser


@contextlib.contextmanager
def _warnings_as_lines(command: str) -> Iterator[None]:
    """Show warnings as one ``lumenocr CMD: warning: ...`` line each, without Python's
    file/line prefix and source echo (a user is not debugging lumenocr)."""

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        print(f"lumenocr {command}: warning: {message}", file=file or sys.stderr, flush=True)

    saved = warnings.showwarning
    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = saved


def _command_of(argv: list[str]) -> str | None:
    """The sub-command ``argv`` names: its first word that is not an option (the top level
    has only ``--help`` and ``--version``, which take no value)."""
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_of(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        with _warnings_as_lines(args.command):
            return int(args.func(args) or 0)
    except LumenOCRError as e:
        print(f"lumenocr {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
