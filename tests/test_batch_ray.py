"""The Ray path gives exactly the local path's records, on a real local Ray instance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from lumenocr.vis.sample import render_lines

ray = pytest.importorskip("ray", reason="Ray is the optional [ray] extra")
pytest.importorskip("ray.data")

REPO = Path(__file__).resolve().parents[1]
TEXTS = ["north gate 14", "silver kettle", "quiet lake 203", "paper crane"]


def _model_available() -> bool:
    from lumenocr.cli.models import model_status
    from lumenocr.zoo import DEFAULT_MODEL, get_spec

    return model_status(get_spec(DEFAULT_MODEL))[0]


pytestmark = pytest.mark.skipif(
    not _model_available(), reason="the default zoo model's package is not installed"
)


@pytest.fixture(scope="module")
def ray_session():
    """One small local Ray instance for the module (starting Ray takes seconds)."""
    from lumenocr.batch.ray import init

    init(None, num_cpus=2, include_dashboard=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[str]:
    from PIL import Image

    d = tmp_path_factory.mktemp("ray_inputs")
    files = []
    for i, t in enumerate(TEXTS):
        p = d / f"im{i}.png"
        cv2.imwrite(str(p), render_lines([t], font_size=28, margin=10))
        files.append(str(p))
    pdf = d / "two.pdf"
    pages = [
        Image.fromarray(cv2.cvtColor(render_lines([t], font_size=36), cv2.COLOR_BGR2RGB)) for t in TEXTS[:2]
    ]
    pages[0].save(pdf, save_all=True, append_images=pages[1:], resolution=100)
    bad = d / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"junk" * 10)
    return [files[0], str(pdf), files[1], str(bad), files[2], files[3]]


class _Sink:
    def __init__(self):
        self.records: list[dict] = []

    def write(self, record, text=""):
        self.records.append(record)


def _strip(records):
    return [(r["image"], r.get("page"), r.get("boxes"), r.get("text")) for r in records]


@pytest.mark.parametrize("mode", ["full", "rec"])
def test_ray_equals_local(ray_session, inputs, mode):
    from lumenocr.batch import BatchJob, run_batch
    from lumenocr.batch.ray import run_ray

    job = BatchJob(mode=mode, rec_chunk=2)
    kwargs = {"threads": 1} if mode == "full" else {"threads": 1, "use_det": False, "use_cls": False}
    local, remote = _Sink(), _Sink()
    errors_local: list[str] = []
    errors_ray: list[str] = []
    s_local = run_batch(inputs, job, kwargs, local, report=errors_local.append)
    s_ray = run_ray(inputs, job, kwargs, remote, threads=1, report=errors_ray.append)
    assert _strip(remote.records) == _strip(local.records)
    assert len(local.records) == 6  # 4 images + 2 PDF pages
    assert errors_ray == errors_local and len(errors_local) == 1 and "bad.png" in errors_local[0]
    assert (s_ray.done, s_ray.failed, s_ray.written) == (s_local.done, s_local.failed, s_local.written)
    if mode == "full":
        texts = [" ".join(b["text"] for b in r["boxes"]) for r in remote.records]
        assert texts == [TEXTS[0], TEXTS[0], TEXTS[1], TEXTS[1], TEXTS[2], TEXTS[3]]


def test_cli_joins_a_running_cluster_and_writes_parquet(ray_session, inputs, tmp_path):
    import pyarrow.parquet as pq

    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    base = [sys.executable, "-m", "lumenocr.cli.main", "ocr", *inputs, "-q"]
    out_ray = tmp_path / "ray.parquet"
    proc = subprocess.run(
        [*base, "--ray", ray_session, "-o", str(out_ray)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr  # bad.png failed, the rest were read
    assert "bad.png" in proc.stderr and "Traceback" not in proc.stderr
    table = pq.read_table(out_ray).to_pylist()
    out_local = tmp_path / "local.jsonl"
    subprocess.run([*base, "--workers", "1", "-o", str(out_local)], env=env, timeout=300, capture_output=True)
    local = [json.loads(line) for line in out_local.read_text(encoding="utf-8").splitlines()]
    assert [json.loads(row["record"])["boxes"] for row in table] == [r["boxes"] for r in local]
    assert [(row["image"], row["page"]) for row in table] == [(r["image"], r["page"]) for r in local]
    assert (tmp_path / "ray.parquet.failed.txt").read_text().split() == [inputs[3]]
