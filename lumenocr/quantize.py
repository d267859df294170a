"""int8 post-training static quantization of a detector and recognizer (a recipe, not weights).

The recipe runs ONNX Runtime's quantization tools on the model's own ONNX files:

* calibration inputs are made by the model's own pre-processing from the user's images
  (whole pages for the detector; for the recognizer, the lines that the fp32 detector finds in
  them, optionally plus generated lines), so no labels are needed and nothing that is
  evaluated on should be given here;
* QDQ format, int8 weights per channel, uint8 activations, MinMax ranges - the layout that
  both ONNX Runtime's and OpenVINO's CPU kernels run as int8;
* the written files carry the lumenocr metadata (task, pre/post-processing, dictionary), so
  ``OCR(det_model="det_int8.onnx", rec_model="rec_int8.onnx")`` loads them as they are.

Whether int8 is worth it is a measurement, not a promise. On the benchmark sets
(docs/performance.md) it kept ICDAR scene accuracy but lost 0.9 point of page CER on FUNSD
forms for 8-14% less latency, so lumenocr does not use it by default.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lumenocr.errors import ConfigError, InputError, ModelError
from lumenocr.preprocess import DetPreprocess, RecPreprocess
from lumenocr.runtime.metadata import ModelMeta

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class QuantizeOptions:
    """How many calibration inputs to use and how to quantize."""

    det_images: int = 48  # pages for the detector's ranges
    rec_lines: int = 384  # text lines for the recognizer's ranges
    synth_lines: int = 0  # generated lines added to the recognizer's set (needs the synth extra's fonts)
    rec_batch: int = 8
    per_channel: bool = True
    seed: int = 0


@dataclass
class QuantizeReport:
    det: Path | None
    rec: Path | None
    det_inputs: int
    rec_inputs: int


def calibration_images(sources: Sequence[str | os.PathLike], limit: int, seed: int = 0) -> list[Path]:
    """Image files under ``sources`` (files or folders, searched recursively), a seeded
    sample of at most ``limit`` of them."""
    files: list[Path] = []
    for src in sources:
        p = Path(src)
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES and f.is_file())
        elif p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
            files.append(p)
        else:
            raise InputError(f"calibration source {p} is not an image or a folder of images")
    if not files:
        raise InputError("no calibration images found in " + ", ".join(map(str, sources)))
    rng = np.random.default_rng(seed)
    if len(files) > limit:
        files = [files[i] for i in sorted(rng.choice(len(files), limit, replace=False))]
    return files


class _Reader:
    """ONNX Runtime's ``CalibrationDataReader`` protocol over a list of batches."""

    def __init__(self, input_name: str, batches: list[np.ndarray]):
        self.input_name = input_name
        self.batches = batches
        self._it: Iterator[np.ndarray] = iter(batches)

    def get_next(self) -> dict[str, np.ndarray] | None:
        batch = next(self._it, None)
        return None if batch is None else {self.input_name: batch}

    def rewind(self) -> None:
        self._it = iter(self.batches)


#: Per-channel QDQ needs DequantizeLinear's ``axis`` (opset 13); PP-OCR exports are opset 11.
QDQ_OPSET = 13


def _with_opset(src: Path, dst: Path, opset: int) -> Path:
    """``src`` converted to at least ``opset`` (written to ``dst``), or ``src`` when it already is."""
    import onnx
    from onnx import version_converter

    model = onnx.load(str(src))
    current = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), opset)
    if current >= opset:
        return src
    try:
        converted = version_converter.convert_version(model, opset)
    except Exception as e:  # noqa: BLE001 - the converter raises plain RuntimeErrors
        raise ModelError(f"cannot convert {src} from opset {current} to {opset}: {e}") from None
    onnx.save(converted, str(dst))
    return dst


def _input_name(path: Path) -> str:
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).get_inputs()[0].name


def quantize_file(
    src: Path, dst: Path, batches: list[np.ndarray], meta: ModelMeta | None, per_channel: bool
) -> Path:
    """Static QDQ int8 quantization of ``src`` calibrated on ``batches``; writes ``dst``."""
    try:
        from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError as e:  # onnxruntime.quantization needs the onnx package
        raise ConfigError(
            f"quantization needs the onnx package ({e}): pip install 'lumenocr[quantize]'"
        ) from None
    if not batches:
        raise InputError(f"no calibration inputs for {src.name}")
    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        src = _with_opset(src, Path(tmp) / "opset.onnx", QDQ_OPSET)
        # Shape inference and graph clean-up first, as ONNX Runtime recommends for static
        # quantization (fused BatchNorm and constant folding give better-placed QDQ pairs).
        # (symbolic shape inference gives up on PP-OCR's dynamic H/W, ONNX's own is enough).
        try:
            quant_pre_process(str(src), str(prepared), skip_symbolic_shape=True)
        except Exception as e:  # noqa: BLE001 - the tool raises bare Exceptions
            raise ModelError(f"cannot prepare {src} for quantization: {e}") from None
        quantize_static(
            str(prepared),
            str(dst),
            _Reader(_input_name(prepared), batches),
            quant_format=QuantFormat.QDQ,
            per_channel=per_channel,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            extra_options={"CalibMovingAverage": True},
        )
    if meta is not None:
        from lumenocr.runtime.metadata import write_onnx_metadata

        write_onnx_metadata(str(dst), meta)
    return dst


