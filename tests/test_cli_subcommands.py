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


def _error_line(capsys, argv: list[str]) -> str:
    """Runs ``lumenocr ARGV``; it must exit 2 with one ``lumenocr CMD: error:`` line."""
    from lumenocr.cli.main import main

    rc = main(argv)
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert rc == 2, err
    assert len(lines) == 1 and lines[0].startswith(f"lumenocr {argv[0]}: error: "), err
    return lines[0]


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "-c", "{cfg}"],
        ["data", "inspect", "-c", "{cfg}", "--out", "{tmp}/grid.png"],
        ["synth", "rec", "--config", "{cfg}", "--count", "2", "--out", "{tmp}/lines", "--quiet"],
    ],
    ids=["train", "data-inspect", "synth"],
)
def test_a_config_that_is_not_utf8_text_is_a_clear_error(capsys, tmp_path, argv):
    # A picture (or a file saved in another encoding) given as the config was a
    # UnicodeDecodeError traceback.
    cfg = tmp_path / "config.yml"
    cfg.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    line = _error_line(capsys, [a.format(cfg=cfg, tmp=tmp_path) for a in argv])
    assert f"{cfg}: not UTF-8 text" in line
