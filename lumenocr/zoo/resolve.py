"""Find registry files on disk and verify them."""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from pathlib import Path

from lumenocr.cache import cache_dir, read_json, write_json
from lumenocr.errors import ModelChecksumError, ModelNotFoundError
from lumenocr.zoo.registry import MODELS, FileRef, ModelSpec

_verified: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()
_file_lock = threading.Lock()


def get_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        names = ", ".join(sorted({s.name for s in MODELS.values()}))
        raise ModelNotFoundError(f"unknown model {name!r}; available: {names}") from None


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


CHECKSUM_CACHE = "checksums.json"


def cached_sha256(path: Path) -> str:
    """SHA-256 of ``path``, remembered per (path, size, mtime) in this process and in the
    user cache folder: hashing the 20 MB of a model set is a visible part of a one-image
    run, and a file that changed size or mtime is hashed again."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _lock:
        known = _verified.get(key)
    if known is not None:
        return known
    folder = cache_dir()
    with _file_lock:  # models load in parallel threads: one read-modify-write at a time
        store = read_json(folder / CHECKSUM_CACHE) if folder else None
        entry = store.get(key[0]) if isinstance(store, dict) else None
        if isinstance(entry, list) and len(entry) == 3 and entry[:2] == [st.st_size, st.st_mtime_ns]:
            known = str(entry[2])
        else:
            known = sha256_of(path)
            if folder is not None:
                store = store if isinstance(store, dict) else {}
                store[key[0]] = [st.st_size, st.st_mtime_ns, known]
                write_json(folder / CHECKSUM_CACHE, store)
    with _lock:
        _verified[key] = known
    return known


def _package_file(ref: FileRef) -> Path | None:
    """``ref``'s file found through the import system, when its path starts with a top-level
    package directory (``rapidocr/models/...``) and the file is there: no distribution metadata
    read, which would import :mod:`importlib.metadata` (with zipfile, email, ...: ~10 ms of a
    one-image run). The checksum still decides whether it is the right file."""
    top, sep, _ = ref.path.partition("/")
    if not sep or not top.isidentifier():
        return None
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(folder).parent / ref.path
        if path.is_file():
            return path
    return None


def is_installed(ref: FileRef) -> bool:
    """Whether ``ref``'s carrier distribution is installed (its file is not read)."""
    if _package_file(ref) is not None:
        return True
    from importlib import metadata

    try:
        metadata.distribution(ref.distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


def locate(ref: FileRef, verify: bool = True) -> Path:
    """Path of ``ref`` inside its installed distribution, checksum-verified (see :func:`cached_sha256`)."""
    path = _package_file(ref)
    if path is not None and (not verify or cached_sha256(path) == ref.sha256):
        return path
    # Not found that way (or another copy of the package shadows the installed one, e.g. a
    # source checkout in the working folder): ask the distribution's own file list.
    from importlib import metadata

    try:
        dist = metadata.distribution(ref.distribution)
    except metadata.PackageNotFoundError:
        raise ModelNotFoundError(
            f"model file {ref.path} comes from the package {ref.distribution!r}, which is not installed: {ref.hint()}"
        ) from None
    path = Path(str(dist.locate_file(ref.path)))
    if not path.is_file():
        raise ModelNotFoundError(
            f"{ref.distribution} is installed but has no {ref.path}; reinstall it ({ref.hint()})"
        )
    if verify:
        known = cached_sha256(path)
        if known != ref.sha256:
            raise ModelChecksumError(
                f"{path} has SHA-256 {known[:16]}..., expected {ref.sha256[:16]}...: the file is corrupt or "
                f"a different version; reinstall with: {ref.hint()}"
            )
    return path


def installed_models() -> dict[str, bool]:
    """Model name -> whether its carrier packages are installed."""
    from importlib import metadata

    out = {}
    for spec in {s.name: s for s in MODELS.values()}.values():
        ok = True
        for comp in (spec.det, spec.rec, spec.cls):
            try:
                metadata.distribution(comp.file.distribution)
            except metadata.PackageNotFoundError:
                ok = False
        out[spec.name] = ok
    return out
