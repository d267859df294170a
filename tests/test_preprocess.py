"""Model input preparation: sizes and values computed by hand from the PaddleOCR rules."""

from __future__ import annotations

import numpy as np
import pytest

from lumenocr.errors import ConfigError
from lumenocr.preprocess import ClsPreprocess, DetPreprocess, RecPreprocess
from lumenocr.preprocess.rec import resize_norm_pad

# -- detection ---------------------------------------------------------------------------------
#: DetPreprocess reduced to PaddleOCR's rule: no upscaling of small images, no short-side floor.
PADDLE_RULE = {"max_upscale": 1.0, "min_side_len": 0}


@pytest.mark.parametrize(
    ("kw", "hw", "expected"),
    [
        # max: 1080x1920 -> ratio 0.5 -> 540 x 960 -> 540/32 = 16.875 rounds to 17 -> 544
        ({}, (1080, 1920), (544, 960)),
        # max: small image is not enlarged, only snapped to the nearest multiple of 32
        ({}, (500, 700), (512, 704)),
        # max: portrait; 3000 -> 960, 1000 * 0.32 = 320
        ({}, (3000, 1000), (960, 320)),
        # min: shorter side 500 -> 736 (ratio 1.472); 700 * 1.472 = 1030.4 -> 32.2 * 32 -> 1024
        ({"limit_type": "min", "limit_side_len": 736}, (500, 700), (736, 1024)),
        # min: already large enough, kept (snapped)
        ({"limit_type": "min", "limit_side_len": 736}, (800, 1000), (800, 992)),
        # min would make 100x3000 into 960x28800: max_side_len caps the long side at 4000
        # (ratio 4/3: 133.3 -> 128, 4000 -> 4000)
        ({"limit_type": "min", "limit_side_len": 960}, (100, 3000), (128, 4000)),
        # custom cap on a plain max rule
        ({"limit_side_len": 2000, "max_side_len": 1000}, (1500, 1500), (992, 992)),
        # tiny: 5 px tall rounds to 0 rows of 32 -> at least one stride; 300 -> 9.375 -> 288
        ({}, (5, 300), (32, 288)),
        ({}, (1, 1), (32, 32)),
    ],
)
def test_det_target_size(kw, hw, expected):
    """PaddleOCR's DetResizeForTest rule (lumenocr's small/wide-input extras switched off;
    tests/test_input_kinds.py covers them)."""
    assert DetPreprocess(**{**PADDLE_RULE, **kw}).target_size(*hw) == expected


def test_det_target_size_always_multiple_of_stride():
    rng = np.random.default_rng(0)
    for pre, most in ((DetPreprocess(**PADDLE_RULE), 960), (DetPreprocess(), 4000)):
        for h, w in rng.integers(1, 5000, size=(200, 2)):
            rh, rw = pre.target_size(int(h), int(w))
            assert rh % 32 == 0 and rw % 32 == 0 and rh >= 32 and rw >= 32
            assert max(rh, rw) <= most + 16  # rounding may add at most half a stride


def test_det_call_shapes_and_ratios():
    img = np.zeros((1080, 1920, 3), np.uint8)
    out = DetPreprocess()(img)
    assert out.tensor.shape == (1, 3, 544, 960)
    assert out.tensor.dtype == np.float32
    assert out.original_shape == (1080, 1920)
    assert out.ratio_h == pytest.approx(544 / 1080)
    assert out.ratio_w == pytest.approx(960 / 1920)


def test_det_tiny_image_is_upscaled_not_crashing():
    img = np.full((5, 300, 3), 200, np.uint8)
    out = DetPreprocess(**PADDLE_RULE)(img)
    assert out.tensor.shape == (1, 3, 32, 288)
    assert out.ratio_h == pytest.approx(32 / 5)
    out = DetPreprocess()(img)  # lumenocr's default: the short side at least 64 px
    assert out.tensor.shape[2] == 64 and out.ratio_h == pytest.approx(64 / 5)


def test_det_normalisation_values():
    # One pixel value per channel (BGR order as stored); (x/255 - mean_c) / std_c per channel index.
    img = np.empty((32, 32, 3), np.uint8)
    img[...] = (255, 0, 128)
    t = DetPreprocess()(img).tensor[0]
    expected = [(1.0 - 0.485) / 0.229, (0.0 - 0.456) / 0.224, (128 / 255 - 0.406) / 0.225]
    for c in range(3):
        np.testing.assert_allclose(t[c], expected[c], rtol=1e-5)


@pytest.mark.parametrize("kw", [{"limit_type": "avg"}, {"limit_side_len": 10}])
def test_det_bad_knobs(kw):
    with pytest.raises(ConfigError):
        DetPreprocess(**kw)


