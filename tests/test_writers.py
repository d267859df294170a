"""Output writers: the JSONL contract, incremental writing, JSON arrays, plain text."""

from __future__ import annotations

import json
import os

import pytest

from lumenocr.errors import ConfigError
from lumenocr.io.writers import (
    JsonlWriter,
    format_for,
    ocr_record,
    open_writer,
    rec_record,
)
from lumenocr.results import OCRResult, RecResult, TextLine, Word


def _result() -> OCRResult:
    w1 = Word("hello", 0.9, [[0, 0], [50, 0], [50, 20], [0, 20]])
    w2 = Word("world", 0.8, [[60, 0], [110, 0], [110, 20], [60, 20]])
    line1 = TextLine([[0, 0], [110, 0], [110, 20], [0, 20]], "hello world", 0.85, 0.7, 0, [w1, w2])
    line2 = TextLine([[0.04, 30], [40, 30], [40, 50], [0, 50]], "again", 0.95, 0.6, 180, None)
    return OCRResult([line1, line2], (60, 120), 0.123456, "a.png", None, [[0], [1]])


def test_line_record_has_exactly_the_contract_keys():
    rec = _result().to_dict()
    assert ocr_record(_result()) == rec  # the writers module delegates to the one serializer
    assert set(rec) == {"image", "page", "boxes", "seconds"}
    assert rec["image"] == "a.png" and rec["page"] is None and rec["seconds"] == 0.1235
    assert [set(b) for b in rec["boxes"]] == [{"points", "text", "score"}] * 2
    assert [b["text"] for b in rec["boxes"]] == ["hello world", "again"]
    assert rec["boxes"][1]["points"][0] == [0.0, 30.0]  # rounded to 0.1 px
    assert rec["boxes"][0]["score"] == 0.85


def test_word_record_splits_lines_into_words_and_keeps_lines_without_words():
    boxes = ocr_record(_result(), boxes="words")["boxes"]
    assert [b["text"] for b in boxes] == ["hello", "world", "again"]
    assert boxes[1]["points"][0] == [60.0, 0.0]
    assert all({"points", "text", "score"} <= set(b) for b in boxes)


def test_nested_record_lists_words_inside_each_line():
    boxes = ocr_record(_result(), boxes="nested")["boxes"]
    assert [w["text"] for w in boxes[0]["words"]] == ["hello", "world"]
    assert boxes[1]["words"] == []


def test_det_only_record_has_empty_text_and_detection_scores():
    boxes = ocr_record(_result(), det_only=True)["boxes"]
    assert [(b["text"], b["score"]) for b in boxes] == [("", 0.7), ("", 0.6)]


def test_unknown_box_mode_is_a_config_error():
    with pytest.raises(ConfigError, match="boxes must be one of"):
        _result().to_dict(boxes="chars")


def test_rec_record_keys_and_page():
    r = rec_record("crop.png", RecResult("abc", 0.987654), 0.01)
    assert r == {"image": "crop.png", "text": "abc", "score": 0.98765, "seconds": 0.01}
    assert rec_record("x.tif", RecResult("a", 1.0), 0.0, page=2)["page"] == 2


@pytest.mark.parametrize(
    ("path", "explicit", "expected"),
    [
        (None, None, "jsonl"),
        ("out.jsonl", None, "jsonl"),
        ("out.JSON", None, "json"),
        ("out.txt", None, "txt"),
        ("out.csv", "jsonl", "jsonl"),
        ("results", None, "jsonl"),
        ("out.txt", "json", "json"),
    ],
)
def test_format_for(path, explicit, expected):
    assert format_for(path, explicit) == expected


def test_format_for_rejects_unknown_format():
    with pytest.raises(ConfigError, match="unknown output format"):
        format_for(None, "xml")


def test_jsonl_is_flushed_after_every_record(tmp_path):
    out = tmp_path / "sub" / "r.jsonl"  # parent folders are created
    writer = open_writer(str(out))
    assert isinstance(writer, JsonlWriter)
    writer.write(ocr_record(_result()), "t")
    # Readable before close: a crash later in a batch keeps this result.
    first = out.read_text(encoding="utf-8").splitlines()
    assert len(first) == 1 and json.loads(first[0])["image"] == "a.png"
    writer.write(rec_record("b.png", RecResult("中文", 0.9), 0.1), "中文")
    writer.close()
    lines = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[1])["text"] == "中文"
    assert "中文" in lines[1]  # written as UTF-8, not \\u escapes


def test_json_writer_writes_a_valid_array(tmp_path):
    out = tmp_path / "r.json"
    with open_writer(str(out)) as w:
        w.write(ocr_record(_result()), "")
        w.write(ocr_record(_result()), "")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert isinstance(data, list) and len(data) == 2 and data[1]["boxes"][0]["text"] == "hello world"


def test_json_writer_with_no_records_writes_an_empty_array(tmp_path):
    out = tmp_path / "r.json"
    open_writer(str(out)).close()
    assert json.loads(out.read_text(encoding="utf-8")) == []


def test_text_writer_plain_for_one_input_and_with_headers_for_many(tmp_path):
    one = tmp_path / "one.txt"
    with open_writer(str(one)) as w:
        w.write(ocr_record(_result()), _result().text)
    assert one.read_text(encoding="utf-8") == "hello world\nagain\n"

    many = tmp_path / "many.txt"
    with open_writer(str(many), headers=True) as w:
        w.write({"image": "a.png", "page": None}, "first")
        w.write({"image": "doc.pdf", "page": 1}, "second")
    assert many.read_text(encoding="utf-8") == "==> a.png <==\nfirst\n\n==> doc.pdf [page 1] <==\nsecond\n"


def test_writer_to_stdout(capsys):
    with open_writer(None, "jsonl") as w:
        w.write({"image": "x", "page": None, "boxes": [], "seconds": 0.0}, "")
    assert json.loads(capsys.readouterr().out) == {"image": "x", "page": None, "boxes": [], "seconds": 0.0}


def test_output_path_that_is_a_folder_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="is a folder"):
        open_writer(str(tmp_path))


def test_unknown_output_extension_is_refused_unless_format_is_given():
    """``-o out.csv`` used to write JSONL silently."""
    with pytest.raises(ConfigError, match=r"unknown extension '\.csv'.*--format"):
        format_for("out.csv")
    assert format_for("out.csv", "txt") == "txt"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("fmt", ["jsonl", "json", "txt"])
def test_full_disk_is_one_clear_error(fmt):
    """Writing to a full disk: one OutputError that says what was and was not written, and
    closing afterwards raises nothing more (no chained OSError tracebacks)."""
    from lumenocr.errors import OutputError

    record = {"image": "a.png", "page": None, "boxes": [], "seconds": 0.1}
    w = open_writer("/dev/full", fmt)
    with pytest.raises(OutputError) as info:
        w.write(record, "some text")
    msg = str(info.value)
    assert "/dev/full" in msg and "No space left on device" in msg
    assert "the first 0 result(s) were written, this one and any after it were not" in msg
    w.close()  # the failed data is not flushed again: no second error
