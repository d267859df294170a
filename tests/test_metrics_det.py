"""Detection metrics: hand-computed expectations for the tricky geometric cases."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from lumenocr.io.labels import DetSample
from lumenocr.metrics import evaluate_detection, match_polygons
from lumenocr.metrics.det import prf
from lumenocr.metrics.geometry import to_geometry

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def rect(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def rotated_square(cx, cy, side, degrees, shift_u=0.0):
    """A square of ``side`` rotated by ``degrees``, moved ``shift_u`` along its own x axis."""
    t = math.radians(degrees)
    u, v = np.array([math.cos(t), math.sin(t)]), np.array([-math.sin(t), math.cos(t)])
    c = np.array([cx, cy]) + shift_u * u
    h = side / 2
    return np.array([c - h * u - h * v, c + h * u - h * v, c + h * u + h * v, c - h * u + h * v], np.float32)


def gt(*polys, ignore=None, name="img.jpg"):
    ign = list(ignore) if ignore is not None else [False] * len(polys)
    return DetSample(name, list(polys), ["t"] * len(polys), ign)


def one(g, preds, **kw):
    return evaluate_detection([g], [list(preds)], **kw)


def test_identical_boxes_are_perfect():
    m = one(gt(rect(0, 0, 10, 10), rect(20, 0, 30, 10)), [rect(20, 0, 30, 10), rect(0, 0, 10, 10)])
    assert (m.precision, m.recall, m.hmean) == (1.0, 1.0, 1.0)
    assert sorted((g, p) for g, p, _ in m.per_image[0].matches) == [(0, 1), (1, 0)]


def test_touching_boxes_do_not_match():
    # Sharing an edge: intersection area 0, IoU 0.
    m = one(gt(rect(0, 0, 10, 10)), [rect(10, 0, 20, 10)])
    assert (m.matched, m.gt, m.pred) == (0, 1, 1)
    assert (m.precision, m.recall, m.hmean) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("shift", "iou", "matched"),
    [(3, 70 / 130, 1), (4, 60 / 140, 0)],  # overlap 10x7 vs union 130; 10x6 vs union 140
)
def test_overlapping_boxes_threshold(shift, iou, matched):
    m = match_polygons([rect(0, 0, 10, 10)], None, [rect(shift, 0, 10 + shift, 10)])
    assert len(m.pairs) == matched
    if matched:
        assert m.pairs[0][2] == pytest.approx(iou)


def test_iou_exactly_at_threshold_matches():
    # A half-height box inside the ground truth: IoU = 50 / 100 = 0.5, and the threshold is inclusive.
    m = match_polygons([rect(0, 0, 10, 10)], None, [rect(0, 0, 10, 5)])
    assert m.pairs == [(0, 0, 0.5)]
    assert match_polygons([rect(0, 0, 10, 10)], None, [rect(0, 0, 10, 5)], iou_threshold=0.51).pairs == []


def test_one_prediction_covering_two_ground_truths():
    # Two 10x10 words 2 apart, one 22x10 prediction over both: IoU = 100 / 220 with each -> no match.
    m = one(gt(rect(0, 0, 10, 10), rect(12, 0, 22, 10)), [rect(0, 0, 22, 10)])
    assert (m.matched, m.gt, m.pred) == (0, 2, 1)
    assert m.hmean == 0.0


def test_one_prediction_exactly_covering_two_ground_truths_matches_only_one():
    # Adjacent words, prediction = their union: IoU 0.5 with each; one-to-one keeps one (lower gt index).
    m = one(gt(rect(0, 0, 10, 10), rect(10, 0, 20, 10)), [rect(0, 0, 20, 10)])
    assert m.per_image[0].matches == [(0, 0, 0.5)]
    assert (m.precision, m.recall) == (1.0, 0.5)
    assert m.hmean == pytest.approx(2 / 3)


def test_duplicate_predictions_count_once():
    m = one(gt(rect(0, 0, 10, 10)), [rect(0, 0, 10, 10), rect(0, 0, 10, 10)])
    assert (m.matched, m.precision, m.recall) == (1, 0.5, 1.0)


def test_greedy_prefers_the_higher_iou():
    # pred 0 has IoU 0.8, pred 1 IoU 1.0 with the same ground truth; pred 1 must win.
    m = match_polygons([rect(0, 0, 10, 10)], None, [rect(0, 0, 10, 8), rect(0, 0, 10, 10)])
    assert m.pairs == [(0, 1, 1.0)]


def test_rotated_diamond_against_its_bounding_box():
    # A 45-degree square with half-diagonal 5 has area 50; its bounding box 100; IoU 0.5.
    diamond = np.array([[10, 5], [15, 10], [10, 15], [5, 10]], np.float32)
    m = match_polygons([diamond], None, [rect(5, 5, 15, 15)])
    assert m.pairs == [(0, 0, pytest.approx(0.5))]
    # Same polygon, other start point and orientation (counter-clockwise): identical region.
    m = match_polygons([diamond], None, [diamond[::-1][[2, 3, 0, 1]]])
    assert m.pairs[0][2] == pytest.approx(1.0)


@pytest.mark.parametrize(("shift", "iou"), [(2.0, 80 / 120), (5.0, 50 / 150)])
def test_rotated_quads_shifted_along_their_axis(shift, iou):
    # Side-10 squares rotated 30 degrees, shifted along their own x axis: overlap 10*(10-shift).
    a = rotated_square(50, 50, 10, 30)
    b = rotated_square(50, 50, 10, 30, shift_u=shift)
    m = match_polygons([a], None, [b], iou_threshold=0.3)
    assert m.pairs[0][2] == pytest.approx(iou, abs=1e-5)
    assert len(match_polygons([a], None, [b]).pairs) == (1 if iou >= 0.5 else 0)


def test_self_intersecting_bow_tie_keeps_both_lobes():
    # (0,0)-(10,10)-(10,0)-(0,10) is two triangles of area 25 each: 50 inside the 10x10 square.
    bow_tie = np.array([[0, 0], [10, 10], [10, 0], [0, 10]], np.float32)
    assert to_geometry(bow_tie).area == pytest.approx(50.0)
    m = match_polygons([rect(0, 0, 10, 10)], None, [bow_tie])
    assert m.pairs == [(0, 0, pytest.approx(0.5))]


def test_degenerate_polygons_count_but_never_match():
    line = np.array([[0, 0], [5, 0], [10, 0]], np.float32)  # collinear: zero area
    two_points = np.array([[0, 0], [10, 10]], np.float32)
    nan = np.array([[0, 0], [np.nan, 0], [10, 10], [0, 10]], np.float32)
    m = one(gt(rect(0, 0, 10, 10), line), [rect(0, 0, 10, 10), line, two_points, nan])
    assert (m.matched, m.gt, m.pred) == (1, 2, 4)
    assert (m.degenerate_gt, m.degenerate_pred) == (1, 3)
    assert (m.precision, m.recall) == (0.25, 0.5)


def test_empty_predictions_and_empty_images():
    m = evaluate_detection([gt(rect(0, 0, 10, 10), rect(20, 0, 30, 10))], [[]])
    assert (m.precision, m.recall, m.hmean) == (0.0, 0.0, 0.0)
    # Nothing to find and nothing claimed is perfect, per image; None means "no prediction".
    m = evaluate_detection([gt(), gt(rect(0, 0, 1, 1))], [None, [rect(0, 0, 1, 1)]])
    assert (m.per_image[0].precision, m.per_image[0].recall, m.per_image[0].hmean) == (1.0, 1.0, 1.0)
    assert (m.precision, m.recall) == (1.0, 1.0)
    # Predictions on an image without ground truth are false positives.
    m = evaluate_detection([gt()], [[rect(0, 0, 5, 5)]])
    assert (m.precision, m.recall, m.hmean) == (0.0, 0.0, 0.0)


def test_dont_care_regions():
    care, dontcare = rect(0, 0, 10, 10), rect(20, 0, 40, 10)
    preds = [
        rect(0, 0, 10, 10),  # hit
        rect(22, 0, 32, 10),  # 100% inside the don't-care region: discarded
        rect(35, 0, 45, 10),  # exactly 50% inside: not "mostly", a false positive
        rect(34, 0, 44, 10),  # 60% inside: discarded
    ]
    m = one(gt(care, dontcare, ignore=[False, True]), preds)
    assert (m.gt, m.pred, m.matched, m.ignored_gt, m.ignored_pred) == (1, 2, 1, 1, 2)
    assert (m.precision, m.recall) == (0.5, 1.0)


def test_prediction_matching_a_dont_care_box_is_not_a_false_positive():
    m = one(gt(rect(0, 0, 10, 10), ignore=[True]), [rect(0, 0, 10, 10)])
    assert (m.gt, m.pred, m.matched) == (0, 0, 0)
    assert (m.precision, m.recall, m.hmean) == (1.0, 1.0, 1.0)


def test_care_box_inside_dont_care_box_and_official_order():
    sample = gt(rect(0, 0, 10, 10), rect(0, 0, 12, 12), ignore=[False, True])
    m = one(sample, [rect(0, 0, 10, 10)])
    assert (m.matched, m.precision, m.recall) == (1, 1.0, 1.0)
    # The official script discards the prediction first (it is 100% inside the ### box).
    m = one(sample, [rect(0, 0, 10, 10)], dontcare_first=True)
    assert (m.matched, m.pred, m.ignored_pred, m.recall) == (0, 0, 1, 0.0)


def test_counts_are_summed_over_images_not_averaged():
    a = gt(rect(0, 0, 10, 10), name="a.jpg")  # 1/1
    b = gt(*[rect(20 * i, 0, 20 * i + 10, 10) for i in range(3)], name="b.jpg")  # 1 of 3 found
    m = evaluate_detection([a, b], [[rect(0, 0, 10, 10)], [rect(0, 0, 10, 10), rect(100, 100, 110, 110)]])
    assert (m.matched, m.gt, m.pred) == (2, 4, 3)
    assert (m.precision, m.recall) == (pytest.approx(2 / 3), 0.5)
    assert [(r.image, r.recall) for r in m.per_image] == [("a.jpg", 1.0), ("b.jpg", pytest.approx(1 / 3))]
    d = m.to_dict()
    assert d["per_image"][1]["matches"] == [[0, 0, 1.0]]
    assert "per_image" not in m.to_dict(per_image=False)


def test_prf_conventions():
    assert prf(0, 0, 0) == (1.0, 1.0, 1.0)
    assert prf(0, 3, 0) == (0.0, 0.0, 0.0)
    assert prf(2, 4, 2) == (1.0, 0.5, pytest.approx(2 / 3))


def test_misaligned_lists_are_an_error():
    with pytest.raises(ValueError, match="1 ground-truth items but 2"):
        evaluate_detection([gt()], [[], []])


def test_tree_prefilter_agrees_with_brute_force():
    """Random boxes: the STRtree path gives the pairs a brute-force IoU matrix gives."""
    rng = np.random.default_rng(0)

    def boxes(n):
        xy = rng.uniform(0, 200, (n, 2))
        wh = rng.uniform(5, 40, (n, 2))
        return [rect(x, y, x + w, y + h) for (x, y), (w, h) in zip(xy, wh, strict=True)]

    g = boxes(60)
    p = [b + rng.normal(0, 3, b.shape).astype(np.float32) for b in g[:40]] + boxes(20)
    m = match_polygons(g, None, p)
    geo_g, geo_p = [to_geometry(x) for x in g], [to_geometry(x) for x in p]
    iou = np.array([[a.intersection(b).area / a.union(b).area for b in geo_p] for a in geo_g])
    used_g, used_p, expected = set(), set(), []
    for k in np.lexsort((np.arange(iou.size) % len(p), np.arange(iou.size) // len(p), -iou.ravel())):
        gi, pi = divmod(int(k), len(p))
        if iou[gi, pi] >= 0.5 and gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            expected.append((gi, pi))
    assert [(a, b) for a, b, _ in m.pairs] == sorted(expected)
    assert len(expected) > 20  # the test exercises real matches


@pytest.mark.data
def test_ground_truth_scores_perfectly_against_itself():
    label = DATA / "icdar2015_test" / "label.txt"
    if not label.is_file():
        pytest.skip(f"real data not found at {label}")
    from lumenocr.io.labels import read_det_labels

    samples = read_det_labels(label)
    care = [[p for p, i in zip(s.polygons, s.ignore, strict=True) if not i] for s in samples]
    m = evaluate_detection(samples, care)
    assert (m.gt, m.pred, m.matched, m.hmean) == (2077, 2077, 2077, 1.0)
    # Dropping every other care box halves recall but keeps precision.
    m = evaluate_detection(samples, [c[::2] for c in care])
    assert m.precision == 1.0
    assert m.matched == sum(len(c[::2]) for c in care)