# -- recognition -------------------------------------------------------------------------------
def crop(h, w, value=255):
    return np.full((h, w, 3), value, np.uint8)


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        ([(48, 100)], 320),  # narrow crops get min_width
        ([(32, 400)], 600),  # 48 * 12.5 = 600, already a multiple of 8
        ([(30, 401)], 648),  # 48 * 13.367 = 641.6 -> 642 -> next multiple of 8 = 648
        ([(48, 100), (32, 400), (10, 30)], 600),  # widest aspect of the batch decides
        ([(10, 2000)], 3200),  # 9600 capped at max_width
    ],
)
def test_rec_batch_width(sizes, expected):
    assert RecPreprocess(width_steps=0).batch_width([crop(h, w) for h, w in sizes]) == expected


@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (100, 320),  # min_width
        (321, 352),  # 256..511: steps of 32
        (600, 640),  # 512..1023: steps of 64
        (642, 704),
        (1025, 1152),  # 1024..2047: steps of 128
        (3100, 3200),  # the last bucket reaches the cap
        (9000, 3200),
    ],
)
def test_rec_batch_width_buckets(width, expected):
    # Widths come in 1/8-octave buckets, so a page's batches share a few input shapes.
    assert RecPreprocess().batch_width([crop(48, width)]) == expected


def test_rec_width_buckets_are_few_and_pad_little():
    pre = RecPreprocess()
    widths = {w: pre.batch_width([crop(48, w)]) for w in range(320, 3201)}
    assert len(set(widths.values())) <= 30
    assert all(w <= b <= max(w * 1.125, w + 8) for w, b in widths.items())


def test_rec_batch_width_custom_rules():
    pre = RecPreprocess(image_height=32, min_width=100, max_width=500, width_multiple=16, width_steps=0)
    assert pre.batch_width([crop(32, 50)]) == 112  # min_width 100 -> multiple of 16
    assert pre.batch_width([crop(32, 330)]) == 336
    # 8000 capped at 500; rounding up to 512 would break the cap, so the multiple below it
    assert pre.batch_width([crop(8, 2000)]) == 496


def test_resize_norm_pad_values_and_padding():
    # 24x50 crop at height 48 -> 100 columns of content, then zero padding up to 320.
    img = np.zeros((24, 50, 3), np.uint8)
    img[:, :25] = 255  # left half white, right half black
    out = resize_norm_pad(img, 48, 320)
    assert out.shape == (3, 48, 320) and out.dtype == np.float32
    np.testing.assert_allclose(out[:, :, :45], 1.0)  # white -> +1
    np.testing.assert_allclose(out[:, :, 55:100], -1.0)  # black -> -1
    assert np.all(out[:, :, 100:] == 0.0)  # padding is exactly zero
    assert out.min() >= -1.0 and out.max() <= 1.0


def test_resize_norm_pad_wide_crop_is_squeezed_to_width():
    out = resize_norm_pad(crop(10, 1000, 0), 48, 320)
    assert out.shape == (3, 48, 320)
    np.testing.assert_allclose(out, -1.0)  # no padding left: the whole width is content


def test_rec_call_stacks_batch():
    batch = RecPreprocess(width_steps=0)([crop(48, 100), crop(20, 300, 0)])
    assert batch.shape == (2, 3, 48, 720)  # 48 * 15 = 720
    assert np.all(batch[0, :, :, 100:] == 0.0)
    np.testing.assert_allclose(batch[1], -1.0)


# -- direction classifier ----------------------------------------------------------------------
def test_cls_shape_and_padding():
    pre = ClsPreprocess()
    out = pre([crop(48, 48), crop(10, 1000), crop(100, 20)])
    assert out.shape == (3, 3, 48, 192)
    assert np.all(out[0, :, :, 48:] == 0.0) and np.allclose(out[0, :, :, :48], 1.0)
    assert np.allclose(out[1], 1.0)  # squeezed to the full 192
    assert np.all(out[2, :, :, 10:] == 0.0)  # 48 * 20 / 100 = 9.6 -> 10 columns


def test_rec_pad_right_margin_repeats_the_edge():
    # 40 x 300 crop, margin 0.25 * 40 = 10 px: the network sees 310 / 40 = 7.75 -> 48 * 7.75 = 372
    # columns of content in a 376-wide batch (next multiple of 8).
    img = np.full((40, 300, 3), 255, np.uint8)
    img[:, -5:] = 0  # a dark last stroke: the margin must continue it, not add white
    pre = RecPreprocess(pad_right=0.25, width_steps=0)
    assert pre.aspect(img) == pytest.approx(7.75)
    assert pre.batch_width([img]) == 376
    out = pre([img])[0]
    assert out.shape == (3, 48, 376)
    np.testing.assert_allclose(out[:, :, 0:300], 1.0, atol=1e-6)  # white text area
    np.testing.assert_allclose(out[:, :, 362:372], -1.0, atol=1e-6)  # replicated dark edge
    assert np.all(out[:, :, 372:] == 0.0)  # then zero padding
    # Without a margin nothing changes.
    assert RecPreprocess().aspect(img) == pytest.approx(7.5)
