"""Synth configs: YAML loading, unknown keys, validation, shipped config files."""

from __future__ import annotations

from pathlib import Path

import pytest

from lumenocr.errors import ConfigError, InputNotFoundError
from lumenocr.synth.config import DetSynthConfig, RecSynthConfig, det_config, load_config, rec_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "synth"


def test_defaults_need_no_config():
    assert load_config(None, "rec") == RecSynthConfig()
    assert load_config(None, "det") == DetSynthConfig()


def test_nested_partial_dict_keeps_other_defaults():
    cfg = rec_config({"text": {"charset": "latin"}, "style": {"rotate_prob": 0.5}})
    assert cfg.text.charset == "latin"
    assert cfg.text.max_len == RecSynthConfig().text.max_len
    assert cfg.style.rotate_prob == 0.5
    assert cfg.style.curve_prob == RecSynthConfig().style.curve_prob
    # det keeps its own nested defaults (bigger size range) when only one key changes
    det = det_config({"fonts": {"include": ["DejaVu"]}})
    assert det.fonts.size == DetSynthConfig().fonts.size and det.fonts.include == ["DejaVu"]


@pytest.mark.parametrize(
    "data, needle",
    [
        ({"colour": 1}, "colour"),
        ({"style": {"rotation_prob": 0.2}}, "rotation_prob"),
        ({"style": {"rotate_prob": 1.5}}, "rotate_prob"),
        ({"style": {"rotate": [5, -5]}}, "rotate"),
        ({"text": {"charset": "klingon"}}, "klingon"),
        ({"text": {"generators": {"poems": 1}}}, "poems"),
        ({"text": {"min_len": 30, "max_len": 25}}, "min_len"),
        ({"effects": {"background": {"solid": 0, "gradient": 0, "noise": 0, "image": 0}}}, "weights"),
        ({"vertical_output": "sideways"}, "vertical_output"),
        ({"style": "fancy"}, "mapping"),
    ],
)
def test_bad_rec_config_names_the_problem(data, needle):
    with pytest.raises(ConfigError, match=needle):
        rec_config(data)


def test_bad_det_config():
    with pytest.raises(ConfigError, match="label_level"):
        det_config({"label_level": "char"})
    with pytest.raises(ConfigError, match="layouts"):
        det_config({"layouts": {"magazine": 1}})


def test_yaml_errors_and_relative_paths(tmp_path):
    with pytest.raises(InputNotFoundError):
        load_config(tmp_path / "nope.yml", "rec")
    bad = tmp_path / "bad.yml"
    bad.write_text("text: [unclosed\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(bad, "rec")
    good = tmp_path / "cfg" / "rec.yml"
    good.parent.mkdir()
    good.write_text("text:\n  corpus_path: corpus.txt\nfonts:\n  dirs: [myfonts]\n")
    cfg = load_config(good, "rec")
    assert Path(cfg.text.corpus_path) == good.parent / "corpus.txt"
    assert Path(cfg.fonts.dirs[0]) == good.parent / "myfonts"
    with pytest.raises(ConfigError, match="rec' or 'det"):
        load_config(None, "cls")


def test_shipped_configs_load():
    assert load_config(CONFIGS / "rec_default.yml", "rec") == RecSynthConfig()
    en = load_config(CONFIGS / "rec_en.yml", "rec")
    assert en.text.charset == "ascii" and "chinese" not in en.text.generators
    assert isinstance(load_config(CONFIGS / "det_default.yml", "det"), DetSynthConfig)
    words = load_config(CONFIGS / "rec_en_words.yml", "rec")
    assert words.text.charset == "ascii" and words.text.max_len == 16
