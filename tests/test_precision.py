"""precision="auto" is f32 wherever ONNX Runtime runs, with or without OpenVINO installed; the
default stays f32; bf16 stays an OpenVINO-only request. (OpenVINO's side: test_runtime_openvino.py.)"""

from __future__ import annotations

import pytest

from lumenocr.errors import ConfigError, ModelNotFoundError
from lumenocr.runtime import factory
from lumenocr.runtime.onnx import PRECISIONS, OnnxEngine, RuntimeOptions


def zoo_path(task: str) -> str:
    from lumenocr.zoo import DEFAULT_MODEL, get_spec, locate

    try:
        return str(locate(getattr(get_spec(DEFAULT_MODEL), task).file))
    except ModelNotFoundError as e:
        pytest.skip(str(e))


def test_auto_is_f32_on_onnx_runtime(monkeypatch):
    assert RuntimeOptions().precision == "f32" and "auto" in PRECISIONS
    det = zoo_path("det")
    for precision in ("auto", "f32"):
        e = OnnxEngine(det, RuntimeOptions(threads=1, precision=precision))
        assert (e.kind, e.precision) == ("onnxruntime", "f32")
    with pytest.raises(ConfigError, match="needs the OpenVINO engine"):
        OnnxEngine(det, RuntimeOptions(threads=1, precision="bf16"))
    # Without OpenVINO, "auto" providers and precision build an ONNX Runtime engine in f32.
    monkeypatch.setattr("lumenocr.runtime.openvino.openvino_available", lambda: False)
    e = factory.create_engine(det, RuntimeOptions(threads=1, precision="auto"))
    assert isinstance(e, OnnxEngine) and e.precision == "f32"


def test_pipeline_on_onnx_runtime_reports_f32():
    from lumenocr import OCR

    try:
        ocr = OCR(providers=("cpu",), threads=1, precision="auto")
    except ModelNotFoundError as e:
        pytest.skip(str(e))
    assert ocr.engines() == dict.fromkeys(("det", "cls", "rec"), "onnxruntime f32")
    assert OCR(providers=("cpu",), threads=1, use_cls=False, use_det=False).engines() == {
        "rec": "onnxruntime f32"
    }
