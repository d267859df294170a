"""OpenVINO engine: the same ONNX files, run by Intel's CPU runtime (the ``[openvino]`` extra).

OpenVINO reads ONNX directly, so no conversion step or second set of files exists. The model
is compiled ONCE with its dynamic dimensions left dynamic: the CPU plugin infers shapes per
call and keeps the kernels it prepared for each input shape in its runtime cache
(``CPU_RUNTIME_CACHE_CAPACITY``), so a new page size costs one shape inference, never a
recompilation, and a repeated size costs nothing extra.

Precision is set explicitly, never left to the device: ``RuntimeOptions.precision`` ``"f32"``
(the default) matches ONNX Runtime's maps to ~1e-5 even on CPUs where OpenVINO's own default
is bf16 (AVX512-BF16, AMX); ``"bf16"`` is faster (recognizer ~1.6x here) but moves detection
maps by ~0.1 and changes some text; ``"auto"`` takes what the CPU device defaults to
(:func:`native_precision`), as RapidOCR's OpenVINO engine does. The engine's ``precision``
attribute says which one runs.

Memory: the CPU plugin prepares and keeps kernels and buffers per input shape, several MB
each for the recognizer. The recognizer's batch widths come in few buckets
(``RecPreprocess.width_steps``) and the per-shape cache is bounded
(:data:`RUNTIME_CACHE_CAPACITY`), so memory stays bounded however many pages are read.

Compiled models are cached in the user cache folder (lumenocr/cache.py), so only the first
process on a machine pays the full compilation. OpenVINO names a cached blob after the model
file's absolute path (and keeps one per path: a new file at the same path overwrites it), so
every model file ever loaded from a new place (an exported or fine-tuned model, a test's
temporary copy) left a blob of its own that nothing read again: 6 GB in 1,496 blobs on one
machine after a few days of tests and benchmarks. So each model file gets a folder of its own
(:func:`_cache_entry`), whose time of last use is known, and the folder keeps the most
recently used ones (:data:`CACHE_MAX_ENTRIES`, :data:`CACHE_MAX_BYTES`), pruned when a new
blob was written; models under :data:`lumenocr.cache.MIN_MODEL_BYTES` are not cached.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np

from lumenocr.cache import lru_victims, model_entry
from lumenocr.errors import ConfigError, ModelError
from lumenocr.runtime.cpu import available_cpus, intra_op_threads
from lumenocr.runtime.metadata import ModelMeta
from lumenocr.runtime.onnx import RuntimeOptions
from lumenocr.runtime.onnx_meta import OnnxFormatError, read_metadata

INSTALL_HINT = "pip install 'lumenocr[openvino]'"

#: Input shapes whose prepared kernels the CPU plugin keeps (its default: 5000). Without a
#: bound, 8-px recognizer widths grew one process to 4.4 GB (int8) on 30 XFUND pages; a page
#: uses a handful of shapes, so a small cache keeps nearly every hit.
RUNTIME_CACHE_CAPACITY = 64

#: Sub-folder of the user cache folder for compiled models.
CACHE_FOLDER = "openvino"
#: Compiled models kept between processes: the most recently used model files' blobs, at most
#: this many files and this many bytes in all (the default model set compiles to ~40 MB).
CACHE_MAX_ENTRIES = 64
CACHE_MAX_BYTES = 1 << 30


def openvino_available() -> bool:
    """Whether the ``openvino`` package can be imported (checked without importing it)."""
    import importlib.util

    return importlib.util.find_spec("openvino") is not None


def native_precision(core: Any = None) -> str:
    """``"bf16"`` when OpenVINO's CPU device computes in bfloat16 by default (a CPU with
    AVX512-BF16 or AMX), else ``"f32"``: what ``precision="auto"`` runs on this engine. Asked
    of OpenVINO itself, so it follows the plugin's own rule (f16 defaults, e.g. on ARM, count
    as f32: only bf16 is taken)."""
    if core is None:
        core = shared_core()
    return "bf16" if core.get_property("CPU", "INFERENCE_PRECISION_HINT").get_type_name() == "bf16" else "f32"


def _shape(partial: Any) -> list[int | str]:
    """An OpenVINO PartialShape as ONNX Runtime reports shapes: ints, and a name for dynamic dims."""
    out: list[int | str] = []
    for i, d in enumerate(partial):
        out.append(d.get_length() if d.is_static else f"d{i}")
    return out


_BRIDGE_LOCK = threading.Lock()


def _import_openvino():
    """The openvino module, with its numpy bridge set up by one thread.

    pybind11 creates its numpy API on first use, inside a call-once that two threads entering
    together can deadlock in (two recognizer streams' first ``infer`` once hung here, both
    threads waiting in ``gil_safe_call_once_and_store<npy_api>``). Touching a tensor's numpy
    view here, under a lock, before any engine exists, means no later thread enters it.
    """
    try:
        import openvino as ov
    except ImportError:
        raise ConfigError(f"the openvino engine needs the openvino package: {INSTALL_HINT}") from None
    with _BRIDGE_LOCK:
        _ = ov.Tensor(np.zeros(1, np.float32)).data
    return ov


_CORE_LOCK = threading.Lock()
_core: Any = None


def shared_core() -> Any:
    """The process's one ``openvino.Core``, created on first use and kept until exit.

    Every engine compiles through it. One Core also means one CPU plugin, loaded once, and
    that is what keeps Ctrl-C safe: each CPU plugin instance gives the thread that creates it
    an alternate signal stack, and when it is destroyed it unmaps that stack, restoring the
    previous one only if its own is still current. Several Cores freed in any order but the
    reverse of their creation therefore left the thread's alternate stack pointing at unmapped
    memory, and the next signal with a Python handler (Ctrl-C, SIGTERM) killed the process
    with SIGSEGV and no traceback. Settings that differ per model go to ``compile_model``,
    never onto this Core.
    """
    global _core
    ov = _import_openvino()
    with _CORE_LOCK:
        if _core is None:
            _core = ov.Core()
        return _core


def _cache_entry(model: Path) -> Path | None:
    """The folder OpenVINO caches ``model``'s compiled blobs in (created; its time of last use
    set to now), or ``None``: a model too small to be worth it, or no writable cache folder.
    Keyed like the ONNX Runtime graph cache: the resolved path, size and modification time, so
    a changed file gets a new entry and the old one ages out; OpenVINO's own key inside it adds
    its version and the compile settings."""
    found = model_entry(model, CACHE_FOLDER)
    if found is None:
        return None
    folder, key = found
    entry = folder / key
    try:
        entry.mkdir(exist_ok=True)
        os.utime(entry)  # most recently used: kept by the pruning
    except OSError:
        return None
    return entry


def _entry_bytes(path: Path) -> int:
    if not path.is_dir():
        return path.stat().st_size  # a blob from before entries had folders
    return sum(e.stat().st_size for e in os.scandir(path) if e.is_file())


def prune_cache(folder: Path) -> None:
    """Keep the most recently used entries of the compiled-model cache ``folder`` within
    :data:`CACHE_MAX_ENTRIES` and :data:`CACHE_MAX_BYTES` (the rule of
    :func:`lumenocr.cache.lru_victims`); blobs left at the top level by earlier versions count
    as entries and age out first. Never raises: a folder that vanished or cannot be changed
    only stays as it is."""
    try:
        entries = []
        for path in folder.iterdir():
            with contextlib.suppress(OSError):  # an entry another process just deleted
                entries.append((path, path.stat().st_mtime, _entry_bytes(path)))
    except OSError:
        return
    for path in lru_victims(entries, CACHE_MAX_ENTRIES, CACHE_MAX_BYTES):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()


def _has_blob(entry: Path) -> bool:
    try:
        return any(entry.glob("*.blob"))
    except OSError:
        return False


def _compile(core: Any, path: Path, config: dict[str, Any], cache: Path | None) -> Any:
    """``path`` compiled, through the cache folder ``cache`` when there is one. From the path: on
    a cache hit OpenVINO loads the compiled blob and never parses the graph. OpenVINO fails the
    whole compilation when it cannot use its cache folder (turned read-only or replaced since it
    was checked), so that case compiles again without the cache: the cache only costs speed."""
    if cache is None:
        return core.compile_model(str(path), "CPU", config)
    try:
        return core.compile_model(str(path), "CPU", {**config, "CACHE_DIR": str(cache)})
    except Exception:
        return core.compile_model(str(path), "CPU", config)  # a bad model fails here too, uncached


class OpenVinoEngine:
    """One compiled OpenVINO model. ``InferRequest`` objects are not thread-safe, so each
    calling thread gets its own (created on first use); the compiled model is shared.

    ``options.threads`` becomes ``INFERENCE_NUM_THREADS`` per stream and ``options.streams``
    the number of streams: callers in different threads run in parallel only on
    different streams (the recognizer's workers use one stream each).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        options: RuntimeOptions | None = None,
        meta: ModelMeta | None = None,
        name: str | None = None,
    ):
        core = shared_core()  # a ConfigError first when openvino is not installed

        options = options or RuntimeOptions()
        path = Path(path)
        self.name = name or str(path)
        if not path.is_file():
            raise ModelError(f"model file not found: {path}")
        if options.threads is not None and options.threads < 1:
            raise ConfigError(f"threads must be >= 1, got {options.threads}")
        if options.streams < 1:
            raise ConfigError(f"streams must be >= 1, got {options.streams}")
        try:
            metadata = read_metadata(path)
        except (OSError, OnnxFormatError) as e:
            raise ModelError(f"cannot load ONNX model {path}: not a valid ONNX file ({e})") from None
        # Always set explicitly, so "f32" is f32 on every CPU whatever OpenVINO's default there.
        precision = native_precision(core) if options.precision == "auto" else options.precision
        config: dict[str, Any] = {
            "INFERENCE_PRECISION_HINT": precision,
            "PERFORMANCE_HINT": "LATENCY",
            "NUM_STREAMS": options.streams,
            "CPU_RUNTIME_CACHE_CAPACITY": RUNTIME_CACHE_CAPACITY,
        }
        # Compiled models are kept between processes (OpenVINO keys them by file, settings and
        # its own version): a cached load takes ~0.1 s per model instead of ~0.5 s.
        cache = _cache_entry(path)
        cached_before = cache is not None and _has_blob(cache)
        threads = intra_op_threads(options.threads)  # capped to the CPUs this process may use
        if threads is not None:
            config["INFERENCE_NUM_THREADS"] = threads * options.streams
            if threads * options.streams < available_cpus():
                # Fewer threads than CPUs: this process shares the machine (a batch pool runs one
                # such process per core). OpenVINO would pin each process's threads to the FIRST
                # CPUs of its mask, stacking every worker on CPU 0 (a 2-worker pool ran at the
                # speed of one core); unpinned, the OS spreads them.
                config["ENABLE_CPU_PINNING"] = False
        try:
            self.compiled = _compile(core, path, config, cache)
        except Exception as e:  # OpenVINO raises RuntimeError with a multi-line message
            raise ModelError(
                f"cannot load ONNX model {path} with OpenVINO: {str(e).splitlines()[0]}"
            ) from None
        if cache is not None and not cached_before and _has_blob(cache):
            prune_cache(cache.parent)  # a blob was written: only then can the folder have grown
        self.kind = "openvino"
        #: The precision the compiled model computes in, as OpenVINO reports it (a CPU without
        #: bf16 instructions runs f32 when bf16 is asked for).
        self.precision = self.compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()
        inputs = self.compiled.inputs
        if len(inputs) != 1 or len(inputs[0].get_partial_shape()) != 4:
            raise ModelError(
                f"{path}: expected one 4-D image input (N, C, H, W), got {[str(i.get_partial_shape()) for i in inputs]}"
            )
        self.input_shape = _shape(inputs[0].get_partial_shape())
        self.output_shape = _shape(self.compiled.outputs[0].get_partial_shape())
        self.path = path
        self.file_meta = ModelMeta.from_metadata(metadata, str(path))
        self.meta = meta or self.file_meta
        self._local = threading.local()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self.compiled.create_infer_request()
        # share_outputs=False (the default) copies the result out of the request's buffer,
        # so the next call cannot overwrite what the caller holds.
        return request.infer({0: np.ascontiguousarray(batch, dtype=np.float32)})[0]
