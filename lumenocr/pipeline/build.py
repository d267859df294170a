"""Build predictors from a zoo name or a user's ONNX file (+ dictionary)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from lumenocr.config_utils import from_dict
from lumenocr.errors import ModelError, ModelNotFoundError
from lumenocr.pipeline.cls import TextClassifier
from lumenocr.pipeline.det import TextDetector
from lumenocr.pipeline.rec import TextRecognizer, _num_classes
from lumenocr.postprocess.ctc import CTCDecoder, load_dictionary
from lumenocr.postprocess.db import DBPostProcess
from lumenocr.preprocess import ClsPreprocess, DetPreprocess, RecPreprocess
from lumenocr.runtime.engine import FileEngine
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


def _engine(ref: PathOrName, task: str, runtime: RuntimeOptions) -> tuple[FileEngine, ComponentSpec | None]:
    comp = _component(ref, task)
    if isinstance(comp, Path):
        engine = create_engine(comp, runtime)
        if engine.meta is not None and engine.meta.task != task:
            raise ModelError(f"{comp} is a {engine.meta.task!r} model but was given as the {task} model")
        _check_output_shape(engine, task)
        return engine, None
    path = locate(comp.file)
    meta = ModelMeta(task=task, preprocess=dict(comp.preprocess), postprocess=dict(comp.postprocess),
                     labels=list(comp.labels) if comp.labels else None)
    engine = create_engine(path, runtime, meta=meta, name=f"{ref} ({task})")
    return engine, comp


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


def build_detector(ref: PathOrName, runtime: RuntimeOptions, **knobs) -> TextDetector:
    engine, comp = _engine(ref, "det", runtime)
    if comp is None and engine.meta is None:
        # A plain PP-OCR export without lumenocr metadata: PaddleOCR's defaults.
        return TextDetector(engine, DetPreprocess(), DBPostProcess()).with_options(**knobs)
    return TextDetector(engine).with_options(**knobs)


def build_classifier(ref: PathOrName, runtime: RuntimeOptions, thresh: float | None = None) -> TextClassifier:
    engine, comp = _engine(ref, "cls", runtime)
    if comp is None and engine.meta is None:
        return TextClassifier(engine, ClsPreprocess(), thresh=thresh)
    return TextClassifier(engine, thresh=thresh)


def build_recognizer(ref: PathOrName, runtime: RuntimeOptions, dictionary: PathOrName | None = None,
                     batch_size: int = 4, beam_width: int = 0) -> TextRecognizer:
    # Recognition runs independent batches in parallel on single-threaded sessions (see
    # TextRecognizer.recognize); ``runtime.threads`` becomes the number of such workers,
    # each with a stream of its own.
    workers = runtime.threads or available_cores()
    engine, comp = _engine(ref, "rec", dataclasses.replace(runtime, threads=1, streams=workers))
    num_classes = _num_classes(engine)
    chars: list[str] | None = None
    source = ""
    if dictionary is not None:
        if not Path(dictionary).is_file():
            raise ModelNotFoundError(f"dictionary file not found: {dictionary}")
        chars, source = load_dictionary(str(dictionary)), str(dictionary)
    elif comp is not None and comp.dictionary is not None:
        chars, source = load_dictionary(str(locate(comp.dictionary))), comp.dictionary.path
    else:
        file_meta = engine.file_meta
        if file_meta is None or file_meta.characters is None:
            raise ModelError(
                f"{engine.name} carries no character dictionary in its metadata: pass one with --dict / dictionary="
            )
        chars, source = file_meta.characters, f"dictionary in {engine.name}"
    decoder = CTCDecoder.for_model(chars, num_classes, source)
    use_space = (engine.meta.postprocess if engine.meta else {}).get("use_space_char")
    if use_space is not None and use_space != decoder.use_space_char and num_classes is None:
        decoder = CTCDecoder(decoder.characters, use_space_char=bool(use_space))
    pre = from_dict(RecPreprocess, engine.meta.preprocess if engine.meta else {}, engine.name)
    return TextRecognizer(engine, pre, decoder, batch_size=batch_size, beam_width=beam_width, workers=workers)


def available_cores() -> int:
    """CPU cores this process may run on (respects affinity masks and container limits)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
