"""`lumenocr average`: the uniform mean of a run's checkpoints, loadable and exportable."""

import pytest
import yaml

torch = pytest.importorskip("torch")

from lumenocr.cli.main import main  # noqa: E402
from lumenocr.pipeline.rec import TextRecognizer  # noqa: E402
from lumenocr.train.toydata import make_rec_set, tiny_config  # noqa: E402


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny recognizer run that keeps a checkpoint at each of its three evaluations."""
    root = tmp_path_factory.mktemp("avg")
    label = make_rec_set(root / "data", 8, seed=3, chars="0123456789", min_len=3, max_len=5)
    raw = tiny_config(
        "rec", label, label, root / "out", max_steps=3, eval_every=1, keep_eval_checkpoints=True
    )
    raw["optimizer"] = {"lr": 0.05}  # steps large enough that the checkpoints differ
    cfg = root / "c.yml"
    cfg.write_text(yaml.safe_dump(raw))
    assert main(["train", "-c", str(cfg), "-o", "train.batch_size=4"]) == 0
    steps = sorted((root / "out").glob("step_*.pt"), key=lambda p: int(p.stem.split("_")[1]))
    assert len(steps) == 3
    return root, label, steps


def test_average_is_the_mean_of_the_weights_and_exports(run, tmp_path, capsys):
    _, _, steps = run
    out = tmp_path / "avg.pt"
    assert main(["average", *map(str, steps), "-o", str(out)]) == 0
    assert "mean of 3 checkpoints" in capsys.readouterr().out
    avg = torch.load(out, weights_only=False)
    states = [torch.load(p, weights_only=False)["model"] for p in steps]
    differ = 0
    for key, value in avg["model"].items():
        if value.is_floating_point():
            expected = sum(s[key].double() for s in states) / 3
            assert torch.allclose(value.double(), expected, atol=1e-6), key
            differ += not torch.equal(states[0][key], states[-1][key])
        else:  # counters: the last checkpoint's
            assert torch.equal(value, states[-1][key]), key
    assert differ > 0  # the steps really moved the weights, so the mean is not a copy
    assert "optimizer" not in avg and avg["averaged_from"] == [str(p) for p in steps]
    onnx_path = tmp_path / "avg.onnx"
    assert main(["export", str(out), "-o", str(onnx_path), "--check"]) == 0
    assert TextRecognizer.from_onnx(str(onnx_path)).decoder.characters == tuple("0123456789")


def test_average_refuses_what_is_not_one_run(run, tmp_path, capsys):
    root, label, steps = run
    assert main(["average", str(steps[0]), "-o", str(tmp_path / "a.pt")]) == 2
    assert "at least two" in capsys.readouterr().err
    assert main(["average", str(steps[0]), str(tmp_path / "nope.pt"), "-o", str(tmp_path / "a.pt")]) == 2
    assert "nope.pt" in capsys.readouterr().err
    # a run with another dictionary: its head has other rows
    other = tmp_path / "dict.txt"
    other.write_text("\n".join("0123456789ab") + "\n")
    raw = tiny_config("rec", label, label, tmp_path / "other", max_steps=1, character_dict=str(other))
    cfg = tmp_path / "c.yml"
    cfg.write_text(yaml.safe_dump(raw))
    assert main(["train", "-c", str(cfg)]) == 0
    capsys.readouterr()
    assert (
        main(["average", str(steps[0]), str(tmp_path / "other" / "best.pt"), "-o", str(tmp_path / "a.pt")])
        == 2
    )
    err = capsys.readouterr().err
    assert "dictionary" in err and "one run" in err
    assert not (tmp_path / "a.pt").exists()
