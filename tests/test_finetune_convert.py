"""Native PP-OCRv6 models: weight import from the shipped ONNX files, parity, export round trip,
pretrained loading (strict fit, dictionary extension) and the errors raised before training."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from data_helpers import need

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from lumenocr.errors import ConfigError, InputNotFoundError, ModelError, ModelNotFoundError  # noqa: E402
from lumenocr.io.labels import LabelFormatError, read_det_labels, read_rec_labels  # noqa: E402
from lumenocr.models import ModelConfig, build_model  # noqa: E402
from lumenocr.models.onnx_import import load_onnx_weights  # noqa: E402
from lumenocr.models.presets import PRESETS  # noqa: E402
from lumenocr.train.config import build_config  # noqa: E402
from lumenocr.train.toydata import make_rec_set, tiny_config  # noqa: E402
from lumenocr.train.trainer import Trainer  # noqa: E402

pytestmark = pytest.mark.torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    from lumenocr.train.convert import convert

    out = tmp_path_factory.mktemp("convert")
    try:
        for part in ("det", "rec"):
            convert("ppocrv6-small", out / f"{part}.pt", part)
    except ModelNotFoundError as e:
        pytest.skip(f"zoo model not installed: {e}")
    return out


def _zoo_session(part: str):
    import onnxruntime as ort

    from lumenocr.zoo import get_spec, locate

    path = locate(getattr(get_spec("ppocrv6-small"), part).file)
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _rec_crops(n: int) -> tuple[list[np.ndarray], list[str]]:
    d = need("icdar2015_rec_test")
    samples = read_rec_labels(d / "label.txt")[:n]
    return [cv2.imread(str(d / s.image_path)) for s in samples], [s.text for s in samples]


def test_det_probability_maps_match_onnxruntime_on_real_images(converted):
    from lumenocr.preprocess import DetPreprocess
    from lumenocr.train.export import load_trained

    d = need("icdar2015_test")
    model, _, _ = load_trained(converted / "det.pt")
    session = _zoo_session("det")
    pre = DetPreprocess(limit_side_len=640)
    for sample in read_det_labels(d / "label.txt")[:2]:
        x = pre(cv2.imread(str(d / sample.image_path))).tensor
        with torch.no_grad():
            mine = model(torch.from_numpy(x)).numpy()
        ref = session.run(None, {"x": x})[0]
        assert mine.shape == ref.shape
        assert np.abs(mine - ref).max() <= 1e-4


def test_rec_softmax_matches_onnxruntime_on_real_crops(converted):
    from lumenocr.preprocess import RecPreprocess
    from lumenocr.train.export import load_trained

    crops, _ = _rec_crops(12)
    model, _, dictionary = load_trained(converted / "rec.pt")
    assert dictionary is not None and dictionary.num_classes == 18710
    x = RecPreprocess()(crops)
    with torch.no_grad():
        mine = model(torch.from_numpy(x)).numpy()
    ref = _zoo_session("rec").run(None, {"x": x})[0]
    assert mine.shape == ref.shape
    assert np.abs(mine - ref).max() <= 1e-4


@pytest.mark.parametrize(
    "zoo, part", [("ppocrv6-small", "cls"), ("ppocrv5-mobile", "det"), ("ppocrv5-mobile", "rec")]
)
def test_other_shipped_models_match_onnxruntime(zoo, part, tmp_path):
    import onnxruntime as ort

    from lumenocr.preprocess import ClsPreprocess, DetPreprocess, RecPreprocess
    from lumenocr.train.convert import convert
    from lumenocr.train.export import load_trained
    from lumenocr.zoo import get_spec, locate

    try:
        path = locate(getattr(get_spec(zoo), part).file)
        convert(zoo, tmp_path / "m.pt", part)
    except ModelNotFoundError as e:
        pytest.skip(f"zoo model not installed: {e}")
    model, _, _ = load_trained(tmp_path / "m.pt")
    if part == "det":
        d = need("icdar2015_test")
        sample = read_det_labels(d / "label.txt")[0]
        x = DetPreprocess(limit_side_len=480)(cv2.imread(str(d / sample.image_path))).tensor
    else:
        crops, _ = _rec_crops(8)
        crops += [c[::-1, ::-1].copy() for c in crops[:4]]  # upside down, for the classifier
        x = (ClsPreprocess() if part == "cls" else RecPreprocess())(crops)
    with torch.no_grad():
        mine = model(torch.from_numpy(x)).numpy()
    ref = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert mine.shape == ref.shape
    assert np.abs(mine - ref).max() <= 1e-4


def test_exported_recognizer_reads_what_the_zoo_model_reads(converted, tmp_path):
    from lumenocr import OCR
    from lumenocr.train.export import export_onnx

    onnx_path = export_onnx(converted / "rec.pt", tmp_path / "rec.onnx")
    crops, truth = _rec_crops(24)
    zoo = [r.text for r in OCR(use_det=False, use_cls=False).recognize_crops(crops)]
    mine = [
        r.text for r in OCR(rec_model=str(onnx_path), use_det=False, use_cls=False).recognize_crops(crops)
    ]
    assert mine == zoo
    assert sum(a.lower() == b.lower() for a, b in zip(mine, truth, strict=True)) >= 12  # it reads, not blanks


def test_training_time_eval_equals_lumenocr_eval_of_the_export(converted, tmp_path, capsys):
    """Point 5: the trainer's figure is the figure `lumenocr eval` gives for the exported file."""
    import json

    from lumenocr.cli.main import main
    from lumenocr.train.export import export_onnx

    d = need("icdar2015_rec_test")
    label = tmp_path / "label.txt"
    lines = (d / "label.txt").read_text(encoding="utf-8").splitlines()[:40]
    label.write_text(
        "".join(f"{d / ln.split(chr(9))[0]}\t{ln.split(chr(9), 1)[1]}\n" for ln in lines), encoding="utf-8"
    )
    raw = yaml.safe_load(
        (ROOT / "configs/finetune/rec_ppocrv6_small_icdar15.yml").read_text(encoding="utf-8")
    )
    raw["global"].update(pretrained=str(converted / "rec.pt"), output_dir=str(tmp_path / "out"), threads=1)
    raw["train"].update(label_files=[str(label)], ratio_list=None, num_workers=0)
    raw["eval"].update(label_files=[str(label)])
    trainer = Trainer(build_config(raw))
    figure = trainer.evaluate()["accuracy"]
    onnx_path = export_onnx(converted / "rec.pt", tmp_path / "rec.onnx")
    code = main(
        [
            "eval",
            "rec",
            "--gt",
            str(label),
            "--rec-model",
            str(onnx_path),
            "--normalize",
            "icdar",
            "--json",
            str(tmp_path / "e.json"),
            "--quiet",
        ]
    )
    assert code == 0
    assert json.loads((tmp_path / "e.json").read_text())["metrics"]["accuracy"] == pytest.approx(
        figure, abs=1e-6
    )


