"""Named profiles (lumenocr/pipeline/profiles.py): a profile fills in what the call leaves unset,
explicit arguments win, the default profile changes nothing, and the CLI passes it through."""

from __future__ import annotations

import pytest

from lumenocr.errors import ConfigError, ModelNotFoundError
from lumenocr.pipeline import profiles
from lumenocr.pipeline.profiles import DEFAULT_PROFILE, PROFILES, Profile, get_profile, resolved_precision
from lumenocr.runtime.factory import providers_for_job
from lumenocr.runtime.onnx import PRECISIONS, RuntimeOptions
from lumenocr.runtime.openvino import openvino_available


def _ocr(**kw):
    from lumenocr import OCR

    try:
        return OCR(threads=1, **kw)
    except ModelNotFoundError as e:
        pytest.skip(str(e))


def test_profiles_are_valid_settings():
    from lumenocr.pipeline.det import DET_KNOBS

    assert DEFAULT_PROFILE == "accurate" and set(PROFILES) >= {"accurate", "fast"}
    accurate = get_profile("accurate")
    # The default profile is the library defaults: it sets nothing.
    assert (accurate.precision, accurate.orientation, accurate.rec_min_width, dict(accurate.det)) == (
        None,
        None,
        None,
        {},
    )
    for p in PROFILES.values():
        assert p.precision is None or p.precision in PRECISIONS
        assert set(p.det) <= DET_KNOBS
    with pytest.raises(ConfigError, match="unknown profile 'quick'.*accurate"):
        get_profile("quick")


def test_precision_rule():
    fast = get_profile("fast").precision
    assert resolved_precision("accurate", None) == RuntimeOptions.precision
    assert resolved_precision("fast", None) == fast
    assert resolved_precision("fast", "f32") == "f32"  # explicit wins
    # The one-shot rule sees the profile's precision: "auto" is f32 on ONNX Runtime, so one
    # image still runs the engine that starts fastest.
    assert providers_for_job(("auto",), resolved_precision("fast", None), 1) == ("cpu",)
    assert providers_for_job(("auto",), resolved_precision("fast", "bf16"), 1) == ("auto",)


def test_fast_profile_on_the_pipeline():
    fast = _ocr(profile="fast", providers=("cpu",))
    assert fast.profile == "fast"
    assert "orient" not in [s.name for s in fast.stages]
    assert fast.engines()["det"] == "onnxruntime f32"  # "auto" on ONNX Runtime
    assert fast.recognizer.preprocess.min_width == PROFILES["fast"].rec_min_width == 160
    assert fast.detector.preprocess.text_height == PROFILES["fast"].det["text_height"] == 24
    # The default profile leaves the model's own settings.
    default = _ocr(providers=("cpu",), orientation=False)
    assert (default.recognizer.preprocess.min_width, default.detector.preprocess.text_height) == (320, 32)
    # An explicit argument wins over the profile.
    turned = _ocr(profile="fast", providers=("cpu",), orientation=True)
    from lumenocr.document.pipeline import orientation_available

    if orientation_available():
        assert "orient" in [s.name for s in turned.stages]
        assert "orient" in [s.name for s in _ocr(providers=("cpu",)).stages]
    with pytest.raises(ConfigError, match="unknown profile"):
        _ocr(profile="turbo", providers=("cpu",))


@pytest.mark.skipif(not openvino_available(), reason="openvino not installed")
def test_fast_profile_precision_on_openvino():
    from lumenocr.runtime.openvino import native_precision

    fast = _ocr(profile="fast", providers=("openvino",), orientation=False)
    assert set(fast.engines().values()) == {f"openvino {native_precision()}"}
    exact = _ocr(profile="fast", providers=("openvino",), precision="f32", orientation=False)
    assert set(exact.engines().values()) == {"openvino f32"}


def test_profile_recognizer_and_detection_settings(monkeypatch):
    custom = Profile("narrow", "test", rec_min_width=160, det={"text_height": 24})
    monkeypatch.setitem(PROFILES, "narrow", custom)
    ocr = _ocr(profile="narrow", providers=("cpu",), orientation=False)
    assert ocr.recognizer.preprocess.min_width == 160
    assert ocr.detector.preprocess.text_height == 24
    # Explicit detection knobs win.
    assert (
        _ocr(
            profile="narrow", providers=("cpu",), orientation=False, text_height=40
        ).detector.preprocess.text_height
        == 40
    )
    assert profiles.get_profile("narrow") is custom


def test_cli_passes_the_profile():
    from lumenocr.cli.main import build_parser
    from lumenocr.cli.ocr import ocr_kwargs

    parse = build_parser("ocr").parse_args
    kw = ocr_kwargs(parse(["ocr", "x.png", "--profile", "fast"]))
    assert (kw["profile"], kw["precision"]) == ("fast", None)
    kw = ocr_kwargs(parse(["ocr", "x.png"]))
    assert (kw["profile"], kw["precision"]) == ("accurate", None)
    assert (
        ocr_kwargs(parse(["ocr", "x.png", "--profile", "fast", "--precision", "f32"]))["precision"] == "f32"
    )


def test_serve_and_eval_take_the_profile(monkeypatch):
    from lumenocr.cli.main import build_parser
    from lumenocr.serve.config import ServeConfig

    assert ServeConfig(profile="fast").ocr_kwargs(2)["profile"] == "fast"
    assert "profile" not in ServeConfig().ocr_kwargs(2)  # the default profile: the library defaults
    # Through the environment the server's workers read their settings from.
    from lumenocr.serve.config import ENV_VAR

    monkeypatch.setenv(ENV_VAR, ServeConfig(profile="fast").to_env())
    assert ServeConfig.from_env().profile == "fast"
    with pytest.raises(ConfigError, match="unknown profile"):
        ServeConfig(profile="turbo")
    args = build_parser("serve").parse_args(["serve", "--profile", "fast"])
    assert args.profile == "fast"
    args = build_parser("eval").parse_args(
        ["eval", "e2e", "--gt", "x.txt", "--model", "ppocrv6-small", "--profile", "fast"]
    )
    assert (args.profile, args.precision) == ("fast", None)
