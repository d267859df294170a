"""``lumenocr convert``: a published PP-OCR ONNX model -> a lumenocr training checkpoint.

The checkpoint holds what ``global.pretrained`` and ``lumenocr export`` need: the training
config (``model`` section from :mod:`lumenocr.models.presets`, pre/post-processing in
``inference``), the native PyTorch state dict, and the dictionary for recognizers.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from lumenocr.config_utils import to_dict
from lumenocr.errors import InputNotFoundError, ModelError
from lumenocr.models import ModelConfig, build_model
from lumenocr.models.onnx_import import first_mismatch, load_onnx_weights, read_onnx_groups, torch_groups
from lumenocr.models.presets import PRESETS, Preset, preset_for_zoo
from lumenocr.preprocess import ClsPreprocess, DetPreprocess, RecPreprocess
from lumenocr.train.config import build_config
from lumenocr.train.datasets import Dictionary

log = logging.getLogger("lumenocr.train")

PARTS = ("det", "rec", "cls")


def sample_for(task: str) -> torch.Tensor:
    """An input of the model's kind (the values do not matter: only the layer order is read)."""
    return torch.rand(1, 3, 64, 96) if task == "det" else torch.rand(1, 3, 48, 192)


def _read_metadata(path: Path) -> dict[str, str]:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in model.metadata_props}


def _linear_classes(groups) -> int | None:
    linear = [g for g in groups if g.kind == "linear"]
    return int(linear[-1].tensors["weight"].shape[0]) if linear else None


def _fit(preset: Preset, path: Path, groups, num_classes: int | None):
    model = build_model(ModelConfig(**preset.model_section()), num_classes if preset.task == "rec" else None)
    problem = first_mismatch(groups, [g for g, _ in torch_groups(model, sample_for(preset.task))])
    return model, problem


def _source(source: str, part: str | None) -> tuple[Path, Preset | None, Any]:
    """(ONNX path, preset if known, zoo component spec or None)."""
    from lumenocr.zoo import MODELS, locate

    if source in MODELS:
        if part not in PARTS:
            raise ModelError(f"{source} is a zoo model: say which part to convert with --part det|rec|cls")
        spec = MODELS[source]
        comp = getattr(spec, part)
        preset = preset_for_zoo(spec.name, part)
        if preset is None:
            known = sorted(z for p in PRESETS.values() for z in p.zoo)
            raise ModelError(f"no native PyTorch definition for {spec.name}/{part} yet; convertible: {known}")
        return locate(comp.file), preset, comp
    path = Path(source)
    if not path.is_file():
        from lumenocr.zoo import MODELS as zoo

        names = sorted({s.name for s in zoo.values()})
        raise InputNotFoundError(
            f"{source}: no such ONNX file, and not a zoo model name ({', '.join(names)})"
        )
    return path, None, None


def convert(
    source: str, output: str | Path, part: str | None = None, dictionary: str | None = None
) -> dict[str, Any]:
    """Write the checkpoint for ``source`` (a zoo model name with ``part``, or an ONNX file)."""
    from lumenocr.postprocess.ctc import load_dictionary
    from lumenocr.zoo import locate

    path, preset, comp = _source(source, part)
    groups = read_onnx_groups(path)
    num_classes = _linear_classes(groups)
    if preset is None:  # a file: find the architecture whose layers fit
        candidates = [p for p in PRESETS.values() if part is None or p.task == part]
        problems = []
        for p in candidates:
            _, problem = _fit(p, path, groups, num_classes)
            if problem is None:
                preset = p
                break
            problems.append(f"{p.name}: {problem}")
        if preset is None:
            raise ModelError(
                f"{path}: no known architecture fits this graph's layers; " + "; ".join(problems)
            )
    assert preset is not None
    model, problem = _fit(preset, path, groups, num_classes)
    if problem:
        raise ModelError(f"{path}: the {preset.name} architecture does not fit the file's weights: {problem}")
    layers = load_onnx_weights(model, path, sample_for(preset.task))
    meta = _read_metadata(path)

    characters: list[str] | None = None
    use_space = True
    if preset.task == "rec":
        if dictionary:
            characters = load_dictionary(dictionary)
        elif comp is not None and comp.dictionary is not None:
            characters = load_dictionary(str(locate(comp.dictionary)))
        elif "character" in meta:
            characters = meta["character"].split("\n")
        else:
            raise ModelError(f"{path}: no dictionary in the file's metadata; pass one with --dict")
        if comp is not None:
            use_space = bool(comp.postprocess.get("use_space_char", True))
        dic = Dictionary(list(characters), use_space)
        if dic.num_classes != num_classes:
            raise ModelError(
                f"{path}: the dictionary has {len(characters)} entries (+ blank{' + space' if use_space else ''} = "
                f"{dic.num_classes} classes) but the model outputs {num_classes}"
            )

    if comp is not None:
        pre, post = dict(comp.preprocess), dict(comp.postprocess)
    elif preset.task == "det":
        pre, post = to_dict(DetPreprocess()), {}
    elif preset.task == "cls":
        pre, post = to_dict(ClsPreprocess()), {}
    else:
        pre, post = to_dict(RecPreprocess()), {"use_space_char": use_space}
    raw: dict[str, Any] = {
        "global": {"use_space_char": use_space},
        "model": preset.model_section(),
        "train": {},
        "inference": {"preprocess": pre, "postprocess": post},
    }
    if preset.task in ("rec", "cls"):
        width = pre.get("min_width", pre.get("image_width")) or 320
        raw["train"]["image_shape"] = [int(pre.get("image_height") or 48), int(width)]
    build_config(raw, embedded_dictionary=characters is not None)  # the checkpoint must load: validate now
    state = {
        "model": model.state_dict(),
        "config": raw,
        "task": preset.task,
        "characters": characters,
        "step": 0,
        "best": None,
        "source": {"file": path.name, "architecture": preset.name},
    }
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, out)
    log.info("converted %s (%s, %d layers) to %s", path.name, preset.name, layers, out)
    return {"output": str(out), "architecture": preset.name, "task": preset.task, "layers": layers}
