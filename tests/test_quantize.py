"""`lumenocr quantize`: the int8 recipe writes loadable files that still read text."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest

from lumenocr.errors import InputError, ModelNotFoundError

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime.quantization")

WORDS = ["INVOICE 2024", "TOTAL 512.80", "Quantized model", "Thank you"]


def page(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((360, 640, 3), 255, np.uint8)
    for i, text in enumerate(WORDS):
        x = int(rng.integers(10, 60))
        cv2.putText(img, text, (x, 70 + 80 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.3, (20, 20, 20), 3)
    return img


@pytest.fixture(scope="module")
def int8_dir(tmp_path_factory):
    from lumenocr.quantize import QuantizeOptions, quantize_model

    calib = tmp_path_factory.mktemp("calib")
    for i in range(3):
        cv2.imwrite(str(calib / f"p{i}.png"), page(i))
    out = tmp_path_factory.mktemp("int8")
    try:
        report = quantize_model(
            "ppocrv6-small", [calib], out, QuantizeOptions(det_images=3, rec_lines=12), log=lambda *_: None
        )
    except ModelNotFoundError as e:
        pytest.skip(str(e))
    assert report.det_inputs == 3 and report.rec_inputs >= 8
    return out


def test_int8_files_carry_metadata_and_are_int8(int8_dir):
    import onnx

    for part in ("det", "rec"):
        model = onnx.load(str(int8_dir / f"{part}_int8.onnx"))
        ops = {n.op_type for n in model.graph.node}
        assert {"QuantizeLinear", "DequantizeLinear"} <= ops, part
        keys = {p.key for p in model.metadata_props}
        assert "lumenocr" in keys, part
    rec_keys = {p.key: p.value for p in onnx.load(str(int8_dir / "rec_int8.onnx")).metadata_props}
    assert len(rec_keys["character"].split("\n")) > 18000  # the multilingual dictionary travels along


@pytest.mark.parametrize("providers", [("cpu",), ("auto",)])
def test_int8_pipeline_reads_what_fp32_reads(int8_dir, providers):
    from lumenocr import OCR

    img = page(7)  # not one of the calibration pages
    fp32 = OCR(providers=providers, threads=1)(img)
    int8 = OCR(
        det_model=str(int8_dir / "det_int8.onnx"),
        rec_model=str(int8_dir / "rec_int8.onnx"),
        providers=providers,
        threads=1,
    )(img)
    expected = [ln.text for ln in fp32.lines]
    assert expected, "fp32 reads the page"
    got = " ".join(ln.text for ln in int8.lines)
    hits = sum(1 for t in expected if t in got)
    assert hits >= len(expected) - 1, (expected, got)


def test_no_calibration_images_is_a_clear_error(tmp_path):
    from lumenocr.quantize import calibration_images

    with pytest.raises(InputError, match="no calibration images"):
        calibration_images([tmp_path], 10)
    out = subprocess.run(
        [sys.executable, "-m", "lumenocr.cli.main", "quantize", str(tmp_path), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "no calibration images" in out.stderr and "Traceback" not in out.stderr
