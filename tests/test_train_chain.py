"""CI's train -> export -> OCR chain on tiny generated data: the chain can never silently break.

Each model trains a few steps, is exported, and is loaded by the inference pipeline from the
ONNX file alone (dictionary and pre/post-processing come from its metadata). The exported
model must give the same results as the torch model behind the same pipeline code.
"""

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from lumenocr.pipeline.cls import TextClassifier  # noqa: E402
from lumenocr.pipeline.det import TextDetector  # noqa: E402
from lumenocr.pipeline.rec import TextRecognizer  # noqa: E402
from lumenocr.postprocess.registry import postprocess_settings  # noqa: E402
from lumenocr.runtime.onnx import OnnxEngine  # noqa: E402
from lumenocr.train.config import build_config  # noqa: E402
from lumenocr.train.engine import TorchEngine  # noqa: E402
from lumenocr.train.export import export_onnx, load_trained, parity  # noqa: E402
from lumenocr.train.toydata import make_det_set, make_rec_set, tiny_config  # noqa: E402
from lumenocr.train.trainer import Trainer  # noqa: E402


@pytest.fixture(scope="module")
def rec_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("chain_rec")
    return make_rec_set(root, 16, seed=11, chars="0123456789abc", min_len=3, max_len=6)


def _train(raw):
    trainer = Trainer(build_config(raw))
    summary = trainer.fit()
    assert summary["step"] == raw["global"]["max_steps"]
    return trainer


def test_rec_train_export_and_pipeline(tmp_path, rec_data):
    trainer = _train(tiny_config("rec", rec_data, rec_data, tmp_path / "rec", max_steps=3))
    best = tmp_path / "rec" / "best.pt"
    onnx_path = export_onnx(best, tmp_path / "rec.onnx")
    assert parity(best, onnx_path) <= 1e-4

    exported = TextRecognizer.from_onnx(str(onnx_path))  # nothing but the file
    assert exported.preprocess == trainer.cfg.preprocess()
    assert exported.decoder.characters == tuple("0123456789abc")
    crops = [cv2.imread(str(rec_data.parent / "crops" / f"{i:06d}.png")) for i in range(6)]
    model, _, _ = load_trained(best)
    reference = TextRecognizer(TorchEngine(model), exported.preprocess, exported.decoder)
    got, want = exported(crops), reference(crops)
    assert [r.text for r in got] == [r.text for r in want]
    assert [r.score for r in got] == pytest.approx([r.score for r in want], abs=1e-4)


def test_det_train_export_and_ocr(tmp_path):
    label = make_det_set(tmp_path / "data", 3, seed=2, size=(128, 192))
    raw = tiny_config("det", label, label, tmp_path / "det", max_steps=2)
    trainer = _train(raw)
    best = tmp_path / "det" / "best.pt"
    onnx_path = export_onnx(best, tmp_path / "det.onnx")
    assert parity(best, onnx_path) <= 1e-4
    detector = TextDetector.from_onnx(str(onnx_path))
    assert detector.preprocess == trainer.cfg.preprocess()
    assert postprocess_settings(detector.postprocess) == trainer.cfg.postprocess()
    page = cv2.imread(str(tmp_path / "data" / "images" / "00000.jpg"))
    engine = OnnxEngine(str(onnx_path))
    inp = detector.preprocess(page)
    onnx_prob = engine(inp.tensor)
    torch_prob = TorchEngine(load_trained(best)[0])(inp.tensor)
    assert onnx_prob.shape == (1, 1, *inp.tensor.shape[2:])
    np.testing.assert_allclose(onnx_prob, torch_prob, atol=1e-4)

    from lumenocr.pipeline.system import OCR

    rec_label = make_rec_set(tmp_path / "rec_data", 8, seed=1, chars="0123456789", min_len=3, max_len=5)
    _train(tiny_config("rec", rec_label, rec_label, tmp_path / "rec", max_steps=1))
    export_onnx(tmp_path / "rec" / "best.pt", tmp_path / "rec.onnx")
    ocr = OCR(det_model=str(onnx_path), rec_model=str(tmp_path / "rec.onnx"), use_cls=False)
    result = ocr(page)
    assert result.image_size == page.shape[:2]


def test_cls_train_export_and_pipeline(tmp_path, rec_data):
    _train(tiny_config("cls", rec_data, rec_data, tmp_path / "cls", max_steps=2))
    onnx_path = export_onnx(tmp_path / "cls" / "best.pt", tmp_path / "cls.onnx")
    assert parity(tmp_path / "cls" / "best.pt", onnx_path) <= 1e-4
    classifier = TextClassifier.from_onnx(str(onnx_path))
    assert classifier.labels == ("0", "180")
    crop = cv2.imread(str(rec_data.parent / "crops" / "000000.png"))
    (r,) = classifier([crop])
    assert r.label in ("0", "180") and 0.5 <= r.score <= 1.0
