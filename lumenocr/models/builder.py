"""Assemble backbone -> neck -> head from a config's ``model`` section."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from lumenocr.errors import ConfigError
from lumenocr.models.backbones import BACKBONES
from lumenocr.models.heads import HEADS
from lumenocr.models.necks import NECKS

TASK_MODES = {"det": "det", "rec": "rec", "cls": "rec"}


@dataclass
class ModelConfig:
    """``model`` section: ``task`` and one ``{name: ..., **kwargs}`` dict per part."""

    task: str = "rec"
    backbone: dict[str, Any] = field(default_factory=dict)
    neck: dict[str, Any] | None = None
    head: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.task not in TASK_MODES:
            raise ConfigError(f"model.task must be one of {sorted(TASK_MODES)}, got {self.task!r}")


class OCRModel(nn.Module):
    """``head(neck(backbone(x)))``; the module names (backbone/neck/head) are what freezing and
    per-layer learning rates refer to."""

    def __init__(self, task: str, backbone: nn.Module, neck: nn.Module | None, head: nn.Module):
        super().__init__()
        self.task = task
        self.backbone = backbone
        self.neck = neck if neck is not None else nn.Identity()
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.neck(self.backbone(x)))


def _build(part: str, table: dict[str, type], spec: dict[str, Any], **given: Any) -> nn.Module:
    spec = dict(spec)
    name = spec.pop("name", None)
    if name not in table:
        raise ConfigError(f"model.{part}.name must be one of {sorted(table)}, got {name!r}")
    cls = table[name]
    params = inspect.signature(cls).parameters
    unknown = sorted(k for k in spec if k not in params or k in given)
    if unknown:
        valid = sorted(k for k in params if k not in ("self", *given))
        raise ConfigError(f"model.{part} ({name}): unknown key(s) {unknown}; valid keys: {valid}")
    return cls(**given, **spec)


def build_model(config: ModelConfig, num_classes: int | None = None, in_channels: int = 3) -> OCRModel:
    """Build the model; ``num_classes`` is required for CTC heads (blank + dictionary [+ space])."""
    mode = TASK_MODES[config.task]
    head_name = dict(config.head).get("name")
    expected = {"det": "DBHead", "rec": "CTCHead", "cls": "ClsHead"}[config.task]
    if head_name != expected:
        raise ConfigError(f"model.task {config.task!r} needs head {expected}, got {head_name!r}")
    backbone = _build("backbone", BACKBONES, config.backbone, in_channels=in_channels, mode=mode)
    channels = backbone.out_channels
    neck = None
    if config.neck:
        neck = _build("neck", NECKS, config.neck, in_channels=channels)
        channels = neck.out_channels
    head_spec = dict(config.head)
    extra: dict[str, Any] = {}
    if head_spec.get("name") == "CTCHead":
        if num_classes is None:
            raise ConfigError("a CTCHead needs a character dictionary (global.character_dict)")
        extra["num_classes"] = num_classes
    head = _build("head", HEADS, head_spec, in_channels=channels, **extra)
    return OCRModel(config.task, backbone, neck, head)
