"""Training configuration: YAML file + ``-o key=value`` overrides -> typed, validated dataclasses.

Sections (each documented in ``configs/*.yml``): ``global``, ``model``, ``loss``, ``optimizer``,
``schedule``, ``train``, ``eval``, ``inference``. Any unknown key, at any level, is a
:class:`~lumenocr.errors.ConfigError` that names it and lists the valid ones.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lumenocr.config_utils import from_dict, read_yaml_mapping, to_dict
from lumenocr.errors import ConfigError
from lumenocr.models.builder import ModelConfig
from lumenocr.postprocess.registry import build_postprocess, postprocess_settings
from lumenocr.preprocess import ClsPreprocess, DetPreprocess, RecPreprocess
from lumenocr.train.augment import DetAugConfig, RecAugConfig
from lumenocr.train.db_targets import DBTargets


@dataclass
class GlobalConfig:
    output_dir: str = "output/run"
    seed: int = 42
    device: str = "auto"  # "auto" (CUDA when available), "cpu", "cuda", "cuda:1"
    epochs: int = 10
    max_steps: int | None = None  # overrides epochs when set
    max_minutes: float | None = None  # wall-clock budget: stop (evaluate, save) once exceeded
    log_every: int = 10  # steps between console / CSV log rows
    eval_every: int = 0  # steps between evaluations; 0 = at the end of every epoch
    save_every: int = 0  # steps between resumable checkpoints; 0 = at evaluations and the end
    pretrained: str | None = None  # weights only; must fit the model (a rec head is remapped by character)
    checkpoint: str | None = None  # resume: weights, optimizer, schedule, step, best metric
    character_dict: str | None = None  # rec: one character per line
    use_space_char: bool = True
    max_text_length: int = 25
    amp: bool = True  # mixed precision, used on CUDA only
    threads: int | None = None  # torch CPU threads (None = torch's default); 1 on a busy shared CPU
    progress_bar: bool = True
    # also keep the weights of every evaluation as step_<N>.pt (score them later on other data:
    # metric against training time)
    keep_eval_checkpoints: bool = False

    def __post_init__(self) -> None:
        if self.device != "auto" and not (self.device == "cpu" or self.device.startswith("cuda")):
            raise ConfigError(f"global.device must be 'auto', 'cpu' or 'cuda[:N]', got {self.device!r}")
        for name in ("log_every", "eval_every", "save_every", "epochs", "max_text_length"):
            if getattr(self, name) < 0:
                raise ConfigError(f"global.{name} must be >= 0, got {getattr(self, name)}")
        if self.max_steps is not None and self.max_steps < 1:
            raise ConfigError(f"global.max_steps must be >= 1, got {self.max_steps}")


@dataclass
class OptimizerConfig:
    name: str = "adam"  # "adam" or "adamw"
    lr: float = 1e-3
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    clip_grad_norm: float | None = None
    freeze: list[str] = field(default_factory=list)  # parameter-name prefixes, e.g. ["backbone"]
    # Batch-norm layers normalise with their running statistics in training too, and keep them:
    # fine-tuning on a small batch of one domain would otherwise replace statistics the model
    # learnt on far more data (mmcv's norm_eval). Their scale and shift still train.
    freeze_norm_stats: bool = False
    lr_mult: dict[str, float] = field(default_factory=dict)  # prefix -> LR multiplier

    def __post_init__(self) -> None:
        if self.name not in ("adam", "adamw"):
            raise ConfigError(f"optimizer.name must be 'adam' or 'adamw', got {self.name!r}")
        if self.lr <= 0:
            raise ConfigError(f"optimizer.lr must be > 0, got {self.lr}")
        if len(self.betas) != 2:
            raise ConfigError(f"optimizer.betas must be two numbers, got {self.betas!r}")
        self.betas = (float(self.betas[0]), float(self.betas[1]))


@dataclass
class ScheduleConfig:
    """Per-iteration LR schedule, as a factor of ``optimizer.lr`` after ``warmup_steps`` linear warm-up."""

    name: str = "cosine"  # "cosine", "step", "piecewise", "constant"
    warmup_steps: int = 0
    min_lr: float = 0.0  # cosine floor
    step_size: int = 1000  # step: decay every step_size steps
    gamma: float = 0.1
    milestones: list[int] = field(default_factory=list)  # piecewise: step boundaries
    values: list[float] = field(default_factory=list)  # piecewise: LRs, one more than milestones

    def __post_init__(self) -> None:
        if self.name not in ("cosine", "step", "piecewise", "constant"):
            raise ConfigError(f"schedule.name must be cosine, step, piecewise or constant, got {self.name!r}")
        if self.name == "piecewise" and len(self.values) != len(self.milestones) + 1:
            raise ConfigError("schedule: piecewise needs len(values) == len(milestones) + 1")
        if self.name == "step" and self.step_size < 1:
            raise ConfigError(f"schedule.step_size must be >= 1, got {self.step_size}")


@dataclass
class DataConfig:
    label_files: list[str] = field(default_factory=list)
    lmdb: list[str] = field(default_factory=list)  # PaddleOCR-style rec LMDB folders
    ratio_list: list[float] | None = None  # one per source: fraction of it used (>1 repeats)
    batch_size: int = 32
    num_workers: int = 0
    shuffle: bool = True
    drop_last: bool = True
    image_shape: tuple[int, int] = (48, 320)  # rec/cls training input (height, width)
    augment: dict[str, Any] | None = None  # RecAugConfig / DetAugConfig fields; null = none
    targets: dict[str, Any] = field(default_factory=dict)  # det: DBTargets fields
    limit: int | None = None  # use only the first N samples (eval)
    normalize: str = "exact"  # eval, rec: text comparison, as `lumenocr eval rec --normalize`
    # rec training: right margin added to each crop, as a fraction of its height, before it is
    # resized; None = inference.preprocess.pad_right, the margin the exported model asks for
    # when it reads a crop, so the model trains on crops laid out as it will read them
    crop_margin: float | None = None
    # eval, det: choose the DB thresholds (thresh, box_thresh, unclip_ratio) on this set at every
    # evaluation and score with them; they go into inference.postprocess of the checkpoints, so
    # the exported model uses them. Hold out *training* images for this, never the test set.
    tune_thresholds: bool = False

    def __post_init__(self) -> None:
        if len(self.image_shape) != 2:
            raise ConfigError(f"image_shape must be [height, width], got {self.image_shape!r}")
        self.image_shape = (int(self.image_shape[0]), int(self.image_shape[1]))
        from lumenocr.metrics.text import check_mode

        check_mode(self.normalize)
        if self.batch_size < 1 or self.num_workers < 0:
            raise ConfigError(
                f"batch_size must be >= 1 and num_workers >= 0, got {self.batch_size}, {self.num_workers}"
            )


@dataclass
class InferenceConfig:
    """Pre/post-processing of the deployed model: used by training-time evaluation and written
    into the exported ONNX file, so both run the same settings."""

    preprocess: dict[str, Any] = field(default_factory=dict)
    postprocess: dict[str, Any] = field(default_factory=dict)


@dataclass
class TrainConfig:
    global_: GlobalConfig
    model: ModelConfig
    loss: dict[str, Any]
    optimizer: OptimizerConfig
    schedule: ScheduleConfig
    train: DataConfig
    eval: DataConfig | None
    inference: InferenceConfig
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def task(self) -> str:
        return self.model.task

    def preprocess(self) -> DetPreprocess | RecPreprocess | ClsPreprocess:
        pre = dict(self.inference.preprocess)
        if self.task == "det":
            return from_dict(DetPreprocess, pre, "inference.preprocess")
        h, w = self.train.image_shape
        if self.task == "cls":
            return from_dict(
                ClsPreprocess, {"image_height": h, "image_width": w, **pre}, "inference.preprocess"
            )
        # By default the CTC loss ends at each crop's columns (valid_ratio, train/losses.py): such
        # a model never learns to use the padding, so neither its evaluation nor its export reads
        # it. A fine-tune of a PP-OCR recognizer (trained over the whole padded width, and read
        # that way) sets inference.preprocess.read_padding: true; the loss then covers the same
        # columns (RecDataset.read_padding).
        rec = {"image_height": h, "min_width": w, "read_padding": False, **pre}
        return from_dict(RecPreprocess, rec, "inference.preprocess")

    def postprocess(self) -> dict[str, Any]:
        """The post-processing settings, as the exported model's metadata records them
        (``{"name": "db", ...}`` for det, ``{"name": "ctc", "use_space_char": ...}`` for rec)."""
        post = dict(self.inference.postprocess)
        if self.task == "rec":
            # The space class is part of the trained output layer: global.use_space_char decides.
            unknown = sorted(set(post) - {"name", "use_space_char"})
            if unknown or post.get("name", "ctc") != "ctc":
                raise ConfigError(
                    f"inference.postprocess: unknown key(s) {unknown} for rec; valid: ['use_space_char']"
                )
            return {"name": "ctc", "use_space_char": self.global_.use_space_char}
        return postprocess_settings(build_postprocess(self.task, post, "inference.postprocess"))

    def rec_augment(self, data: DataConfig) -> RecAugConfig | None:
        return None if data.augment is None else from_dict(RecAugConfig, data.augment, "augment")

    def det_augment(self, data: DataConfig, train: bool) -> DetAugConfig:
        aug = dict(data.augment or {})
        if not train or data.augment is None:
            aug["enabled"] = False
        return from_dict(DetAugConfig, aug, "augment")

    def det_targets(self, data: DataConfig) -> DBTargets:
        return from_dict(DBTargets, data.targets, "targets")


def _typed(cls: type, data: dict[str, Any] | None, where: str):
    """``from_dict`` that also checks numeric fields, accepting YAML's ``1e-3`` (read as a string)."""
    data = dict(data or {})
    kinds = {f.name: str(f.type) for f in dataclasses.fields(cls)}
    for key, value in data.items():
        kind = kinds.get(key, "")
        base = kind.split("|")[0].strip()
        if base not in ("int", "float") or value is None:
            continue
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise ConfigError(f"{where}.{key} must be a number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}.{key} must be a number, got {value!r}")
        if base == "int":
            if float(value) != int(value):
                raise ConfigError(f"{where}.{key} must be an integer, got {value!r}")
            value = int(value)
        data[key] = value if base == "int" else float(value)
    return from_dict(cls, data, where)


