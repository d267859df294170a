"""A line the 0/180 classifier turns is read both ways and keeps the surer reading.

The classifier is least reliable on the smallest text: on a 200 x 150 thumbnail it turned a
7-pixel Chinese line upside down and the pipeline read "由二二正W" for "保质期至二零二七年".
Fakes stand in for the models, so the rule itself is what is tested; the real thumbnail is
checked in tests/test_input_kinds.py.
"""

from __future__ import annotations

import numpy as np

from lumenocr.pipeline.cls import ClsResult
from lumenocr.pipeline.rec import RecGeometry
from lumenocr.pipeline.stages import PageState, RecognizeStage
from lumenocr.results import RecResult


class AlwaysTurn:
    """A classifier sure that every line is upside down."""

    def __call__(self, crops):
        return [ClsResult("180", 0.95) for _ in crops]

    def is_flipped(self, r: ClsResult) -> bool:
        return r.label == "180" and r.score >= 0.9


class ReadsInk:
    """A recognizer that reads a line well when its ink is on the left (upright), badly when on
    the right (upside down)."""

    def recognize(self, crops):
        out = []
        for c in crops:
            w = c.shape[1]
            upright = c[:, : w // 2].mean() < c[:, w // 2 :].mean()
            rec = RecResult("good", 0.95, [(0, 1), (2, 3), (4, 5), (6, 7)], 40, [0.95] * 4)
            if not upright:
                rec = RecResult("poob", 0.40, [(0, 1), (2, 3), (4, 5), (6, 7)], 40, [0.4] * 4)
            out.append((rec, RecGeometry(w, 320)))
        return out


def _page(ink_left: bool) -> PageState:
    img = np.full((100, 200, 3), 255, np.uint8)
    if ink_left:
        img[40:60, 10:90] = 0
    else:
        img[40:60, 110:190] = 0
    page = PageState.start(img)
    page.polygons = [np.array([[0, 30], [199, 30], [199, 70], [0, 70]], np.float32)]
    page.det_scores = [0.9]
    return page


def test_a_wrongly_turned_line_is_read_upright():
    page = _page(ink_left=True)  # right way up; the classifier says otherwise
    RecognizeStage(ReadsInk(), AlwaysTurn())(page)  # type: ignore[arg-type]
    assert [(ln.text, ln.angle) for ln in page.lines] == [("good", 0)]
    # Word boxes come from the upright crop: the word spans the crop from its left.
    xs = np.asarray(page.lines[0].words[0].points)[:, 0]
    assert xs.min() < 20


def test_an_upside_down_line_stays_turned():
    page = _page(ink_left=False)  # really upside down: turned, it reads better
    RecognizeStage(ReadsInk(), AlwaysTurn())(page)  # type: ignore[arg-type]
    assert [(ln.text, ln.angle) for ln in page.lines] == [("good", 180)]
