"""Training config validation, overrides, LR schedules, freezing and per-layer LR."""

import math

import pytest

torch = pytest.importorskip("torch")

from lumenocr.errors import ConfigError  # noqa: E402
from lumenocr.train.config import ScheduleConfig, apply_overrides, build_config  # noqa: E402
from lumenocr.train.optim import build_optimizer, lr_factor  # noqa: E402
from lumenocr.train.toydata import tiny_config  # noqa: E402


def _raw(tmp_path):
    (tmp_path / "dict.txt").write_text("a\nb\n")
    return tiny_config("rec", tmp_path / "label.txt", tmp_path / "label.txt", tmp_path / "out")


def test_unknown_keys_are_named_at_every_level(tmp_path):
    raw = _raw(tmp_path)
    build_config(raw)  # the base config is valid
    cases = [
        ("globl.seed=1", "globl"),
        ("global.max_stepz=1", "max_stepz"),
        ("optimizer.momentum=0.9", "momentum"),
        ("train.augment.blur=0.1", "blur"),
        ("loss.alpha=1", "alpha"),
        ("inference.preprocess.limit_side=3", "limit_side"),
    ]
    for override, name in cases:
        with pytest.raises(ConfigError, match=name):
            build_config(apply_overrides(raw, [override]))


def test_overrides_parse_yaml_values(tmp_path):
    raw = apply_overrides(
        _raw(tmp_path), ["optimizer.lr=5e-4", "train.label_files=[a.txt, b.txt]", "global.pretrained=null"]
    )
    cfg = build_config(raw)
    assert (
        cfg.optimizer.lr == 5e-4
        and cfg.train.label_files == ["a.txt", "b.txt"]
        and cfg.global_.pretrained is None
    )
    with pytest.raises(ConfigError, match="section.key=value"):
        apply_overrides(raw, ["lr"])


def test_config_consistency_checks(tmp_path):
    raw = _raw(tmp_path)
    with pytest.raises(ConfigError, match="image_height"):
        build_config(apply_overrides(raw, ["inference.preprocess.image_height=48"]))
    with pytest.raises(ConfigError, match="character_dict"):
        build_config(apply_overrides(raw, ["global.character_dict=null"]))
    with pytest.raises(ConfigError, match="CTCLoss"):
        build_config(apply_overrides(raw, ["loss.name=DBLoss"]))
    with pytest.raises(ConfigError, match="piecewise"):
        ScheduleConfig(name="piecewise", milestones=[10], values=[0.1])


def test_schedules_per_iteration():
    cos = ScheduleConfig(name="cosine", warmup_steps=4, min_lr=0.0)
    assert [round(lr_factor(s, 104, cos, 1.0), 4) for s in range(4)] == [0.2, 0.4, 0.6, 0.8]
    assert lr_factor(4, 104, cos, 1.0) == pytest.approx(1.0)
    assert lr_factor(54, 104, cos, 1.0) == pytest.approx(0.5)
    assert lr_factor(104, 104, cos, 1.0) == pytest.approx(0.0, abs=1e-9)
    floor = ScheduleConfig(name="cosine", min_lr=0.1)
    assert lr_factor(100, 100, floor, 1.0) == pytest.approx(0.1)
    step = ScheduleConfig(name="step", step_size=10, gamma=0.5)
    assert [lr_factor(s, 100, step, 1.0) for s in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    pw = ScheduleConfig(name="piecewise", milestones=[10, 20], values=[1e-3, 1e-4, 1e-5])
    assert [lr_factor(s, 100, pw, 1e-3) for s in (0, 10, 20)] == pytest.approx([1.0, 0.1, 0.01])
    assert math.isclose(lr_factor(5, 10, ScheduleConfig(name="constant"), 1.0), 1.0)


def test_freeze_and_lr_multipliers(tmp_path):
    from lumenocr.models import build_model

    cfg = build_config(
        apply_overrides(_raw(tmp_path), ["optimizer.freeze=[backbone]", "optimizer.lr_mult={neck: 0.1}"])
    )
    model = build_model(cfg.model, 3)
    opt = build_optimizer(model, cfg.optimizer)
    assert not any(p.requires_grad for p in model.backbone.parameters())
    trained = {id(p) for g in opt.param_groups for p in g["params"]}
    assert not trained & {id(p) for p in model.backbone.parameters()}
    lrs = {id(p): g["lr"] for g in opt.param_groups for p in g["params"]}
    assert {lrs[id(p)] for p in model.neck.parameters()} == {cfg.optimizer.lr * 0.1}
    assert {lrs[id(p)] for p in model.head.parameters()} == {cfg.optimizer.lr}
    with pytest.raises(ConfigError, match="matches no parameter"):
        build_optimizer(
            model,
            build_config(apply_overrides(_raw(tmp_path), ["optimizer.freeze=[backbone.nope]"])).optimizer,
        )
