"""Recognition metrics and text normalisation, with hand-computed expectations."""

from __future__ import annotations

from pathlib import Path

import pytest

from lumenocr.errors import ConfigError
from lumenocr.metrics import edit_distance, evaluate_recognition, normalize_text, texts_match
from lumenocr.metrics.text import edit_ops

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.mark.parametrize(
    ("text", "mode", "expected"),
    [
        ("e\u0301t\u00e9", "exact", "\u00e9t\u00e9"),  # decomposed and composed accents are the same text
        ("Hello, World!", "exact", "Hello, World!"),
        ("\ufb01ne  a\t b ", "nfkc", "fine a b"),  # ligature folded, whitespace collapsed
        ("ＡＢＣ１２", "nfkc", "ABC12"),  # full-width to half-width
        ("Hello, World!", "icdar", "helloworld"),
        ("ＡＢＣ-１２", "icdar", "abc12"),
        ("Straße", "icdar", "strasse"),  # casefold, not lower
        ("你好，世界！", "icdar", "你好世界"),  # other scripts' letters survive
        ("CAFE\u0301", "icdar", "café"),
        ("don't", "icdar2015", "DON'T"),
    ],
)
def test_normalize_text(text, mode, expected):
    assert normalize_text(text, mode) == expected


def test_unknown_mode_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown text normalisation mode 'lower'"):
        normalize_text("x", "lower")
    with pytest.raises(ConfigError):
        evaluate_recognition(["a"], ["a"], normalize="lower")


@pytest.mark.parametrize(
    ("gt", "pred", "icdar2015", "icdar"),
    [
        ("Hello.", "hello", True, True),  # one trailing special character of the GT may go
        ("(Hi)", "HI", True, True),  # one at each end
        ("((Hi", "HI", False, True),  # only one per end
        ("don't", "dont", False, True),  # inner punctuation counts for the official rule
        ("hello", "hello.", False, True),  # the prediction is never trimmed
        ("A-B", "AB", False, True),  # '-' is not one of the special characters
        ("", "", True, True),
    ],
)
def test_icdar2015_official_rule_vs_icdar(gt, pred, icdar2015, icdar):
    assert texts_match(gt, pred, "icdar2015") is icdar2015
    assert texts_match(gt, pred, "icdar") is icdar


def test_edit_distance_and_ops():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance(["a", "b", "c"], ["a", "c"]) == 1
    assert edit_ops("abcd", "abd") == [("c", "")]
    assert edit_ops("ab", "abb") == [("", "b")]
    assert edit_ops("cat", "cot") == [("a", "o")]


def test_evaluate_recognition_exact():
    m = evaluate_recognition(["abc", "Hello", "x"], ["abc", "hello", "y"])
    assert (m.correct, m.total) == (1, 3)
    assert m.accuracy == pytest.approx(1 / 3)
    # NED per sample: 0, 1/5, 1/1 -> mean 0.4; CER: 2 edits over 3 + 5 + 1 characters.
    assert m.mean_ned == pytest.approx(0.4)
    assert m.cer == pytest.approx(2 / 9)
    assert m.confusions == [("H", "h", 1), ("x", "y", 1)]
    assert m.wrong == [1, 2]
    d = m.to_dict()
    assert d["norm_edit_score"] == pytest.approx(0.6)
    assert d["confusions"][0] == {"gt": "H", "pred": "h", "count": 1}


def test_evaluate_recognition_icdar_mode():
    m = evaluate_recognition(
        ["abc", "Hello", "x", "Don't!"], ["ABC", "hello", "y", "dont"], normalize="icdar"
    )
    assert (m.correct, m.wrong) == (3, [2])
    assert m.cer == pytest.approx(1 / (3 + 5 + 1 + 4))


def test_empty_prediction_counts_as_wrong():
    m = evaluate_recognition(["ab", "c"], ["", "c"])
    assert (m.correct, m.cer, m.mean_ned) == (1, pytest.approx(2 / 3), pytest.approx(0.5))
    assert m.confusions == [("a", "", 1), ("b", "", 1)]


def test_confusions_are_ranked_by_count():
    m = evaluate_recognition(["0O", "0", "l1"], ["OO", "O", "11"], top_confusions=1)
    assert m.confusions == [("0", "O", 2)]


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="2 ground-truth texts but 1 predictions"):
        evaluate_recognition(["a", "b"], ["a"])


def test_no_samples():
    m = evaluate_recognition([], [])
    assert (m.total, m.accuracy, m.cer) == (0, 0.0, 0.0)


@pytest.mark.data
def test_real_labels_score_perfectly_against_themselves():
    label = DATA / "icdar2015_rec_test" / "label.txt"
    if not label.is_file():
        pytest.skip(f"real data not found at {label}")
    from lumenocr.io.labels import read_rec_labels

    texts = [s.text for s in read_rec_labels(label)]
    assert len(texts) == 2077
    assert evaluate_recognition(texts, texts).accuracy == 1.0
    # Upper-casing everything is wrong for exact but right for icdar wherever letters were not upper already.
    upper = [t.upper() for t in texts]
    exact = evaluate_recognition(texts, upper)
    assert exact.correct == sum(t == t.upper() for t in texts)
    assert evaluate_recognition(texts, upper, normalize="icdar").accuracy == 1.0


def test_metrics_import_without_inference_or_training_stacks():
    import subprocess
    import sys

    code = (
        "import sys, lumenocr.metrics, lumenocr.metrics.predictions, lumenocr.io.labels; "
        "heavy = [m for m in ('onnxruntime', 'torch', 'cv2') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
