"""The full OCR pipeline: detect -> crop -> (direction) -> recognise -> reading order, as stages."""

from __future__ import annotations

import dataclasses
import locale
import time
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from lumenocr.errors import ConfigError, InputError
from lumenocr.io.image import Page
from lumenocr.pipeline.build import build_classifier, build_detector, build_recognizer
from lumenocr.pipeline.det import DET_KNOBS
from lumenocr.pipeline.profiles import DEFAULT_PROFILE, get_profile, resolved_precision
from lumenocr.pipeline.rec import DEFAULT_BATCH_SIZE
from lumenocr.pipeline.stages import (
    DetectStage,
    PageState,
    ReadingOrderStage,
    RecognizeStage,
    Stage,
    run_stages,
)
from lumenocr.results import OCRResult, RecResult
from lumenocr.runtime.onnx import RuntimeOptions
from lumenocr.zoo import DEFAULT_MODEL


@dataclass(frozen=True)
class OCROptions:
    """What the pipeline does with the predictors' output (per-model settings live with the
    models). The defaults here are the defaults of :class:`OCR` and the CLI."""

    text_score: float = 0.5  # lines whose recognition score is lower are dropped
    words: bool = True  # compute word boxes from CTC positions

    def __post_init__(self) -> None:
        from lumenocr.config_utils import check_types

        check_types(self)
        if not 0.0 <= self.text_score <= 1.0:
            raise ConfigError(f"text_score must be in [0, 1], got {self.text_score}")


