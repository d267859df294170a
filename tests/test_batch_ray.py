"""The Ray path gives exactly the local path's records, on a real local Ray instance.

Ray runs here as a user runs it: the cluster in a process of its own, and each Ray driver (the
library's ``run_ray``, the CLI's ``--ray``) in a child process that joins it. A driver takes
over its process: Ray's native core installs its own fatal-signal handlers and alternate signal
stack and, after ``ray.shutdown()``, leaves SIGSEGV, SIGABRT, SIGFPE and SIGILL at their
defaults (and SIGBUS on its own handler) with a dozen of its threads still running. Inside the
pytest process that silently disarmed pytest's faulthandler for every later test.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
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


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


# The cluster's process: a local Ray instance that lives until its stdin is closed.
# It prints its address and the authentication mode it chose (Ray >= 2.5x starts a local
# cluster with token authentication; a driver that joins it needs the same RAY_AUTH_MODE).
HEAD = """
import json, os, sys
import ray
from lumenocr.batch.ray import init

init("local", num_cpus=2, include_dashboard=False)  # a fresh cluster, whatever /tmp/ray names
print(json.dumps([ray.get_runtime_context().gcs_address, os.environ.get("RAY_AUTH_MODE")]), flush=True)
sys.stdin.read()
ray.shutdown()
"""

# A driver that joins the cluster and runs the library's run_ray (arguments: one JSON object).
DRIVER = """
import json, sys
from lumenocr.batch import BatchJob
from lumenocr.batch.ray import run_ray

args = json.loads(sys.argv[1])


class Sink:
    def __init__(self):
        self.records = []

    def write(self, record, text=""):
        self.records.append(record)


sink, errors = Sink(), []
job = BatchJob(mode=args["mode"], rec_chunk=2)
s = run_ray(args["inputs"], job, args["kwargs"], sink, address=args["address"], threads=1, report=errors.append)
with open(args["out"], "w", encoding="utf-8") as f:
    json.dump({"records": sink.records, "errors": errors, "summary": [s.done, s.failed, s.written]}, f)
