"""OpenVINO's compiled-model cache (lumenocr/runtime/openvino.py): one folder per model file,
bounded by the least-recently-used rule it shares with ONNX Runtime's graph cache
(lumenocr/cache.py: lru_victims), and never a reason for inference to fail."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from lumenocr.cache import MIN_MODEL_BYTES, lru_victims
from lumenocr.errors import ModelNotFoundError

pytest.importorskip("openvino")

from lumenocr.runtime import openvino as lov  # noqa: E402
from lumenocr.runtime.onnx import RuntimeOptions  # noqa: E402


@pytest.fixture(scope="module")
def cls_path() -> Path:
    """The default model set's classifier: the smallest zoo file above the caching threshold."""
    from lumenocr.zoo import DEFAULT_MODEL, get_spec, locate

    try:
        path = locate(get_spec(DEFAULT_MODEL).cls.file)
    except (ModelNotFoundError, AttributeError) as e:
        pytest.skip(str(e))
    assert path.stat().st_size >= MIN_MODEL_BYTES
    return path


@pytest.fixture()
def folder(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LUMENOCR_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "lumenocr" / lov.CACHE_FOLDER


def _crop(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((2, 3, 80, 160), dtype=np.float32) * 2 - 1


def _fake_entry(folder: Path, name: str, size: int, age: int, legacy: bool = False) -> Path:
    """A cache entry ``age`` seconds old holding ``size`` bytes: a folder with a blob, or (as
    earlier versions left them) a blob at the top level."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (f"{name}.blob" if legacy else name)
    blob = path if legacy else path / "123.blob"
    if not legacy:
        path.mkdir()
    blob.write_bytes(b"b" * size)
    t = 1_000_000 - age
    os.utime(blob, (t, t))
    os.utime(path, (t, t))
    return path


def test_lru_rule_keeps_the_newest_within_both_bounds():
    entries = [
        (Path(f"e{i}"), float(t), size) for i, (t, size) in enumerate([(5, 10), (9, 10), (1, 10), (7, 10)])
    ]
    assert lru_victims(entries, 10, 25) == [Path("e0"), Path("e2")]  # e1 (9) + e3 (7) = 20 bytes kept
    assert lru_victims(entries, 1, 1000) == [Path("e3"), Path("e0"), Path("e2")]
    assert lru_victims([(Path("big"), 1.0, 500)], 10, 100) == []  # the newest always stays


def test_prune_honours_the_byte_cap_and_keeps_the_newest(folder, monkeypatch):
    monkeypatch.setattr(lov, "CACHE_MAX_BYTES", 3_500)
    ages = {"a": 50, "b": 10, "c": 40, "d": 20, "e": 30}
    for name, age in ages.items():
        _fake_entry(folder, name, 1_000, age)
    old = _fake_entry(folder, "legacy", 1_000, 5_000, legacy=True)
    lov.prune_cache(folder)
    left = sorted(p.name for p in folder.iterdir())
    assert left == ["b", "d", "e"]  # the three newest: 3,000 bytes <= 3,500
    assert not old.exists()
    assert sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) <= 3_500


def test_prune_honours_the_entry_cap(folder, monkeypatch):
    monkeypatch.setattr(lov, "CACHE_MAX_ENTRIES", 2)
    for i in range(5):
        _fake_entry(folder, f"e{i}", 10, age=i)
    lov.prune_cache(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["e0", "e1"]


def test_a_vanished_folder_is_left_alone(tmp_path):
    lov.prune_cache(tmp_path / "never-created")  # no exception


def test_a_model_is_cached_once_and_a_write_prunes_old_entries(cls_path, folder, monkeypatch):
    monkeypatch.setattr(lov, "CACHE_MAX_BYTES", 64 << 20)
    stale = [_fake_entry(folder, f"old{i}", 40 << 20, age=1000 + i, legacy=i % 2 == 0) for i in range(3)]
    first = lov.OpenVinoEngine(cls_path, RuntimeOptions(threads=1))
    entries = [p for p in folder.iterdir() if p.is_dir() and any(p.glob("*.blob"))]
    fresh = [p for p in entries if not p.name.startswith("old")]
    assert len(fresh) == 1, entries  # one folder for this model file, holding its blob
    # The write pruned the folder: the new entry and the newest old one fit in 64 MB.
    assert [p.exists() for p in stale] == [True, False, False]
    blobs = sorted(fresh[0].glob("*.blob"))
    second = lov.OpenVinoEngine(cls_path, RuntimeOptions(threads=2))  # a cache hit: nothing new
    assert sorted(fresh[0].glob("*.blob")) == blobs
    assert len([p for p in folder.iterdir() if not p.name.startswith("old")]) == 1
    x = _crop()
    assert np.allclose(first(x), second(x), atol=1e-5)


def test_an_unusable_cache_never_breaks_inference(cls_path, tmp_path, monkeypatch):
    monkeypatch.setenv("LUMENOCR_CACHE", str(tmp_path / "plain"))
    want = lov.OpenVinoEngine(cls_path, RuntimeOptions(threads=1))(_crop(1))
    blocker = tmp_path / "file"
    blocker.write_text("")
    # Read-only or impossible: the folder cannot be created, so no cache is asked for.
    monkeypatch.setenv("LUMENOCR_CACHE", str(blocker / "cache"))
    assert np.allclose(lov.OpenVinoEngine(cls_path, RuntimeOptions(threads=1))(_crop(1)), want, atol=1e-5)
    # Gone (or replaced by a file) between the check and the compilation: OpenVINO refuses the
    # folder, and the model compiles without it.
    monkeypatch.setattr(lov, "_cache_entry", lambda model: blocker / "entry")
    assert np.allclose(lov.OpenVinoEngine(cls_path, RuntimeOptions(threads=1))(_crop(1)), want, atol=1e-5)


def test_small_models_are_not_cached(tmp_path, folder):
    small = tmp_path / "small.onnx"
    small.write_bytes(b"\0" * (MIN_MODEL_BYTES - 1))
    assert lov._cache_entry(small) is None
    assert not folder.exists() or not any(folder.iterdir())
