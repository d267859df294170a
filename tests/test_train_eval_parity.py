"""Training-time evaluation and `lumenocr eval rec --model exported.onnx` run the same predictor
(one factory, the crop policies inside the recognizer, one image decoder), so they report the
same figures for the same model on the same crops."""

import json

import cv2
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from lumenocr.cli.main import main  # noqa: E402
from lumenocr.train.config import build_config  # noqa: E402
from lumenocr.train.export import export_onnx  # noqa: E402
from lumenocr.train.toydata import make_rec_set, tiny_config  # noqa: E402
from lumenocr.train.trainer import Trainer  # noqa: E402


def test_training_eval_equals_cli_eval_of_the_exported_model(tmp_path):
    label = make_rec_set(tmp_path / "data", 32, seed=3, chars="0123456789", min_len=3, max_len=6)
    # The eval set also holds tall (vertical) copies of some lines: the recognizer's crop
    # policy turns them; a caller that forgot it would read them wrong.
    entries = label.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(entries[:8]):
        rel, text = line.split("\t")
        img = cv2.imread(str(label.parent / rel))
        tall = f"crops/tall_{i}.png"
        cv2.imwrite(str(label.parent / tall), cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE))
        entries.append(f"{tall}\t{text}")
    # ... and a line whose label holds a character outside the dictionary: it counts as wrong
    # in both, never silently dropped from the training-time figure.
    entries.append(entries[0].split("\t")[0] + "\t12x")
    eval_label = label.parent / "eval.txt"
    eval_label.write_text("\n".join(entries) + "\n", encoding="utf-8")

    raw = tiny_config(
        "rec", label, eval_label, tmp_path / "run", max_steps=300, eval_every=300, log_every=100
    )
    raw["optimizer"] = {"lr": 0.01}
    raw["train"]["augment"] = None
    trainer = Trainer(build_config(raw))
    trainer.fit()
    during = trainer.evaluate()
    # A model that reads, so that equal figures mean something.
    assert during["accuracy"] >= 0.3, during

    onnx_path = export_onnx(tmp_path / "run" / "latest.pt", tmp_path / "rec.onnx")
    out = tmp_path / "eval.json"
    code = main(
        # f32, as training evaluates (bf16, where "auto" would pick it, reads a toy model differently).
        ["eval", "rec", "--gt", str(eval_label), "--model", str(onnx_path), "--json", str(out), "--quiet"]
        + ["--precision", "f32"]
    )
    assert code == 0
    cli = json.loads(out.read_text(encoding="utf-8"))["metrics"]
    assert cli["total"] == 41
    assert cli["correct"] == round(during["accuracy"] * 41)
    assert cli["cer"] == pytest.approx(during["cer"], abs=1e-6)
    assert cli["norm_edit_score"] == pytest.approx(during["norm_edit_score"], abs=1e-6)
