"""lumenocr's per-user cache folder (model checksums, compiled OpenVINO models, optimised ONNX
Runtime graphs).

``$LUMENOCR_CACHE/lumenocr``, else ``$XDG_CACHE_HOME/lumenocr``, else ``~/.cache/lumenocr``.
Everything kept there can be recomputed, so a read-only home, a full disk or a missing
``$HOME`` only cost speed: :func:`cache_dir` returns ``None`` and callers do the work again.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

#: Models smaller than this are not cached by either engine (ONNX Runtime's optimised graphs,
#: OpenVINO's compiled models): they compile in milliseconds, and tests build many of them, each
#: at a path of its own that no later process loads again.
MIN_MODEL_BYTES = 1 << 18


def cache_root() -> Path | None:
    """Where the cache folder is (not created); ``None`` when there is no home to put it in."""
    base = os.environ.get("LUMENOCR_CACHE") or os.environ.get("XDG_CACHE_HOME")
    if not base:
        if not os.environ.get("HOME"):
            return None
        base = str(Path.home() / ".cache")
    return Path(base) / "lumenocr"


def cache_dir(sub: str = "") -> Path | None:
    """The cache folder (``sub`` inside it), created if needed; ``None`` when it cannot be written."""
    root = cache_root()
    if root is None:
        return None
    path = root / sub if sub else root
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK | os.X_OK) else None


def model_entry(model: Path, sub: str, *extra: str) -> tuple[Path, str] | None:
    """Where a per-model cache entry of ``model`` goes: the cache folder ``sub`` and a key made
    of the model file's resolved path, size and modification time (a changed file gets a new
    key; the old entry ages out) and ``extra`` (what else the cached thing depends on).
    ``None`` for a file under :data:`MIN_MODEL_BYTES`, one that cannot be read, or no writable
    cache folder. The one keying rule of the engines' caches."""
    import hashlib

    try:
        model = model.resolve()
        st = model.stat()
    except OSError:
        return None
    if st.st_size < MIN_MODEL_BYTES:
        return None
    folder = cache_dir(sub)
    if folder is None:
        return None
    ident = "|".join([str(model), str(st.st_size), str(st.st_mtime_ns), *extra])
    return folder, hashlib.sha256(ident.encode()).hexdigest()[:32]


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or ``None`` when it is missing, unreadable or corrupt."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, data: Any) -> bool:
    """Write ``data`` atomically (readers never see half a file); ``False`` when it cannot."""
    import tempfile  # only when writing: most starts only read the cache

    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, path)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False


def lru_victims(entries: list[tuple[Path, float, int]], max_entries: int, max_bytes: int) -> list[Path]:
    """Which cache entries to delete: ``entries`` are ``(path, last use, bytes)``; the most
    recently used are kept, at most ``max_entries`` of them and ``max_bytes`` in all, and the
    newest one always (a single entry over the byte bound is still worth keeping). The one rule
    every bounded cache here follows."""
    victims = []
    kept = 0
    for i, (path, _, size) in enumerate(sorted(entries, key=lambda e: e[1], reverse=True)):
        kept += size
        if i >= max_entries or (i > 0 and kept > max_bytes):
            victims.append(path)
    return victims
