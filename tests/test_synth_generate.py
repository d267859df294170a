"""Synth datasets on disk: reproducible across worker counts, readable by the trainer's datasets."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from synth_helpers import need_fonts

from lumenocr.errors import ConfigError
from lumenocr.synth.config import det_config, rec_config
from lumenocr.synth.generate import generate_det, generate_rec

# Small, quick configs: tests exercise the pipeline, not the looks.
REC = {"fonts": {"size": [16, 24]}, "text": {"max_len": 12}}
DET = {"width": [320, 400], "fonts": {"size": [12, 20]}, "blocks": [1, 3]}


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_rec_same_bytes_with_one_or_two_workers(tmp_path):
    need_fonts()
    cfg = rec_config(REC)
    generate_rec(cfg, count=150, out_dir=tmp_path / "w1", seed=4, workers=1, progress=False)
    generate_rec(cfg, count=150, out_dir=tmp_path / "w2", seed=4, workers=2, progress=False)
    a, b = _files(tmp_path / "w1"), _files(tmp_path / "w2")
    assert len(a) == 151 and a == b
    generate_rec(cfg, count=20, out_dir=tmp_path / "other", seed=5, workers=1, progress=False)
    other = (tmp_path / "other" / "label.txt").read_text(encoding="utf-8").splitlines()
    assert other != (tmp_path / "w1" / "label.txt").read_text(encoding="utf-8").splitlines()[:20]


def test_det_same_bytes_with_one_or_two_workers(tmp_path):
    need_fonts()
    cfg = det_config(DET)
    generate_det(cfg, count=6, out_dir=tmp_path / "w1", seed=2, workers=1, progress=False)
    generate_det(cfg, count=6, out_dir=tmp_path / "w2", seed=2, workers=2, progress=False)
    assert _files(tmp_path / "w1") == _files(tmp_path / "w2")


def test_rec_round_trip_through_trainer_datasets(tmp_path):
    need_fonts(cjk=True)
    from lumenocr.io.labels import read_rec_labels
    from lumenocr.synth.charset import builtin_charset
    from lumenocr.train.datasets import Dictionary, RecDataset

    cfg = rec_config(REC)
    generate_rec(cfg, count=120, out_dir=tmp_path / "folder", seed=1, workers=1, progress=False)
    generate_rec(cfg, count=120, out_dir=tmp_path / "lmdb", seed=1, workers=1, fmt="lmdb", progress=False)
    labels = read_rec_labels(tmp_path / "folder" / "label.txt")
    assert [s.image_path for s in labels] == [f"images/{i:08d}.jpg" for i in range(120)]
    dictionary = Dictionary(builtin_charset("default").tokens, use_space_char=True)
    folder = RecDataset(
        label_files=[str(tmp_path / "folder" / "label.txt")], dictionary=dictionary, max_text_length=12
    )
    lmdb = RecDataset(lmdb=[str(tmp_path / "lmdb")], dictionary=dictionary, max_text_length=12)
    assert folder.skipped == {} and lmdb.skipped == {}  # every label fits the dictionary and length limit
    assert len(folder) == len(lmdb) == 120
    for i in (0, 57, 119):
        img_f, text_f = folder.load(i)
        img_l, text_l = lmdb.load(i)
        assert text_f == text_l == labels[i].text
        assert np.array_equal(img_f, img_l)  # the same encoded bytes in both layouts
        item = folder[i]
        assert item["length"] == len(text_f) and item["image"].shape == (3, 48, 320)


def test_lmdb_layout(tmp_path):
    need_fonts()
    import lmdb

    generate_rec(
        rec_config(REC), count=7, out_dir=tmp_path / "db", seed=0, workers=1, fmt="lmdb", progress=False
    )
    env = lmdb.open(str(tmp_path / "db"), readonly=True, lock=False)
    with env.begin() as txn:
        assert txn.get(b"num-samples") == b"7"
        assert txn.get(b"label-000000000") is None and txn.get(b"label-000000008") is None  # 1-based, dense
        for i in range(1, 8):
            img = cv2.imdecode(np.frombuffer(txn.get(b"image-%09d" % i), np.uint8), cv2.IMREAD_COLOR)
            assert img is not None and txn.get(b"label-%09d" % i).decode("utf-8")
    env.close()


def test_det_labels_round_trip_and_polygons_fit_the_page(tmp_path):
    need_fonts()
    from lumenocr.io.labels import read_det_labels
    from lumenocr.train.datasets import DetDataset

    generate_det(det_config(DET), count=5, out_dir=tmp_path / "det", seed=3, workers=1, progress=False)
    lines = read_det_labels(tmp_path / "det" / "label.txt")
    words = read_det_labels(tmp_path / "det" / "label_words.txt")
    assert len(lines) == len(words) == 5
    raw = (tmp_path / "det" / "label.txt").read_text(encoding="utf-8").splitlines()
    for s, w, line in zip(lines, words, raw, strict=True):
        img = cv2.imread(str(tmp_path / "det" / s.image_path))
        h, wd = img.shape[:2]
        assert s.polygons, "every page has text"
        assert json.loads(line.split("\t", 1)[1])[0]["transcription"] == s.texts[0]
        for p in s.polygons + w.polygons:
            assert p.min() >= -0.5 and p[:, 0].max() <= wd + 0.5 and p[:, 1].max() <= h + 0.5
        # the words of each page are exactly the words of its lines
        assert sorted(w.texts) == sorted(t for text in s.texts for t in text.split())
        assert not any(s.ignore)
    ds = DetDataset([str(tmp_path / "det" / "label.txt")])
    assert len(ds) == 5 and ds[0]["image"].ndim == 3


def test_refuses_to_overwrite_and_bad_args(tmp_path):
    need_fonts()
    cfg = rec_config(REC)
    generate_rec(cfg, count=3, out_dir=tmp_path / "d", workers=1, progress=False)
    with pytest.raises(ConfigError, match="overwrite"):
        generate_rec(cfg, count=3, out_dir=tmp_path / "d", workers=1, progress=False)
    generate_rec(cfg, count=2, out_dir=tmp_path / "d", workers=1, progress=False, overwrite=True)
    assert len(list((tmp_path / "d" / "images").iterdir())) == 2  # old images gone with the old labels
    with pytest.raises(ConfigError, match="format"):
        generate_rec(cfg, count=2, out_dir=tmp_path / "e", fmt="tfrecord", progress=False)
    with pytest.raises(ConfigError, match="count"):
        generate_rec(cfg, count=0, out_dir=tmp_path / "f", progress=False)


def test_cli_synth(tmp_path, capsys):
    need_fonts()
    from lumenocr.cli.main import main

    cfg = tmp_path / "c.yml"
    cfg.write_text("fonts:\n  size: [16, 20]\ntext:\n  charset: latin\n  max_len: 10\n")
    rc = main(["synth", "rec", "--count", "5", "--out", str(tmp_path / "o"), "--config", str(cfg), "--quiet"])
    assert rc == 0
    rows = (tmp_path / "o" / "label.txt").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 5 and all(len(r.split("\t", 1)[1]) <= 10 for r in rows)
    assert "wrote 5 lines" in capsys.readouterr().err
    # user errors: one line, exit code 2, no traceback
    assert main(["synth", "rec", "--count", "5", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    bad = tmp_path / "bad.yml"
    bad.write_text("style:\n  rotate_prob: 3\n")
    assert main(["synth", "det", "--out", str(tmp_path / "p"), "--config", str(bad)]) == 2
    assert "rotate_prob" in capsys.readouterr().err
    assert main(["synth", "rec", "--out", str(tmp_path / "q"), "--fonts", str(tmp_path / "nofonts")]) == 2
    assert "font folder not found" in capsys.readouterr().err


def test_det_lmdb_holds_json_labels_and_word_labels(tmp_path):
    need_fonts()
    import lmdb

    generate_det(
        det_config(DET), count=2, out_dir=tmp_path / "db", seed=1, workers=1, fmt="lmdb", progress=False
    )
    env = lmdb.open(str(tmp_path / "db"), readonly=True, lock=False)
    with env.begin() as txn:
        assert txn.get(b"num-samples") == b"2"
        for i in (1, 2):
            boxes = json.loads(txn.get(b"label-%09d" % i).decode("utf-8"))
            words = json.loads(txn.get(b"wlabel-%09d" % i).decode("utf-8"))
            assert boxes and all(len(b["points"]) >= 4 and b["transcription"] for b in boxes)
            assert sorted(w["transcription"] for w in words) == sorted(
                t for b in boxes for t in b["transcription"].split()
            )
    env.close()