"""


@pytest.fixture(scope="module")
def ray_session(tmp_path_factory):
    """One small local Ray instance for the module, in a process of its own (starting Ray takes
    seconds); yields its address and the environment a driver joins it with."""
    log = tmp_path_factory.mktemp("ray_head") / "stderr.txt"
    with open(log, "w") as err:
        head = subprocess.Popen(
            [sys.executable, "-c", HEAD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=_env(),
        )
    try:
        assert head.stdout is not None and head.stdin is not None
        line = head.stdout.readline()
        assert line, f"the Ray head process did not start: {log.read_text()[-3000:]}"
        address, auth_mode = json.loads(line)
        env = _env()
        if auth_mode is not None:
            env["RAY_AUTH_MODE"] = auth_mode
        yield address, env
    finally:
        if head.stdin is not None:
            head.stdin.close()  # the head shuts Ray down and exits
        try:
            head.wait(timeout=120)
        except subprocess.TimeoutExpired:
            head.kill()
            head.wait()


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
def test_ray_equals_local(ray_session, inputs, mode, tmp_path):
    from lumenocr.batch import BatchJob, run_batch

    job = BatchJob(mode=mode, rec_chunk=2)
    kwargs = {"threads": 1} if mode == "full" else {"threads": 1, "use_det": False, "use_cls": False}
    local = _Sink()
    errors_local: list[str] = []
    s_local = run_batch(inputs, job, kwargs, local, report=errors_local.append)
    out = tmp_path / "ray.json"
    address, env = ray_session
    args = {"inputs": inputs, "mode": mode, "kwargs": kwargs, "address": address, "out": str(out)}
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    remote = json.loads(out.read_text(encoding="utf-8"))
    # The driver's records crossed JSON (as the CLI writes them); the local ones do the same here.
    records_local = json.loads(json.dumps(local.records))
    assert _strip(remote["records"]) == _strip(records_local)
    assert len(records_local) == 6  # 4 images + 2 PDF pages
    assert remote["errors"] == errors_local and len(errors_local) == 1 and "bad.png" in errors_local[0]
    assert remote["summary"] == [s_local.done, s_local.failed, s_local.written]
    if mode == "full":
        texts = [" ".join(b["text"] for b in r["boxes"]) for r in remote["records"]]
        assert texts == [TEXTS[0], TEXTS[0], TEXTS[1], TEXTS[1], TEXTS[2], TEXTS[3]]


def test_cli_joins_a_running_cluster_and_writes_parquet(ray_session, inputs, tmp_path):
    import pyarrow.parquet as pq

    address, env = ray_session
    base = [sys.executable, "-m", "lumenocr.cli.main", "ocr", *inputs, "-q"]
    out_ray = tmp_path / "ray.parquet"
    proc = subprocess.run(
        [*base, "--ray", address, "-o", str(out_ray)],
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


@pytest.mark.parametrize(
    ("env", "address", "hinted"),
    [
        ({}, "10.0.0.1:6379", True),  # an explicit address never turns token mode on by itself
        ({"RAY_ADDRESS": "10.0.0.1:6379"}, None, True),
        ({"RAY_AUTH_MODE": "token"}, "10.0.0.1:6379", False),  # already set: the cause is elsewhere
        ({}, "auto", False),  # Ray finds the cluster itself and turns token mode on when needed
    ],
)
def test_failed_join_says_how_to_join_a_token_auth_cluster(monkeypatch, env, address, hinted):
    # Ray 2.60 only says "Failed to connect to Ray cluster" when a head started with token
    # authentication refuses a driver without RAY_AUTH_MODE=token (checked by hand on a real
    # cluster: ~20 s of retries, then that message). No Ray instance is started here.
    from lumenocr.batch import ray as batch_ray
    from lumenocr.errors import ConfigError

    for name in ("RAY_ADDRESS", "RAY_AUTH_MODE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def refuse(*args, **kwargs):
        raise ConnectionError(f"Failed to connect to Ray cluster at {kwargs.get('address')}")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", refuse)
    with pytest.raises(ConfigError, match="cannot connect to the Ray cluster") as err:
        batch_ray.init(address)
    assert ("RAY_AUTH_MODE=token" in str(err.value)) == hinted


def test_a_stale_ray_start_address_file_does_not_hang_a_local_run(monkeypatch, tmp_path):
    # A `ray start` cluster ended without `ray stop` leaves ray_current_cluster behind; with it,
    # `lumenocr ocr --ray` (no address) tried to join the dead cluster for minutes (checked by
    # hand: still retrying after 2 minutes). Now it warns and starts a local instance. A live
    # address in the file is still what Ray joins. No Ray instance is started here.
    import socket
    import warnings

    from lumenocr.batch import ray as batch_ray

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setenv("RAY_TMPDIR", str(tmp_path))
    (tmp_path / "ray").mkdir()
    record = tmp_path / "ray" / "ray_current_cluster"
    listener = socket.create_server(("127.0.0.1", 0))
    live = f"127.0.0.1:{listener.getsockname()[1]}"
    closed = socket.create_server(("127.0.0.1", 0))
    dead = f"127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    seen: list = []
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", lambda *a, **kw: seen.append(kw.get("address")))
    try:
        record.write_text(dead + "\n")
        with pytest.warns(UserWarning, match=f"Ray cluster at {dead} that does not answer"):
            batch_ray.init(None)
        record.write_text(live + "\n")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            batch_ray.init(None)  # a live cluster: left to Ray, which joins it
            batch_ray.init("10.0.0.1:6379")  # an address given: the file is not read
    finally:
        listener.close()
    assert seen == ["local", None, "10.0.0.1:6379"]


def test_cli_ray_without_address_starts_its_own_cluster_past_a_stale_file(inputs, tmp_path):
    # End to end, on a real Ray: a stale ray_current_cluster (a dead address) in an isolated
    # Ray temp folder (short: Ray's socket paths must fit 107 bytes), and `lumenocr ocr --ray`
    # with no address. Before the fix this retried the dead address for minutes (~200 s here,
    # then failed); now it starts a local instance of its own, in that folder, and reads the files.
    folder = Path(tempfile.mkdtemp(prefix="lr", dir="/tmp"))
    try:
        (folder / "ray").mkdir()
        with socket.socket() as s:  # a port nothing listens on once closed
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        (folder / "ray" / "ray_current_cluster").write_text(f"127.0.0.1:{port}")
        out = tmp_path / "out.jsonl"
        env = {k: v for k, v in _env().items() if k not in ("RAY_ADDRESS", "RAY_AUTH_MODE")}
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "lumenocr.cli.main",
                "ocr",
                inputs[0],
                inputs[2],
                "-q",
                "--ray",
                "-o",
                str(out),
            ],
            capture_output=True,
            text=True,
            env={**env, "RAY_TMPDIR": str(folder)},
            timeout=180,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert [" ".join(b["text"] for b in r["boxes"]) for r in records] == [TEXTS[0], TEXTS[1]]
        assert any(folder.glob("ray/session_*")), "the local instance was not started in the isolated folder"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
