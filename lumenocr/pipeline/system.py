"""The full OCR pipeline: detect -> crop -> (direction) -> recognise -> reading order."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from lumenocr.errors import ConfigError, InputError
from lumenocr.pipeline.build import build_classifier, build_detector, build_recognizer
from lumenocr.pipeline.crop import crop_region, upright
from lumenocr.pipeline.det import DET_KNOBS
from lumenocr.pipeline.rec import TextRecognizer
from lumenocr.pipeline.words import word_boxes
from lumenocr.postprocess.order import reading_order
from lumenocr.results import OCRResult, RecResult, TextLine
from lumenocr.runtime.onnx import RuntimeOptions
from lumenocr.zoo import DEFAULT_MODEL

#: Right margin (fraction of height) added to user-supplied crops, see OCR.recognize_crops.
TIGHT_CROP_MARGIN = 0.25


@dataclass(frozen=True)
class OCROptions:
    """Pipeline switches (per-model settings live with the models)."""

    use_det: bool = True
    use_cls: bool = True
    use_rec: bool = True
    text_score: float = 0.5  # lines whose recognition score is lower are dropped
    words: bool = True  # compute word boxes from CTC positions
    det: dict = field(default_factory=dict)  # detection knobs, see TextDetector.with_options


class OCR:
    """Read text in images and documents.

    >>> from lumenocr import OCR
    >>> result = OCR()("page.png")        # doctest: +SKIP
    >>> print(result.text)                  # doctest: +SKIP

    ``model`` names a zoo model; ``det_model`` / ``rec_model`` / ``cls_model`` override one
    part with another zoo name or an ONNX file path; ``dictionary`` a keys file for a
    recognizer that does not carry its own. One instance is safe to share between threads.
    """

    def __init__(self, model: str = DEFAULT_MODEL, *, det_model: str | None = None, rec_model: str | None = None,
                 cls_model: str | None = None, dictionary: str | None = None, use_det: bool = True,
                 use_cls: bool = True, use_rec: bool = True, text_score: float = 0.5, words: bool = True,
                 threads: int | None = None, providers: Sequence[str] = ("cpu",), rec_batch_size: int = 4,
                 beam_width: int = 0, cls_thresh: float | None = None, load_options=None, **det_knobs):
        unknown = set(det_knobs) - DET_KNOBS
        if unknown:
            raise ConfigError(
                f"unknown option(s) {', '.join(sorted(map(repr, unknown)))}; detection knobs are: "
                f"{', '.join(sorted(DET_KNOBS))}"
            )
        if not 0.0 <= text_score <= 1.0:
            raise ConfigError(f"text_score must be in [0, 1], got {text_score}")
        runtime = RuntimeOptions(threads=threads, providers=tuple(providers))
        self.options = OCROptions(use_det, use_cls, use_rec, text_score, words, dict(det_knobs))
        self.detector = build_detector(det_model or model, runtime, **det_knobs) if use_det else None
        self.classifier = build_classifier(cls_model or model, runtime, cls_thresh) if use_cls else None
        self.recognizer = (build_recognizer(rec_model or model, runtime, dictionary, rec_batch_size, beam_width)
                           if use_rec else None)
        self.load_options = load_options
        self._crop_recognizer = None
        if self.recognizer is not None:
            rec = self.recognizer
            pre = dataclasses.replace(rec.preprocess, pad_right=max(rec.preprocess.pad_right, TIGHT_CROP_MARGIN))
            self._crop_recognizer = TextRecognizer(rec.engine, pre, rec.decoder, rec.batch_size, rec.beam_width,
                                                   rec.workers)

    # -- inputs -------------------------------------------------------------------------------
    def _pages(self, source) -> Iterator:
        from lumenocr.io.image import LoadOptions
        from lumenocr.io.sources import iter_pages

        return iter_pages(source, self.load_options or LoadOptions())

    def __call__(self, image) -> OCRResult:
        """OCR one image (path, bytes, BGR numpy array, PIL image or URL). For multi-page
        inputs (PDF, TIFF) use :meth:`read`."""
        if isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8:
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

    def recognize_crops(self, images: Sequence[np.ndarray]) -> list[RecResult]:
        """Read text-line images that a user (or a data set) already cut out.

        Such crops are usually tight, so a right margin of a quarter of the height is added
        (PP-OCRv6 on ICDAR 2015 word crops: 80.7% -> 83.5% accuracy; the pipeline's own
        crops already carry DB's unclip margin and gain nothing). Tall crops are read as
        vertical text, as in the pipeline.
        """
        if self.recognizer is None:
            raise ConfigError("this OCR was built with use_rec=False")
        return self._crop_recognizer([upright(img).image for img in images])

    # -- the pipeline -------------------------------------------------------------------------
    def ocr_image(self, image: np.ndarray, source: str | None = None, page: int | None = None) -> OCRResult:
        """OCR a BGR uint8 image already in memory."""
        t0 = time.perf_counter()
        h, w = image.shape[:2]
        if self.detector is not None:
            det = self.detector(image)
            polys, det_scores = det.polygons, det.scores
        else:
            polys = [np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)]
            det_scores = [1.0]
        lines: list[TextLine] = []
        if polys and self.recognizer is not None:
            crops = [crop_region(image, p) for p in polys] if self.detector is not None else [upright(image)]
            angles = [0] * len(crops)
            if self.classifier is not None:
                for i, r in enumerate(self.classifier([c.image for c in crops])):
                    if self.classifier.is_flipped(r):
                        crops[i] = crops[i].rotate_180()
                        angles[i] = 180
            recs = self.recognizer.recognize([c.image for c in crops])
            for poly, dscore, crop, angle, (rec, geo) in zip(polys, det_scores, crops, angles, recs):
                if rec.score < self.options.text_score or not rec.text.strip():
                    continue
                words = word_boxes(rec, crop, geo.resized_width, geo.batch_width) if self.options.words else None
                lines.append(TextLine(poly.tolist(), rec.text, rec.score, dscore, angle, words))
        elif self.recognizer is None:
            lines = [TextLine(p.tolist(), "", 0.0, s) for p, s in zip(polys, det_scores)]
        points = [np.asarray(ln.points, dtype=np.float64) for ln in lines]
        if 2 * sum(ln.angle == 180 for ln in lines) > len(lines):
            # Most lines read upside down: the page is, so order them in its own frame
            # (otherwise the last line comes first). Boxes stay in image coordinates.
            points = [np.array([w, h]) - p for p in points]
        order, rows = reading_order(points)
        pos = {old: new for new, old in enumerate(order)}
        lines = [lines[i] for i in order]
        rows = [[pos[i] for i in r] for r in rows]
        return OCRResult(lines, (h, w), time.perf_counter() - t0, source, page, rows)


def _describe(x) -> str:
    return x if isinstance(x, str) else f"<{type(x).__name__}>"
