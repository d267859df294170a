"""A run stopped by SIGTERM / SIGINT saves the step it reached, so resuming loses nothing."""

import csv
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

torch = pytest.importorskip("torch")

from lumenocr.train.config import apply_overrides, build_config  # noqa: E402
from lumenocr.train.toydata import make_rec_set, tiny_config  # noqa: E402
from lumenocr.train.trainer import Trainer  # noqa: E402


@pytest.fixture(scope="module")
def rec_label(tmp_path_factory):
    return make_rec_set(
        tmp_path_factory.mktemp("stop_rec"), 12, seed=5, chars="0123456789", min_len=3, max_len=5
    )


def _steps(csv_path):
    with open(csv_path, newline="") as f:
        return [int(r["step"]) for r in csv.DictReader(f)]


def test_sigint_mid_run_saves_that_step_and_resume_finishes(tmp_path, rec_label):
    raw = tiny_config("rec", rec_label, rec_label, tmp_path / "out")
    # checkpoints only at evaluations, far beyond the interruption: the signal alone must save
    raw["global"].update(max_steps=8, eval_every=100, save_every=100)

    def interrupt(row):
        if row["step"] == 5:
            os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C would, in the middle of the run

    trainer = Trainer(build_config(raw))
    # A background job of a non-interactive shell starts with SIGINT ignored: whatever handler
    # the process had before fit() must be back after it.
    before = signal.getsignal(signal.SIGINT)
    try:
        summary = trainer.fit(on_step=interrupt)
    except KeyboardInterrupt:
        pytest.fail("SIGINT escaped the training loop instead of stopping it with a checkpoint")
    assert summary["stopped_by"] == "SIGINT"
    assert summary["step"] == 5
    saved = torch.load(tmp_path / "out" / "latest.pt", weights_only=False)
    assert saved["step"] == 5
    # the handler is gone once fit() returns: the process's own Ctrl-C behaviour is back
    assert signal.getsignal(signal.SIGINT) is before

    cfg = build_config(apply_overrides(raw, [f"global.checkpoint={tmp_path / 'out' / 'latest.pt'}"]))
    resumed = Trainer(cfg)
    assert resumed.step == 5
    assert resumed.fit()["stopped_by"] is None
    assert resumed.step == 8
    assert _steps(tmp_path / "out" / "train_log.csv") == list(range(1, 9))


def test_sigterm_to_the_command_line_run_saves_and_exits_143(tmp_path, rec_label):
    raw = tiny_config("rec", rec_label, rec_label, tmp_path / "out")
    raw["global"].update(max_steps=100000, eval_every=100000, save_every=100000)
    raw["train"]["num_workers"] = 1  # the loader's worker gets the group's signal too
    config = tmp_path / "c.yml"
    config.write_text(yaml.safe_dump(raw))
    log_csv = tmp_path / "out" / "train_log.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "lumenocr.cli.main", "train", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, signalled as a whole like `kill -- -PGID`
    )
    try:
        deadline = time.monotonic() + 120
        while not (log_csv.is_file() and len(_steps(log_csv)) >= 3):
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "training did not start within 2 minutes"
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err.decode()
    assert "stopped by SIGTERM" in err.decode()
    saved = torch.load(tmp_path / "out" / "latest.pt", weights_only=False)
    assert saved["step"] == _steps(log_csv)[-1] >= 3


def test_eval_log_records_cpu_seconds_and_keeps_each_evaluations_weights(tmp_path, rec_label):
    raw = tiny_config("rec", rec_label, rec_label, tmp_path / "out")
    raw["global"].update(max_steps=4, eval_every=2, keep_eval_checkpoints=True)
    Trainer(build_config(raw)).fit()
    with open(tmp_path / "out" / "eval_log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == [2, 4]
    cpu = [float(r["cpu_s"]) for r in rows]
    assert 0 < cpu[0] <= cpu[1]  # logged to 0.1 s: two quick evaluations may read alike
    for step in (2, 4):
        kept = torch.load(tmp_path / "out" / f"step_{step}.pt", weights_only=False)
        assert kept["step"] == step and kept["optimizer"] is None
    # a resumed run goes on counting from the checkpoint's CPU seconds
    saved = torch.load(tmp_path / "out" / "latest.pt", weights_only=False)
    assert cpu[0] - 0.05 <= saved["cpu_s"] <= cpu[1] + 0.05
