"""The one predictor factory: every detector, recognizer and classifier that lumenocr runs
(``OCR``, the CLI, evaluation, the server, training-time evaluation) is built here.

Two steps: :func:`load_engine` turns a zoo name or an ONNX file into an engine whose ``meta``
holds the model's settings (zoo registry entry or the file's own metadata); the
``*_from_engine`` functions build a predictor on any :class:`~lumenocr.runtime.engine.Engine`.
The trainer wraps the torch model it trains in an engine carrying the metadata its export will
carry, and calls the same ``*_from_engine`` functions, so the figure seen while training is the
figure the exported model gives.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

from lumenocr.errors import ModelError, ModelNotFoundError
from lumenocr.io.dictionary import read_dictionary
from lumenocr.pipeline.cls import TextClassifier
from lumenocr.pipeline.det import TextDetector
from lumenocr.pipeline.rec import DEFAULT_BATCH_SIZE, TextRecognizer, _num_classes
from lumenocr.postprocess.registry import build_decoder
from lumenocr.runtime.cpu import available_cpus, resolve_threads
from lumenocr.runtime.engine import Engine, FileEngine
from lumenocr.runtime.factory import create_engine
from lumenocr.runtime.metadata import ModelMeta
from lumenocr.runtime.onnx import RuntimeOptions
from lumenocr.zoo import get_spec, locate
from lumenocr.zoo.registry import ComponentSpec

PathOrName = str | os.PathLike


def _is_file_ref(ref: PathOrName) -> bool:
    s = str(ref)
    return s.endswith(".onnx") or os.sep in s or Path(s).exists()


def _component(ref: PathOrName, task: str) -> ComponentSpec | Path:
    if _is_file_ref(ref):
        p = Path(ref)
        if not p.is_file():
            raise ModelNotFoundError(f"{task} model file not found: {p}")
        return p
    return getattr(get_spec(str(ref)), task)


def load_engine(ref: PathOrName, task: str, runtime: RuntimeOptions) -> FileEngine:
    """The engine (ONNX Runtime or OpenVINO, see runtime/factory.py) for the ``task`` part of
    zoo model ``ref``, or for the ONNX file ``ref``. A zoo engine's ``meta`` is its registry
    entry (plus the dictionary the file carries); a file's is its own metadata (``None`` for a
    plain PP-OCR export: the settings dataclasses' defaults)."""
    comp = _component(ref, task)
    if isinstance(comp, Path):
        engine = create_engine(comp, runtime)
        if engine.meta is not None and engine.meta.task != task:
            raise ModelError(f"{comp} is a {engine.meta.task!r} model but was given as the {task} model")
        _check_output_shape(engine, task)
        return engine
    path = locate(comp.file)
    meta = ModelMeta(
        task=task,
        preprocess=dict(comp.preprocess),
        postprocess=dict(comp.postprocess),
        labels=list(comp.labels) if comp.labels else None,
    )
    engine = create_engine(path, runtime, meta=meta, name=f"{ref} ({task})")
    if engine.file_meta is not None:
        meta.characters = engine.file_meta.characters
    return engine


# Output ranks of PP-OCR exports: det (N, 1, H, W) or (N, H, W), rec (N, T, C), cls (N, 2).
_OUTPUT_RANKS = {"det": (4, 3), "rec": (3,), "cls": (2,)}


def _check_output_shape(engine: FileEngine, task: str) -> None:
    """Catch a file given for the wrong part at load time (plain exports carry no task):
    otherwise it fails on the first image with an ONNX Runtime or numpy error."""
    shape = engine.output_shape
    if not shape:  # rank unknown to ONNX Runtime
        return
    rank = len(shape)
    # A static last dimension on a rank-3 output is a class count, not a map width.
    looks_rec = rank == 3 and isinstance(shape[2], int) and shape[2] > 1
    if rank not in _OUTPUT_RANKS[task] or (task == "det" and looks_rec):
        guess = "rec" if looks_rec else {4: "det", 2: "cls"}.get(rank)
        looks = f"; it looks like a {guess!r} model" if guess and guess != task else ""
        raise ModelError(
            f"{engine.name} outputs shape {list(shape)}, which does not fit a {task} model{looks}: "
            "was it given as the wrong part?"
        )


def detector_from_engine(engine: Engine, **knobs) -> TextDetector:
    """A detector on ``engine`` with its metadata's settings, then ``knobs`` (see ``DET_KNOBS``)."""
    return TextDetector(engine).with_options(**knobs)


def classifier_from_engine(engine: Engine, thresh: float | None = None) -> TextClassifier:
    """A direction classifier on ``engine``; ``thresh`` overrides its metadata's."""
    return TextClassifier(engine, thresh=thresh)


def recognizer_from_engine(
    engine: Engine,
    dictionary: PathOrName | Sequence[str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    beam_width: int = 0,
    workers: int = 1,
) -> TextRecognizer:
    """A recognizer on ``engine``. Its dictionary is ``dictionary`` (a keys file or a list of
    characters) when given, else the one in the engine's metadata."""
    decoder = None
    if dictionary is not None:
        if isinstance(dictionary, str | os.PathLike):
            chars, source = read_dictionary(dictionary), str(dictionary)
        else:
            chars, source = list(dictionary), "dictionary"
        meta = engine.meta
        decoder = build_decoder(meta.postprocess if meta else None, chars, _num_classes(engine), source)
    return TextRecognizer(
        engine, decoder=decoder, batch_size=batch_size, beam_width=beam_width, workers=workers
    )


def build_detector(ref: PathOrName, runtime: RuntimeOptions, **knobs) -> TextDetector:
    """The detector of zoo model / ONNX file ``ref``."""
    return detector_from_engine(load_engine(ref, "det", runtime), **knobs)


def build_classifier(ref: PathOrName, runtime: RuntimeOptions, thresh: float | None = None) -> TextClassifier:
    """The direction classifier of zoo model / ONNX file ``ref``."""
    return classifier_from_engine(load_engine(ref, "cls", runtime), thresh)


def build_recognizer(
    ref: PathOrName,
    runtime: RuntimeOptions,
    dictionary: PathOrName | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    beam_width: int = 0,
) -> TextRecognizer:
    """The recognizer of zoo model / ONNX file ``ref`` (``dictionary``: a keys file for a
    model that carries none)."""
    # Recognition runs independent batches in parallel on single-threaded sessions (see
    # TextRecognizer.recognize); ``runtime.threads`` becomes the number of such workers,
    # each with a stream of its own, never more than the CPUs this process may use
    # (workers x 1 intra-op thread each).
    workers = resolve_threads(runtime.threads)
    engine = load_engine(ref, "rec", dataclasses.replace(runtime, threads=1, streams=workers))
    if dictionary is None and not _is_file_ref(ref):
        zoo_dict = get_spec(str(ref)).rec.dictionary
        if zoo_dict is not None:
            dictionary = locate(zoo_dict)
    return recognizer_from_engine(engine, dictionary, batch_size, beam_width, workers)


def available_cores() -> int:
    """CPU cores this process may run on (affinity mask and cgroup CPU quota)."""
    return available_cpus()
