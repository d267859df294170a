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
from lumenocr.runtime.factory import ONE_SHOT_PAGES, arena_for_job, providers_for_job
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


def test_settings_modules_load_neither_onnx_runtime_nor_opencv():
    """The server's settings and the profiles name the pipeline's defaults without loading it
    (``lumenocr.pipeline`` imports its predictors on first use); ``from lumenocr.pipeline
    import OCR`` still works."""
    out = _python(
        """
        import sys
        import lumenocr.serve.config, lumenocr.pipeline.profiles, lumenocr.pipeline, lumenocr.io.options
        heavy = ("onnxruntime", "cv2", "PIL", "lumenocr.pipeline.system", "lumenocr.io.image")
        print(" ".join(m for m in heavy if m in sys.modules) or "-")
        from lumenocr.pipeline import OCR, TextDetector
        from lumenocr.serve.config import ServeConfig
        from lumenocr.pipeline.profiles import DEFAULT_PROFILE
        print(OCR.__module__, TextDetector.__module__, ServeConfig().profile == DEFAULT_PROFILE)
        """
    ).splitlines()
    assert out[0] == "-", f"importing settings modules loaded {out[0]}"
    assert out[1] == "lumenocr.pipeline.system lumenocr.pipeline.det True"


def test_one_image_run_loads_no_video_reader_and_no_package_metadata(tmp_path):
    """What ``lumenocr ocr one.png`` imports beyond the pipeline: not the video reader (and
    rapidfuzz), not Ray, the server or torch, and the zoo finds its model files without reading
    package metadata (importlib.metadata)."""
    image = tmp_path / "one.png"
    cv2.imwrite(str(image), render_lines(["Lazy 7"], font_size=32, margin=8))
    out = _python(
        f"""
        import contextlib, io, sys
        from lumenocr.cli.main import main
        with contextlib.redirect_stdout(io.StringIO()):
            rc = main(["ocr", {str(image)!r}, "--format", "txt"])
        unused = ("lumenocr.video.reader", "rapidfuzz", "ray", "torch", "fastapi", "lumenocr.serve.app",
                  "lumenocr.batch.pool", "lumenocr.batch.ray", "importlib.metadata",
                  "lumenocr.runtime.openvino")
        print(rc, " ".join(m for m in unused if m in sys.modules) or "-")
        """
    )
    assert out.split() == ["0", "-"], out


def test_cached_optimised_graphs_change_no_result(tmp_path, monkeypatch):
    """The whole pipeline (page orientation, detector, direction, recognizer) on ONNX Runtime
    reads a page the same with no graph cache, filling it, and loading from it, and with ONNX
    Runtime's memory arena (what a one-image ``lumenocr ocr`` runs with)."""
    from lumenocr import OCR
    from lumenocr.errors import ModelNotFoundError
    from lumenocr.runtime import ort_cache

    page = render_lines(["Cached graphs", "read the same 2024"], font_size=30, margin=10)
    page = cv2.copyMakeBorder(page, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    blocker = tmp_path / "file"
    blocker.write_text("")
    results = []
    # Graph cache off, filled (miss), read (hit); then read with the memory arena (one-shot jobs).
    runs = [(blocker / "none", False), (tmp_path / "cache", False), (tmp_path / "cache", False)]
    for cache, arena in [*runs, (tmp_path / "cache", True)]:
        monkeypatch.setenv("LUMENOCR_CACHE", str(cache))
        try:
            ocr = OCR(providers=("cpu",), threads=1, orientation=True, mem_arena=arena)
        except ModelNotFoundError as e:
            pytest.skip(str(e))
        r = ocr(page)
        results.append([(ln.text, ln.score, ln.det_score, ln.angle, ln.points) for ln in r.lines])
    assert len(list((tmp_path / "cache" / "lumenocr" / ort_cache.FOLDER).glob("*.onnx"))) >= 3
    assert results[0] and "Cached" in results[0][0][0]
    assert results[1:] == [results[0]] * 3


def test_one_shot_job_keeps_the_memory_arena_others_do_not():
    assert arena_for_job(1) and not arena_for_job(ONE_SHOT_PAGES + 1) and not arena_for_job(0)
    from lumenocr import OCR
    from lumenocr.errors import ModelNotFoundError

    for arena in (False, True):
        try:
            ocr = OCR(providers=("cpu",), threads=1, mem_arena=arena, orientation=False)
        except ModelNotFoundError as e:
            pytest.skip(str(e))
        for predictor in (ocr.detector, ocr.classifier, ocr.recognizer):
            assert predictor.engine.session.get_session_options().enable_cpu_mem_arena is arena


def test_one_image_cli_run_asks_for_the_arena_and_onnx_runtime(tmp_path):
    image = tmp_path / "one.png"
    cv2.imwrite(str(image), render_lines(["Arena 9"], font_size=32, margin=8))
    out = _python(
        f"""
        import contextlib, io
        from lumenocr.cli.main import main
        from lumenocr.pipeline import system
        seen = []
        init = system.OCR.__init__
        def spy(self, *a, **kw):
            seen.append((kw.get("mem_arena"), kw.get("providers")))
            init(self, *a, **kw)
        system.OCR.__init__ = spy
        with contextlib.redirect_stdout(io.StringIO()):
            rc = main(["ocr", {str(image)!r}, "--format", "txt"])
        print(rc, seen)
        """
    )
    assert out.strip() == "0 [(True, ('cpu',))]", out
