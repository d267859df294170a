"""Choose DB post-processing thresholds on training data.

The network runs once per image; every candidate ``(thresh, box_thresh, unclip_ratio)`` only
re-runs the post-processing on the stored probability maps, so a grid of 30 settings costs
little more than one evaluation. Use held-out *training* images (``lumenocr data split``):
thresholds picked on the test set would overstate the result.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
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


def tune_db_thresholds(
    detector: TextDetector,
    label_file: str | Path,
    thresh: Sequence[float] = (0.2, 0.3),
    box_thresh: Sequence[float] = (0.5, 0.6, 0.7),
    unclip_ratio: Sequence[float] = (1.3, 1.5, 1.7, 2.0),
    limit: int | None = None,
) -> list[ThresholdScore]:
    """Detection hmean of every setting on ``label_file``'s images, best first."""
    import cv2

    samples: list[DetSample] = read_det_labels(label_file)[:limit]
    maps = []
    for s in samples:
        image = cv2.imread(str(resolve_image(label_file, s.image_path)))
        if image is None:
            raise InputNotFoundError(f"cannot read {s.image_path} (listed in {label_file})")
        inp = detector.preprocess(image)
        prob = np.asarray(detector.engine(inp.tensor))[0]
        maps.append((prob[0] if prob.ndim == 3 else prob, inp.original_shape))
    scores = []
    for t, b, u in itertools.product(thresh, box_thresh, unclip_ratio):
        post = replace(detector.postprocess, thresh=t, box_thresh=b, unclip_ratio=u)
        preds = []
        for s, (prob, shape) in zip(samples, maps, strict=True):
            polys, conf = post(prob, shape)
            preds.append(
                PredSample(s.image_path, polygons=list(polys), texts=[""] * len(polys), scores=list(conf))
            )
        m = evaluate_detection(samples, preds)
        scores.append(ThresholdScore(t, b, u, m.hmean, m.precision, m.recall))
    return sorted(scores, key=lambda r: -r.hmean)
