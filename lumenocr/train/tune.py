"""Choose DB post-processing thresholds on training data.

The network runs once per image and scale; every candidate ``(thresh, box_thresh, unclip_ratio)``
only re-runs the post-processing on the stored probability maps, so a grid of 36 settings costs
little more than one evaluation (with a ``reader``, the recognizer also runs per setting, for the
word boxes). Use held-out *training* images (``lumenocr data split``):
thresholds picked on the test set would overstate the result.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lumenocr.io.labels import DetSample, read_det_labels, resolve_image
from lumenocr.metrics import evaluate_detection
from lumenocr.metrics.predictions import PredSample
from lumenocr.pipeline.det import TextDetector
from lumenocr.runtime.engine import Engine

if TYPE_CHECKING:
    from lumenocr.pipeline.system import OCR


@dataclass
class ThresholdScore:
    thresh: float
    box_thresh: float
    unclip_ratio: float
    limit_side_len: int  # the detection resolution the setting ran at
    hmean: float
    precision: float
    recall: float


THRESH = (0.2, 0.3, 0.4)
BOX_THRESH = (0.5, 0.6, 0.7)
UNCLIP_RATIO = (1.3, 1.5, 1.7, 2.0)


def tune_db_thresholds(
    detector: TextDetector,
    label_file: str | Path,
    thresh: Sequence[float] = THRESH,
    box_thresh: Sequence[float] = BOX_THRESH,
    unclip_ratio: Sequence[float] = UNCLIP_RATIO,
    limit: int | None = None,
    reader: OCR | None = None,
    limit_side_len: Sequence[int] = (),
) -> list[ThresholdScore]:
    """Detection hmean of every setting on ``label_file``'s images, best first (word boxes of
    the whole pipeline with ``reader``, other resolutions with ``limit_side_len``: see
    :func:`tune_on_images`)."""
    from lumenocr.io.sources import load_image

    samples: list[DetSample] = read_det_labels(label_file)[:limit]
    paths = [resolve_image(label_file, s.image_path) for s in samples]  # all listed images exist
    images = (load_image(p) for p in paths)  # read as `lumenocr eval` reads them
    return tune_on_images(detector, samples, images, thresh, box_thresh, unclip_ratio, reader, limit_side_len)


def tune_on_images(
    detector: TextDetector,
    samples: Sequence[DetSample],
    images: Iterable[np.ndarray],
    thresh: Sequence[float] = THRESH,
    box_thresh: Sequence[float] = BOX_THRESH,
    unclip_ratio: Sequence[float] = UNCLIP_RATIO,
    reader: OCR | None = None,
    limit_side_len: Sequence[int] = (),
) -> list[ThresholdScore]:
    """Best-first scores of every setting for ``detector`` on ``images`` (ground truth ``samples``).

    Each setting is scored on exactly what the detector returns for it, the page-aware second
    pass included, so the chosen setting's figure is the one ``lumenocr eval det`` gives. With
    ``reader`` (an :class:`~lumenocr.OCR` built with ``words=True``) each setting runs the whole
    pipeline with ``detector`` in place of the reader's and scores its word boxes, as
    ``lumenocr eval det --words`` does: use it when the labels are words and the model finds lines.
    ``limit_side_len`` adds the detection resolution to the search (default: the detector's own):
    a detector fine-tuned on crops at the images' own scale may read them best near that scale.

    ``images`` may be a generator: the network runs once per image and resolution, whatever the
    number of settings, and only one image's outputs are held at a time.
    """
    sides = tuple(limit_side_len) or (detector.preprocess.limit_side_len,)
    grid = list(itertools.product(thresh, box_thresh, unclip_ratio, sides))
    preds: dict[tuple, list[PredSample]] = {g: [] for g in grid}
    for s, image in zip(samples, images, strict=True):
        base = TextDetector(_MemoEngine(detector.engine), detector.preprocess, detector.postprocess)
        for g in grid:
            det = base.with_options(thresh=g[0], box_thresh=g[1], unclip_ratio=g[2], limit_side_len=g[3])
            preds[g].append(_predict(det, image, s.image_path, reader))
    scores = []
    for g in grid:
        m = evaluate_detection(list(samples), preds[g])
        scores.append(ThresholdScore(*g, m.hmean, m.precision, m.recall))
    # ties: prefer the setting closest to the defaults' order in the grid (stable sort)
    return sorted(scores, key=lambda r: -r.hmean)


def _predict(det: TextDetector, image: np.ndarray, name: str, reader: OCR | None) -> PredSample:
    if reader is None:
        r = det(image)
        return PredSample(
            name, polygons=list(r.polygons), texts=[""] * len(r.polygons), scores=list(r.scores)
        )
    from lumenocr.pipeline.stages import DetectStage, PageState, run_stages

    stages = tuple(DetectStage(det) if isinstance(st, DetectStage) else st for st in reader.stages)
    words = run_stages(stages, PageState.start(image)).to_result(0.0).word_boxes()
    return PredSample(
        name,
        polygons=[w["points"] for w in words],
        texts=[w["text"] for w in words],
        scores=[w["score"] for w in words],
    )


class _MemoEngine:
    """The detector's engine, run once per distinct input: the settings of a grid differ only in
    post-processing, and the page-aware second pass of most settings asks for the same scale."""

    def __init__(self, engine: Engine):
        self.engine, self.meta, self.name = engine, engine.meta, engine.name
        self.cache: dict[tuple, np.ndarray] = {}

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        key = (batch.shape, hashlib.blake2b(np.ascontiguousarray(batch).data, digest_size=16).digest())
        if key not in self.cache:
            self.cache[key] = np.asarray(self.engine(batch))
        return self.cache[key]
