"""Training configs work from any folder: files a config names resolve against its own folder,
shipped configs are found by name, and the train/eval sets' warnings say which set they are."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

pytest.importorskip("torch")

from lumenocr.errors import ConfigError  # noqa: E402
from lumenocr.train.config import bundled_config_dir, load_config  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def test_repository_config_reads_its_dictionary_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("rec_svtr_lcnet", "rec_crnn_mv3"):
        cfg = load_config(REPO / "configs" / f"{name}.yml")
        assert Path(cfg.global_.character_dict).is_file(), cfg.global_.character_dict


def test_bundled_config_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load_config("rec_svtr_lcnet", ["global.max_steps=1"])
    assert cfg.global_.max_steps == 1
    dict_file = Path(cfg.global_.character_dict)
    assert dict_file.is_file() and dict_file.parent.parent == bundled_config_dir().resolve()
    with pytest.raises(
        ConfigError, match=r"config file not found: no_such_config \(bundled configs: .*rec_svtr_lcnet"
    ):
        load_config("no_such_config")


def test_files_next_to_a_users_config_are_found_wherever_it_runs(tmp_path, monkeypatch):
    from lumenocr.train.toydata import make_rec_set, tiny_config

    project = tmp_path / "project"
    label = make_rec_set(project / "data", 4, seed=1, chars="0123456789", min_len=2, max_len=3)
    raw = tiny_config("rec", label, label, "out")
    raw["global"]["character_dict"] = "data/dict.txt"
    raw["train"]["label_files"] = ["data/label.txt"]
    raw["eval"]["label_files"] = ["data/label.txt"]
    (project / "c.yml").write_text(yaml.safe_dump(raw))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cfg = load_config(project / "c.yml")
    assert Path(cfg.global_.character_dict) == project / "data" / "dict.txt"
    assert [Path(p) for p in cfg.train.label_files] == [project / "data" / "label.txt"]
    assert cfg.global_.output_dir == "out"  # outputs stay where the run is started
    # -o overrides are the user's own typing: relative to the current folder.
    cfg = load_config(project / "c.yml", ["global.character_dict=mine.txt"])
    assert cfg.global_.character_dict == "mine.txt"


def test_skipped_samples_warning_names_its_set(tmp_path, caplog):
    from lumenocr.train.config import build_config
    from lumenocr.train.toydata import make_rec_set, tiny_config
    from lumenocr.train.trainer import make_dataset, make_dictionary

    label = make_rec_set(tmp_path / "data", 4, seed=2, chars="0123456789", min_len=2, max_len=3)
    first = label.read_text().splitlines()[0].split("\t")[0]
    label.write_text(label.read_text() + f"{first}\tabc\n")  # a character outside the dictionary
    cfg = build_config(tiny_config("rec", label, label, tmp_path / "out"))
    with caplog.at_level(logging.WARNING, logger="lumenocr.train"):
        make_dataset(cfg, cfg.train, True, make_dictionary(cfg))
        make_dataset(cfg, cfg.eval, False, make_dictionary(cfg))
    warned = [r.getMessage() for r in caplog.records if " samples (" in r.getMessage()]
    assert len(warned) == 2 and len(set(warned)) == 2, warned
    # The evaluation set keeps the unreadable sample (it counts as wrong, as in `lumenocr eval`).
    assert (
        "skipped 1 of 5 training samples" in warned[0]
        and "kept (they count as wrong) 1 of 5 evaluation samples" in warned[1]
    )
    assert str(label) in warned[0]
