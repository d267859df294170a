"""The pipeline stage seam: stages in order over a page, a document stage inserted without
touching the loop, coordinates mapped back to the input frame, blocks above lines."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lumenocr.document.geometry import turn
from lumenocr.errors import ConfigError, ModelNotFoundError
from lumenocr.pipeline.stages import PageState, insert_stage, map_points, run_stages, stage_names
from lumenocr.results import Block, OCRResult, TextLine


class Named:
    def __init__(self, name, log=None):
        self.name = name
        self.log = log

    def __call__(self, page):
        if self.log is not None:
            self.log.append(self.name)


def test_insert_stage_before_after_and_errors():
    stages = (Named("detect"), Named("recognize"), Named("order"))
    assert stage_names(insert_stage(stages, Named("x"), before="detect")) == [
        "x",
        "detect",
        "recognize",
        "order",
    ]
    assert stage_names(insert_stage(stages, Named("x"), after="recognize")) == [
        "detect",
        "recognize",
        "x",
        "order",
    ]
    assert stage_names(insert_stage(stages, Named("x"))) == ["detect", "recognize", "order", "x"]
    with pytest.raises(ConfigError, match="no stage named 'layout'"):
        insert_stage(stages, Named("x"), before="layout")
    with pytest.raises(ConfigError):
        insert_stage(stages, Named("x"), before="detect", after="order")


def test_run_stages_in_order_with_timings():
    log: list[str] = []
    page = run_stages([Named("a", log), Named("b", log)], PageState.start(np.zeros((4, 5, 3), np.uint8)))
    assert log == ["a", "b"]
    assert set(page.timings) == {"a", "b"} and all(t >= 0 for t in page.timings.values())


@pytest.mark.parametrize("k", [90, 180, 270])
def test_turn_maps_every_pixel_back(k):
    img = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
    out, back = turn(img, k)
    for y in range(out.shape[0]):
        for x in range(out.shape[1]):
            ((sx, sy),) = map_points([[x, y]], back)
            assert (out[y, x] == img[int(round(sy)), int(round(sx))]).all()


def test_blocks_keep_the_flat_contract():
    line = TextLine([[0, 0], [10, 0], [10, 5], [0, 5]], "hi", 0.9, 0.8)
    flat = OCRResult([line], (20, 20), source="a.png", rows=[[0]])
    assert set(flat.to_dict()) == {"image", "page", "boxes", "seconds"}
    doc = OCRResult(
        [line],
        (20, 20),
        source="a.png",
        rows=[[0]],
        angle=90,
        blocks=[Block("title", [[0, 0], [10, 0], [10, 5], [0, 5]], [0], 0, 0.7)],
    )
    d = json.loads(doc.to_json())
    assert d["boxes"] == flat.to_dict()["boxes"] and d["angle"] == 90
    assert d["blocks"] == [
        {
            "type": "title",
            "order": 0,
            "points": [[0, 0], [10, 0], [10, 5], [0, 5]],
            "lines": [0],
            "score": 0.7,
        }
    ]
    assert doc.to_markdown() == "## hi\n"


class TurnClockwise:
    """A toy document stage: reads the page turned a quarter clockwise."""

    name = "turn"

    def __call__(self, page):
        page.image, back = turn(page.image, 90)
        page.to_input = page.to_input @ back
        page.angle = 270  # the content was turned a quarter counter-clockwise


@pytest.fixture(scope="module")
def ocr():
    from lumenocr import OCR

    try:
        return OCR(orientation=False)  # the line pipeline alone: the toy stage does the turning
    except ModelNotFoundError as e:
        pytest.skip(f"default model not installed: {e}")


def test_a_stage_inserted_before_detection_maps_boxes_back(ocr):
    import copy

    from lumenocr.vis.sample import render_lines

    upright = render_lines(["Stages over a page", "boxes map back"], font_size=30)
    turned_ccw, _ = turn(upright, 270)  # what a scanner fed sideways gives
    plain = ocr.ocr_image(turned_ccw)
    doc = copy.copy(ocr)
    doc.stages = insert_stage(ocr.stages, TurnClockwise(), before="detect")
    res = doc.ocr_image(turned_ccw)
    assert res.text == "Stages over a page\nboxes map back" and res.angle == 270
    assert set(res.timings) == {"turn", "detect", "recognize", "order"}
    assert plain.angle == 0 and "turn" not in plain.timings
    # Every box lies over ink in the INPUT image: tall boxes in the sideways picture.
    h, w = turned_ccw.shape[:2]
    for ln in res.lines:
        p = np.asarray(ln.points)
        assert (
            p[:, 0].min() >= -2 and p[:, 0].max() <= w + 1 and p[:, 1].min() >= -2 and p[:, 1].max() <= h + 1
        )
        bw, bh = np.ptp(p[:, 0]), np.ptp(p[:, 1])
        assert bh > 3 * bw
        x0, y0, x1, y1 = (int(v) for v in (p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()))
        assert turned_ccw[y0:y1, x0:x1].min() < 100
