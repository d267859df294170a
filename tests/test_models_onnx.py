"""Every model family exports to ONNX with dynamic axes and matches torch (max |diff| <= 1e-4)."""

import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from lumenocr.models import ModelConfig, build_model  # noqa: E402
from lumenocr.train.config import load_config  # noqa: E402

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yml"))

FAMILIES = [
    (
        "rec",
        {"name": "MobileNetV3", "model_name": "small", "scale": 0.35},
        {"name": "SequenceEncoder", "encoder_type": "rnn", "hidden_size": 16},
    ),
    (
        "rec",
        {"name": "PPLCNet", "scale": 0.25},
        {"name": "SequenceEncoder", "encoder_type": "svtr", "hidden_size": 32, "heads": 4},
    ),
    ("rec", {"name": "ResNetVd", "layers": 18}, {"name": "SequenceEncoder", "encoder_type": "reshape"}),
    (
        "det",
        {"name": "MobileNetV3", "model_name": "large", "scale": 0.35},
        {"name": "DBFPN", "out_channels": 32},
    ),
    ("det", {"name": "PPLCNet", "scale": 0.25}, {"name": "RSEFPN", "out_channels": 32}),
    ("cls", {"name": "MobileNetV3", "model_name": "small", "scale": 0.35}, None),
]


@pytest.mark.parametrize(("task", "backbone", "neck"), FAMILIES)
def test_onnx_parity_across_input_sizes(tmp_path, task, backbone, neck):
    head = {"det": "DBHead", "rec": "CTCHead", "cls": "ClsHead"}[task]
    model = build_model(ModelConfig(task, backbone, neck, {"name": head}), 9).eval()
    h = 64 if task == "det" else 32
    path = tmp_path / "m.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (torch.randn(2, 3, h, 96),),
            str(path),
            input_names=["x"],
            output_names=["y"],
            dynamic_axes={"x": {0: "n", 2: "h", 3: "w"}},
            opset_version=17,
            dynamo=False,
        )
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    shapes = [(1, 3, h, 160), (3, 3, h, 64)] + ([(1, 3, 128, 96)] if task == "det" else [])
    for shape in shapes:
        x = rng.standard_normal(shape).astype(np.float32)
        with torch.inference_mode():
            want = model(torch.from_numpy(x)).numpy()
        got = session.run(None, {"x": x})[0]
        assert got.shape == want.shape
        assert np.abs(got - want).max() <= 1e-4


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_shipped_configs_validate_and_build(path):
    cfg = load_config(path)
    model = build_model(cfg.model, 97 if cfg.task == "rec" else None)
    assert sum(p.numel() for p in model.parameters()) > 50_000
