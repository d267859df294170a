"""The threshold search (train/tune.py) scores each setting on exactly what evaluation scores.

A setting's figure must equal ``evaluate_detection`` over what the detector (or, with a reader,
the whole pipeline's word boxes) returns at that setting: otherwise the search ranks settings by a
figure nobody reports, and picks the wrong one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from data_helpers import need

pytestmark = pytest.mark.data


def _subset(folder: str, n: int, tmp_path: Path) -> Path:
    d = need(folder)
    lines = (d / "label.txt").read_text(encoding="utf-8").splitlines()[:n]
    label = tmp_path / f"{folder}.txt"
    label.write_text("".join(f"{d / ln.split(chr(9))[0]}\t{ln.split(chr(9), 1)[1]}\n" for ln in lines))
    return label


def _evaluate(label: Path, predict) -> float:
    from lumenocr.io.labels import read_det_labels, resolve_image
    from lumenocr.io.sources import load_image
    from lumenocr.metrics import evaluate_detection

    samples = read_det_labels(label)
    preds = [predict(s.image_path, load_image(resolve_image(label, s.image_path))) for s in samples]
    return evaluate_detection(samples, preds).hmean


def test_each_setting_scores_what_the_detector_returns_page_aware_pass_included(tmp_path):
    """Dense form pages take the detector's second, finer pass: the search must score it too,
    at every resolution it tries."""
    from lumenocr.metrics.predictions import PredSample
    from lumenocr.pipeline.build import build_detector
    from lumenocr.runtime.onnx import RuntimeOptions
    from lumenocr.train.tune import tune_db_thresholds

    label = _subset("xfund_zh_train_30", 2, tmp_path)
    detector = build_detector("ppocrv6-small", RuntimeOptions(threads=1, providers=("cpu",)))
    rows = tune_db_thresholds(
        detector, label, thresh=(0.3,), box_thresh=(0.6,), unclip_ratio=(1.5, 2.0), limit_side_len=(960, 1280)
    )
    assert sorted((r.unclip_ratio, r.limit_side_len) for r in rows) == [
        (1.5, 960),
        (1.5, 1280),
        (2.0, 960),
        (2.0, 1280),
    ]
    for row in rows:
        det = detector.with_options(
            thresh=row.thresh,
            box_thresh=row.box_thresh,
            unclip_ratio=row.unclip_ratio,
            limit_side_len=row.limit_side_len,
        )

        def predict(name, image, det=det):
            r = det(image)
            return PredSample(
                name, polygons=list(r.polygons), texts=[""] * len(r.polygons), scores=list(r.scores)
            )

        assert row.hmean == pytest.approx(_evaluate(label, predict), abs=1e-12), row
    assert rows[0].hmean > 0.5  # the shipped detector finds these lines at sane settings


def test_with_a_reader_each_setting_scores_the_pipelines_word_boxes(tmp_path):
    """``reader``: the figure is `lumenocr eval det --words` at that setting (word-labelled data)."""
    from lumenocr import OCR
    from lumenocr.metrics.predictions import PredSample
    from lumenocr.train.tune import tune_db_thresholds

    label = _subset("icdar2015_train", 3, tmp_path)
    reader = OCR(words=True, threads=1, providers=("cpu",))
    assert reader.detector is not None
    rows = tune_db_thresholds(
        reader.detector, label, thresh=(0.3,), box_thresh=(0.6,), unclip_ratio=(1.3, 2.0), reader=reader
    )
    raw = tune_db_thresholds(
        reader.detector, label, thresh=(0.3,), box_thresh=(0.6,), unclip_ratio=(1.3, 2.0)
    )
    for row in rows:
        ocr = OCR(
            words=True,
            threads=1,
            providers=("cpu",),
            thresh=row.thresh,
            box_thresh=row.box_thresh,
            unclip_ratio=row.unclip_ratio,
        )

        def predict(name, image, ocr=ocr):
            words = ocr.ocr_image(image).word_boxes()
            return PredSample(name, polygons=[w["points"] for w in words], texts=[w["text"] for w in words])

        assert row.hmean == pytest.approx(_evaluate(label, predict), abs=1e-12), row
    # ICDAR labels words and the detector finds lines: the two objectives must disagree somewhere
    assert {(r.unclip_ratio, round(r.hmean, 9)) for r in rows} != {
        (r.unclip_ratio, round(r.hmean, 9)) for r in raw
    }
