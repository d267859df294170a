"""Pick and build the engine a model runs on, from :class:`RuntimeOptions`.

The first of ``options.providers`` decides: ``"openvino"`` is the OpenVINO engine,
``"auto"`` the OpenVINO engine when its package is installed (it is the faster CPU engine
for PP-OCR models, see docs/performance.md) and ONNX Runtime otherwise, anything else ONNX
Runtime with those execution providers.
"""

from __future__ import annotations

import os

from lumenocr.errors import ConfigError
from lumenocr.runtime.engine import FileEngine
from lumenocr.runtime.metadata import ModelMeta
from lumenocr.runtime.onnx import ENGINE_NAMES, PROVIDER_ALIASES, RuntimeOptions

ENGINES = ("onnxruntime", "openvino")


def engine_kind(options: RuntimeOptions) -> str:
    """``"openvino"`` or ``"onnxruntime"``: which engine ``options`` select on this machine."""
    first = options.providers[0].lower() if options.providers else "cpu"
    if first not in ("openvino", "auto"):
        return "onnxruntime"  # without loading the OpenVINO wrapper (a one-image run's case)
    from lumenocr.runtime.openvino import INSTALL_HINT, openvino_available

    if first == "openvino":
        if not openvino_available():
            raise ConfigError(
                f"providers asks for the openvino engine, but openvino is not installed: {INSTALL_HINT}"
            )
        return "openvino"
    if first == "auto" and openvino_available():
        return "openvino"
    return "onnxruntime"


#: ``auto`` runs ONNX Runtime for a job of at most this many pages even where OpenVINO is
#: installed. OpenVINO's faster inference is paid for up front (its import, ~0.3 s of CPU, and
#: the kernels it prepares for every new input shape), which one page never earns back:
#: ``lumenocr ocr one.jpg`` measured ~0.15 s faster on ONNX Runtime on a quiet machine and
#: several times faster on a busy one (docs/performance.md). At f32 both engines give the same
#: text; precision ``"auto"`` resolves to f32 on ONNX Runtime, its only CPU precision.
ONE_SHOT_PAGES = 1


def providers_for_job(providers: tuple[str, ...], precision: str, pages: int) -> tuple[str, ...]:
    """The providers to run a job of ``pages`` pages with: the default ``("auto",)`` becomes
    ONNX Runtime for a one-shot job (see :data:`ONE_SHOT_PAGES`) at precision ``"auto"`` or
    ``"f32"`` (then f32); anything the user chose, and bf16 (which needs OpenVINO), is kept."""
    if (
        tuple(p.lower() for p in providers) == ("auto",)
        and precision in ("auto", "f32")
        and 0 < pages <= ONE_SHOT_PAGES
    ):
        return ("cpu",)
    return providers


def arena_for_job(pages: int) -> bool:
    """Whether a job of ``pages`` pages runs ONNX Runtime with its memory arena
    (:attr:`RuntimeOptions.mem_arena`): yes for a one-shot job (:data:`ONE_SHOT_PAGES`). The
    arena is off by default because OCR input shapes change on every call and it keeps every
    peak it reached (-25% peak RSS on FUNSD forms without it); within one page it only reuses
    freed buffers instead of returning them and faulting fresh pages in again: one image,
    ``lumenocr ocr img_10.jpg``, measured 0.73 -> 0.71 CPU-s and 20% fewer page faults, the
    same peak RSS (docs/performance.md, Start-up)."""
    return 0 < pages <= ONE_SHOT_PAGES


def _check_names(options: RuntimeOptions) -> None:
    # Without importing onnxruntime (start-up time): a typo must still be an error, not a
    # name silently ignored because another engine was chosen.
    for p in options.providers:
        low = p.lower()
        if low not in ENGINE_NAMES and low not in PROVIDER_ALIASES and not p.endswith("ExecutionProvider"):
            known = ", ".join((*ENGINE_NAMES, *PROVIDER_ALIASES))
            raise ConfigError(f"unknown execution provider {p!r}; known: {known}")


def create_engine(
    path: str | os.PathLike,
    options: RuntimeOptions | None = None,
    meta: ModelMeta | None = None,
    name: str | None = None,
) -> FileEngine:
    """The engine for the ONNX file at ``path`` (``meta`` overrides what the file carries)."""
    options = options or RuntimeOptions()
    _check_names(options)
    if engine_kind(options) == "openvino":
        from lumenocr.runtime.openvino import OpenVinoEngine

        return OpenVinoEngine(path, options, meta=meta, name=name)
    from lumenocr.runtime.onnx import OnnxEngine

    return OnnxEngine(path, options, meta=meta, name=name)
