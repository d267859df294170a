"""Which CTC columns belong to a crop, and whether a user's tight crop gets a margin.

A CTC recognizer is trained on lines padded to ``min_width`` with the loss over the whole
padded grid, so a squeezed word (more characters than its own columns hold) emits its last
characters in the padding: they must be read. Columns of padding a batch has only because
a wider neighbour shares it are not the crop's. A fake engine emits characters at fixed
columns, so the test sees exactly which columns are decoded.
"""

from __future__ import annotations

import numpy as np
import pytest

from lumenocr.pipeline.rec import TextRecognizer
from lumenocr.postprocess.ctc import CTCDecoder
from lumenocr.preprocess.rec import RecPreprocess

CHARS = ("a", "b", "c", "x")
STRIDE = 8  # one output column per 8 input columns, as PP-OCR's recognizers


class ColumnEngine:
    """Emits "abcabc" in columns 0, 2, ..., 10 of every line and "x" in column 45 (past the
    40 columns of a 320-pixel input), whatever the pixels are."""

    meta = None
    name = "column-engine"
    output_shape = [None, None, len(CHARS) + 2]

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        n, _, _, w = batch.shape
        t = w // STRIDE
        probs = np.zeros((n, t, len(CHARS) + 2), np.float32)
        probs[:, :, 0] = 1.0  # blank
        for col, k in zip(range(0, 12, 2), [1, 2, 3, 1, 2, 3]):
            probs[:, col, 0], probs[:, col, k] = 0.0, 1.0
        if t > 45:
            probs[:, 45, 0], probs[:, 45, 4] = 0.0, 1.0
        return probs


@pytest.fixture()
def rec() -> TextRecognizer:
    return TextRecognizer(ColumnEngine(), RecPreprocess(), CTCDecoder(CHARS), batch_size=8)


def test_decode_width_covers_the_padding_up_to_min_width():
    pre = RecPreprocess()
    assert pre.decode_width(40) == 320  # a squeezed word may spill into the padding
    assert pre.decode_width(320) == 320
    assert pre.decode_width(1000) == 1000  # a wide line: its own columns


def test_a_squeezed_crop_keeps_the_characters_it_emits_in_the_padding(rec):
    # 48 x 40: five columns of content, six characters over eleven columns. Cut at the
    # crop's edge (or at a 0.25-height margin) it read "ab" / "abca" (ICDAR 2015 crops:
    # "SALE" -> "SAL").
    crop = np.full((48, 40, 3), 255, np.uint8)
    assert [r.text for r in rec.recognize_crops([crop])] == ["abcabc"]
    assert [r.text for r in rec([crop])] == ["abcabc"]  # the pipeline's crops: the same rule


def test_padding_for_a_wider_neighbour_is_not_the_crops(rec):
    # Nine crops: the planner puts the 600-px line in a batch with two narrow ones (75
    # columns). Column 45 lies in padding that exists only because of the wide neighbour:
    # the narrow crops must not read its "x"; the wide line (whose content it is) does.
    narrow = np.full((48, 40, 3), 255, np.uint8)
    wide = np.full((48, 600, 3), 255, np.uint8)
    texts = [r.text for r in rec([narrow] * 8 + [wide])]
    assert texts[:8] == ["abcabc"] * 8
    assert texts[8] == "abcabcx"
    # Alone, a narrow crop reads the same as in that batch.
    assert rec([narrow])[0].text == "abcabc"


def test_user_crops_get_no_smearing_margin():
    # A tight crop ending in a thin stroke (a colon's dots, a full stop): a margin repeating
    # the last column turned ":" into "=" and "." into "-" on FUNSD words. The recognizer
    # reads user crops with the model's own rule (no margin unless its metadata asks).
    rec = TextRecognizer(ColumnEngine(), RecPreprocess(), CTCDecoder(CHARS))
    crop = np.full((40, 100, 3), 255, np.uint8)
    crop[18:22, -3:] = 0
    seen = []
    engine = rec.engine

    def spy(batch: np.ndarray) -> np.ndarray:
        seen.append(batch)
        return engine(batch)

    rec.engine = spy  # type: ignore[assignment]
    rec.recognize_crops([crop])
    # 100 x 40 at 48 px high: 120 columns of content, then zero padding - nothing repeated.
    assert np.all(seen[0][0, :, :, 120:] == 0.0)


def test_models_trained_here_do_not_read_the_padding():
    # The trainer's CTC loss ends at the crop's columns (valid_ratio): the padding columns of
    # such a model are untrained, so its metadata says not to read them.
    from lumenocr.train.config import build_config
    from lumenocr.train.toydata import tiny_config

    pre = build_config(tiny_config("rec", "train.txt", None, "run")).preprocess()
    assert isinstance(pre, RecPreprocess) and pre.read_padding is False
    assert pre.decode_width(40) == 40
    rec = TextRecognizer(ColumnEngine(), pre, CTCDecoder(CHARS))
    text = rec([np.full((48, 40, 3), 255, np.uint8)])[0].text
    assert text and text != "abcabc" and "abcabc".startswith(text)  # the crop's own columns only
