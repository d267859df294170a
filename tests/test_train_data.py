"""Training data: label files, ratio_list mixing, LMDB, skipping bad samples, augmentation, det items."""

import json
import logging

import cv2
import numpy as np
import pytest

pytest.importorskip("torch")

from lumenocr.errors import ConfigError  # noqa: E402
from lumenocr.train.augment import DetAugConfig, RecAugConfig, augment_det, augment_rec  # noqa: E402
from lumenocr.train.datasets import DetDataset, Dictionary, RecDataset, sample_by_ratio  # noqa: E402
from lumenocr.train.lmdb_writer import write_rec_lmdb  # noqa: E402
from lumenocr.train.toydata import make_det_set, make_rec_set  # noqa: E402


@pytest.fixture(scope="module")
def rec_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("rec")
    make_rec_set(root, 12, seed=3, chars="0123456789", min_len=3, max_len=5)
    return root


def _dictionary(root):
    return Dictionary((root / "dict.txt").read_text().split(), use_space_char=False)


def test_rec_items_are_encoded_and_padded(rec_dir):
    ds = RecDataset(
        [str(rec_dir / "label.txt")],
        dictionary=_dictionary(rec_dir),
        image_shape=(32, 128),
        max_text_length=8,
    )
    item = ds[0]
    text = ds.items[0][2]
    assert item["image"].shape == (3, 32, 128) and item["image"].dtype == np.float32
    assert item["length"] == len(text)
    assert list(item["label"][: len(text)]) == [int(c) + 1 for c in text]  # dict "0".."9" -> classes 1..10
    assert not item["label"][len(text) :].any()
    crop, _ = ds.load(0)
    expected = min(128, np.ceil(32 * crop.shape[1] / crop.shape[0])) / 128
    assert item["valid_ratio"] == pytest.approx(expected)


def test_rec_skips_long_and_unknown_texts_with_one_warning(tmp_path, rec_dir, caplog):
    lines = (rec_dir / "label.txt").read_text().splitlines()[:4]
    img = lines[0].split("\t")[0]
    extra = [f"{img}\t12345678901", f"{img}\t12a", f"{img}\t"]
    label = rec_dir / "mixed.txt"
    label.write_text("\n".join(lines + extra) + "\n")
    with caplog.at_level(logging.WARNING, logger="lumenocr.train"):
        ds = RecDataset([str(label)], dictionary=_dictionary(rec_dir), max_text_length=10)
    assert len(ds) == 4
    assert ds.skipped == {
        "longer than max_text_length=10": 1,
        "with characters outside the dictionary": 1,
        "with empty text": 1,
    }
    assert "skipped 3 of 7" in caplog.text and "'a'" in caplog.text


