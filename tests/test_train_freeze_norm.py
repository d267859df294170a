"""optimizer.freeze_norm_stats: batch-norm statistics stay as imported, everything else trains."""

import pytest

torch = pytest.importorskip("torch")

from lumenocr.train.config import build_config  # noqa: E402
from lumenocr.train.toydata import make_rec_set, tiny_config  # noqa: E402
from lumenocr.train.trainer import Trainer  # noqa: E402


def _norm_layers(model):
    return {n: m for n, m in model.named_modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)}


@pytest.mark.parametrize("freeze", [False, True])
def test_frozen_norm_statistics_stay_while_their_affine_and_the_rest_train(tmp_path, freeze):
    label = make_rec_set(tmp_path / "data", 8, seed=3, chars="0123456789", min_len=3, max_len=5)
    raw = tiny_config("rec", label, label, tmp_path / "out")
    # an evaluation between steps switches the model to eval mode and back: the freeze must hold after it
    raw["global"].update(max_steps=4, eval_every=2)
    raw["optimizer"] = {"lr": 0.01, "freeze_norm_stats": freeze}
    trainer = Trainer(build_config(raw))
    norms = _norm_layers(trainer.model)
    assert norms, "the test model must have batch-norm layers"
    stats = {n: (m.running_mean.clone(), m.running_var.clone()) for n, m in norms.items()}
    affine = {n: m.weight.detach().clone() for n, m in norms.items()}
    trainer.fit()
    stats_moved = [
        n
        for n, m in norms.items()
        if not (torch.equal(m.running_mean, stats[n][0]) and torch.equal(m.running_var, stats[n][1]))
    ]
    assert bool(stats_moved) is not freeze, stats_moved
    assert any(not torch.equal(m.weight.detach(), affine[n]) for n, m in norms.items())
