"""ONNX Runtime engine: session options tuned for CPU latency, provider selection."""

from __future__ import annotations

import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lumenocr.config_utils import check_types
from lumenocr.errors import ConfigError, ModelError
from lumenocr.runtime.cpu import intra_op_threads
from lumenocr.runtime.metadata import ModelMeta

PROVIDER_ALIASES = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
    # "openvino" names lumenocr's own OpenVINO engine (runtime/openvino.py), not ORT's
    # OpenVINO execution provider; that one stays reachable by its full name.
    "coreml": "CoreMLExecutionProvider",
    "dml": "DmlExecutionProvider",
}


#: Inference precisions (RuntimeOptions.precision): ``"f32"`` (the default), ``"bf16"``, and
#: ``"auto"``: bf16 where the engine computes it natively, f32 elsewhere.
PRECISIONS = ("auto", "f32", "bf16")

#: Provider names that choose an engine rather than an ONNX Runtime execution provider.
ENGINE_NAMES = ("auto", "openvino")


class ProviderWarning(RuntimeWarning):
    """A requested execution provider is not available; a fallback runs instead."""


_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_once(message: str) -> None:
    # Each model builds its own session: say it once per process, not once per model.
    with _warned_lock:
        if message in _warned:
            return
        _warned.add(message)
    warnings.warn(message, ProviderWarning, stacklevel=3)


@dataclass(frozen=True)
class RuntimeOptions:
    """How ONNX Runtime runs the models.

    threads: intra-op threads per session (``None``: as many as the CPUs this process may
    use, see :mod:`lumenocr.runtime.cpu`; more than that is lowered, with a warning).
    providers: preference list. ``"auto"`` (the default) runs the OpenVINO engine when the
    ``openvino`` package is installed and ONNX Runtime's CPU provider otherwise;
    ``"openvino"`` asks for the OpenVINO engine (an error when it is not installed); other
    names are ONNX Runtime execution providers (aliases like ``"cuda"`` accepted), of which
    unavailable ones are skipped, CPU always being the last resort.
    streams: how many threads may call one engine at the same time and should run in
    parallel (ONNX Runtime sessions allow that anyway; OpenVINO needs one stream each).
    mem_arena: ORT's CPU arena keeps peak allocations; off by default since OCR inputs
    change shape on every call, which makes the arena grow without reuse.
    precision: ``"f32"`` (the default) computes in f32 on every engine: the same maps within
    1e-3 and the same text everywhere. ``"bf16"`` asks for bfloat16 (OpenVINO only: ONNX
    Runtime has no bf16 CPU path; on a CPU without bf16 instructions OpenVINO runs f32).
    ``"auto"`` is bf16 on the OpenVINO engine when the CPU computes it natively (AVX512-BF16,
    AMX: OpenVINO's own default there, and what RapidOCR's OpenVINO engine runs) and f32
    everywhere else, ONNX Runtime included. bf16 reads a page 1.3-1.5x faster on such CPUs
    but moves detection maps by up to ~0.1: on all 500 ICDAR 2015 test images it cost 0.6
    point of word-level detection hmean and 0.9 of end-to-end (docs/performance.md), which is
    why f32 stays the default. Engines report what they run in their ``precision`` attribute.
    spinning: let ONNX Runtime's intra-op threads busy-wait for more work after a run (ORT's
    own default). Off here: a page runs several models in turn (page orientation, detector,
    classifier, recognizer), each with its own thread pool, and a pool that spins after its
    run holds a core while the next model runs. Median page time without spinning, against
    with it (2 cores, benchmark lock, ``benchmarks/results/ort_spinning.md``): the ONNX
    Runtime pipeline 0.62x on ICDAR 2015 photos and 0.94x on forms; the OpenVINO pipeline,
    whose page-orientation model runs on ONNX Runtime, 0.91-0.96x.
    graph_cache: keep ONNX Runtime's optimised graph of each model (1 MB and up, CPU provider)
    in the user cache folder and load it already optimised in later processes: the same
    outputs, about half the session set-up (:mod:`lumenocr.runtime.ort_cache`).
    """

    threads: int | None = None
    providers: tuple[str, ...] = ("auto",)
    streams: int = 1
    mem_arena: bool = False
    graph_optimization: str = "all"
    precision: str = "f32"
    spinning: bool = False
    graph_cache: bool = True

    def __post_init__(self) -> None:
        check_types(self)
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")

    def resolved_providers(self) -> list[str]:
        """ONNX Runtime providers to use, in order. A provider this ONNX Runtime lacks
        (``cuda`` without onnxruntime-gpu, say) is skipped with one warning when the list
        offers a fallback (``cuda,cpu``), and is a :class:`ConfigError` when it does not
        (``cuda`` alone: the user asked for it strictly)."""
        import onnxruntime as ort

        available = set(ort.get_available_providers())
        out = []
        missing = []
        for p in self.providers:
            if p.lower() in ENGINE_NAMES:
                continue
            name = PROVIDER_ALIASES.get(p.lower(), p)
            if name not in PROVIDER_ALIASES.values() and name not in available:
                known = ", ".join((*ENGINE_NAMES, *PROVIDER_ALIASES))
                raise ConfigError(f"unknown execution provider {p!r}; known: {known}")
            if name not in available:
                missing.append(p)
            elif name not in out:
                out.append(name)
        if missing:
            have = ", ".join(sorted(available))
            if not out:
                raise ConfigError(
                    f"execution provider {', '.join(map(repr, missing))} is not available in this ONNX Runtime "
                    f"(it has: {have}); install the build that has it (e.g. onnxruntime-gpu for cuda), "
                    f"or list a fallback, e.g. --providers {','.join(self.providers)},cpu"
                )
            _warn_once(
                f"execution provider {', '.join(map(repr, missing))} is not available in this ONNX Runtime "
                f"(it has: {have}); running on {out[0]}"
            )
        if "CPUExecutionProvider" not in out:
            out.append("CPUExecutionProvider")
        return out


