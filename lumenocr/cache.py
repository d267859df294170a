"""lumenocr's per-user cache folder (model checksums, compiled OpenVINO models).

``$LUMENOCR_CACHE_DIR``, else ``$XDG_CACHE_HOME/lumenocr``, else ``~/.cache/lumenocr``.
Everything kept there can be recomputed, so a read-only home, a full disk or a missing
``$HOME`` only cost speed: :func:`cache_dir` returns ``None`` and callers do the work again.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def cache_dir(sub: str = "") -> Path | None:
    """The cache folder (``sub`` inside it), created if needed; ``None`` when it cannot be written."""
    root = os.environ.get("LUMENOCR_CACHE_DIR")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = Path(xdg) if xdg else Path.home() / ".cache" if os.environ.get("HOME") else None
        if base is None:
            return None
        root = str(base / "lumenocr")
    path = Path(root) / sub if sub else Path(root)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK | os.X_OK) else None


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or ``None`` when it is missing, unreadable or corrupt."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, data: Any) -> bool:
    """Write ``data`` atomically (readers never see half a file); ``False`` when it cannot."""
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
