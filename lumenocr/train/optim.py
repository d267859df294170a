"""Optimizers (Adam/AdamW with per-prefix LR multipliers and freezing) and per-iteration LR schedules."""

from __future__ import annotations

import math

import torch

from lumenocr.errors import ConfigError
from lumenocr.train.config import OptimizerConfig, ScheduleConfig


def _match(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def build_optimizer(model: torch.nn.Module, cfg: OptimizerConfig) -> torch.optim.Optimizer:
    """Freeze parameters under ``cfg.freeze`` prefixes; group the rest by the longest matching
    ``cfg.lr_mult`` prefix. Weight decay skips biases and normalisation weights (1-D tensors)."""
    names = [n for n, _ in model.named_parameters()]
    for prefix in [*cfg.freeze, *cfg.lr_mult]:
        if not any(_match(n, prefix) for n in names):
            raise ConfigError(f"optimizer: prefix {prefix!r} matches no parameter (e.g. {names[0]!r})")
    groups: dict[tuple[float, bool], list[torch.nn.Parameter]] = {}
    for name, p in model.named_parameters():
        if any(_match(name, f) for f in cfg.freeze):
            p.requires_grad_(False)
            continue
        prefixes = [k for k in cfg.lr_mult if _match(name, k)]
        mult = cfg.lr_mult[max(prefixes, key=len)] if prefixes else 1.0
        groups.setdefault((mult, p.ndim > 1), []).append(p)
    if not groups:
        raise ConfigError("optimizer: every parameter is frozen; nothing to train")
    param_groups = [
        {"params": ps, "lr": cfg.lr * mult, "weight_decay": cfg.weight_decay if decay else 0.0}
        for (mult, decay), ps in sorted(groups.items(), key=lambda kv: kv[0])
    ]
    cls = torch.optim.AdamW if cfg.name == "adamw" else torch.optim.Adam
    return cls(param_groups, lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)


def lr_factor(step: int, total_steps: int, cfg: ScheduleConfig, base_lr: float) -> float:
    """The LR multiplier at iteration ``step`` (0-based) of ``total_steps``."""
    if cfg.warmup_steps and step < cfg.warmup_steps:
        return (step + 1) / (cfg.warmup_steps + 1)
    t = step - cfg.warmup_steps
    if cfg.name == "constant":
        return 1.0
    if cfg.name == "step":
        return cfg.gamma ** (t // cfg.step_size)
    if cfg.name == "piecewise":
        k = sum(step >= m for m in cfg.milestones)
        return cfg.values[k] / base_lr
    span = max(1, total_steps - cfg.warmup_steps)
    floor = cfg.min_lr / base_lr
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(t, span) / span))


def build_scheduler(
    optimizer: torch.optim.Optimizer, cfg: ScheduleConfig, total_steps: int, base_lr: float
) -> torch.optim.lr_scheduler.LambdaLR:
    """A ``LambdaLR`` stepped once per iteration; its state is what checkpoints resume."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, total_steps, cfg, base_lr))
