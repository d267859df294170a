"""Every ``lumenocr`` sub-command, as a new user meets it: its help reads as written, and an
output it cannot write is one clear line and exit code 2, never a traceback."""

from __future__ import annotations

import argparse

import pytest

from lumenocr.cli.main import SUBCOMMANDS, build_parser


def _parsers(parser: argparse.ArgumentParser, name: str = "lumenocr"):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {sub_name}")


@pytest.mark.parametrize("command", list(SUBCOMMANDS))
def test_help_texts_show_no_format_escapes(command):
    # A description is printed verbatim (argparse %-formats only option help), so "%%" in one
    # showed as "%%" (`lumenocr quantize --help`: "8-14%% less latency").
    for name, parser in _parsers(build_parser(command)):
        text = parser.format_help()
        assert "%%" not in text and "%(" not in text, f"{name} --help:\n{text}"
