"""Choose DB post-processing thresholds on training data.

The network runs once per image; every candidate ``(thresh, box_thresh, unclip_ratio)`` only
re-runs the post-processing on the stored probability maps, so a grid of 30 settings costs
little more than one evaluation. Use held-out *training* images (``lumenocr data split``):
thresholds picked on the test set would overstate the result.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from lumenocr.errors import InputNotFoundError
from lumenocr.io.labels import DetSample, read_det_labels, resolve_image
from lumenocr.metrics import evaluate_detection
from lumenocr.metrics.predictions import PredSample
from lumenocr.pipeline.det import TextDetector


@dataclass
class ThresholdScore:
    thresh: float
    box_thresh: float
    unclip_ratio: float
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
) -> list[ThresholdScore]:
    """Detection hmean of every setting on ``label_file``'s images, best first."""
    import cv2

    samples: list[DetSample] = read_det_labels(label_file)[:limit]
    images = []
    for s in samples:
        image = cv2.imread(str(resolve_image(label_file, s.image_path)))
        if image is None:
            raise InputNotFoundError(f"cannot read {s.image_path} (listed in {label_file})")
        images.append(image)
    return tune_on_images(detector, samples, images, thresh, box_thresh, unclip_ratio)


def tune_on_images(
    detector: TextDetector,
    samples: Sequence[DetSample],
    images: Iterable[np.ndarray],
    thresh: Sequence[float] = THRESH,
    box_thresh: Sequence[float] = BOX_THRESH,
    unclip_ratio: Sequence[float] = UNCLIP_RATIO,
) -> list[ThresholdScore]:
    """Best-first scores of every setting for ``detector`` on ``images`` (ground truth ``samples``).

    ``images`` may be a generator: each is pre-processed and run once, and only its probability
    map is kept.
    """
    from lumenocr.pipeline.det import pad_with_background, unpad_polygons

    maps = []
    for image in images:
        h, w = image.shape[:2]
        pad = detector.preprocess.padding(h, w)  # small images: as TextDetector.__call__ does
        inp = detector.preprocess(pad_with_background(image, pad) if pad else image)
        prob = np.asarray(detector.engine(inp.tensor))[0]
        maps.append((prob[0] if prob.ndim == 3 else prob, inp.original_shape, pad, (h, w)))
    scores = []
    for t, b, u in itertools.product(thresh, box_thresh, unclip_ratio):
        post = replace(detector.postprocess, thresh=t, box_thresh=b, unclip_ratio=u)
        preds = []
        for s, (prob, shape, pad, (h, w)) in zip(samples, maps, strict=True):
            polys, conf = post(prob, shape)
            if pad:
                unpad_polygons(polys, pad, h, w)
            preds.append(
                PredSample(s.image_path, polygons=list(polys), texts=[""] * len(polys), scores=list(conf))
            )
        m = evaluate_detection(list(samples), preds)
        scores.append(ThresholdScore(t, b, u, m.hmean, m.precision, m.recall))
    # ties: prefer the setting closest to the defaults' order in the grid (stable sort)
    return sorted(scores, key=lambda r: -r.hmean)