class OCR:
    """Read text in images and documents.

    >>> from lumenocr import OCR
    >>> result = OCR()("page.png")        # doctest: +SKIP
    >>> print(result.text)                  # doctest: +SKIP

    Document stages: ``orientation`` turns 90/180/270-degree pages upright (default: on when
    its model is installed), ``layout=True`` groups lines into ordered layout blocks
    (``"columns"``: from white space, no model), ``tables=True`` reads table structure.

    ``profile``: ``"accurate"`` (the default: the settings below) or ``"fast"`` (bf16 where the
    CPU computes it natively, no page-orientation pass, less recognizer padding, a coarser
    second detection pass on dense pages; see :mod:`lumenocr.pipeline.profiles`): it sets
    whatever the call does not give explicitly.

    ``precision``: ``"f32"`` (the default) gives the same maps and text on every engine;
    ``"bf16"`` lets the OpenVINO engine compute in bfloat16 on CPUs that have it (faster; some
    text differs); ``"auto"`` is bf16 where the engine computes it natively, else f32 (see
    :class:`RuntimeOptions`). :meth:`engines` says what runs.

    ``model`` names a zoo model; ``det_model`` / ``rec_model`` / ``cls_model`` override one
    part with another zoo name or an ONNX file path; ``dictionary`` a keys file for a
    recognizer that does not carry its own. ``mem_arena``: ONNX Runtime's memory arena (see
    :class:`RuntimeOptions`; off by default, on for one-shot CLI jobs). One instance is safe to
    share between threads.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        det_model: str | None = None,
        rec_model: str | None = None,
        cls_model: str | None = None,
        dictionary: str | None = None,
        use_det: bool = True,
        use_cls: bool = True,
        use_rec: bool = True,
        text_score: float = OCROptions.text_score,
        words: bool = OCROptions.words,
        threads: int | None = None,
        providers: Sequence[str] = RuntimeOptions.providers,
        precision: str | None = None,
        rec_batch_size: int = DEFAULT_BATCH_SIZE,
        beam_width: int = 0,
        cls_thresh: float | None = None,
        load_options=None,
        orientation: bool | None = None,
        layout: bool | str = False,
        tables: bool = False,
        profile: str = DEFAULT_PROFILE,
        mem_arena: bool = RuntimeOptions.mem_arena,
        **det_knobs,
    ):
        # The profile fills in what the call leaves unset (precision None: RuntimeOptions').
        prof = get_profile(profile)
        self.profile = prof.name
        precision = resolved_precision(prof.name, precision)
        orientation = prof.orientation if orientation is None else orientation
        det_knobs = {**prof.det, **det_knobs}
        unknown = set(det_knobs) - DET_KNOBS
        if unknown:
            raise ConfigError(
                f"unknown option(s) {', '.join(sorted(map(repr, unknown)))}; detection knobs are: "
                f"{', '.join(sorted(DET_KNOBS))}"
            )
        # One name given as a string ("cpu") is that provider, not the letters c, p, u.
        names = (providers,) if isinstance(providers, str) else tuple(providers)
        runtime = RuntimeOptions(threads=threads, providers=names, precision=precision, mem_arena=mem_arena)
        from lumenocr.document.pipeline import DocumentOptions, add_document_stages, load_document_models

        # Orientation turns pages before detection: nothing to turn when each input is one line.
        self.document = DocumentOptions.make(orientation if use_det else False, layout, tables)
        # Tables place text cell by cell: a detected line may run across cells, its words not.
        self.options = OCROptions(text_score, words or self.document.tables)
        # The models load in parallel: session set-up / compilation runs in native code that
        # releases the GIL (OpenVINO start-up: 1.4 -> 1.0 s on 2 busy cores). OpenVINO sets and
        # restores the C locale while it loads a model; loads in parallel threads interleave
        # those and can leave the process in "C" (open() would then read ASCII): restore it.
        saved_locale = locale.setlocale(locale.LC_ALL)
        try:
            with ThreadPoolExecutor(4) as pool:
                # The document models (page orientation, on by default) load beside the others.
                docs = pool.submit(load_document_models, self.document, runtime, use_det)
                det = (
                    pool.submit(build_detector, det_model or model, runtime, **det_knobs) if use_det else None
                )
                cls = (
                    pool.submit(build_classifier, cls_model or model, runtime, cls_thresh)
                    if use_cls
                    else None
                )
                rec = (
                    pool.submit(
                        build_recognizer, rec_model or model, runtime, dictionary, rec_batch_size, beam_width
                    )
                    if use_rec
                    else None
                )
                self.detector = det.result() if det else None
                self.classifier = cls.result() if cls else None
                self.recognizer = rec.result() if rec else None
                if self.recognizer is not None and prof.rec_min_width is not None:
                    pre = dataclasses.replace(self.recognizer.preprocess, min_width=prof.rec_min_width)
                    self.recognizer.preprocess = pre
                doc_models = docs.result()
        finally:
            locale.setlocale(locale.LC_ALL, saved_locale)
        self.load_options = load_options
        #: The stages :meth:`ocr_image` runs, in order; insert document stages with
        #: :func:`lumenocr.pipeline.stages.insert_stage` (see :meth:`default_stages`).
        self.stages: tuple[Stage, ...] = add_document_stages(
            self.default_stages(), self.document, runtime, doc_models
        )

    def engines(self) -> dict[str, str]:
        """The engine and precision each model runs on, e.g. ``{"det": "openvino bf16", ...}``:
        what ``providers`` and ``precision`` resolved to on this machine."""
        out = {}
        for part, predictor in (("det", self.detector), ("cls", self.classifier), ("rec", self.recognizer)):
            if predictor is not None:
                engine = predictor.engine
                kind = getattr(engine, "kind", type(engine).__name__)
                out[part] = f"{kind} {getattr(engine, 'precision', 'f32')}"
        return out

    # -- inputs -------------------------------------------------------------------------------
    def _pages(self, source) -> Generator[Page, None, None]:
        from lumenocr.io.image import LoadOptions
        from lumenocr.io.sources import iter_pages

        return iter_pages(source, self.load_options or LoadOptions())

    def __call__(self, image) -> OCRResult:
        """OCR one image (path, bytes, BGR numpy array, PIL image or URL). For multi-page
        inputs (PDF, TIFF) use :meth:`read`."""
        if _is_bgr_image(image):
            return self.ocr_image(image)
        # Check the page count before any OCR: a 300-page PDF must not be read only to be refused.
        t0 = time.perf_counter()
        pages = self._pages(image)
        try:
            first = next(pages, None)
            if first is None or next(pages, None) is not None:
                n = "no" if first is None else "several"
                raise InputError(f"{_describe(image)} has {n} pages: use OCR.read() for multi-page inputs")
        finally:
            pages.close()
        res = self.ocr_image(first.image, source=first.source, page=first.page)
        res.seconds = time.perf_counter() - t0
        return res

    def read(self, source) -> list[OCRResult]:
        """OCR every page of ``source``."""
        return list(self.iter_read(source))

    def iter_read(self, source) -> Iterator[OCRResult]:
        pages = self._pages(source)
        while True:
            # ``seconds`` covers decoding/rendering the page as well as the OCR itself.
            t0 = time.perf_counter()
            page = next(pages, None)
            if page is None:
                return
            res = self.ocr_image(page.image, source=page.source, page=page.page)
            res.seconds = time.perf_counter() - t0
            yield res

    def recognize_crops(self, images: Sequence) -> list[RecResult]:
        """Read text-line images that a user (or a data set) already cut out (see
        :meth:`TextRecognizer.recognize_crops`: tall crops are read as vertical text, a right
        margin is added since such crops are usually tight, and lines wider than the model's
        input are read in overlapping windows).

        Each crop may be anything ``OCR()`` reads as one image: a path, bytes, a PIL image or a
        numpy array in any layout :func:`~lumenocr.io.image.array_to_bgr` accepts (grey,
        grey + alpha, BGR, BGRA).
        """
        if self.recognizer is None:
            raise ConfigError("this OCR was built with use_rec=False")
        if isinstance(images, (str, bytes)) or (isinstance(images, np.ndarray) and images.dtype != object):
            raise InputError("recognize_crops takes a list of crops; for one crop pass [crop]")
        return self.recognizer.recognize_crops([self._crop_image(img, i) for i, img in enumerate(images)])

    def _crop_image(self, image, index: int) -> np.ndarray:
        if _is_bgr_image(image):
            return image
        from lumenocr.io.image import LoadOptions
        from lumenocr.io.sources import load_image

        name = image if isinstance(image, str) else f"crop {index}"
        return load_image(image, self.load_options or LoadOptions(), name=name)

    # -- the pipeline -------------------------------------------------------------------------
    def default_stages(self) -> tuple[Stage, ...]:
        """The line pipeline: detect -> recognize (crop, 0/180, CTC) -> reading order."""
        return (
            DetectStage(self.detector),
            RecognizeStage(
                self.recognizer,
                self.classifier,
                self.options.text_score,
                self.options.words,
                whole_image=self.detector is None,
            ),
            ReadingOrderStage(),
        )

    def ocr_image(self, image: np.ndarray, source: str | None = None, page: int | None = None) -> OCRResult:
        """OCR a BGR uint8 image already in memory (H x W x 3; other layouts: use ``OCR()(image)``);
        runs :attr:`stages` over it."""
        if not _is_bgr_image(image):
            shape = getattr(image, "shape", None)
            dtype = getattr(image, "dtype", type(image).__name__)
            raise InputError(
                f"ocr_image expects a non-empty H x W x 3 uint8 BGR array, got shape {shape} ({dtype}); "
                "OCR()(image) converts other layouts, paths, bytes and PIL images"
            )
        t0 = time.perf_counter()
        state = run_stages(self.stages, PageState.start(image, source, page))
        return state.to_result(time.perf_counter() - t0)


def _is_bgr_image(x) -> bool:
    """A non-empty H x W x 3 uint8 array: the pipeline's own image type."""
    return (
        isinstance(x, np.ndarray)
        and x.ndim == 3
        and x.shape[2] == 3
        and x.dtype == np.uint8
        and x.shape[0] > 0
        and x.shape[1] > 0
    )


def _describe(x) -> str:
    return x if isinstance(x, str) else f"<{type(x).__name__}>"