class OnnxEngine:
    """One ONNX Runtime session. ``InferenceSession.run`` is thread-safe, so one engine
    serves any number of threads."""

    def __init__(
        self,
        path: str | os.PathLike,
        options: RuntimeOptions | None = None,
        meta: ModelMeta | None = None,
        name: str | None = None,
    ):
        import onnxruntime as ort

        options = options or RuntimeOptions()
        path = Path(path)
        self.name = name or str(path)
        if not path.is_file():
            raise ModelError(f"model file not found: {path}")
        if options.precision == "bf16":
            raise ConfigError(
                f"precision {options.precision!r} needs the OpenVINO engine (ONNX Runtime computes in f32 on "
                "CPUs): install lumenocr[openvino] and use providers auto or openvino, or precision f32"
            )
        levels = {
            "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
            "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "none": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
        }
        if options.graph_optimization not in levels:
            raise ConfigError(
                f"graph_optimization must be one of {', '.join(levels)}, got {options.graph_optimization!r}"
            )
        providers = (
            options.resolved_providers()
        )  # outside the try: a bad name is a ConfigError, not a bad file
        graph = None
        if (
            options.graph_cache
            and options.graph_optimization != "none"
            and providers == ["CPUExecutionProvider"]
        ):
            from lumenocr.runtime.ort_cache import cached_graph

            graph = cached_graph(path, options.graph_optimization, ort.__version__)
        so = self._session_options(ort, options, levels[options.graph_optimization])
        source = path
        if graph is not None and graph.hit:  # already optimised: load it as it is
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            source = graph.path
        elif graph is not None:
            so.optimized_model_filepath = str(graph.partial)
        try:
            try:
                self.session = ort.InferenceSession(str(source), sess_options=so, providers=providers)
            except Exception:  # ORT raises its own exception types for bad files
                if graph is None:
                    raise
                graph.discard()  # a broken cached graph, or one this build cannot save: no cache
                graph = None
                so = self._session_options(ort, options, levels[options.graph_optimization])
                self.session = ort.InferenceSession(str(path), sess_options=so, providers=providers)
        except Exception as e:
            raise ModelError(f"cannot load ONNX model {path}: {str(e).splitlines()[0]}") from None
        if graph is not None and not graph.hit:
            graph.commit()
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or len(inputs[0].shape) != 4:
            raise ModelError(
                f"{path}: expected one 4-D image input (N, C, H, W), got {[(i.name, i.shape) for i in inputs]}"
            )
        #: The engine and the precision it computes in (``"auto"`` is f32 on ONNX Runtime).
        self.kind = "onnxruntime"
        self.precision = "f32"
        self.input_name = inputs[0].name
        self.input_shape = inputs[0].shape
        self.output_shape = self.session.get_outputs()[0].shape
        self.path = path
        #: What the file itself carries (its dictionary, for zoo models whose settings come
        #: from the registry as ``meta``).
        self.file_meta = ModelMeta.from_metadata(self.session.get_modelmeta().custom_metadata_map, str(path))
        self.meta = meta or self.file_meta

    @staticmethod
    def _session_options(ort, options: RuntimeOptions, level):
        so = ort.SessionOptions()
        so.log_severity_level = 3
        threads = intra_op_threads(options.threads)
        if threads is not None:
            so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.enable_cpu_mem_arena = options.mem_arena
        # Memory patterns are planned per input shape; OCR shapes change on every call, so
        # the cached plans only add to peak RSS (measured: -25% peak on FUNSD forms).
        so.enable_mem_pattern = False
        if not options.spinning:
            # ORT's pool threads otherwise busy-wait after each run, holding a core while the
            # next model (another session, or OpenVINO) runs: see RuntimeOptions.spinning.
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        so.graph_optimization_level = level
        return so

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: batch})[0]
