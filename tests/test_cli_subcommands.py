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


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    from lumenocr.train.toydata import make_det_set, make_rec_set

    root = tmp_path_factory.mktemp("data")
    rec = make_rec_set(root / "rec", 4, seed=1, chars="0123456789", min_len=2, max_len=4)
    det = make_det_set(root / "det", 1, seed=1, size=(96, 128))
    pred = root / "pred.jsonl"
    pred.write_text('{"image": "images/0.jpg", "page": null, "boxes": []}\n')
    return {"rec": rec, "det": det, "pred": pred}


# Each command with an output it cannot write: a path under a file (no folder can be made
# there, whoever runs the test) or an existing folder where a file is wanted. Each was a
# traceback (FileNotFoundError, NotADirectoryError, IsADirectoryError, FileExistsError,
# torch's RuntimeError), some only after the work was done.
CASES = {
    "export": ["export", "{tmp}/missing.pt", "-o", "{blocked}/rec.onnx"],
    "export-to-folder": ["export", "{tmp}/missing.pt", "-o", "{tmp}"],
    "convert": ["convert", "ppocrv6-small", "--part", "det", "-o", "{blocked}/det.pt"],
    "average": ["average", "{tmp}/a.pt", "{tmp}/b.pt", "-o", "{blocked}/avg.pt"],
    "quantize": ["quantize", "{det}", "-o", "{blocked}/int8"],
    "quantize-to-file": ["quantize", "{det}", "-o", "{file}"],
    "to-lmdb": ["data", "to-lmdb", "{rec}", "{blocked}/lmdb"],
    "split": ["data", "split", "{det}", "{blocked}/split"],
    "crops": ["data", "crops", "{det}", "{blocked}/crops"],
    "synth": ["synth", "rec", "--count", "2", "--out", "{blocked}/lines", "--quiet", "--workers", "1"],
    "train": [
        "train", "-c", "rec_crnn_mv3", "-o", "train.label_files=[{rec}]", "-o", "eval.label_files=[{rec}]",
        "-o", "global.output_dir={blocked}/run",
    ],
    "eval-json": ["eval", "det", "--gt", "{det}", "--pred", "{pred}", "--json", "{blocked}/figures.json"],
    "eval-save-pred": [
        "eval", "rec", "--gt", "{rec}", "--model", "ppocrv6-small", "--save-pred", "{blocked}/pred.jsonl",
    ],
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_an_output_that_cannot_be_written_is_one_clear_error(capsys, tmp_path, data, case):
    file = tmp_path / "a_file.txt"
    file.write_text("not a folder")
    paths = {"tmp": tmp_path, "blocked": file, "file": file, **data}
    argv = [a.format(**paths) for a in CASES[case]]
    if argv[0] in ("train", "export", "convert", "average"):
        pytest.importorskip("torch")
    line = _error_line(capsys, argv)
    if case == "export-to-folder":
        assert f"{tmp_path}: is a folder; give a file name" in line, line
    else:
        target = next(a.split("=", 1)[-1] for a in argv if str(file) in a)
        assert target in line and ("cannot" in line or "is a file" in line), line
    assert file.read_text() == "not a folder"


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["eval", "det", "--gt", "{det}", "--pred", "{pred}", "--worst", "-1"], "--worst"),
        (["eval", "rec", "--gt", "{rec}", "--pred", "{pred}", "--confusions", "-2"], "--confusions"),
        (["eval", "rec", "--gt", "{rec}", "--model", "ppocrv6-small", "--threads", "0"], "--threads"),
        (["synth", "rec", "--count", "2", "--out", "{tmp}/lines", "--seed", "-1", "--quiet"], "--seed"),
        (["quantize", "{det}", "-o", "{tmp}/int8", "--synth-lines", "-5"], "--synth-lines"),
        (["quantize", "{det}", "-o", "{tmp}/int8", "--seed", "-1"], "--seed"),
    ],
)
def test_out_of_range_numbers_are_refused(capsys, tmp_path, data, argv, option):
    # These ran with the value: --worst -1 listed nothing, --confusions -2 listed all but two,
    # --threads 0 meant "all cores" (lumenocr ocr refuses it), --synth-lines -5 meant 0, and
    # synth --seed -1 was a numpy ValueError traceback.
    line = _error_line(capsys, [a.format(tmp=tmp_path, **data) for a in argv])
    assert f"{option} must be at least" in line, line
