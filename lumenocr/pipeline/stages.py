"""The OCR system as a sequence of stages over one page.

Each stage reads and fills a :class:`PageState` (the image as the stages see it, detected
regions, recognised lines, visual rows, blocks) and holds no per-call state, so one stage object
serves every thread. :class:`lumenocr.OCR` runs its stages in order and turns the final state
into an :class:`~lumenocr.results.OCRResult`, mapping every coordinate back to the input
image's frame through :attr:`PageState.to_input`.

The default stages are ``detect -> recognize -> order``. A document stage (page orientation,
layout regions, tables, column-aware reading order) is inserted with :func:`insert_stage`
without touching the loop::

    ocr = OCR()
    ocr.stages = insert_stage(ocr.stages, MyStage(), before="detect")
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from lumenocr.errors import ConfigError
from lumenocr.pipeline.cls import TextClassifier
from lumenocr.pipeline.crop import Crop, crop_region, upright
from lumenocr.pipeline.det import TextDetector
from lumenocr.pipeline.rec import TextRecognizer, keep_surer
from lumenocr.pipeline.words import word_boxes
from lumenocr.postprocess.order import reading_order
from lumenocr.results import Block, OCRResult, TextLine, Word


@dataclass
class PageState:
    """One page on its way through the stages.

    Coordinates in ``polygons``, ``lines`` and ``blocks`` are in the frame of ``image``; a stage
    that turns or crops the page replaces ``image`` and composes ``to_input`` (3x3, maps
    ``image`` coordinates to the input image's), so nothing else has to know.
    """

    image: np.ndarray  # BGR uint8, the page as the stages see it
    input_size: tuple[int, int]  # (height, width) of the input image
    source: str | None = None
    page: int | None = None
    to_input: np.ndarray = field(default_factory=lambda: np.eye(3))
    angle: int = 0  # how far the page content is turned clockwise in the input (0/90/180/270)
    polygons: list[np.ndarray] = field(default_factory=list)  # detected regions
    det_scores: list[float] = field(default_factory=list)
    box_unit: str = "line"  # what one region holds: "line", or "word" for a word detector's boxes
    lines: list[TextLine] = field(default_factory=list)
    rows: list[list[int]] = field(default_factory=list)  # indices into ``lines`` per visual row
    blocks: list[Block] = field(default_factory=list)  # document blocks (in reading order) or none
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage

    @classmethod
    def start(cls, image: np.ndarray, source: str | None = None, page: int | None = None) -> PageState:
        h, w = image.shape[:2]
        return cls(image, (h, w), source, page)

    def to_result(self, seconds: float) -> OCRResult:
        """The result, every coordinate mapped back to the input image's frame."""
        m = self.to_input
        lines = self.lines
        blocks = self.blocks
        if not np.allclose(m, np.eye(3)):
            lines = [_map_line(ln, m) for ln in lines]
            blocks = [_map_block(b, m) for b in blocks]
        return OCRResult(
            lines,
            self.input_size,
            seconds,
            self.source,
            self.page,
            self.rows,
            blocks=blocks,
            angle=self.angle,
            timings=dict(self.timings),
        )


def map_points(points, m: np.ndarray) -> list[list[float]]:
    """Apply the 3x3 transform ``m`` to a list of (x, y) points."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(p) == 0:
        return []
    hom = np.c_[p, np.ones(len(p))] @ np.asarray(m, np.float64).T
    return (hom[:, :2] / hom[:, 2:3]).tolist()


def _map_line(ln: TextLine, m: np.ndarray) -> TextLine:
    words = None if ln.words is None else [Word(w.text, w.score, map_points(w.points, m)) for w in ln.words]
    return TextLine(map_points(ln.points, m), ln.text, ln.score, ln.det_score, ln.angle, words)


def _map_block(b: Block, m: np.ndarray) -> Block:
    from dataclasses import replace

    cells = None
    if b.table is not None:
        cells = replace(b.table, cells=[replace(c, points=map_points(c.points, m)) for c in b.table.cells])
    return replace(b, points=map_points(b.points, m), table=cells)


@runtime_checkable
class Stage(Protocol):
    """One step of the pipeline: reads and updates a :class:`PageState` in place.

    Stages must not keep per-call state (one instance serves every thread).
    """

    name: str

    def __call__(self, page: PageState) -> None: ...


class DetectStage:
    """Text detection (DB), or the whole image as one region when there is no detector."""

    name = "detect"

    def __init__(self, detector: TextDetector | None):
        self.detector = detector

    def __call__(self, page: PageState) -> None:
        h, w = page.image.shape[:2]
        if self.detector is not None:
            det = self.detector(page.image)
            page.polygons, page.det_scores = list(det.polygons), list(det.scores)
            page.box_unit = self.detector.box_unit
        else:
            page.polygons = [np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)]
            page.det_scores = [1.0]


class RecognizeStage:
    """Crop each region upright, turn upside-down crops (0/180 classifier), read them (CTC),
    drop lines below ``text_score``; with no recognizer, lines carry boxes only."""

    name = "recognize"

    def __init__(
        self,
        recognizer: TextRecognizer | None,
        classifier: TextClassifier | None = None,
        text_score: float = 0.5,
        words: bool = True,
        whole_image: bool = False,
    ):
        self.recognizer = recognizer
        self.classifier = classifier
        self.text_score = text_score
        self.words = words
        self.whole_image = whole_image  # the region is the whole image (no detector): no warp

    def __call__(self, page: PageState) -> None:
        polys, det_scores = page.polygons, page.det_scores
        if self.recognizer is None:
            page.lines = [TextLine(p.tolist(), "", 0.0, s) for p, s in zip(polys, det_scores)]
            return
        if not polys:
            page.lines = []
            return
        crops: list[Crop] = (
            [upright(page.image)] if self.whole_image else [crop_region(page.image, p) for p in polys]
        )
        angles = [0] * len(crops)
        turned: list[int] = []
        if self.classifier is not None:
            for i, r in enumerate(self.classifier([c.image for c in crops])):
                if self.classifier.is_flipped(r):
                    crops[i] = crops[i].rotate_180()
                    angles[i] = 180
                    turned.append(i)
        recs = self.recognizer.recognize([c.image for c in crops])
        if turned:
            # Turning a right-way-up line ruins it, and the classifier is least sure where the
            # text is smallest (a 7-pixel line of a thumbnail). A turned line is read both
            # ways and keeps the reading the recognizer is surer of; upside-down text reads
            # better turned, so it stays turned. Costs a second read of the turned lines only.
            back = {i: crops[i].rotate_180() for i in turned}
            for i in keep_surer(self.recognizer.recognize, recs, turned, [c.image for c in back.values()]):
                crops[i], angles[i] = back[i], 0
        lines: list[TextLine] = []
        for poly, dscore, crop, angle, (rec, geo) in zip(polys, det_scores, crops, angles, recs):
            if rec.score < self.text_score or not rec.text.strip():
                continue
            words = (
                word_boxes(rec, crop, geo.resized_width, geo.batch_width, page.box_unit == "word")
                if self.words
                else None
            )
            lines.append(TextLine(poly.tolist(), rec.text, rec.score, dscore, angle, words))
        page.lines = lines


class ReadingOrderStage:
    """Sort lines into reading order and group them into visual rows (see
    :func:`lumenocr.postprocess.order.reading_order`)."""

    name = "order"

    def __call__(self, page: PageState) -> None:
        h, w = page.image.shape[:2]
        lines = page.lines
        points = [np.asarray(ln.points, dtype=np.float64) for ln in lines]
        if 2 * sum(ln.angle == 180 for ln in lines) > len(lines):
            # Most lines read upside down: the page is, so order them in its own frame
            # (otherwise the last line comes first). Boxes stay in image coordinates.
            points = [np.array([w, h]) - p for p in points]
        order, rows = reading_order(points, vertical=[is_vertical_line(ln) for ln in lines])
        pos = {old: new for new, old in enumerate(order)}
        page.lines = [lines[i] for i in order]
        page.rows = [[pos[i] for i in r] for r in rows]


def is_vertical_line(line: TextLine) -> bool:
    """A top-to-bottom column of text: a tall box (as the crop rule reads it) with several characters."""
    from lumenocr.pipeline.crop import VERTICAL_RATIO

    p = np.asarray(line.points, dtype=np.float64).reshape(-1, 2)
    w, h = np.ptp(p[:, 0]), np.ptp(p[:, 1])
    return bool(h >= VERTICAL_RATIO * w and len(line.text.strip()) >= 2)


def run_stages(stages: Sequence[Stage], page: PageState) -> PageState:
    """Run ``stages`` in order over ``page``, recording each one's wall time in ``page.timings``."""
    for stage in stages:
        t0 = time.perf_counter()
        stage(page)
        page.timings[stage.name] = page.timings.get(stage.name, 0.0) + time.perf_counter() - t0
    return page


def insert_stage(
    stages: Sequence[Stage], stage: Stage, *, before: str | None = None, after: str | None = None
) -> tuple[Stage, ...]:
    """A new stage tuple with ``stage`` placed before or after the stage named so
    (at the end when neither is given)."""
    if before is not None and after is not None:
        raise ConfigError("insert_stage: give before= or after=, not both")
    out = list(stages)
    if before is None and after is None:
        return (*out, stage)
    names = [s.name for s in out]
    anchor = before if before is not None else after
    if anchor not in names:
        raise ConfigError(f"insert_stage: no stage named {anchor!r}; stages are {', '.join(names)}")
    k = names.index(anchor) + (0 if before is not None else 1)
    out.insert(k, stage)
    return tuple(out)


def stage_names(stages: Sequence[Stage]) -> list[str]:
    return [s.name for s in stages]
