"""ONNX Runtime's optimised graphs cached between processes (lumenocr/runtime/ort_cache.py): a
cached load gives the same outputs bit for bit, and the cache key follows the file, the ONNX
Runtime version, the level and the CPU."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from lumenocr.errors import ModelNotFoundError
from lumenocr.runtime import ort_cache
from lumenocr.runtime.onnx import OnnxEngine, RuntimeOptions


@pytest.fixture(scope="module")
def det_path() -> Path:
    from lumenocr.zoo import DEFAULT_MODEL, get_spec, locate

    try:
        return locate(get_spec(DEFAULT_MODEL).det.file)
    except ModelNotFoundError as e:
        pytest.skip(str(e))


@pytest.fixture()
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LUMENOCR_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "lumenocr" / ort_cache.FOLDER


def _graphs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.onnx")) if folder.is_dir() else []


def _page(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.random((1, 3, 160, 224), dtype=np.float32) * 2 - 1
    x[:, :, 60:100, 20:200] = 1.0  # a bright bar: a text-like response
    return x


def test_cached_graph_gives_the_same_outputs_bit_for_bit(det_path, cache):
    fresh = OnnxEngine(det_path, RuntimeOptions(threads=1, graph_cache=False))
    assert _graphs(cache) == []
    first = OnnxEngine(det_path, RuntimeOptions(threads=1))  # optimises and saves the graph
    (saved,) = _graphs(cache)
    assert not list(cache.glob(".*partial")), "the partial file was not published"
    second = OnnxEngine(det_path, RuntimeOptions(threads=1))  # loads the saved graph
    opts = second.session.get_session_options()
    assert opts.graph_optimization_level == ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    assert second.session._model_path == str(saved)
    assert second.path == det_path and second.input_shape == fresh.input_shape
    for seed in range(2):
        x = _page(seed)
        want = fresh(x)
        assert np.array_equal(first(x), want)
        assert np.array_equal(second(x), want)


def test_key_follows_file_version_level_and_cpu(tmp_path, cache, monkeypatch):
    model = tmp_path / "m.onnx"
    model.write_bytes(b"\0" * ort_cache.MIN_BYTES)
    a = ort_cache.cached_graph(model, "all", "1.0")
    assert a is not None and not a.hit
    assert ort_cache.cached_graph(model, "all", "1.0").path == a.path  # stable
    others = {
        ort_cache.cached_graph(model, "all", "1.1").path,
        ort_cache.cached_graph(model, "basic", "1.0").path,
    }
    st = model.stat()
    os.utime(model, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # a changed file: a new key
    others.add(ort_cache.cached_graph(model, "all", "1.0").path)
    monkeypatch.setattr(ort_cache, "cpu_identity", lambda: "another cpu")
    os.utime(model, ns=(st.st_atime_ns, st.st_mtime_ns))
    others.add(ort_cache.cached_graph(model, "all", "1.0").path)
    assert a.path not in others and len(others) == 4
    # Small graphs optimise in milliseconds: not cached.
    model.write_bytes(b"\0" * (ort_cache.MIN_BYTES - 1))
    assert ort_cache.cached_graph(model, "all", "1.0") is None


def test_broken_cached_graph_is_replaced(det_path, cache):
    OnnxEngine(det_path, RuntimeOptions(threads=1))
    (saved,) = _graphs(cache)
    saved.write_bytes(b"not an onnx file" * 100)
    engine = OnnxEngine(det_path, RuntimeOptions(threads=1))  # falls back to the model itself
    x = _page()
    assert np.array_equal(engine(x), OnnxEngine(det_path, RuntimeOptions(threads=1, graph_cache=False))(x))
    assert not saved.exists()  # dropped; the next load optimises and saves again
    OnnxEngine(det_path, RuntimeOptions(threads=1))
    assert _graphs(cache) == [saved] and saved.stat().st_size > 1000


def test_no_cache_without_a_folder_other_providers_or_optimisation(det_path, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("LUMENOCR_CACHE", str(blocker / "cache"))  # cannot be created
    engine = OnnxEngine(det_path, RuntimeOptions(threads=1))
    assert engine.session._model_path == str(det_path)
    monkeypatch.setenv("LUMENOCR_CACHE", str(tmp_path / "cache"))
    engine = OnnxEngine(det_path, RuntimeOptions(threads=1, graph_optimization="none"))
    assert engine.session._model_path == str(det_path)
    assert _graphs(tmp_path / "cache" / "lumenocr" / ort_cache.FOLDER) == []


def _publish_three(tmp_path, graph: bytes) -> tuple[Path, list[Path]]:
    """Three cached graphs of one model (ORT versions 1-3), used at times 1000, 1001, 1002."""
    model = tmp_path / "m.onnx"
    model.write_bytes(b"\0" * ort_cache.MIN_BYTES)
    paths = []
    for i, version in enumerate(("1", "2", "3")):
        entry = ort_cache.cached_graph(model, "all", version)
        assert entry is not None
        entry.partial.write_bytes(graph)
        entry.commit()
        os.utime(entry.path, (1000 + i, 1000 + i))
        paths.append(entry.path)
    return model, paths


def test_least_recently_used_graphs_are_pruned(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(ort_cache, "MAX_ENTRIES", 3)
    model, paths = _publish_three(tmp_path, b"graph")
    ort_cache.cached_graph(model, "all", "1")  # a hit makes the oldest the most recent
    last = ort_cache.cached_graph(model, "all", "4")
    assert last is not None
    last.partial.write_bytes(b"graph")
    last.commit()
    assert sorted(_graphs(cache)) == sorted([paths[0], paths[2], last.path])  # paths[1]: oldest


def test_cache_is_bounded_in_bytes_too(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(ort_cache, "MAX_BYTES", 250)
    model, paths = _publish_three(tmp_path, b"g" * 100)
    # 300 bytes: the oldest goes when the next one is published (the newest always stays).
    last = ort_cache.cached_graph(model, "all", "4")
    assert last is not None
    last.partial.write_bytes(b"g" * 100)
    last.commit()
    assert sorted(_graphs(cache)) == sorted([paths[2], last.path])
