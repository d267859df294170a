"""Start-up work that is remembered between processes: model checksums in the user cache."""

from __future__ import annotations

import os
from importlib import metadata

import pytest

from lumenocr import cache
from lumenocr.zoo import resolve as resolve_mod


@pytest.fixture()
def model_file(tmp_path):
    p = tmp_path / "model.onnx"
    p.write_bytes(b"weights" * 1000)
    return p


@pytest.fixture(autouse=True)
def fresh_process_cache(monkeypatch):
    monkeypatch.setattr(resolve_mod, "_verified", {})


def test_checksum_is_hashed_once_then_read_from_the_cache(tmp_path, monkeypatch, model_file):
    monkeypatch.setenv("LUMENOCR_CACHE", str(tmp_path / "cache"))
    expected = resolve_mod.sha256_of(model_file)
    assert resolve_mod.cached_sha256(model_file) == expected
    assert (tmp_path / "cache" / "lumenocr" / resolve_mod.CHECKSUM_CACHE).is_file()

    # A new process (empty in-memory table) must not hash again.
    monkeypatch.setattr(resolve_mod, "_verified", {})
    calls = []
    monkeypatch.setattr(resolve_mod, "sha256_of", lambda p: calls.append(p) or "recomputed")
    assert resolve_mod.cached_sha256(model_file) == expected
    assert calls == []

    # The file changed (new size and mtime): hashed again.
    monkeypatch.setattr(resolve_mod, "_verified", {})
    model_file.write_bytes(b"other weights")
    os.utime(model_file, ns=(1, 1))
    assert resolve_mod.cached_sha256(model_file) == "recomputed"
    assert calls == [model_file]


def test_corrupt_cache_file_is_ignored_and_replaced(tmp_path, monkeypatch, model_file):
    folder = tmp_path / "cache" / "lumenocr"
    folder.mkdir(parents=True)
    (folder / resolve_mod.CHECKSUM_CACHE).write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("LUMENOCR_CACHE", str(folder.parent))
    assert resolve_mod.cached_sha256(model_file) == resolve_mod.sha256_of(model_file)
    assert cache.read_json(folder / resolve_mod.CHECKSUM_CACHE)[str(model_file)][2] == resolve_mod.sha256_of(
        model_file
    )


def test_unusable_cache_folder_only_costs_time(tmp_path, monkeypatch, model_file):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("LUMENOCR_CACHE", str(blocker / "cache"))  # cannot be created
    assert cache.cache_dir() is None
    assert resolve_mod.cached_sha256(model_file) == resolve_mod.sha256_of(model_file)


def test_no_home_means_no_cache(monkeypatch):
    monkeypatch.delenv("LUMENOCR_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("HOME", raising=False)
    assert cache.cache_dir() is None


def test_a_wrong_cached_hash_for_the_same_file_still_fails_verification(tmp_path, monkeypatch, model_file):
    """The cache trusts (size, mtime); a registry mismatch is still reported as such."""
    from lumenocr.errors import ModelChecksumError
    from lumenocr.zoo.registry import FileRef

    folder = tmp_path / "cache" / "lumenocr"
    folder.mkdir(parents=True)
    st = model_file.stat()
    cache.write_json(
        folder / resolve_mod.CHECKSUM_CACHE, {str(model_file): [st.st_size, st.st_mtime_ns, "0" * 64]}
    )
    monkeypatch.setenv("LUMENOCR_CACHE", str(folder.parent))

    class Dist:
        def locate_file(self, path):
            return model_file

    monkeypatch.setattr(metadata, "distribution", lambda name: Dist())
    ref = FileRef("somepkg", "model.onnx", resolve_mod.sha256_of(model_file))
    with pytest.raises(ModelChecksumError):
        resolve_mod.locate(ref)
