"""Small building blocks shared by the backbones, necks and heads."""

from __future__ import annotations

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "hardswish": nn.Hardswish, "gelu": nn.GELU, None: nn.Identity}


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round a channel count to a multiple of ``divisor`` without losing more than 10%."""
    out = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if out < 0.9 * value:
        out += divisor
    return out


class ConvBNAct(nn.Sequential):
    """Conv2d (no bias) + BatchNorm + activation; ``padding`` keeps the size at stride 1."""

    def __init__(self, cin: int, cout: int, k: int = 3, stride=1, groups: int = 1, act: str | None = "relu"):
        super().__init__(
            nn.Conv2d(cin, cout, k, stride, padding=k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            ACTIVATIONS[act](),
        )


class SqueezeExcite(nn.Module):
    """Channel attention: global pool -> bottleneck -> hard-sigmoid gate."""

    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        mid = max(8, channels // reduction)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, mid, 1)
        self.fc2 = nn.Conv2d(mid, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = torch.relu(self.fc1(self.pool(x)))
        return x * nn.functional.hardsigmoid(self.fc2(w))


def stage_strides(count: int, mode: str, full: int = 2) -> list:
    """Strides of a backbone's ``count`` downsampling points.

    ``"det"``: every point halves both sides (outputs at strides 4..32).
    ``"rec"``: the first ``full`` points halve both sides, the rest only the height, so a text
    line keeps 1/4 of its width as CTC time steps (the CRNN ``(2, 1)`` stride).
    """
    if mode == "det":
        return [2] * count
    if mode == "rec":
        return [2 if i < full else (2, 1) for i in range(count)]
    raise ValueError(f"mode must be 'det' or 'rec', got {mode!r}")
