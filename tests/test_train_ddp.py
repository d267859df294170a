"""Data-parallel training with torchrun: 2 CPU processes on gloo."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
yaml = pytest.importorskip("yaml")

from lumenocr.train.toydata import make_rec_set, tiny_config  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_torchrun_two_gloo_processes_split_each_epoch(tmp_path):
    label = make_rec_set(tmp_path / "data", 16, seed=3, chars="0123456789", min_len=3, max_len=5)
    raw = tiny_config("rec", label, label, tmp_path / "out", max_steps=None, epochs=2, eval_every=0)
    raw["eval"]["limit"] = 4
    config = tmp_path / "ddp.yml"
    config.write_text(yaml.safe_dump(raw))
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "lumenocr.cli.main",
        "train",
        "-c",
        str(config),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(tmp_path / "out" / "train_log.csv", newline="") as f:
        steps = [int(r["step"]) for r in csv.DictReader(f)]
    # 16 samples, batch 4 per process, 2 processes: 2 steps per epoch (a single process would take 4)
    assert steps == [1, 2, 3, 4]
    state = torch.load(tmp_path / "out" / "latest.pt", weights_only=False)
    assert state["step"] == 4
    assert not any(k.startswith("module.") for k in state["model"])  # saved unwrapped, loadable anywhere
    assert "done: 4 steps" in proc.stderr