def test_detector_thresholds_chosen_at_evaluation_travel_with_the_checkpoint(converted, tmp_path):
    """eval.tune_thresholds: the trainer scores with the DB thresholds best on its eval set, and
    the checkpoint (hence the exported file) carries them: `lumenocr eval det` gives the figure."""
    import json

    from lumenocr.cli.main import main
    from lumenocr.train.export import export_onnx
    from lumenocr.train.tune import BOX_THRESH, THRESH, UNCLIP_RATIO

    d = need("icdar2015_train")
    label = tmp_path / "label.txt"
    lines = (d / "label.txt").read_text(encoding="utf-8").splitlines()[:4]
    label.write_text("".join(f"{d / ln.split(chr(9))[0]}\t{ln.split(chr(9), 1)[1]}\n" for ln in lines))
    raw = yaml.safe_load(
        (ROOT / "configs/finetune/det_ppocrv6_small_icdar15.yml").read_text(encoding="utf-8")
    )
    raw["global"].update(
        pretrained=str(converted / "det.pt"), output_dir=str(tmp_path / "out"), threads=1, max_steps=1
    )
    raw["train"].update(label_files=[str(label)], batch_size=2, num_workers=0)
    raw["eval"].update(label_files=[str(label)], tune_thresholds=True)
    raw["inference"]["postprocess"].update(thresh=0.9, box_thresh=0.9)  # far off: must be replaced
    trainer = Trainer(build_config(raw))
    before = trainer.evaluate()  # the first evaluation chooses
    post = trainer.cfg.inference.postprocess
    assert (
        post["thresh"] in THRESH and post["box_thresh"] in BOX_THRESH and post["unclip_ratio"] in UNCLIP_RATIO
    )
    assert before["hmean"] > 0.3, before  # the shipped detector finds these words at sane thresholds
    trainer.fit()  # one step, then evaluation: best.pt saved with the thresholds it was scored at
    figure = trainer.best
    saved = torch.load(tmp_path / "out" / "best.pt", weights_only=False)
    assert (
        saved["config"]["inference"]["postprocess"]["thresh"] == trainer.cfg.inference.postprocess["thresh"]
    )
    onnx_path = export_onnx(tmp_path / "out" / "best.pt", tmp_path / "det.onnx")
    out = tmp_path / "e.json"
    assert (
        main(
            ["eval", "det", "--gt", str(label), "--det-model", str(onnx_path), "--json", str(out), "--quiet"]
        )
        == 0
    )
    assert json.loads(out.read_text())["metrics"]["hmean"] == pytest.approx(figure, abs=1e-9)


