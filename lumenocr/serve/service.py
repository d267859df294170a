"""The OCR work behind the routes: blocking functions run on the admission thread pool.

One :class:`lumenocr.OCR` is built per worker process and shared by all requests (its
predictors are immutable and thread-safe). Per-request options derive a light view of it
(:func:`view`): the ONNX Runtime sessions are shared, only the small option objects differ, so
concurrent requests with different options cannot disturb each other.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import cv2
import numpy as np

from lumenocr.io.image import LoadOptions, Page, parse_page_spec, sniff_format
from lumenocr.io.writers import rec_record
from lumenocr.serve.config import ServeConfig
from lumenocr.serve.errors import APIError
from lumenocr.serve.options import CropOptions, DetOptions, OCROptions
from lumenocr.serve.urlfetch import URLPolicy, fetch

log = logging.getLogger("lumenocr.serve")


@dataclass
class Item:
    """One input of a request: uploaded bytes, or a URL fetched when the work starts."""

    name: str
    data: bytes | None = None
    url: str | None = None


def view(
    ocr,
    *,
    det_knobs: dict | None = None,
    use_cls: bool = True,
    use_rec: bool = True,
    text_score: float | None = None,
    words: bool = False,
):
    """A shallow copy of ``ocr`` with per-request options (the model sessions are shared)."""
    out = copy.copy(ocr)
    if det_knobs and ocr.detector is not None:
        out.detector = ocr.detector.with_options(**det_knobs)
    if not use_cls:
        out.classifier = None
    if not use_rec:
        out.recognizer = None
        out.classifier = None
    changes: dict = {"words": words}
    if text_score is not None:
        changes["text_score"] = text_score
    out.options = dataclasses.replace(ocr.options, **changes)
    # The stages hold the predictors they run: rebuild the default ones for this view and keep
    # any stage inserted after construction (document stages) where it was.
    fresh = {stage.name: stage for stage in out.default_stages()}
    out.stages = tuple(fresh.get(stage.name, stage) for stage in ocr.stages)
    return out


def _sample_image() -> np.ndarray:
    """A small drawn page used to warm the models up (allocates ONNX Runtime's arenas)."""
    img = np.full((160, 480, 3), 255, np.uint8)
    cv2.putText(img, "lumenocr warm-up 123", (16, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (0, 0, 0), 2)
    cv2.putText(img, "ready to serve", (16, 130), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (0, 0, 0), 2)
    return img


class OCRService:
    """Holds the shared OCR and turns requests into result records."""

    def __init__(self, config: ServeConfig, ocr=None, on_pages: Callable[[int], None] | None = None):
        self.config = config
        self.ocr = ocr
        self.ready = threading.Event()
        self.load_error: str | None = None
        self.on_pages = on_pages or (lambda n: None)
        self.url_policy = URLPolicy(
            config.allow_urls,
            config.url_allow_networks,
            config.url_max_bytes,
            config.url_timeout,
            config.url_max_redirects,
        )
        if ocr is not None and not config.warmup:
            self.ready.set()

    # -- start-up ---------------------------------------------------------------------------
    def load(self) -> None:
        """Build the models (unless given) and warm them up; sets :attr:`ready`."""
        try:
            if self.ocr is None:
                from lumenocr.pipeline.build import available_cores
                from lumenocr.pipeline.system import OCR

                self.ocr = OCR(**self.config.ocr_kwargs(available_cores()))
            if self.config.warmup:
                t0 = time.perf_counter()
                sample = _sample_image()
                self.ocr.ocr_image(sample)
                if self.ocr.recognizer is not None:
                    self.ocr.recognize_crops([sample[40:90]])
                log.info("models warmed up in %.2f s", time.perf_counter() - t0)
            self.ready.set()
        except Exception as e:  # noqa: BLE001 - reported by /readyz and in the log; the process stays up
            self.load_error = f"{type(e).__name__}: {e}"
            log.error("loading the models failed: %s", self.load_error)

    # -- inputs -----------------------------------------------------------------------------
    def _bytes(self, item: Item) -> bytes:
        if item.data is not None:
            return item.data
        assert item.url is not None
        return fetch(item.url, self.url_policy)

    def _load_options(self, pages: str | None = None, pdf_dpi: int | None = None) -> LoadOptions:
        return LoadOptions(
            pdf_dpi=pdf_dpi or self.config.pdf_dpi,
            max_pixels=self.config.max_pixels,
            pages=parse_page_spec(pages) if pages else None,
        )

    def pages(self, item: Item, load: LoadOptions, deadline: float) -> Generator[Page, None, None]:
        """The pages of one input, within the page cap and the request's deadline."""
        from lumenocr.io.pdf import pdf_page_count
        from lumenocr.io.sources import iter_pages

        data = self._bytes(item)
        cap = self.config.max_pages
        if load.pages is not None and len(load.pages) > cap:
            raise APIError(
                413, "too_many_pages", f"{len(load.pages)} pages requested; at most {cap} per request"
            )
        if load.pages is None and data and sniff_format(data[:1024]) == "pdf":
            n = pdf_page_count(data, item.name)
            if n > cap:
                raise APIError(
                    413,
                    "too_many_pages",
                    f"{item.name}: PDF has {n} pages; at most {cap} per request: "
                    f"choose some with the 'pages' option, e.g. pages=1-{cap}",
                )
        for count, page in enumerate(iter_pages(data, load, item.name), 1):
            if count > cap:
                raise APIError(
                    413, "too_many_pages", f"{item.name}: more than {cap} pages; choose some with 'pages'"
                )
            check_deadline(deadline)
            self.on_pages(1)
            yield page

    # -- work -------------------------------------------------------------------------------
    def run_ocr(self, items: list[Item], opts: OCROptions, deadline: float) -> list[dict]:
        ocr = view(
            self.ocr,
            det_knobs=opts.det_knobs(),
            use_cls=opts.cls,
            text_score=opts.text_score,
            words=opts.boxes != "lines",
        )
        return self._pages_to_records(
            ocr,
            items,
            self._load_options(opts.pages, opts.pdf_dpi),
            deadline,
            boxes=opts.boxes,
            det_only=False,
            page_image=opts.page_image,
        )

    def run_det(self, items: list[Item], opts: DetOptions, deadline: float) -> list[dict]:
        ocr = view(self.ocr, det_knobs=opts.det_knobs(), use_rec=False)
        return self._pages_to_records(
            ocr,
            items,
            self._load_options(opts.pages, opts.pdf_dpi),
            deadline,
            boxes="lines",
            det_only=True,
            page_image=False,
        )

    def _pages_to_records(
        self,
        ocr,
        items: list[Item],
        load: LoadOptions,
        deadline: float,
        *,
        boxes: str,
        det_only: bool,
        page_image: bool,
    ) -> list[dict]:
        check_deadline(deadline)
        records = []
        for page, decode_s in self._timed_pages(items, load, deadline):
            t0 = time.perf_counter()
            result = ocr.ocr_image(page.image, source=page.source, page=page.page)
            result.seconds = decode_s + time.perf_counter() - t0  # decoding included, as in the CLI
            record = result.to_dict(boxes, det_only=det_only)  # the one serializer, as the CLI
            if page_image:
                record["page_image"] = jpeg_data_url(page.image)
            records.append(record)
        return records

    def _timed_pages(
        self, items: list[Item], load: LoadOptions, deadline: float
    ) -> Generator[tuple[Page, float], None, None]:
        """Every page of ``items`` with the seconds its decoding took (pages decode lazily)."""
        for item in items:
            pages = self.pages(item, load, deadline)
            while True:
                t0 = time.perf_counter()
                page = next(pages, None)
                if page is None:
                    break
                yield page, time.perf_counter() - t0

    def _crops(self, items: list[Item], deadline: float) -> list[tuple[Page, float]]:
        if len(items) > self.config.max_crops:
            raise APIError(
                413, "too_many_inputs", f"{len(items)} crops; at most {self.config.max_crops} per request"
            )
        load = self._load_options()
        out = list(self._timed_pages(items, load, deadline))
        if len(out) > self.config.max_crops:
            raise APIError(
                413, "too_many_inputs", f"{len(out)} crops; at most {self.config.max_crops} per request"
            )
        return out

    def run_rec(self, items: list[Item], _opts: CropOptions, deadline: float) -> list[dict]:
        crops = self._crops(items, deadline)
        check_deadline(deadline)
        t0 = time.perf_counter()
        recs = self.ocr.recognize_crops([page.image for page, _ in crops])
        share = (time.perf_counter() - t0) / max(1, len(crops))
        return [
            rec_record(page.source, rec, load_s + share, page.page)
            for (page, load_s), rec in zip(crops, recs)
        ]

    def run_cls(self, items: list[Item], _opts: CropOptions, deadline: float) -> list[dict]:
        from lumenocr.pipeline.crop import upright

        classifier = self.ocr.classifier
        if classifier is None:
            raise APIError(404, "not_available", "this server runs without a direction classifier")
        crops = self._crops(items, deadline)
        check_deadline(deadline)
        results = classifier([upright(page.image).image for page, _ in crops])
        out = []
        for (page, _), r in zip(crops, results):
            record = {
                "image": page.source,
                "angle": 180 if classifier.is_flipped(r) else 0,
                "label": r.label,
                "score": round(float(r.score), 5),
            }
            if page.page is not None:
                record["page"] = page.page
            out.append(record)
        return out


def check_deadline(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise APIError(504, "timeout", "the request ran past the server's time limit")


def jpeg_data_url(image: np.ndarray, quality: int = 85) -> str:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 BGR image
        raise APIError(500, "internal", "could not encode the page image")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")
