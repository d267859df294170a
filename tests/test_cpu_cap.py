"""Thread counts never exceed the CPUs a process really has (affinity mask and cgroup quota)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from lumenocr.runtime import cpu

REPO = Path(__file__).resolve().parents[1]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_cgroup_v2_quota_in_own_cgroup_and_ancestors(tmp_path):
    root = tmp_path / "cg"
    _write(root / "cpu.max", "max 100000\n")
    _write(root / "kube" / "cpu.max", "400000 100000\n")  # an ancestor: 4 CPUs
    _write(root / "kube" / "pod" / "cpu.max", "150000 100000\n")  # own cgroup: 1.5 CPUs
    _write(tmp_path / "self", "0::/kube/pod\n")
    assert cpu.cgroup_cpu_quota(str(root), str(tmp_path / "self")) == pytest.approx(1.5)


def test_cgroup_v2_namespaced_container_reads_the_root(tmp_path):
    root = tmp_path / "cg"
    _write(root / "cpu.max", "200000 100000\n")
    _write(tmp_path / "self", "0::/\n")
    assert cpu.cgroup_cpu_quota(str(root), str(tmp_path / "self")) == pytest.approx(2.0)


def test_cgroup_v2_unlimited(tmp_path):
    root = tmp_path / "cg"
    _write(root / "cpu.max", "max 100000\n")
    _write(tmp_path / "self", "0::/\n")
    assert cpu.cgroup_cpu_quota(str(root), str(tmp_path / "self")) is None


def test_cgroup_v1_quota(tmp_path):
    root = tmp_path / "cg"
    _write(root / "cpu,cpuacct" / "cpu.cfs_quota_us", "-1\n")
    _write(root / "cpu,cpuacct" / "cpu.cfs_period_us", "100000\n")
    _write(root / "cpu,cpuacct" / "docker" / "abc" / "cpu.cfs_quota_us", "300000\n")
    _write(root / "cpu,cpuacct" / "docker" / "abc" / "cpu.cfs_period_us", "100000\n")
    _write(tmp_path / "self", "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n")
    assert cpu.cgroup_cpu_quota(str(root), str(tmp_path / "self")) == pytest.approx(3.0)


def test_no_cgroup_files_means_no_quota(tmp_path):
    assert cpu.cgroup_cpu_quota(str(tmp_path / "absent"), str(tmp_path / "absent2")) is None


def test_budget_takes_the_lower_of_affinity_and_quota():
    assert cpu.CpuBudget(64, 2.0).cpus == 2
    assert cpu.CpuBudget(64, 1.5).cpus == 2  # a partial CPU still runs a second thread
    assert cpu.CpuBudget(2, 16.0).cpus == 2
    assert cpu.CpuBudget(8, None).cpus == 8
    assert cpu.CpuBudget(8, 0.2).cpus == 1


@pytest.fixture
def two_cpus_in_a_64_core_container(monkeypatch):
    monkeypatch.setattr(cpu, "_affinity", lambda: 64)
    monkeypatch.setattr(cpu, "cgroup_cpu_quota", lambda *a, **k: 2.0)
    monkeypatch.setattr(cpu, "_warned", set())


def test_resolve_threads_caps_and_warns_once(two_cpus_in_a_64_core_container):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cpu.resolve_threads(64) == 2
        assert cpu.resolve_threads(64) == 2
        assert cpu.resolve_threads(None) == 2
        assert cpu.resolve_threads(1) == 1
    msgs = [str(w.message) for w in caught if issubclass(w.category, cpu.ThreadCapWarning)]
    assert len(msgs) == 1
    assert "threads=64" in msgs[0] and "using 2" in msgs[0] and "quota of 2" in msgs[0]


def test_processes_share_the_cpus(two_cpus_in_a_64_core_container):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cpu.resolve_threads(None, processes=2) == 1
        assert cpu.resolve_threads(4, processes=2) == 1
        assert cpu.resolve_threads(None, processes=8) == 1
    assert len(caught) == 1 and "each of 2 processes" in str(caught[0].message)


def test_bad_thread_count_is_a_config_error():
    from lumenocr.errors import ConfigError

    with pytest.raises(ConfigError, match="threads must be >= 1"):
        cpu.resolve_threads(0)


def _model_available() -> bool:
    from lumenocr.cli.models import model_status
    from lumenocr.zoo import DEFAULT_MODEL, get_spec

    return model_status(get_spec(DEFAULT_MODEL))[0]


needs_model = pytest.mark.skipif(not _model_available(), reason="the default zoo model is not installed")


@needs_model
def test_ocr_api_caps_recognizer_workers_and_intra_op_threads(two_cpus_in_a_64_core_container):
    """OCR(threads=64) in a 2-CPU container: every session and the recognizer pool fit in 2 CPUs,
    and the user is told once."""
    from lumenocr import OCR

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ocr = OCR(threads=64, providers=("cpu",))
    assert [str(w.message) for w in caught if w.category is cpu.ThreadCapWarning] == [
        "threads=64 is more than this machine gives the process: 2 CPU(s) (64 in the affinity mask, "
        "a cgroup CPU quota of 2); using 2 thread(s) (more would only slow it down)"
    ]
    det_threads = ocr.detector.engine.session.get_session_options().intra_op_num_threads
    rec_threads = ocr.recognizer.engine.session.get_session_options().intra_op_num_threads
    assert det_threads == 2
    assert ocr.recognizer.workers * rec_threads <= 2


@needs_model
def test_ocr_api_default_follows_the_quota_not_the_machine(two_cpus_in_a_64_core_container, monkeypatch):
    monkeypatch.setattr(cpu.os, "cpu_count", lambda: 64)
    from lumenocr import OCR

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ocr = OCR(providers=("cpu",))
    assert not [w for w in caught if w.category is cpu.ThreadCapWarning]
    assert ocr.detector.engine.session.get_session_options().intra_op_num_threads == 2
    assert ocr.recognizer.workers == 2


@needs_model
def test_openvino_engine_is_capped_too(two_cpus_in_a_64_core_container, monkeypatch):
    pytest.importorskip("openvino")
    monkeypatch.setattr(cpu.os, "cpu_count", lambda: 64)
    from lumenocr import OCR

    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        ocr = OCR(threads=64, providers=("openvino",))
        default = OCR(providers=("openvino",))
    for o in (ocr, default):
        assert o.detector.engine.compiled.get_property("INFERENCE_NUM_THREADS") == 2
        rec = o.recognizer
        assert rec.workers == 2 and rec.engine.compiled.get_property("INFERENCE_NUM_THREADS") <= 2


@needs_model
def test_cli_threads_above_the_cpus_warns_once_in_one_line(tmp_path):
    import cv2

    from lumenocr.vis.sample import render_lines

    cv2.imwrite(str(tmp_path / "a.png"), render_lines(["Thread count check"], font_size=32))
    n = cpu.available_cpus()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lumenocr.cli.main",
            "ocr",
            str(tmp_path / "a.png"),
            "--threads",
            "64",
            "--format",
            "txt",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Thread count check" in proc.stdout
    warned = [ln for ln in proc.stderr.splitlines() if "warning" in ln]
    assert warned == [ln for ln in proc.stderr.splitlines() if ln.strip()], (
        proc.stderr
    )  # no traceback-style lines
    assert len(warned) == 1 and f"using {n} thread(s)" in warned[0], proc.stderr
    assert warned[0].startswith("lumenocr ocr: warning: threads=64")
