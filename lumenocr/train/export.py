"""Export a trained checkpoint to ONNX with everything inference needs in its metadata.

The file holds the eval-mode graph (det: sigmoid probability map; rec: softmax (N, T, C);
cls: softmax (N, 2)) with dynamic batch/height/width axes, and the ``lumenocr`` metadata
(task, pre/post-processing from the config's ``inference`` section, dictionary, labels), so
``TextDetector.from_onnx`` / ``TextRecognizer.from_onnx`` / ``OCR(det_model=..., rec_model=...)``
load it with no other argument.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import torch

from lumenocr.config_utils import to_dict
from lumenocr.errors import ModelError
from lumenocr.models import OCRModel, build_model
from lumenocr.runtime.metadata import ModelMeta, write_onnx_metadata
from lumenocr.train.config import TrainConfig, build_config
from lumenocr.train.datasets import CLS_LABELS, Dictionary

log = logging.getLogger("lumenocr.train")


def load_trained(checkpoint: str | Path) -> tuple[OCRModel, TrainConfig, Dictionary | None]:
    """Rebuild the model of a lumenocr checkpoint (``best.pt`` / ``latest.pt``) in eval mode."""
    from lumenocr.train.trainer import _load

    state = _load(str(checkpoint))
    if "config" not in state or "model" not in state:
        raise ModelError(f"{checkpoint}: not a lumenocr training checkpoint (no config/model)")
    cfg = build_config(state["config"], embedded_dictionary=state.get("characters") is not None)
    dictionary = None
    if cfg.task == "rec":
        chars = state.get("characters")
        if chars is None:
            raise ModelError(f"{checkpoint}: recognizer checkpoint without its dictionary")
        dictionary = Dictionary(list(chars), cfg.global_.use_space_char)
    model = build_model(cfg.model, dictionary.num_classes if dictionary else None)
    model.load_state_dict(state["model"])
    return model.eval(), cfg, dictionary


def model_meta(cfg: TrainConfig, dictionary: Dictionary | None) -> ModelMeta:
    """What the exported file records, and what training-time evaluation's engine carries."""
    return ModelMeta(
        task=cfg.task,
        preprocess=to_dict(cfg.preprocess()),
        postprocess=cfg.postprocess(),
        labels=list(CLS_LABELS) if cfg.task == "cls" else None,
        characters=list(dictionary.characters) if dictionary else None,
    )


def sample_input(cfg: TrainConfig, batch: int = 1) -> torch.Tensor:
    if cfg.task == "det":
        return torch.randn(batch, 3, 256, 256)
    h, w = cfg.train.image_shape
    return torch.randn(batch, 3, h, w)


def export_onnx(checkpoint: str | Path, output: str | Path, opset: int = 17) -> Path:
    """Write ``output`` (ONNX + metadata) from ``checkpoint``; returns the path."""
    model, cfg, dictionary = load_trained(checkpoint)
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    axes = {"x": {0: "batch", 2: "height", 3: "width"}}
    axes["y"] = {0: "batch", 2: "height", 3: "width"} if cfg.task == "det" else {0: "batch", 1: "time"}
    if cfg.task == "cls":
        axes["y"] = {0: "batch"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            model,
            (sample_input(cfg, 2),),
            str(out),
            input_names=["x"],
            output_names=["y"],
            dynamic_axes=axes,
            opset_version=opset,
            dynamo=False,
        )
    write_onnx_metadata(str(out), model_meta(cfg, dictionary))
    log.info("exported %s model to %s", cfg.task, out)
    return out


def parity(checkpoint: str | Path, onnx_path: str | Path, seed: int = 0) -> float:
    """Largest absolute difference between torch and ONNX Runtime on random inputs of two sizes."""
    import numpy as np
    import onnxruntime as ort

    model, cfg, _ = load_trained(checkpoint)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    gen = torch.Generator().manual_seed(seed)
    worst = 0.0
    base = sample_input(cfg)
    for batch, extra_w in ((1, 0), (3, 64)):
        x = torch.randn(batch, 3, base.shape[2], base.shape[3] + extra_w, generator=gen)
        with torch.inference_mode():
            ref = model(x).numpy()
        got = session.run(None, {"x": x.numpy()})[0]
        worst = max(worst, float(np.abs(ref - got).max()))
    return worst
