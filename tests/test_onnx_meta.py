"""The ONNX metadata reader that skips the graph agrees with the onnx package."""

from __future__ import annotations

from pathlib import Path

import pytest

from lumenocr.runtime.onnx_meta import OnnxFormatError, read_metadata

onnx = pytest.importorskip("onnx")


def tiny(path, entries: dict[str, str]) -> str:
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3, "H", "W"])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="test")
    for k, v in entries.items():
        e = model.metadata_props.add()
        e.key, e.value = k, v
    onnx.save(model, str(path))
    return str(path)


def test_metadata_matches_onnx(tmp_path):
    entries = {"lumenocr": '{"task": "rec"}', "character": "a\nb\n中\n文\n" * 5000, "empty": ""}
    path = tiny(tmp_path / "m.onnx", entries)
    assert read_metadata(path) == {p.key: p.value for p in onnx.load(path).metadata_props} == entries
    assert read_metadata(tiny(tmp_path / "n.onnx", {})) == {}


def test_zoo_recognizer_dictionary():
    from lumenocr.errors import ModelNotFoundError
    from lumenocr.zoo import DEFAULT_MODEL, get_spec, locate

    try:
        path = locate(get_spec(DEFAULT_MODEL).rec.file)
    except ModelNotFoundError as e:
        pytest.skip(str(e))
    expected = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert read_metadata(path) == expected and "character" in expected


@pytest.mark.parametrize("data", [b"", b"not a model at all", b"\x0a\xff\xff\xff\xff\x0f"])
def test_garbage_is_a_format_error(tmp_path, data):
    p = tmp_path / "bad.onnx"
    p.write_bytes(data)
    with pytest.raises(OnnxFormatError):
        read_metadata(p)


def test_truncated_file_is_a_format_error(tmp_path):
    path = tiny(tmp_path / "m.onnx", {"character": "x" * 1000})
    data = Path(path).read_bytes()
    (tmp_path / "cut.onnx").write_bytes(data[: len(data) - 10])
    with pytest.raises(OnnxFormatError):
        read_metadata(tmp_path / "cut.onnx")