def test_a_label_file_with_no_usable_sample_is_a_clear_error(rec_dir, tmp_path):
    # Every text outside the dictionary (e.g. the wrong character_dict), or an empty file: the
    # error used to be an AttributeError raised while naming the label file.
    img = (rec_dir / "label.txt").read_text().splitlines()[0].split("\t")[0]
    wrong = rec_dir / "wrong_dict.txt"
    wrong.write_text(f"{img}\tabc\n{img}\txyz\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    for label in (wrong, empty):
        with pytest.raises(ConfigError, match=rf"no usable samples in .*{label.name}"):
            RecDataset([str(label)], dictionary=Dictionary(list("0123456789")))


def test_ratio_list_mixes_sources(rec_dir, tmp_path):
    other = tmp_path / "other"
    make_rec_set(other, 6, seed=4, chars="0123456789", min_len=3, max_len=5)
    d = _dictionary(rec_dir)
    ds = RecDataset(
        [str(rec_dir / "label.txt"), str(other / "label.txt")], dictionary=d, ratio_list=[0.5, 2.0]
    )
    per_source = [sum(1 for s, _, _ in ds.items if s == i) for i in (0, 1)]
    assert per_source == [6, 12]
    with pytest.raises(ConfigError, match="ratio_list"):
        RecDataset([str(rec_dir / "label.txt")], dictionary=d, ratio_list=[0.5, 0.5])
    assert sorted(sample_by_ratio(5, 1.0, np.random.default_rng(0))) == [0, 1, 2, 3, 4]


def test_lmdb_round_trip_matches_label_file(rec_dir, tmp_path):
    n = write_rec_lmdb(rec_dir / "label.txt", tmp_path / "lmdb")
    d = _dictionary(rec_dir)
    from_files = RecDataset([str(rec_dir / "label.txt")], dictionary=d)
    from_lmdb = RecDataset(lmdb=[str(tmp_path / "lmdb")], dictionary=d)
    assert len(from_lmdb) == n == len(from_files)
    for i in (0, n - 1):
        assert from_lmdb.items[i][2] == from_files.items[i][2]
        np.testing.assert_array_equal(from_lmdb[i]["image"], from_files[i]["image"])


def test_augmentation_is_a_function_of_seed_epoch_and_index(rec_dir):
    d = _dictionary(rec_dir)
    aug = RecAugConfig(aug_prob=1.0)
    a = RecDataset([str(rec_dir / "label.txt")], dictionary=d, augment=aug, seed=1)
    b = RecDataset([str(rec_dir / "label.txt")], dictionary=d, augment=aug, seed=1)
    np.testing.assert_array_equal(a[3]["image"], b[3]["image"])
    b.set_epoch(1)
    assert not np.array_equal(a[3]["image"], b[3]["image"])


def test_rec_augment_keeps_a_valid_crop():
    rng = np.random.default_rng(0)
    img = np.full((32, 160, 3), 255, np.uint8)
    cv2.putText(img, "12345", (5, 25), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    changed = 0
    for _ in range(10):
        out = augment_rec(img, RecAugConfig(aug_prob=1.0), rng)
        assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[0] >= 28 and out.shape[1] == 160
        changed += not np.array_equal(out, img)
    assert changed == 10
    assert augment_rec(img, RecAugConfig(aug_prob=0.0), rng) is img
    with pytest.raises(ConfigError, match="blur_prob"):
        RecAugConfig(blur_prob=1.5)


def test_det_augment_keeps_boxes_on_their_text():
    rng = np.random.default_rng(0)
    page = np.zeros((300, 400, 3), np.uint8)
    box = np.array([[100, 100], [220, 100], [220, 140], [100, 140]], np.float32)
    page[100:140, 100:220] = 255
    for _ in range(10):
        img, polys, ignore = augment_det(
            page, [box], [False], DetAugConfig(size=256, rotate_prob=0.0, colour_prob=0.0), rng
        )
        assert img.shape == (256, 256, 3)
        if polys and not ignore[0]:
            x0, y0 = polys[0].min(0).astype(int) + 2
            x1, y1 = polys[0].max(0).astype(int) - 2
            assert img[y0:y1, x0:x1].mean() > 200  # the box still covers the white text block


def test_det_items_carry_db_targets_and_mask_dont_care(tmp_path):
    label = make_det_set(tmp_path, 2, seed=0, size=(160, 320))
    rows = label.read_text().splitlines()
    path, boxes = rows[0].split("\t")
    boxes = json.loads(boxes)
    boxes[0]["transcription"] = "###"
    label.write_text(f"{path}\t{json.dumps(boxes)}\n" + rows[1] + "\n")
    ds = DetDataset([str(label)], augment=DetAugConfig(size=320, enabled=False))
    item = ds[0]
    assert item["image"].shape == (3, 320, 320)
    for key in ("shrink_map", "shrink_mask", "threshold_map", "threshold_mask"):
        assert item[key].shape == (320, 320)
    x0, y0 = np.asarray(boxes[0]["points"]).min(0)
    x1, y1 = np.asarray(boxes[0]["points"]).max(0)
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2  # the page is 320 wide: scale 1 on the canvas
    assert item["shrink_mask"][cy, cx] == 0 and item["shrink_map"][cy, cx] == 0
    cared = np.asarray(boxes[1]["points"])
    cx, cy = cared.mean(0).astype(int)
    assert item["shrink_map"][cy, cx] == 1


def test_rec_training_crops_get_the_margin_the_recognizer_reads_them_with(rec_dir, tmp_path):
    import math

    from lumenocr.train.config import build_config
    from lumenocr.train.toydata import tiny_config
    from lumenocr.train.trainer import make_dataset, make_dictionary

    label = str(rec_dir / "label.txt")
    plain = RecDataset([label], dictionary=_dictionary(rec_dir), image_shape=(32, 256))
    wide = RecDataset([label], dictionary=_dictionary(rec_dir), image_shape=(32, 256), crop_margin=0.5)
    crop, _ = plain.load(0)
    h, w = crop.shape[:2]
    a, b = plain[0], wide[0]
    # CTC may end in the margin, as the decoder reads it: the valid share grows by the margin
    assert b["valid_ratio"] * 256 == math.ceil(32 * (w + round(h * 0.5)) / h)
    assert a["valid_ratio"] * 256 == math.ceil(32 * w / h)
    # the margin repeats the crop's last column, as RecPreprocess.padded does at inference
    end = math.ceil(32 * w / h)
    assert np.abs(b["image"][:, :, end + 2] - b["image"][:, :, end - 1]).max() < 0.2
    # from a config: training crops get the margin the model reads with, evaluation crops none
    raw = tiny_config("rec", label, label, tmp_path / "out")
    raw["inference"] = {"preprocess": {"pad_right": 0.3}}
    cfg = build_config(raw)
    d = make_dictionary(cfg)
    assert make_dataset(cfg, cfg.train, True, d).crop_margin == 0.3
    assert make_dataset(cfg, cfg.eval, False, d).crop_margin == 0.0


def test_a_model_read_over_its_padding_is_trained_over_it(tmp_path, rec_dir):
    # A PP-OCR fine-tune says inference.preprocess.read_padding: true (it is read over the padded
    # canvas): CTC must then cover the whole canvas, not stop at the crop's columns.
    from lumenocr.train.config import build_config
    from lumenocr.train.toydata import tiny_config
    from lumenocr.train.trainer import make_dataset

    raw = tiny_config("rec", rec_dir / "label.txt", rec_dir / "label.txt", tmp_path / "run")
    ratios = {}
    for read_padding in (False, True):
        raw.setdefault("inference", {}).setdefault("preprocess", {})["read_padding"] = read_padding
        cfg = build_config(raw)
        assert cfg.preprocess().read_padding is read_padding  # evaluation and export read so
        d = _dictionary(rec_dir)
        ratios[read_padding] = [
            float(make_dataset(cfg, cfg.train, True, d)[i]["valid_ratio"]) for i in range(4)
        ]
    assert all(r < 1.0 for r in ratios[False])  # the toy crops are narrower than the canvas
    assert ratios[True] == [1.0] * 4
