"""Resuming from a checkpoint continues the loss and LR curves exactly where they stopped."""

import contextlib
import csv

import pytest

pytest.importorskip("torch")

from lumenocr.train.config import apply_overrides, build_config  # noqa: E402
from lumenocr.train.toydata import make_rec_set, tiny_config  # noqa: E402
from lumenocr.train.trainer import Trainer, epoch_order  # noqa: E402


class Crash(Exception):
    pass


def _run(raw, overrides, stop_at=None):
    curve = []

    def record(row):
        if stop_at is not None and row["step"] == stop_at:
            raise Crash  # an interruption before this step's checkpoint could be written
        curve.append((row["step"], row["lr"], row["loss"]))

    trainer = Trainer(build_config(apply_overrides(raw, overrides)))
    with contextlib.suppress(Crash):
        trainer.fit(on_step=record)
    return curve, trainer


def test_resume_continues_loss_and_lr_exactly(tmp_path):
    data = tmp_path / "data"
    label = make_rec_set(data, 12, seed=5, chars="0123456789", min_len=3, max_len=5)
    raw = tiny_config("rec", label, label, tmp_path / "full")
    raw["global"].update(max_steps=7, eval_every=3, save_every=3)  # 3 steps per epoch: crosses epochs
    raw["schedule"] = {"name": "cosine", "warmup_steps": 2}
    raw["optimizer"] = {"lr": 0.01, "clip_grad_norm": 1.0}

    full, _ = _run(raw, [])
    assert [s for s, _, _ in full] == list(range(1, 8))
    part, _ = _run(raw, [f"global.output_dir={tmp_path / 'part'}"], stop_at=5)
    assert [s for s, _, _ in part] == [1, 2, 3, 4]
    resumed, trainer = _run(
        raw,
        [f"global.output_dir={tmp_path / 'part'}", f"global.checkpoint={tmp_path / 'part' / 'latest.pt'}"],
    )
    assert trainer.step == 7
    # the checkpoint was written at step 3: the resumed run redoes 4..7 exactly as the full run did
    assert resumed == full[3:]
    assert part[:3] == full[:3]
    # the CSV log was cut back to the checkpoint's step and continued without gaps or duplicates
    with open(tmp_path / "part" / "train_log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == list(range(1, 8))
    assert [float(r["loss"]) for r in rows] == pytest.approx([loss for _, _, loss in full], rel=1e-5)
    assert trainer.best is not None


def test_epoch_order_shards_cover_the_permutation_once():
    full = epoch_order(10, seed=3, epoch=2, shuffle=True)
    shards = [epoch_order(10, seed=3, epoch=2, shuffle=True, rank=r, world=3) for r in range(3)]
    assert sorted(full) == list(range(10))
    assert {len(s) for s in shards} == {4}  # padded to equal length
    assert set().union(*shards) == set(range(10))
    assert epoch_order(10, 3, 2, True) != epoch_order(10, 3, 3, True)