def test_a_model_that_does_not_fit_the_file_names_the_first_mismatching_layer():
    from lumenocr.zoo import get_spec, locate

    try:
        path = locate(get_spec("ppocrv6-small").det.file)
    except ModelNotFoundError as e:
        pytest.skip(str(e))
    section = PRESETS["ppocrv6_small_det"].model_section()
    section["backbone"]["stages"][1] = [128, "10"]  # 96 in the published model
    model = build_model(ModelConfig(**section))
    with pytest.raises(ModelError, match=r"layer \d+: model backbone\.stages\.1\..*\[128.*vs file .*\[96"):
        load_onnx_weights(model, path, torch.rand(1, 3, 64, 64))


def test_recipes_use_the_converted_architectures():
    for name, preset in (
        ("det_ppocrv6_small_icdar15", "ppocrv6_small_det"),
        ("rec_ppocrv6_small_icdar15", "ppocrv6_small_rec"),
        ("rec_ppocrv6_small_dict_extension", "ppocrv6_small_rec"),
    ):
        raw = yaml.safe_load((ROOT / "configs" / "finetune" / f"{name}.yml").read_text(encoding="utf-8"))
        assert raw["model"] == PRESETS[preset].model, name


# --- pretrained loading and bad input, on tiny generated data (fast) ---------------------------


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    return make_rec_set(
        tmp_path_factory.mktemp("ft_rec"), 8, seed=3, chars="0123456789", min_len=3, max_len=5
    )


@pytest.fixture(scope="module")
def digits_ckpt(digits, tmp_path_factory):
    out = tmp_path_factory.mktemp("ft_a")
    Trainer(build_config(tiny_config("rec", digits, digits, out, max_steps=1))).fit()
    return out / "best.pt"


def test_dictionary_extension_keeps_rows_of_known_characters(digits, digits_ckpt, tmp_path):
    ext = tmp_path / "dict_ext.txt"
    ext.write_text("\n".join("0123456789") + "\nб\nж\n", encoding="utf-8")
    raw = tiny_config(
        "rec", digits, digits, tmp_path / "b", character_dict=str(ext), pretrained=str(digits_ckpt)
    )
    trainer = Trainer(build_config(raw))
    old = torch.load(digits_ckpt, weights_only=False)["model"]["head.fc.weight"]
    new = trainer.model.state_dict()["head.fc.weight"]
    assert new.shape[0] == old.shape[0] + 2
    assert torch.equal(new[: old.shape[0]], old)  # blank + 0-9 in the same order keep their rows
    assert not torch.equal(new[-1], torch.zeros_like(new[-1]))


def test_pretrained_with_another_architecture_is_a_clear_error(digits, digits_ckpt, tmp_path):
    raw = tiny_config("rec", digits, digits, tmp_path / "c", pretrained=str(digits_ckpt))
    raw["model"]["neck"]["hidden_size"] = 24  # 16 in the checkpoint
    with pytest.raises(
        ModelError, match=r"does not fit the config's model.*neck\..*model \[.*vs checkpoint \["
    ):
        Trainer(build_config(raw))


def test_dictionary_with_duplicates_is_refused(digits, tmp_path):
    bad = tmp_path / "dup.txt"
    bad.write_text("0\n1\n2\n1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"'1' appears twice \(lines 2 and 4\)"):
        Trainer(build_config(tiny_config("rec", digits, digits, tmp_path / "d", character_dict=str(bad))))


def test_missing_images_are_refused_before_training(digits, tmp_path):
    label = tmp_path / "label.txt"
    label.write_text(
        Path(digits).read_text(encoding="utf-8") + "images/not_there.png\t123\n", encoding="utf-8"
    )
    for f in Path(digits).parent.iterdir():
        if f.is_dir():
            (tmp_path / f.name).symlink_to(f)
    (tmp_path / "dict.txt").write_text((Path(digits).parent / "dict.txt").read_text())
    with pytest.raises(InputNotFoundError, match=r"1 of \d+ listed images do not exist.*not_there\.png"):
        Trainer(build_config(tiny_config("rec", label, digits, tmp_path / "e")))


def test_detection_labels_given_to_a_recognizer_are_refused(digits, tmp_path):
    label = tmp_path / "det.txt"
    label.write_text(
        'a.png\t[{"transcription": "x", "points": [[0,0],[1,0],[1,1],[0,1]]}]\n', encoding="utf-8"
    )
    (tmp_path / "dict.txt").write_text("x\n")
    with pytest.raises(LabelFormatError, match="detection label file"):
        Trainer(build_config(tiny_config("rec", label, digits, tmp_path / "f")))
