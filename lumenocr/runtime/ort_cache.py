"""ONNX Runtime's optimised graphs, kept between processes in the user cache folder.

Creating a session optimises the graph first (constant folding, fusions, the NCHWc layout on
x86 at level ``all``): for the PP-OCR models that is about half of the session's set-up (the
recognizer's session: 33 ms, 13 ms from an already optimised graph, warm, on 2 cores). A
one-image ``lumenocr ocr`` pays it for four models on every start. So the first session of a
model saves the optimised graph (``SessionOptions.optimized_model_filepath``) and later
processes load that graph with optimisation off: the same graph, the same kernels, the same
outputs (``tests/test_ort_cache.py`` compares them bit for bit).

An optimised graph at level ``all`` may hold kernels chosen for this CPU (ONNX Runtime says it
is not portable), so the key is the model file (its resolved path, size and modification
time, as the model checksum cache keys it: a changed file gets a new entry), the ONNX Runtime
version, the optimisation level and the CPU's identity (model name and instruction-set flags).
Only CPU sessions and files of at least :data:`MIN_BYTES` are cached (small graphs optimise in
a few milliseconds; tests build many), and the folder keeps the most recently used graphs, at
most :data:`MAX_ENTRIES` of them and :data:`MAX_BYTES` in all. Everything here only costs
speed when it fails: an unwritable folder or a broken cached file means the model is optimised
again.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from lumenocr.cache import MIN_MODEL_BYTES, lru_victims, model_entry

#: Sub-folder of the user cache folder.
FOLDER = "onnxruntime"
#: Models smaller than this are optimised on every load.
MIN_BYTES = MIN_MODEL_BYTES
#: Optimised graphs kept (at most this many, and this many bytes in all); the least recently
#: used beyond either bound are deleted. The default model set is ~40 MB.
MAX_ENTRIES = 24
MAX_BYTES = 256 << 20


@dataclass(frozen=True)
class CachedGraph:
    """Where a model's optimised graph is (``path``, when ``hit``) or goes (``path``, written by
    ONNX Runtime to ``partial`` while the session is created, then :meth:`commit`-ed)."""

    path: Path
    hit: bool
    #: A name of its own per writer (process and thread): two sessions of one model may be
    #: created at once.
    partial: Path = field(init=False)

    def __post_init__(self) -> None:
        writer = f"{os.getpid()}.{threading.get_ident()}"
        object.__setattr__(self, "partial", self.path.with_name(f".{self.path.name}.{writer}.partial"))

    def commit(self) -> None:
        """Publish the graph ONNX Runtime just wrote (atomically: readers never see half a file)."""
        try:
            os.replace(self.partial, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(self.partial)
            return
        _prune(self.path.parent)

    def discard(self) -> None:
        """Drop what this entry wrote, and the cached graph itself when it was the one that did
        not load (corrupt, or from an incompatible build)."""
        for p in (self.partial, self.path) if self.hit else (self.partial,):
            with contextlib.suppress(OSError):
                os.unlink(p)


@functools.cache
def cpu_identity() -> str:
    """What an optimised graph may depend on besides the model and ONNX Runtime: the CPU's
    architecture, model name and instruction-set flags (Linux ``/proc/cpuinfo``)."""
    fields: dict[str, str] = {}
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
        for line in f:
            key, _, value = line.partition(":")
            key = key.strip()
            if key in ("model name", "flags", "Features", "CPU part") and key not in fields:
                fields[key] = " ".join(sorted(value.split()))
            if not line.strip() and fields:
                break  # the first processor's block is enough
    return f"{os.uname().machine if hasattr(os, 'uname') else os.name}|{sorted(fields.items())}"


def cached_graph(model: Path, level: str, ort_version: str) -> CachedGraph | None:
    """The cache entry for ``model`` optimised at ``level`` by ONNX Runtime ``ort_version``, or
    ``None`` when this model is not cached (too small, no cache folder)."""
    entry = model_entry(model, FOLDER, ort_version, level, cpu_identity())
    if entry is None:
        return None
    folder, key = entry
    path = folder / f"{key}.onnx"
    hit = path.is_file()
    if hit:
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used: kept by the pruning
    return CachedGraph(path, hit)


def _prune(folder: Path) -> None:
    try:
        entries = [(p, st.st_mtime, st.st_size) for p in folder.glob("*.onnx") for st in (p.stat(),)]
    except OSError:
        return
    for path in lru_victims(entries, MAX_ENTRIES, MAX_BYTES):
        with contextlib.suppress(OSError):
            path.unlink()