def _component_meta(model: str, task: str) -> tuple[Path, ModelMeta]:
    """The fp32 file of a zoo model part and the metadata the int8 file should carry."""
    from lumenocr.postprocess.ctc import load_dictionary
    from lumenocr.runtime.onnx import OnnxEngine
    from lumenocr.zoo import get_spec, locate

    comp = getattr(get_spec(model), task)
    path = locate(comp.file)
    chars = None
    if task == "rec":
        if comp.dictionary is not None:
            chars = load_dictionary(str(locate(comp.dictionary)))
        else:
            file_meta = OnnxEngine(path).file_meta
            chars = file_meta.characters if file_meta else None
    meta = ModelMeta(
        task=task,
        preprocess=dict(comp.preprocess),
        postprocess=dict(comp.postprocess),
        labels=list(comp.labels) if comp.labels else None,
        characters=chars,
    )
    return path, meta


def quantize_model(
    model: str,
    sources: Sequence[str | os.PathLike],
    out_dir: str | os.PathLike,
    options: QuantizeOptions | None = None,
    parts: Sequence[str] = ("det", "rec"),
    log=print,
) -> QuantizeReport:
    """Quantize the detector and/or recognizer of zoo ``model`` into ``out_dir``
    (``det_int8.onnx``, ``rec_int8.onnx``), calibrated on the images in ``sources``."""
    import cv2

    from lumenocr.pipeline.system import OCR

    options = options or QuantizeOptions()
    unknown = set(parts) - {"det", "rec"}
    if unknown or not parts:
        raise ConfigError(f"parts must be among det, rec; got {sorted(parts)}")
    out = Path(out_dir)
    n_images = max(options.det_images, 1)
    images = calibration_images(sources, n_images if "rec" not in parts else max(n_images, 64), options.seed)
    # The fp32 pipeline (ONNX Runtime, the reference the int8 files are measured against)
    # supplies the pre-processing and the line crops.
    ocr = OCR(model, providers=("cpu",), use_cls=False, use_rec="rec" in parts)
    detector, recognizer = ocr.detector, ocr.recognizer
    assert detector is not None
    report = QuantizeReport(None, None, 0, 0)
    pages = []
    for f in images:
        img = cv2.imread(str(f), cv2.IMREAD_COLOR)
        if img is None:
            log(f"skip {f}: not a readable image")
            continue
        pages.append(img)
    if not pages:
        raise InputError("none of the calibration images could be read")

    if "det" in parts:
        det_pre: DetPreprocess = detector.preprocess
        batches = [det_pre(img).tensor for img in pages[: options.det_images]]
        src, meta = _component_meta(model, "det")
        log(f"det: calibrating on {len(batches)} pages")
        report.det = quantize_file(src, out / "det_int8.onnx", batches, meta, options.per_channel)
        report.det_inputs = len(batches)
    if "rec" in parts:
        from lumenocr.pipeline.crop import crop_region

        crops: list[np.ndarray] = []
        for img in pages:
            for poly in detector(img).polygons:
                crops.append(crop_region(img, poly).image)
        rng = np.random.default_rng(options.seed)
        if len(crops) > options.rec_lines:
            crops = [crops[i] for i in sorted(rng.choice(len(crops), options.rec_lines, replace=False))]
        crops += _synth_lines(options.synth_lines, options.seed)
        if not crops:
            raise InputError("the calibration images hold no text lines the detector finds")
        assert recognizer is not None
        rec_pre: RecPreprocess = recognizer.preprocess
        crops.sort(key=rec_pre.aspect)  # batches of similar width, as the recognizer runs them
        batches = [rec_pre(crops[i : i + options.rec_batch]) for i in range(0, len(crops), options.rec_batch)]
        src, meta = _component_meta(model, "rec")
        log(f"rec: calibrating on {len(crops)} lines in {len(batches)} batches")
        report.rec = quantize_file(src, out / "rec_int8.onnx", batches, meta, options.per_channel)
        report.rec_inputs = len(crops)
    return report


def _synth_lines(count: int, seed: int) -> list[np.ndarray]:
    if count <= 0:
        return []
    from lumenocr.synth import RecSynthConfig, render_line

    rng = np.random.default_rng(seed)
    cfg = RecSynthConfig()
    try:
        return [render_line(cfg, rng)[0] for _ in range(count)]
    except Exception as e:  # no fonts installed, ...: say so instead of a traceback
        raise ModelError(f"cannot generate calibration lines: {e}") from None


def options_from(**kw) -> QuantizeOptions:
    """:class:`QuantizeOptions` from keyword arguments, ``None`` values meaning the default."""
    return dataclasses.replace(QuantizeOptions(), **{k: v for k, v in kw.items() if v is not None})
