"""Inputs users send that benchmark sets do not hold, rendered with known text
(:mod:`lumenocr.synth.kinds`): every line is found and read."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from lumenocr.preprocess.det import DetPreprocess
from lumenocr.synth.kinds import available_fonts, make_kind_samples

REPO = Path(__file__).resolve().parents[1]


def _model_available() -> bool:
    from lumenocr.cli.models import model_status
    from lumenocr.zoo import DEFAULT_MODEL, get_spec

    return model_status(get_spec(DEFAULT_MODEL))[0]


needs_model = pytest.mark.skipif(not _model_available(), reason="the default zoo model is not installed")
needs_fonts = pytest.mark.skipif(
    not available_fonts(cjk=True), reason="needs fonts-noto-cjk (scripts/install.sh installs it as root)"
)


# --- the resize and padding rule -------------------------------------------------------------------
def test_small_images_are_enlarged_within_the_upscale_limit():
    pre = DetPreprocess()
    assert pre.target_size(300, 400) == (704, 960)  # a 400 x 300 label: x2.4 to 960
    assert pre.target_size(150, 200) == (448, 608)  # a thumbnail: x3 at most
    assert pre.target_size(720, 1280) == (544, 960)  # pages and scenes: as before
    assert DetPreprocess(max_upscale=1.0).target_size(300, 400) == (288, 384)  # the old rule


def test_a_wide_line_is_not_shrunk_into_a_sliver():
    pre = DetPreprocess()
    h, w = pre.target_size(60, 2000)
    assert h >= 64 and w >= 2000  # the long-side rule alone gives 32 x 960
    assert pre.target_size(60, 9000)[1] <= pre.max_side_len  # memory stays bounded


def test_tight_and_small_images_get_a_margin_pages_do_not():
    pre = DetPreprocess()
    assert pre.padding(60, 2000) == 15  # a line: a quarter of its height
    assert pre.padding(300, 400) == 75  # a small label
    assert pre.padding(720, 1280) == 0  # a page or a street scene
    assert DetPreprocess(line_pad=0).padding(60, 2000) == 0


# --- reading them --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ocr():
    from lumenocr import OCR

    return OCR(threads=2)


def _score(gt_lines, pred_lines):
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from bench_input_kinds import score
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return score(gt_lines, pred_lines)


# How many of each kind (the first samples hold every failure seen before the fixes) and the
# lowest mean text accuracy allowed.
KIND_CASES = {
    "small": (12, 0.95),  # 12: the thumbnail line the classifier turned is sample 11
    "tight": (12, 0.97),
    "wide": (2, 0.97),
    "alpha_png": (5, 0.97),
    "gray_alpha": (3, 0.97),
    "single_channel": (2, 0.97),
}


@needs_model
@needs_fonts
@pytest.mark.parametrize("kind", list(KIND_CASES))
def test_every_line_of_each_input_kind_is_read(ocr, kind):
    count, least = KIND_CASES[kind]
    found = total = 0
    accs = []
    misses = []
    for s in make_kind_samples(kind, count, seed=0):
        pred = [ln.text for ln in ocr(s.image).lines]
        f, a = _score(s.lines, pred)
        found, total = found + f, total + len(s.lines)
        accs.append(a)
        if f < len(s.lines):
            misses.append((s.name, s.lines, pred))
    assert found == total, misses
    assert float(np.mean(accs)) >= least, misses


@needs_model
@needs_fonts
def test_tight_chinese_line_is_one_line(ocr):
    """A tight crop of one CJK line used to come back empty or in fragments."""
    from lumenocr.synth.kinds import _bgr, _draw_lines, _font, _tight

    font = available_fonts(cjk=True)[0]
    text = "在中国制造的产品"
    for size in (12, 16, 60):
        img = _tight(
            _draw_lines([text], _font(font, size), (0, 0, 0), (255, 255, 255), (8, 8)), (255, 255, 255)
        )
        assert [ln.text for ln in ocr(_bgr(img)).lines] == [text], size
