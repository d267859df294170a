"""Bad model files, dictionaries and knobs give specific lumenocr errors, never raw tracebacks."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from lumenocr.errors import ConfigError, DictionaryMismatchError, ModelError, ModelNotFoundError
from lumenocr.pipeline import OCR, TextDetector
from lumenocr.pipeline.build import build_classifier, build_detector, build_recognizer
from lumenocr.runtime.metadata import ModelMeta
from lumenocr.runtime.onnx import OnnxEngine, RuntimeOptions
from lumenocr.zoo import get_spec, locate

RT = RuntimeOptions(threads=1)


def zoo_file(model, task):
    try:
        return str(locate(getattr(get_spec(model), task).file))
    except ModelNotFoundError as e:
        pytest.skip(str(e))


# -- tiny ONNX models built on the fly (needs the `onnx` package; skipped without it) -----------
def _onnx():
    onnx = pytest.importorskip("onnx")
    return onnx, onnx.helper, onnx.TensorProto


def _save(graph_nodes, out_shape, path, meta: ModelMeta | dict | None, in_shape=("N", 3, "H", "W")):
    onnx, helper, tp = _onnx()
    graph = helper.make_graph(
        graph_nodes,
        "tiny",
        [helper.make_tensor_value_info("x", tp.FLOAT, list(in_shape))],
        [helper.make_tensor_value_info("y", tp.FLOAT, list(out_shape))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    entries = meta.to_metadata() if isinstance(meta, ModelMeta) else (meta or {})
    for k, v in entries.items():
        e = model.metadata_props.add()
        e.key, e.value = k, v
    onnx.save(model, str(path))
    return str(path)


def tiny_det(path, meta=None):
    """Channel mean -> sigmoid: a (N, 1, H, W) probability map."""
    _, helper, _ = _onnx()
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["m"], axes=[1], keepdims=1),
        helper.make_node("Sigmoid", ["m"], ["y"]),
    ]
    return _save(nodes, ("N", 1, "H", "W"), path, meta)


def tiny_rec(path, meta=None):
    """Mean over height, channels become 3 classes: (N, W, 3) softmax. Blue = blank, green =
    class 1, red = class 2, so a crop that is green then red reads as the two characters."""
    _, helper, tp = _onnx()
    nodes = [
        helper.make_node("Constant", [], ["k"], value=helper.make_tensor("k", tp.FLOAT, [], [8.0])),
        helper.make_node("ReduceMean", ["x"], ["m"], axes=[2], keepdims=0),
        helper.make_node("Transpose", ["m"], ["t"], perm=[0, 2, 1]),
        helper.make_node("Mul", ["t", "k"], ["s"]),  # sharpen so one class clearly wins
        helper.make_node("Softmax", ["s"], ["y"], axis=2),
    ]
    return _save(nodes, ("N", "W", 3), path, meta, in_shape=("N", 3, 48, "W"))


def green_red_crop():
    crop = np.zeros((48, 200, 3), np.uint8)
    crop[:, :100] = (0, 255, 0)
    crop[:, 100:] = (0, 0, 255)
    return crop


# -- missing / unreadable files ----------------------------------------------------------------
def test_missing_onnx_path(tmp_path):
    missing = tmp_path / "nowhere" / "det.onnx"
    with pytest.raises(ModelNotFoundError, match="det.onnx"):
        OCR(det_model=str(missing))
    with pytest.raises(ModelNotFoundError, match="det.onnx"):
        build_detector(missing, RT)
    with pytest.raises(ModelError, match="not found"):
        OnnxEngine(missing)


def test_random_bytes_are_a_model_error(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ModelError) as e:
        OCR(det_model=str(junk))
    assert "junk.onnx" in str(e.value)
    assert type(e.value).__module__.startswith("lumenocr")
    with pytest.raises(ModelError):
        TextDetector.from_onnx(str(junk))


def test_empty_file_is_a_model_error(tmp_path):
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(ModelError):
        build_recognizer(empty, RT)


def test_bad_metadata_json_and_future_format(tmp_path):
    with pytest.raises(ModelError, match="not valid JSON"):
        OnnxEngine(tiny_det(tmp_path / "a.onnx", {"lumenocr": "{not json"}))
    future = {"lumenocr": json.dumps({"format_version": 99, "task": "det"})}
    with pytest.raises(ModelError, match="upgrade lumenocr"):
        OnnxEngine(tiny_det(tmp_path / "b.onnx", future))
    with pytest.raises(ModelError, match="task"):
        OnnxEngine(tiny_det(tmp_path / "c.onnx", {"lumenocr": json.dumps({"task": "layout"})}))


# -- a model given as the wrong part -----------------------------------------------------------
def test_det_model_with_metadata_given_as_rec(tmp_path):
    det = tiny_det(tmp_path / "det.onnx", ModelMeta(task="det"))
    with pytest.raises(ModelError, match="'det' model"):
        build_recognizer(det, RT)
    with pytest.raises(ModelError, match="'det' model"):
        OCR(rec_model=det, use_det=False, use_cls=False)


def test_plain_det_export_given_as_rec_is_caught_at_load():
    det = zoo_file("ppocrv6-small", "det")
    with pytest.raises(ModelError, match="'det'"):
        build_recognizer(det, RT, dictionary=__file__)  # any dictionary: the shape check comes first


def test_plain_rec_export_given_as_det_is_caught_at_load():
    rec = zoo_file("ppocrv5-mobile", "rec")
    with pytest.raises(ModelError, match="'rec'"):
        build_detector(rec, RT)


def test_plain_cls_export_given_as_det_or_rec():
    cls = zoo_file("ppocrv6-small", "cls")
    with pytest.raises(ModelError, match="'cls'"):
        build_detector(cls, RT)
    with pytest.raises(ModelError, match="'cls'"):
        build_recognizer(cls, RT, dictionary=__file__)
    det = zoo_file("ppocrv6-small", "det")
    with pytest.raises(ModelError, match="'det'"):
        build_classifier(det, RT)


def test_rapidocr_rec_with_dictionary_metadata_given_as_det():
    # The PP-OCRv6 rec file carries a `character` entry, which marks it as a recognizer.
    rec = zoo_file("ppocrv6-small", "rec")
    with pytest.raises(ModelError, match="'rec'"):
        build_detector(rec, RT)


# -- dictionaries ------------------------------------------------------------------------------
def test_tiny_rec_reads_with_the_right_dictionary(tmp_path):
    # Positive control for the error cases below: the same file works when it fits.
    rec = tiny_rec(tmp_path / "rec.onnx", ModelMeta(task="rec", characters=["a", "b"]))
    recognizer = build_recognizer(rec, RT)
    assert recognizer.decoder.labels == ("<blank>", "a", "b")
    assert recognizer([green_red_crop()])[0].text == "ab"
    keys = tmp_path / "keys.txt"
    keys.write_text("x\ny\n", encoding="utf-8")
    assert build_recognizer(rec, RT, dictionary=keys)([green_red_crop()])[0].text == "xy"


def test_dictionary_of_the_wrong_size(tmp_path):
    rec = tiny_rec(tmp_path / "rec.onnx", ModelMeta(task="rec"))
    keys = tmp_path / "keys.txt"
    keys.write_text("\n".join("abcde"), encoding="utf-8")
    with pytest.raises(DictionaryMismatchError) as e:
        build_recognizer(rec, RT, dictionary=keys)
    msg = str(e.value)
    assert "5 characters" in msg and "3 classes" in msg and "keys.txt" in msg


def test_dictionary_of_the_wrong_size_for_a_zoo_rec(tmp_path):
    rec = zoo_file("ppocrv5-mobile", "rec")
    keys = tmp_path / "keys.txt"
    keys.write_text("\n".join("0123456789"), encoding="utf-8")
    with pytest.raises(DictionaryMismatchError) as e:
        OCR(rec_model=rec, dictionary=str(keys), use_det=False, use_cls=False)
    assert "10 characters" in str(e.value) and "18385 classes" in str(e.value)


def test_recognizer_without_any_dictionary(tmp_path):
    rec = tiny_rec(tmp_path / "rec.onnx", ModelMeta(task="rec"))
    with pytest.raises(ModelError, match="dictionary"):
        build_recognizer(rec, RT)
    with pytest.raises(ModelError, match="dictionary"):
        OCR(rec_model=rec, use_det=False, use_cls=False)
    plain = zoo_file("ppocrv5-mobile", "rec")  # ships its keys in a separate file
    with pytest.raises(ModelError, match="dictionary"):
        build_recognizer(plain, RT)


def test_missing_dictionary_file(tmp_path):
    rec = tiny_rec(tmp_path / "rec.onnx", ModelMeta(task="rec"))
    with pytest.raises(ModelNotFoundError, match="keys.txt"):
        build_recognizer(rec, RT, dictionary=tmp_path / "keys.txt")


# -- knobs -------------------------------------------------------------------------------------
def test_unknown_detection_knob_is_named():
    with pytest.raises(ConfigError) as e:
        OCR(foo=1)
    assert "'foo'" in str(e.value) and "unclip_ratio" in str(e.value)


@pytest.mark.parametrize(
    "kw",
    [
        {"limit_type": "avg"},
        {"thresh": 2.0},
        {"box_type": "circle"},
        {"score_mode": "medium"},
        {"unclip_ratio": -1.0},
        {"text_score": 1.5},
        {"threads": 0},
        {"rec_batch_size": 0},
        {"cls_thresh": 2.0},
    ],
)
def test_bad_knob_values(kw):
    with pytest.raises(ConfigError):
        OCR(**kw)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"thresh": "0.4"}, "thresh must be a number, got '0.4' (str)"),
        ({"limit_side_len": "1280"}, "limit_side_len must be a number, got '1280' (str)"),
        ({"use_dilation": "no"}, "use_dilation must be True or False, got 'no' (str)"),
        ({"box_type": 4}, "box_type must be a string, got 4 (int)"),
        ({"text_score": "0.5"}, "text_score must be a number, got '0.5' (str)"),
        ({"threads": "2"}, "threads must be a number, got '2' (str)"),
    ],
)
def test_values_of_the_wrong_kind_are_named(kw, message):
    # These were TypeErrors ("'<' not supported between instances of 'float' and 'str'"), or
    # worse, ran: use_dilation="no" is a true value.
    with pytest.raises(ConfigError) as e:
        OCR(**kw)
    assert message in str(e.value)


def test_unknown_provider_is_a_config_error():
    with pytest.raises(ConfigError, match="gpu9"):
        OCR(providers=("gpu9",))
    with pytest.raises(ConfigError, match="'gpu9'"):  # a string is one name, not its letters
        OCR(providers="gpu9")


def test_one_provider_may_be_given_as_a_string():
    # providers="cpu" was read as ("c", "p", "u"): "unknown execution provider 'c'".
    ocr = OCR(providers="cpu", use_cls=False, orientation=False)
    assert set(ocr.engines().values()) == {"onnxruntime f32"}


def test_bad_graph_optimization_level(tmp_path):
    det = tiny_det(tmp_path / "det.onnx")
    with pytest.raises(ConfigError, match="graph_optimization"):
        OnnxEngine(det, RuntimeOptions(graph_optimization="max"))
    assert OnnxEngine(det, RuntimeOptions(graph_optimization="basic")).output_shape[1] == 1


def test_unknown_zoo_model_name():
    with pytest.raises(ModelNotFoundError, match="ppocrv6-small"):
        OCR(model="ppocrv0")


def test_errors_carry_no_onnxruntime_types(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(os.urandom(256))
    try:
        build_classifier(junk, RT)
    except ModelError as e:
        assert e.__cause__ is None and e.__suppress_context__
    else:
        pytest.fail("no error for a junk classifier file")


def test_recognize_crops_without_a_recognizer():
    ocr = OCR(use_rec=False, use_cls=False)
    with pytest.raises(ConfigError, match="use_rec"):
        ocr.recognize_crops([np.zeros((32, 100, 3), np.uint8)])