SECTIONS = ("global", "model", "loss", "optimizer", "schedule", "train", "eval", "inference")
DEFAULT_LOSS = {"det": "DBLoss", "rec": "CTCLoss", "cls": "ClsLoss"}


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``section.key=value`` overrides; values are parsed as YAML (``[a, b]``, ``null``, ``1e-3``)."""
    import yaml

    raw = copy.deepcopy(raw)
    for item in overrides:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise ConfigError(f"override {item!r} must look like section.key=value")
        parts = key.strip().split(".")
        node = raw
        for p in parts[:-1]:
            nxt = node.get(p)
            if nxt is None:
                nxt = node[p] = {}
            if not isinstance(nxt, dict):
                raise ConfigError(f"override {item!r}: {p!r} is not a section")
            node = nxt
        try:
            node[parts[-1]] = yaml.safe_load(value)
        except yaml.YAMLError as e:
            raise ConfigError(f"override {item!r}: value is not valid YAML ({e})") from None
    return raw


def build_config(raw: dict[str, Any], embedded_dictionary: bool = False) -> TrainConfig:
    """Validate a raw config dict (as read from YAML) into a :class:`TrainConfig`.

    ``embedded_dictionary``: the config comes with a checkpoint that carries the recognizer's
    characters, so ``global.character_dict`` may be absent."""
    if not isinstance(raw, dict):
        raise ConfigError("a training config must be a mapping of sections")
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ConfigError(f"unknown config section(s) {unknown}; valid sections: {list(SECTIONS)}")
    if "model" not in raw or "train" not in raw:
        raise ConfigError("a training config needs 'model' and 'train' sections")
    model = from_dict(ModelConfig, raw["model"], "model")
    loss = dict(raw.get("loss") or {})
    loss.setdefault("name", DEFAULT_LOSS[model.task])
    loss_name = loss.get("name")
    if loss_name != DEFAULT_LOSS[model.task]:
        raise ConfigError(
            f"loss.name for task {model.task!r} must be {DEFAULT_LOSS[model.task]}, got {loss_name!r}"
        )
    from lumenocr.train.losses import LOSSES

    from_dict(LOSSES[loss_name], {k: v for k, v in loss.items() if k != "name"}, "loss")  # validate keys
    cfg = TrainConfig(
        global_=_typed(GlobalConfig, raw.get("global"), "global"),
        model=model,
        loss=loss,
        optimizer=_typed(OptimizerConfig, raw.get("optimizer"), "optimizer"),
        schedule=_typed(ScheduleConfig, raw.get("schedule"), "schedule"),
        train=_typed(DataConfig, raw["train"], "train"),
        eval=_typed(DataConfig, raw["eval"], "eval") if raw.get("eval") else None,
        inference=from_dict(InferenceConfig, raw.get("inference"), "inference"),
        raw=copy.deepcopy(raw),
    )
    # build the derived objects once now so that every mistake surfaces before training starts
    pre = cfg.preprocess()
    cfg.postprocess()
    if model.task == "det":
        cfg.det_augment(cfg.train, True)
        cfg.det_targets(cfg.train)
    else:
        cfg.rec_augment(cfg.train)
        height = getattr(pre, "image_height", None)
        if height != cfg.train.image_shape[0]:
            raise ConfigError(
                f"inference.preprocess.image_height ({height}) must equal train.image_shape[0] "
                f"({cfg.train.image_shape[0]}): the model must see crops at the height it was trained on"
            )
    if model.task == "rec" and not (
        cfg.global_.character_dict or cfg.global_.pretrained or embedded_dictionary
    ):
        raise ConfigError(
            "global.character_dict is required for a recognizer (one character per line), unless "
            "global.pretrained is a checkpoint that carries its dictionary"
        )
    return cfg


#: Config entries naming files that must exist: resolved against the config file's folder.
INPUT_PATHS = (
    ("global", "character_dict"),
    ("global", "pretrained"),
    ("global", "checkpoint"),
    ("train", "label_files"),
    ("train", "lmdb"),
    ("eval", "label_files"),
    ("eval", "lmdb"),
)


def bundled_config_dir() -> Path:
    """The configs shipped with lumenocr (``lumenocr/configs``, a copy of the repository's
    ``configs/`` in an installed package)."""
    return Path(__file__).resolve().parents[1] / "configs"


def find_config(name: str | Path) -> Path:
    """``name`` as a path, or the name of a bundled config (``rec_svtr_lcnet``)."""
    p = Path(name)
    if p.is_file() or p.suffix or len(p.parts) > 1:
        return p
    bundled = bundled_config_dir() / f"{name}.yml"
    if bundled.is_file():
        return bundled
    names = sorted(q.stem for q in bundled_config_dir().glob("*.yml"))
    raise ConfigError(f"config file not found: {name} (bundled configs: {', '.join(names) or 'none'})")


def resolve_input_paths(raw: dict[str, Any], config_dir: Path) -> dict[str, Any]:
    """Relative input paths of a config file (dictionary, weights, label files, LMDB folders)
    that exist next to the config file are taken from there, so the config works from any
    folder; others stay relative to the current folder (data a run is given)."""
    raw = copy.deepcopy(raw)
    for section, key in INPUT_PATHS:
        block = raw.get(section)
        if not isinstance(block, dict) or block.get(key) in (None, "", []):
            continue
        value = block[key]
        items = value if isinstance(value, list) else [value]
        fixed = []
        for item in items:
            if isinstance(item, str) and not Path(item).is_absolute() and not Path(item).exists():
                there = config_dir / item
                item = str(there) if there.exists() else item
            fixed.append(item)
        block[key] = fixed if isinstance(value, list) else fixed[0]
    return raw


def load_config(path: str | Path, overrides: list[str] | None = None) -> TrainConfig:
    """Read a YAML training config (a path, or the name of a bundled config), resolve the
    files it names against its own folder (:func:`resolve_input_paths`), apply ``-o``
    overrides (relative to the current folder, as typed) and validate it."""
    path = find_config(path)
    raw = resolve_input_paths(read_yaml_mapping(path, "config file"), path.resolve().parent)
    return build_config(apply_overrides(raw, overrides or []))


def config_to_dict(cfg: TrainConfig) -> dict[str, Any]:
    """The validated config as plain data, every field of every section (what checkpoints and
    the run's config.yml record); :func:`build_config` reads it back into an equal config."""
    out = {
        "global": to_dict(cfg.global_),
        "model": to_dict(cfg.model),
        "loss": copy.deepcopy(cfg.loss),
        "optimizer": to_dict(cfg.optimizer),
        "schedule": to_dict(cfg.schedule),
        "train": to_dict(cfg.train),
        "eval": to_dict(cfg.eval) if cfg.eval is not None else None,
        "inference": to_dict(cfg.inference),
    }
    return out
