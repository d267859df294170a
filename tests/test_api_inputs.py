"""The Python API takes what users pass, or refuses it with a lumenocr error (never a raw
OpenCV/numpy traceback); long lines are read whole."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from lumenocr.errors import InputError, InputNotFoundError
from lumenocr.metrics.text import edit_distance
from lumenocr.vis.sample import render_lines


def _model_available() -> bool:
    from lumenocr.cli.models import model_status
    from lumenocr.zoo import DEFAULT_MODEL, get_spec

    return model_status(get_spec(DEFAULT_MODEL))[0]


pytestmark = pytest.mark.skipif(not _model_available(), reason="the default zoo model is not installed")

LINE = "Crop reading check 2024"


@pytest.fixture(scope="module")
def ocr():
    from lumenocr import OCR

    return OCR(threads=1)


@pytest.fixture(scope="module")
def crop():
    return render_lines([LINE], font_size=32, margin=6)


@pytest.mark.parametrize("shape", [(0, 0, 3), (0, 10, 3), (10, 0, 3)])
def test_empty_arrays_are_input_errors(ocr, shape):
    with pytest.raises(InputError, match="empty"):
        ocr(np.zeros(shape, np.uint8))
    with pytest.raises(InputError, match="non-empty H x W x 3"):
        ocr.ocr_image(np.zeros(shape, np.uint8))


def test_ocr_image_refuses_other_layouts_clearly(ocr):
    with pytest.raises(InputError, match=r"OCR\(\)\(image\) converts"):
        ocr.ocr_image(np.zeros((20, 20), np.uint8))


def test_recognize_crops_accepts_what_ocr_accepts(ocr, crop, tmp_path):
    path = tmp_path / "crop.png"
    cv2.imwrite(str(path), crop)
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    from PIL import Image

    inputs = [
        crop,
        gray,  # (H, W)
        gray[:, :, None],  # (H, W, 1)
        np.dstack([gray, np.full_like(gray, 255)]),  # (H, W, 2)
        str(path),
        path,
        path.read_bytes(),
        Image.open(path),
    ]
    texts = [r.text for r in ocr.recognize_crops(inputs)]
    assert texts == [LINE] * len(inputs)


def test_recognize_crops_bad_items_name_the_crop(ocr, crop, tmp_path):
    with pytest.raises(InputNotFoundError, match="missing.png"):
        ocr.recognize_crops([crop, str(tmp_path / "missing.png")])
    with pytest.raises(InputError, match="crop 1: .*empty"):
        ocr.recognize_crops([crop, np.zeros((0, 5), np.uint8)])
    with pytest.raises(InputError, match="a list of crops"):
        ocr.recognize_crops(crop)


LONG = (
    "A very long line of text that goes on and on across the whole page and further still, "
    "with numbers like 12345 and 67890, until it is about nine thousand pixels wide in total; "
    "the recognizer must read every word of it in the right order without dropping any of them"
)


@pytest.fixture(scope="module")
def wide_line():
    text = LONG + " and then " + LONG
    img = render_lines([text], font_size=36, margin=12)
    assert img.shape[0] == 60 and img.shape[1] > 8500  # the 9000 x 60 line
    return text, img


def test_very_wide_crop_is_read_in_windows(ocr, wide_line):
    """A 9000 x 60 line (150:1) used to be squashed into 3200 px and read as garbage."""
    text, img = wide_line
    rec = ocr.recognize_crops([img])[0]
    assert edit_distance(text, rec.text) / len(text) < 0.01, rec.text
    # Character positions stay in order across the windows (word boxes rely on them).
    starts = [s for s, _ in rec.char_spans]
    assert starts == sorted(starts) and len(rec.char_spans) == len(rec.text)
    assert rec.grid_width == img.shape[1] and starts[-1] > 0.9 * img.shape[1]


def test_window_plan_covers_the_line_and_fits_the_model():
    from lumenocr.pipeline.long_lines import plan_windows

    assert len(plan_windows(3000, 60, 66.0)) == 1
    plan = plan_windows(9065, 60, 66.0)
    assert plan[0].x0 == 0 and plan[-1].x1 == 9065
    assert all(w.x1 - w.x0 <= 66 * 60 for w in plan)
    assert all(a.x1 > b.x0 for a, b in zip(plan, plan[1:]))  # they overlap
    assert plan[0].keep_from == 0 and plan[-1].keep_to == math.inf  # the last window keeps all it reads
    assert all(a.keep_to == b.keep_from for a, b in zip(plan, plan[1:]))  # every x kept exactly once


def test_rec_only_cli_reads_a_very_wide_line(wide_line, tmp_path, capsys):
    from lumenocr.cli.main import main

    text, img = wide_line
    cv2.imwrite(str(tmp_path / "wide.png"), img)
    rc = main(["ocr", str(tmp_path / "wide.png"), "--rec-only", "--format", "txt", "--threads", "1"])
    out = capsys.readouterr().out.strip()
    assert rc == 0
    assert edit_distance(text, out) / len(text) < 0.01, out


def test_one_tall_character_is_not_read_as_a_vertical_line(ocr):
    """A crop of one tall glyph (a "(" or "!" cut out of a form) is taller than wide, like a
    vertical line: turned, it read "1", "C", "_" or "2". Tall crops are read both ways and keep
    the surer reading; a real vertical line keeps reading turned (test_pipeline_real)."""
    from PIL import Image, ImageDraw, ImageFont

    from lumenocr.synth.kinds import available_fonts

    fonts = available_fonts(cjk=False)[:3]
    if not fonts:
        pytest.skip("no Latin system font (fonts-dejavu-core / fonts-liberation)")
    crops, texts = [], []
    for path in fonts:
        font = ImageFont.truetype(str(path), 36)
        for ch in "1/7(J]!?4":
            img = Image.new("RGB", (80, 80), "white")
            ImageDraw.Draw(img).text((20, 10), ch, font=font, fill="black")
            a = np.asarray(img)
            ys, xs = np.nonzero(a.min(axis=2) < 128)
            c = a[ys.min() - 3 : ys.max() + 4, xs.min() - 3 : xs.max() + 4]
            if c.shape[0] >= 1.5 * c.shape[1]:  # only the glyphs the vertical rule would turn
                crops.append(cv2.cvtColor(np.ascontiguousarray(c), cv2.COLOR_RGB2BGR))
                texts.append(ch)
    assert len(crops) >= 6
    read = [r.text for r in ocr.recognize_crops(crops)]
    right = sum(r == t for r, t in zip(read, texts))
    # Measured with DejaVu Sans, Liberation Serif/Sans: 13 of 18 (5 of 18 always turned).
    assert right >= 0.6 * len(crops), list(zip(texts, read))
