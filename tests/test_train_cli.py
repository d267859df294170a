"""`lumenocr train`, `lumenocr export` and `lumenocr data` commands; pretrained vs checkpoint loading."""

import cv2
import pytest
import yaml

torch = pytest.importorskip("torch")

from lumenocr.cli.main import main  # noqa: E402
from lumenocr.errors import ModelError  # noqa: E402
from lumenocr.pipeline.rec import TextRecognizer  # noqa: E402
from lumenocr.train.config import build_config  # noqa: E402
from lumenocr.train.toydata import make_det_set, make_rec_set, tiny_config  # noqa: E402
from lumenocr.train.trainer import Trainer  # noqa: E402


@pytest.fixture(scope="module")
def rec_label(tmp_path_factory):
    return make_rec_set(
        tmp_path_factory.mktemp("cli_rec"), 8, seed=9, chars="0123456789", min_len=3, max_len=5
    )


def _write(path, raw):
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def test_train_then_export_from_the_command_line(tmp_path, rec_label, capsys):
    config = _write(tmp_path / "c.yml", tiny_config("rec", rec_label, rec_label, tmp_path / "out"))
    assert main(["train", "-c", config, "-o", "global.max_steps=2", "-o", "train.batch_size=2"]) == 0
    for name in ("best.pt", "latest.pt", "config.yml", "train_log.csv", "eval_log.csv", "train.log"):
        assert (tmp_path / "out" / name).is_file(), name
    assert main(["export", str(tmp_path / "out" / "best.pt"), "-o", str(tmp_path / "m.onnx"), "--check"]) == 0
    assert "max |torch - onnxruntime|" in capsys.readouterr().out
    assert TextRecognizer.from_onnx(str(tmp_path / "m.onnx")).decoder.characters == tuple("0123456789")


def test_each_run_in_one_process_writes_its_own_train_log(tmp_path, rec_label):
    for name in ("first", "second"):
        config = _write(tmp_path / f"{name}.yml", tiny_config("rec", rec_label, rec_label, tmp_path / name))
        assert main(["train", "-c", config, "-o", "global.max_steps=1", "-o", "train.batch_size=2"]) == 0
    first, second = ((tmp_path / n / "train.log").read_text() for n in ("first", "second"))
    assert str(tmp_path / "second") in second and str(tmp_path / "second") not in first


def test_cli_errors_are_one_line_and_name_the_problem(tmp_path, rec_label, capsys):
    config = _write(tmp_path / "c.yml", tiny_config("rec", rec_label, rec_label, tmp_path / "out"))
    assert main(["train", "-c", config, "-o", "optimizer.momentum=0.9"]) == 2
    assert "momentum" in capsys.readouterr().err
    assert main(["train", "-c", str(tmp_path / "missing.yml")]) == 2
    assert "missing.yml" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "nope.pt"), "-o", str(tmp_path / "x.onnx")]) == 2
    assert "nope.pt" in capsys.readouterr().err
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    assert main(["export", str(bad), "-o", str(tmp_path / "x.onnx")]) == 2


def test_data_inspect_writes_a_grid(tmp_path, rec_label):
    config = _write(tmp_path / "c.yml", tiny_config("rec", rec_label, rec_label, tmp_path / "out"))
    out = tmp_path / "grid.png"
    assert main(["data", "inspect", "-c", config, "-n", "6", "--out", str(out)]) == 0
    grid = cv2.imread(str(out))
    assert grid.shape[1] == 4 * 320 and grid.shape[0] >= 2 * 32
    det_label = make_det_set(tmp_path / "det", 2, seed=0, size=(128, 160))
    det_cfg = _write(tmp_path / "d.yml", tiny_config("det", det_label, det_label, tmp_path / "dout"))
    assert main(["data", "inspect", "-c", det_cfg, "-n", "2", "--out", str(out)]) == 0
    assert cv2.imread(str(out)).shape == (2 * 256, 3 * 256, 3)


def test_pretrained_skips_a_head_of_another_dictionary(tmp_path, rec_label):
    first = Trainer(build_config(tiny_config("rec", rec_label, rec_label, tmp_path / "a", max_steps=1)))
    first.fit()
    other_dict = tmp_path / "dict13.txt"
    other_dict.write_text("\n".join("0123456789xyz") + "\n")
    raw = tiny_config(
        "rec",
        rec_label,
        rec_label,
        tmp_path / "b",
        max_steps=1,
        character_dict=str(other_dict),
        pretrained=str(tmp_path / "a" / "best.pt"),
    )
    second = Trainer(build_config(raw))
    saved = torch.load(tmp_path / "a" / "best.pt", weights_only=False)["model"]
    own = second.model.state_dict()
    assert torch.equal(own["backbone.stages.0.0.0.weight"], saved["backbone.stages.0.0.0.weight"])
    assert own["head.fc.weight"].shape[0] == 14 != saved["head.fc.weight"].shape[0]
    assert second.step == 0  # weights only: the schedule starts over
    raw["global"]["pretrained"] = None
    raw["global"]["checkpoint"] = str(tmp_path / "a" / "best.pt")  # best.pt holds no optimizer state
    with pytest.raises(ModelError, match="pretrained"):
        Trainer(build_config(raw))
