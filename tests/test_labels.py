"""Label files: PaddleOCR det/rec labels and ICDAR txt ground truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lumenocr.errors import InputError, InputNotFoundError
from lumenocr.io.labels import (
    DetSample,
    LabelFormatError,
    RecSample,
    detect_label_kind,
    read_det_labels,
    read_icdar_gt,
    read_rec_labels,
    resolve_image,
    write_det_labels,
    write_rec_labels,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def test_det_round_trip(tmp_path):
    samples = [
        DetSample(
            "images/a b.jpg",
            [
                np.array([[0, 0], [10, 0], [10, 5], [0, 5]], np.float32),
                np.array([[1.5, 2], [3, 2], [3, 4.25]]),
            ],
            ['Hello, "world"', "unreadable"],
            [False, True],
        ),
        DetSample("images/empty.png", [], [], []),
        DetSample("images/c.jpg", [np.array([[0, 0], [1, 0], [1, 1]])], ["###"], [True]),
    ]
    path = tmp_path / "sub" / "label.txt"
    write_det_labels(path, samples)
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") == 3
    assert '"difficult": true' in text  # a don't-care box keeps its text
    back = read_det_labels(path)
    assert [s.image_path for s in back] == ["images/a b.jpg", "images/empty.png", "images/c.jpg"]
    assert back[0].texts == ['Hello, "world"', "unreadable"]
    assert back[0].ignore == [False, True]
    np.testing.assert_allclose(back[0].polygons[1], [[1.5, 2], [3, 2], [3, 4.25]])
    assert back[0].polygons[0].dtype == np.float32
    assert back[1].polygons == []
    assert back[2].ignore == [True]
    write_det_labels(tmp_path / "again.txt", back)
    assert (tmp_path / "again.txt").read_text(encoding="utf-8") == text


def test_det_labels_tolerate_bom_crlf_and_blank_lines(tmp_path):
    path = tmp_path / "label.txt"
    line = 'x.jpg\t[{"transcription": "###", "points": [[0, 0], [4, 0], [4, 4], [0, 4]]}]'
    path.write_bytes(("\ufeff" + line + "\r\n\r\n" + line.replace("###", "ok") + "\r\n").encode("utf-8"))
    samples = read_det_labels(path)
    assert [s.texts for s in samples] == [["###"], ["ok"]]
    assert [s.ignore for s in samples] == [[True], [False]]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("x.jpg [] no tab", "found no tab"),
        ("x.jpg\t[{'points': []}]", "not valid JSON"),
        ('x.jpg\t{"points": []}', "expected a JSON list"),
        ('x.jpg\t[{"transcription": "a"}]', "expected an object with 'points'"),
        ('x.jpg\t[{"transcription": "a", "points": [[0, 0], [1, 1]]}]', "at least 3"),
        (
            'x.jpg\t[{"transcription": "a", "points": [[0, 0], [1, "b"], [2, 2]]}]',
            "list of \\[x, y\\] numbers",
        ),
        ('x.jpg\t[{"transcription": 5, "points": [[0, 0], [1, 0], [1, 1]]}]', "must be a string"),
        ("\t[]", "empty image path"),
    ],
)
def test_det_label_errors_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "label.txt"
    path.write_text("ok.jpg\t[]\n" + line + "\n", encoding="utf-8")
    with pytest.raises(LabelFormatError, match=message) as e:
        read_det_labels(path)
    assert f"{path}:2" in str(e.value)
    assert isinstance(e.value, InputError)


def test_rec_round_trip_keeps_text_verbatim(tmp_path):
    samples = [
        RecSample("crops/1.png", " two  spaces "),
        RecSample("crops/2.png", "tab\tinside"),
        RecSample("c/3.png", ""),
    ]
    path = tmp_path / "rec.txt"
    write_rec_labels(path, samples)
    assert read_rec_labels(path) == samples


def test_rec_label_errors(tmp_path):
    path = tmp_path / "rec.txt"
    path.write_text("a.png\tok\nb.png-without-tab\n", encoding="utf-8")
    with pytest.raises(LabelFormatError, match=r"rec\.txt:2: expected 'image_path<TAB>text'"):
        read_rec_labels(path)
    with pytest.raises(LabelFormatError, match="line break"):
        write_rec_labels(path, [RecSample("a.png", "two\nlines")])
    with pytest.raises(LabelFormatError, match="tab"):
        write_rec_labels(path, [RecSample("a\tb.png", "x")])
    with pytest.raises(InputNotFoundError):
        read_rec_labels(tmp_path / "missing.txt")


def test_non_utf8_label_file(tmp_path):
    path = tmp_path / "rec.txt"
    path.write_bytes("a.png\tcaf\xe9\n".encode("latin-1"))
    with pytest.raises(LabelFormatError, match="not UTF-8"):
        read_rec_labels(path)


def test_icdar_gt_file_with_commas_bom_and_crlf(tmp_path):
    path = tmp_path / "gt_img_7.txt"
    content = (
        "\ufeff377,117,463,117,465,130,378,130,Genaxis Theatre\r\n374,155,409,155,409,170,374,170,###\r\n"
    )
    content += "1,2,3,4,5,6,7,8,Hello, world,again\r\n"
    path.write_bytes(content.encode("utf-8"))
    [s] = read_icdar_gt(path)
    assert s.image_path == "img_7"
    assert s.texts == ["Genaxis Theatre", "###", "Hello, world,again"]
    assert s.ignore == [False, True, False]
    np.testing.assert_array_equal(s.polygons[0], [[377, 117], [463, 117], [465, 130], [378, 130]])
    np.testing.assert_array_equal(s.polygons[2], [[1, 2], [3, 4], [5, 6], [7, 8]])


def test_icdar_gt_folder_natural_order_and_2013_lines(tmp_path):
    for n in (10, 2, 1):
        (tmp_path / f"gt_img_{n}.txt").write_text(f"0,0,{n},0,{n},{n},0,{n},w{n}\n", encoding="utf-8")
    (tmp_path / "gt_img_3.txt").write_text('38, 43, 117, 72, "Tiredness, kills"\n', encoding="utf-8")
    samples = read_icdar_gt(tmp_path)
    assert [s.image_path for s in samples] == ["img_1", "img_2", "img_3", "img_10"]
    assert samples[2].texts == ["Tiredness, kills"]
    np.testing.assert_array_equal(samples[2].polygons[0], [[38, 43], [117, 43], [117, 72], [38, 72]])


def test_icdar_gt_errors(tmp_path):
    path = tmp_path / "gt_img_1.txt"
    path.write_text("0,0,1,0,1,1,0,1,ok\n0,0,abc\n", encoding="utf-8")
    with pytest.raises(LabelFormatError, match=r"gt_img_1\.txt:2"):
        read_icdar_gt(path)
    with pytest.raises(InputNotFoundError):
        read_icdar_gt(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputNotFoundError, match="no ICDAR ground-truth files"):
        read_icdar_gt(tmp_path / "empty")


def test_resolve_image(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.jpg").write_bytes(b"x")
    label = tmp_path / "label.txt"
    assert resolve_image(label, "images/a.jpg") == tmp_path / "images" / "a.jpg"
    assert resolve_image(tmp_path, "images/a.jpg") == tmp_path / "images" / "a.jpg"
    assert resolve_image(label, str(tmp_path / "images" / "a.jpg")) == tmp_path / "images" / "a.jpg"
    with pytest.raises(InputNotFoundError, match="images/b.jpg"):
        resolve_image(label, "images/b.jpg")
    assert resolve_image(label, "images/b.jpg", must_exist=False) == tmp_path / "images" / "b.jpg"


def test_detect_label_kind(tmp_path):
    det = tmp_path / "det.txt"
    det.write_text('a.jpg\t[{"transcription": "x", "points": [[0,0],[1,0],[1,1]]}]\n', encoding="utf-8")
    rec = tmp_path / "rec.txt"
    rec.write_text("\na.png\t[not json\n", encoding="utf-8")
    icdar = tmp_path / "gt_img_1.txt"
    icdar.write_text("0,0,1,0,1,1,0,1,x\n", encoding="utf-8")
    assert [detect_label_kind(p) for p in (det, rec, icdar)] == ["det", "rec", "icdar"]
    assert detect_label_kind(tmp_path) == "icdar"
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "label.txt").write_text(det.read_text(), encoding="utf-8")
    assert detect_label_kind(tmp_path / "ds") == "det"
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(LabelFormatError, match="empty"):
        detect_label_kind(empty)


def test_det_sample_lengths_must_agree():
    with pytest.raises(ValueError, match="same length"):
        DetSample("a.jpg", [np.zeros((4, 2))], [], [])


@pytest.mark.data
@pytest.mark.parametrize(
    ("folder", "images", "boxes", "care"),
    [
        ("icdar2015_test", 500, 5230, 2077),
        ("icdar2015_train", 1000, 11886, 4468),
        ("xfund_zh_train_30", 30, 2298, 2136),
    ],
)
def test_real_det_labels(folder, images, boxes, care):
    label = DATA / folder / "label.txt"
    if not label.is_file():
        pytest.skip(f"real data not found at {label}")
    samples = read_det_labels(label)
    assert len(samples) == images
    assert sum(len(s.polygons) for s in samples) == boxes
    assert sum(not i for s in samples for i in s.ignore) == care
    assert resolve_image(label, samples[0].image_path).is_file()


@pytest.mark.data
def test_real_rec_labels():
    label = DATA / "icdar2015_rec_test" / "label.txt"
    if not label.is_file():
        pytest.skip(f"real data not found at {label}")
    samples = read_rec_labels(label)
    assert len(samples) == 2077
    assert samples[0] == RecSample("crops/word_1.png", "JOINT")
    assert resolve_image(label, samples[-1].image_path).is_file()
