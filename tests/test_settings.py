"""Settings dataclasses serialise by one generic helper (``config_utils.to_dict``) and read
back (``from_dict`` / the config loaders) into equal objects, for every field of every
settings class: a field added later cannot be silently dropped on its way into a model file,
a checkpoint or a config."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import pkgutil
import typing

import pytest

import lumenocr
from lumenocr.batch import BatchOptions
from lumenocr.config_utils import from_dict, to_dict
from lumenocr.document.pipeline import DocumentOptions
from lumenocr.io.image import LoadOptions
from lumenocr.pipeline.system import OCROptions
from lumenocr.postprocess.cls import ClsPostProcess
from lumenocr.postprocess.db import DBPostProcess
from lumenocr.preprocess import ClsPreprocess, DetPreprocess, RecPreprocess
from lumenocr.quantize import QuantizeOptions
from lumenocr.runtime.onnx import RuntimeOptions
from lumenocr.serve.config import ServeConfig
from lumenocr.synth.config import DetSynthConfig, RecSynthConfig, det_config, rec_config
from lumenocr.video import VideoOptions

# Values that the generic rule below cannot invent (choices, paths, constrained numbers).
SPECIAL: dict[tuple[str, str], object] = {
    ("DetPreprocess", "limit_type"): "min",
    ("DBPostProcess", "score_mode"): "slow",
    ("DBPostProcess", "box_type"): "poly",
    ("DBPostProcess", "box_unit"): "word",
    ("RuntimeOptions", "threads"): 2,
    ("RuntimeOptions", "providers"): ("cuda", "cpu"),
    ("RuntimeOptions", "graph_optimization"): "basic",
    ("RuntimeOptions", "precision"): "bf16",
    ("LoadOptions", "pages"): (0, 2),
    ("LoadOptions", "pdf_password"): "secret",
    ("BatchOptions", "recycle"): 100,
    ("BatchOptions", "window"): 8,
    ("VideoOptions", "srt_dir"): "subtitles",
    ("GlobalConfig", "output_dir"): "out/x",
    ("GlobalConfig", "device"): "cpu",
    ("GlobalConfig", "max_steps"): 5,
    ("GlobalConfig", "max_minutes"): 1.5,
    ("GlobalConfig", "pretrained"): "a.pt",
    ("GlobalConfig", "checkpoint"): "b.pt",
    ("GlobalConfig", "character_dict"): "keys.txt",
    ("GlobalConfig", "threads"): 2,
    ("OptimizerConfig", "name"): "adamw",
    ("OptimizerConfig", "clip_grad_norm"): 1.0,
    ("OptimizerConfig", "lr_mult"): {"head": 2.0},
    ("ScheduleConfig", "name"): "piecewise",
    ("ScheduleConfig", "milestones"): [10],
    ("ScheduleConfig", "values"): [0.1, 0.01],
    ("DataConfig", "ratio_list"): [0.5],
    ("DataConfig", "augment"): {"aug_prob": 0.1},
    ("DataConfig", "targets"): {"shrink_ratio": 0.5},
    ("DataConfig", "limit"): 10,
    ("DataConfig", "normalize"): "icdar",
    ("DataConfig", "crop_margin"): 0.1,
    ("InferenceConfig", "preprocess"): {"limit_side_len": 640},
    ("InferenceConfig", "postprocess"): {"thresh": 0.2},
    ("ModelConfig", "task"): "det",
    ("ModelConfig", "backbone"): {"name": "MobileNetV3"},
    ("ModelConfig", "neck"): {"name": "DBFPN"},
    ("ModelConfig", "head"): {"name": "DBHead"},
    ("DetAugConfig", "size"): 672,
    ("TextConfig", "charset"): "latin",
    ("TextConfig", "dict_path"): "keys.txt",
    ("TextConfig", "corpus_path"): "corpus.txt",
    ("HandwritingConfig", "char_dir"): "chars",
    ("RecSynthConfig", "vertical_output"): "keep",
    ("RecSynthConfig", "resize_height"): 32,
    ("RecSynthConfig", "image_format"): "png",
    ("DetSynthConfig", "label_level"): "word",
    ("DetSynthConfig", "image_format"): "png",
    ("DocumentOptions", "orientation"): True,
    ("DocumentOptions", "layout"): "columns",
    ("ServeConfig", "model"): "ppocrv5-mobile",
    ("ServeConfig", "det_model"): "det.onnx",
    ("ServeConfig", "rec_model"): "rec.onnx",
    ("ServeConfig", "cls_model"): "cls.onnx",
    ("ServeConfig", "dictionary"): "keys.txt",
    ("ServeConfig", "providers"): ("cuda", "cpu"),
    ("ServeConfig", "precision"): "f32",
    ("ServeConfig", "profile"): "fast",
    ("ServeConfig", "threads"): 2,
    ("ServeConfig", "orientation"): False,
    ("ServeConfig", "layout"): "columns",
    ("ServeConfig", "url_allow_networks"): ("10.0.0.0/8",),
    ("ServeConfig", "api_keys"): ("k1",),
}


def _changed(cls: type, f: dataclasses.Field, default: object, hint: object) -> object:
    """A valid value different from ``default`` for field ``f`` of ``cls``."""
    if (cls.__name__, f.name) in SPECIAL:
        return SPECIAL[(cls.__name__, f.name)]
    if dataclasses.is_dataclass(hint):
        return _non_default(hint, default)
    if isinstance(default, bool):
        return not default
    if isinstance(default, int):
        return default + 1
    if isinstance(default, float):
        return default / 2 if default else 0.5
    if isinstance(default, list | tuple) and default and all(isinstance(v, int | float) for v in default):
        return type(default)([*default[:-1], default[-1] + 1])  # ranges stay low <= high
    if isinstance(default, list):
        return [*default, "x"]
    if isinstance(default, dict) and default:
        key = next(iter(default))
        return {**default, key: default[key] * 2}
    raise AssertionError(f"no rule for {cls.__name__}.{f.name} = {default!r}: add it to SPECIAL")


def _non_default(cls: type, base: object | None = None) -> object:
    """An instance of ``cls`` where every field differs from ``base`` (default: ``cls()``)."""
    base = base if base is not None else cls()
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        default = getattr(base, f.name)
        values[f.name] = _changed(cls, f, default, hints.get(f.name))
        assert values[f.name] != default, f"{cls.__name__}.{f.name}"
    return cls(**values)


def _train_classes() -> list[type]:
    pytest.importorskip("torch")
    from lumenocr.models.builder import ModelConfig
    from lumenocr.train.augment import DetAugConfig, RecAugConfig
    from lumenocr.train.config import (
        DataConfig,
        GlobalConfig,
        InferenceConfig,
        OptimizerConfig,
        ScheduleConfig,
    )
    from lumenocr.train.db_targets import DBTargets
    from lumenocr.train.losses import DBLoss

    return [
        GlobalConfig,
        OptimizerConfig,
        ScheduleConfig,
        DataConfig,
        InferenceConfig,
        ModelConfig,
        DetAugConfig,
        RecAugConfig,
        DBTargets,
        DBLoss,
    ]


FLAT = [
    DetPreprocess,
    RecPreprocess,
    ClsPreprocess,
    DBPostProcess,
    ClsPostProcess,
    OCROptions,
    RuntimeOptions,
    LoadOptions,
    DocumentOptions,
    ServeConfig,
    BatchOptions,
    VideoOptions,
    QuantizeOptions,
]


@pytest.mark.parametrize("cls", FLAT, ids=lambda c: c.__name__)
def test_every_field_survives_a_json_round_trip(cls):
    obj = _non_default(cls)
    data = json.loads(json.dumps(to_dict(obj)))
    assert set(data) == {f.name for f in dataclasses.fields(cls)}
    assert from_dict(cls, data) == obj


def test_training_settings_survive_a_json_round_trip():
    for cls in _train_classes():
        obj = _non_default(cls)
        assert from_dict(cls, json.loads(json.dumps(to_dict(obj)))) == obj, cls.__name__


@pytest.mark.parametrize(("cls", "load"), [(RecSynthConfig, rec_config), (DetSynthConfig, det_config)])
def test_synth_configs_survive_a_round_trip_with_every_nested_field_changed(cls, load):
    obj = _non_default(cls)
    assert load(json.loads(json.dumps(to_dict(obj)))) == obj


def test_train_config_round_trips_through_config_to_dict(tmp_path):
    pytest.importorskip("torch")
    from lumenocr.train.config import build_config, config_to_dict
    from lumenocr.train.toydata import tiny_config

    (tmp_path / "dict.txt").write_text("a\nb\n", encoding="utf-8")
    for task in ("det", "rec", "cls"):
        raw = tiny_config(task, tmp_path / "label.txt", tmp_path / "label.txt", tmp_path / task)
        raw.setdefault("inference", {})["postprocess"] = {"thresh": 0.25} if task != "rec" else {}
        cfg = build_config(raw)
        again = build_config(json.loads(json.dumps(config_to_dict(cfg))))
        for f in dataclasses.fields(cfg):
            if f.name != "raw":
                assert getattr(again, f.name) == getattr(cfg, f.name), (task, f.name)


SETTINGS_SUFFIXES = ("Config", "Preprocess", "PostProcess", "Options", "Targets", "Loss")
# Nested inside RecSynthConfig / DetSynthConfig, covered by their round trip; or no fields.
COVERED_ELSEWHERE = {
    "FontConfig",
    "TextConfig",
    "StyleConfig",
    "EffectsConfig",
    "HandwritingConfig",
    "TrainConfig",
    "CTCLoss",
    "ClsLoss",
    "RecSynthConfig",
    "DetSynthConfig",
}


def test_no_settings_class_is_left_out_of_the_round_trip_tests():
    """A new settings dataclass anywhere in the package must join the tests above."""
    tested = {c.__name__ for c in FLAT} | COVERED_ELSEWHERE
    with contextlib.suppress(pytest.skip.Exception):  # without torch: the others still count
        tested |= {c.__name__ for c in _train_classes()}
    found = set()
    for mod in pkgutil.walk_packages(lumenocr.__path__, "lumenocr."):
        try:
            module = importlib.import_module(mod.name)
        except ImportError:  # an optional extra that is not installed
            continue
        for name, obj in vars(module).items():
            if (
                isinstance(obj, type)
                and dataclasses.is_dataclass(obj)
                and obj.__module__ == module.__name__
                and name.endswith(SETTINGS_SUFFIXES)
            ):
                found.add(name)
    assert found - tested == set()


def test_min_size_reaches_the_exported_model_metadata(tmp_path):
    """DBPostProcess.min_size used to be left out of the hand-written serialisation: a trained
    detector's configured min_size silently became 3 in its exported file."""
    pytest.importorskip("torch")
    from lumenocr.runtime.metadata import ModelMeta
    from lumenocr.train.config import build_config
    from lumenocr.train.export import model_meta
    from lumenocr.train.toydata import tiny_config

    raw = tiny_config("det", tmp_path / "l.txt", tmp_path / "l.txt", tmp_path / "out")
    raw["inference"]["postprocess"] = {"min_size": 7, "box_thresh": 0.5}
    meta = model_meta(build_config(raw), None)
    stored = ModelMeta.from_metadata(meta.to_metadata())  # what the ONNX file holds
    assert stored.postprocess.get("min_size") == 7

    from lumenocr.pipeline.build import detector_from_engine

    class Engine:  # the network is not needed to check the settings
        name = "stub"

        def __init__(self, meta):
            self.meta = meta

    detector = detector_from_engine(Engine(stored))
    assert detector.postprocess == DBPostProcess(box_thresh=0.5, min_size=7)


def test_server_detection_fields_are_the_cli_options_with_derived_help():
    pytest.importorskip("pydantic")
    from lumenocr.cli.ocr import DET_OPTIONS
    from lumenocr.pipeline.det import detection_help
    from lumenocr.serve.options import DetectionOptions

    # Every server field is a CLI option (the server may offer fewer) with the derived help.
    assert set(DetectionOptions.model_fields) <= set(DET_OPTIONS)
    helps = detection_help()
    assert {k: f.description for k, f in DetectionOptions.model_fields.items()} == {
        k: helps[k] for k in DetectionOptions.model_fields
    }
    assert helps["limit_side_len"].endswith(f"(default {DetPreprocess().limit_side_len})")
