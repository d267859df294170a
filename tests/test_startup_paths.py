"""Start-up of ``lumenocr ocr one.jpg``: what a one-image run loads, and on which engine it runs.

Each check runs in a fresh interpreter (``sys.modules`` of the test process holds everything
the other tests imported).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import pytest

from lumenocr.cli.main import SUBCOMMANDS
from lumenocr.runtime.factory import ONE_SHOT_PAGES, providers_for_job
from lumenocr.vis.sample import render_lines

REPO = Path(__file__).resolve().parents[1]


def _python(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_a_sub_command_imports_its_own_module_and_no_other():
    shown = _python(
        """
        import sys
        from lumenocr.cli.main import build_parser
        build_parser("ocr")
        print(" ".join(sorted(m for m in sys.modules if m.startswith("lumenocr.cli."))))
        """
    ).split()
    assert "lumenocr.cli.ocr" in shown
    others = {SUBCOMMANDS[c] for c in SUBCOMMANDS if c != "ocr"}
    assert not others & set(shown), f"lumenocr ocr imported {sorted(others & set(shown))}"


def test_top_level_help_still_lists_every_sub_command(capsys):
    from lumenocr.cli.main import main

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name in ("ocr", "eval", "train", "serve", "quantize"):
        assert name in out
    # Top-level options need no sub-command.
    with pytest.raises(SystemExit):
        main(["--version"])
    assert "lumenocr" in capsys.readouterr().out


def test_one_shot_job_runs_on_onnx_runtime_unless_the_user_chose():
    # Precision "auto" is f32 on ONNX Runtime, so one shot runs there too.
    for precision in ("auto", "f32"):
        assert providers_for_job(("auto",), precision, 1) == ("cpu",)
        assert providers_for_job(("auto",), precision, ONE_SHOT_PAGES + 1) == ("auto",)
    # bf16 needs OpenVINO; a named engine is the user's choice.
    assert providers_for_job(("auto",), "bf16", 1) == ("auto",)
    assert providers_for_job(("openvino",), "f32", 1) == ("openvino",)
    assert providers_for_job(("cpu",), "f32", 5) == ("cpu",)


def test_reading_one_image_loads_neither_openvino_nor_the_pdf_library(tmp_path):
    image = tmp_path / "one.png"
    cv2.imwrite(str(image), render_lines(["Start me up 42"], font_size=32, margin=8))
    out = _python(
        f"""
        import contextlib, io, sys
        from lumenocr.cli.main import main
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            rc = main(["ocr", {str(image)!r}, "--format", "txt"])
        print(rc, "openvino" in sys.modules, "pypdfium2" in sys.modules, buf.getvalue().strip())
        """
    )
    rc, ov, pdf, text = out.split(maxsplit=3)
    assert (rc, ov, pdf) == ("0", "False", "False"), out
    assert "Start" in text and "42" in text
