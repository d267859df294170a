"""benchmarks/bench_ocr.py keeps going when one system's worker dies (e.g. OOM-killed)."""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        yield importlib.import_module("bench_ocr")
    finally:
        sys.path.remove(str(REPO / "benchmarks"))


def test_a_killed_worker_reports_how_it_died(bench):
    # The Tesseract worker starts without loading models; kill it as the OOM killer would.
    w = bench.Worker("tesseract", 1, "ppocrv6-small")
    w.proc.send_signal(signal.SIGKILL)
    w.proc.stdout.read()  # wait for the pipe to close
    with pytest.raises(bench.WorkerDied, match="signal 9"):
        w.ask(kind="rss")
    assert w.death is not None and w.death["exit"] == -9
    with pytest.raises(bench.WorkerDied):  # stays dead, no hang
        w.ask(kind="rss")
    w.close()


class _FakeWorker:
    """Stands in for a worker process: answers pages with no text; 'dies' after two images."""

    def __init__(self, system, threads, model, int8_dir="", cpus=None):
        self.system, self.calls, self.death = system, 0, None

    def ask(self, **req):
        if req["kind"] == "rss":
            return {"rss_mb": 100.0}
        if req["kind"] == "engines":
            return {"engines": f"{self.system} engine"}
        self.calls += 1
        if self.system == "lumenocr-int8" and self.calls > 2:
            self.death = {"error": "lumenocr-int8 worker died (killed by signal 9)", "peak_rss_mb": 4400.0}
            raise _FakeWorker.died(self.death["error"])
        return {"lines": [], "words": [], "seconds": 0.01 * self.calls, "error": None}

    def close(self):
        pass


@pytest.mark.skipif(not (DATA / "funsd_train" / "label.txt").is_file(), reason="../shared/data absent")
def test_a_dying_system_costs_that_set_not_the_run(bench, monkeypatch, tmp_path):
    _FakeWorker.died = bench.WorkerDied
    monkeypatch.setattr(bench, "Worker", _FakeWorker)
    args = argparse.Namespace(
        systems="lumenocr-int8,rapidocr-openvino",
        datasets="funsd_train,icdar2015_test",
        limit=4,
        set_limits="",
        rec_limit=0,
        threads=1,
        model="ppocrv6-small",
        int8_dir="",
    )
    report = bench.run(args)
    for name in ("funsd_train", "icdar2015_test"):  # the second set still runs, with fresh workers
        res = report["sets"][name]["results"]
        assert res["rapidocr-openvino"]["median_ms"] > 0
        assert "failed" in res["lumenocr-int8"] and "signal 9" in res["lumenocr-int8"]["failed"]
        assert res["lumenocr-int8"]["images_done"] == 1  # the warm-up and one timed image answered
    assert report["rss_mb"]["lumenocr-int8"] == 4400.0  # the dead worker's peak is kept
    out = tmp_path / "r.md"
    bench.write_markdown(report, args, out)
    text = out.read_text()
    assert "failed after 1 images" in text
    assert "| funsd_train | - |" in text  # no ratio for the system that died
    # What each system resolved to (asked once, after its first warm-up) is in the table.
    assert report["engines"]["rapidocr-openvino"] == "rapidocr-openvino engine"
    assert "| lumenocr-int8 | lumenocr-int8 engine | 4400 |" in text
