"""ONNX Runtime sessions do not busy-wait between runs unless asked to (RuntimeOptions.spinning):
a page runs several models in turn, and a spinning pool holds a core the next model needs."""

from __future__ import annotations

import pytest

from lumenocr.errors import ModelNotFoundError
from lumenocr.runtime.onnx import OnnxEngine, RuntimeOptions


def _config(engine: OnnxEngine, key: str) -> str | None:
    opts = engine.session.get_session_options()
    try:
        return opts.get_session_config_entry(key)
    except Exception:  # ORT raises when the entry was never set
        return None


@pytest.fixture(scope="module")
def det_path() -> str:
    from lumenocr.zoo import DEFAULT_MODEL, get_spec, locate

    try:
        return str(locate(get_spec(DEFAULT_MODEL).det.file))
    except ModelNotFoundError as e:
        pytest.skip(str(e))


def test_sessions_do_not_spin_by_default(det_path):
    assert RuntimeOptions().spinning is False
    quiet = OnnxEngine(det_path, RuntimeOptions(threads=2))
    assert _config(quiet, "session.intra_op.allow_spinning") == "0"
    spinning = OnnxEngine(det_path, RuntimeOptions(threads=2, spinning=True))
    assert _config(spinning, "session.intra_op.allow_spinning") in (None, "1")


def test_pipeline_models_on_onnx_runtime_do_not_spin():
    """Every ONNX Runtime model of the default pipeline, page orientation included (it runs on
    ONNX Runtime beside OpenVINO's page models)."""
    from lumenocr import OCR

    try:
        ocr = OCR(providers=("cpu",), threads=2)
    except ModelNotFoundError as e:
        pytest.skip(str(e))
    engines = [ocr.detector.engine, ocr.classifier.engine, ocr.recognizer.engine]
    engines += [s.orienter.engine.engine for s in ocr.stages if s.name == "orient"]
    assert len(engines) >= 3
    for e in engines:
        assert _config(e, "session.intra_op.allow_spinning") == "0", e.name
