"""The OpenVINO engine gives the maps and text ONNX Runtime gives, on the same zoo files, at
``precision="f32"`` (pinned: ``"auto"`` and ``"bf16"`` compute in bf16 on CPUs that have it,
see test_precision_choice).

Runs when the ``openvino`` package is installed (scripts/install.sh installs the extra).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from lumenocr.errors import ConfigError, ModelNotFoundError
from lumenocr.runtime import factory
from lumenocr.runtime.onnx import OnnxEngine, RuntimeOptions

pytest.importorskip("openvino")

from lumenocr.runtime.openvino import OpenVinoEngine, shared_core  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


def zoo_path(task: str) -> str:
    from lumenocr.zoo import DEFAULT_MODEL, get_spec, locate

    try:
        return str(locate(getattr(get_spec(DEFAULT_MODEL), task).file))
    except ModelNotFoundError as e:
        pytest.skip(str(e))


def page() -> np.ndarray:
    """A real scene photo when the data is here, else a drawn page."""
    real = DATA / "icdar2015_test" / "images" / "img_10.jpg"
    if real.is_file():
        return cv2.imread(str(real))
    img = np.full((400, 700, 3), 255, np.uint8)
    for i, text in enumerate(["OpenVINO and ONNX", "Runtime agree 12345", "on every map"]):
        cv2.putText(img, text, (20, 80 + 110 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (0, 0, 0), 3)
    return img


def test_det_maps_match_onnxruntime_across_shapes():
    from lumenocr.preprocess.det import DetPreprocess

    path = zoo_path("det")
    ort_e = OnnxEngine(path, RuntimeOptions(threads=1))
    ov_e = OpenVinoEngine(path, RuntimeOptions(threads=1, precision="f32"))
    assert (ov_e.kind, ov_e.precision) == ("openvino", "f32")
    img = page()
    # Several sizes through ONE compiled model: dynamic shapes, no per-image recompilation.
    for side in (320, 640, 480, 640):
        x = DetPreprocess(limit_side_len=side)(img).tensor
        a, b = ort_e(x), ov_e(x)
        assert a.shape == b.shape
        assert float(np.abs(a - b).max()) < 1e-3, side


def test_rec_outputs_match_and_engine_is_thread_safe():
    from lumenocr.pipeline.crop import crop_region
    from lumenocr.pipeline.det import TextDetector
    from lumenocr.preprocess.rec import RecPreprocess

    det = TextDetector(OnnxEngine(zoo_path("det"), RuntimeOptions(threads=1))).with_options(
        **{"limit_side_len": 960, "mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)}
    )
    img = page()
    crops = [crop_region(img, p).image for p in det(img).polygons]
    assert crops, "the test page has text"
    pre = RecPreprocess(image_height=48, min_width=320, max_width=3200)
    batches = [pre(crops[i : i + 2]) for i in range(0, len(crops), 2)]
    rec_path = zoo_path("rec")
    ort_e = OnnxEngine(rec_path, RuntimeOptions(threads=1))
    ov_e = OpenVinoEngine(rec_path, RuntimeOptions(threads=1, streams=2, precision="f32"))
    assert ov_e.output_shape[2] == ort_e.output_shape[2]
    assert ov_e.file_meta is not None and ov_e.file_meta.characters == ort_e.file_meta.characters
    expected = [ort_e(b) for b in batches]
    for e, b in zip(expected, batches):
        assert float(np.abs(e - ov_e(b)).max()) < 1e-3
    # Four threads share the engine; each must get its own answers back.
    errors: list[str] = []

    def work(k: int) -> None:
        for _ in range(3):
            for i in range(k % len(batches), len(batches)):
                if float(np.abs(ov_e(batches[i]) - expected[i]).max()) >= 1e-3:
                    errors.append(f"thread {k} batch {i}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_ocr_text_is_the_same_on_both_engines():
    from lumenocr import OCR

    img = page()
    try:
        a = OCR(providers=("cpu",), threads=1)(img)  # "auto" precision is f32 on ONNX Runtime
        b = OCR(providers=("openvino",), threads=1, precision="f32")(img)
    except ModelNotFoundError as e:
        pytest.skip(str(e))
    assert [ln.text for ln in a.lines] == [ln.text for ln in b.lines]
    assert a.lines, "the test page has text"
    for la, lb in zip(a.lines, b.lines):
        assert np.abs(np.asarray(la.points) - np.asarray(lb.points)).max() <= 1.0


def test_engine_choice(monkeypatch):
    det = zoo_path("det")
    assert isinstance(
        factory.create_engine(det, RuntimeOptions(threads=1, providers=("openvino",))), OpenVinoEngine
    )
    assert isinstance(factory.create_engine(det, RuntimeOptions(threads=1, providers=("cpu",))), OnnxEngine)
    assert factory.engine_kind(RuntimeOptions()) == "openvino"  # auto, with openvino installed
    with pytest.raises(ConfigError, match="unknown execution provider 'gpu9'"):
        factory.create_engine(det, RuntimeOptions(providers=("openvino", "gpu9")))
    monkeypatch.setattr("lumenocr.runtime.openvino.openvino_available", lambda: False)
    assert factory.engine_kind(RuntimeOptions()) == "onnxruntime"
    with pytest.raises(ConfigError, match="openvino is not installed"):
        factory.engine_kind(RuntimeOptions(providers=("openvino",)))


def test_bad_files_are_model_errors(tmp_path):
    from lumenocr.errors import ModelError

    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot load ONNX model"):
        OpenVinoEngine(bad)
    with pytest.raises(ModelError, match="not found"):
        OpenVinoEngine(tmp_path / "missing.onnx")


def test_building_the_pipeline_leaves_the_locale_alone():
    """OpenVINO switches to the C locale while loading a model; parallel loads must not leave
    the process there (open() without an encoding would then read ASCII)."""
    import locale

    from lumenocr import OCR

    before = (locale.setlocale(locale.LC_ALL), locale.getpreferredencoding(False))
    try:
        for _ in range(3):
            OCR(providers=("openvino",), threads=1)
    except ModelNotFoundError as e:
        pytest.skip(str(e))
    assert (locale.setlocale(locale.LC_ALL), locale.getpreferredencoding(False)) == before


def test_precision_choice():
    import openvino as ov

    from lumenocr.runtime.openvino import native_precision

    rec = zoo_path("rec")
    core = shared_core()
    # What OpenVINO's CPU device computes in by default here: "auto" must take exactly that.
    device = core.get_property("CPU", "INFERENCE_PRECISION_HINT")
    native = "bf16" if device == ov.Type.bf16 else "f32"
    assert native_precision() == native
    auto = OpenVinoEngine(rec, RuntimeOptions(threads=1, precision="auto"))
    assert (auto.kind, auto.precision) == ("openvino", native)
    assert auto.compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name() == native
    # f32 asked for is f32 on every CPU, set explicitly rather than left to the device default.
    f32 = OpenVinoEngine(rec, RuntimeOptions(threads=1, precision="f32"))
    assert f32.precision == "f32"
    assert f32.compiled.get_property("INFERENCE_PRECISION_HINT") == ov.Type.f32
    bf16 = OpenVinoEngine(rec, RuntimeOptions(threads=1, precision="bf16"))
    has_bf16 = "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    want = "bf16" if has_bf16 else "f32"  # a CPU without bf16 instructions stays in f32
    assert bf16.compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name() == want
    assert bf16.precision == want  # the engine reports what runs, not what was asked
    x = np.random.default_rng(0).uniform(-1, 1, (2, 3, 48, 320)).astype(np.float32)
    a, b, c = f32(x), bf16(x), auto(x)
    assert (
        a.shape == b.shape == c.shape
        and np.allclose(a.sum(-1), 1.0, atol=1e-2)
        and np.allclose(b.sum(-1), 1.0, atol=2e-2)
    )
    # Where the device computes bf16, "auto" really runs it (outputs move off f32's).
    assert (float(np.abs(c - a).max()) > 1e-3) == (native == "bf16")
    with pytest.raises(ConfigError, match="needs the OpenVINO engine"):
        OnnxEngine(rec, RuntimeOptions(threads=1, precision="bf16"))
    with pytest.raises(ConfigError, match="precision must be one of"):
        RuntimeOptions(precision="fp8")


def test_default_pipeline_reports_what_auto_resolved_to():
    from lumenocr import OCR
    from lumenocr.runtime.openvino import native_precision

    try:
        ocr = OCR(threads=1, precision="auto")  # providers "auto" (OpenVINO, installed here)
        exact = OCR(threads=1)  # the default precision, f32
    except ModelNotFoundError as e:
        pytest.skip(str(e))
    assert ocr.engines() == dict.fromkeys(("det", "cls", "rec"), f"openvino {native_precision()}")
    assert exact.engines() == dict.fromkeys(("det", "cls", "rec"), "openvino f32")


def test_ctrl_c_after_engines_are_freed_is_a_keyboard_interrupt():
    """Engines freed in the order they were built leave the process's Ctrl-C working.

    OpenVINO's CPU plugin gives the thread that creates it an alternate signal stack and unmaps
    it when destroyed; with one plugin per engine, engines freed first-in first-out left the
    thread's alternate stack on unmapped memory, and the next signal with a Python handler
    killed the process with SIGSEGV and no traceback (the full suite died so at its in-process
    SIGINT test). Run in a child process: that is the process the signal may kill.
    """
    rec = zoo_path("rec")
    script = textwrap.dedent(
        f"""
        import gc, os, signal
        from lumenocr.runtime.onnx import RuntimeOptions
        from lumenocr.runtime.openvino import OpenVinoEngine, native_precision

        signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
        native_precision()
        first = OpenVinoEngine({rec!r}, RuntimeOptions(threads=1))
        second = OpenVinoEngine({rec!r}, RuntimeOptions(threads=1))
        del first
        gc.collect()
        del second
        gc.collect()
        try:
            os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C would
        except KeyboardInterrupt:
            print("KeyboardInterrupt")
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert (proc.returncode, proc.stdout.strip()) == (0, "KeyboardInterrupt"), proc.stderr[-3000:]
