"""Backbones: MobileNetV3 (small/large), ResNet-vd (18/34/50) and a PP-LCNet-style net.

Every backbone is a stack of five stages, each starting with one downsampling step (stage 0 is
the stem). In ``mode="det"`` the forward pass returns the outputs of stages 1-4 (strides 4, 8,
16, 32) for an FPN neck; in ``mode="rec"`` the last three downsamplings halve only the height
(see :func:`~lumenocr.models.common.stage_strides`) and the forward pass returns the last map.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from lumenocr.models.common import ConvBNAct, SqueezeExcite, make_divisible, stage_strides


class StagedBackbone(nn.Module):
    """Five ``nn.Sequential`` stages; ``out_channels`` is a list (det) or an int (rec)."""

    stages: nn.ModuleList

    def __init__(self, mode: str):
        super().__init__()
        self.mode = mode

    def forward(self, x: torch.Tensor):
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return feats[1:] if self.mode == "det" else x


# --- MobileNetV3 ------------------------------------------------------------------------------
# (kernel, expansion, out, squeeze-excite, activation, stride): the MobileNetV3 paper's tables.
_MNV3 = {
    "large": [
        (3, 16, 16, False, "relu", 1),
        (3, 64, 24, False, "relu", 2),
        (3, 72, 24, False, "relu", 1),
        (5, 72, 40, True, "relu", 2),
        (5, 120, 40, True, "relu", 1),
        (5, 120, 40, True, "relu", 1),
        (3, 240, 80, False, "hardswish", 2),
        (3, 200, 80, False, "hardswish", 1),
        (3, 184, 80, False, "hardswish", 1),
        (3, 184, 80, False, "hardswish", 1),
        (3, 480, 112, True, "hardswish", 1),
        (3, 672, 112, True, "hardswish", 1),
        (5, 672, 160, True, "hardswish", 2),
        (5, 960, 160, True, "hardswish", 1),
        (5, 960, 160, True, "hardswish", 1),
    ],
    "small": [
        (3, 16, 16, True, "relu", 2),
        (3, 72, 24, False, "relu", 2),
        (3, 88, 24, False, "relu", 1),
        (5, 96, 40, True, "hardswish", 2),
        (5, 240, 40, True, "hardswish", 1),
        (5, 240, 40, True, "hardswish", 1),
        (5, 120, 48, True, "hardswish", 1),
        (5, 144, 48, True, "hardswish", 1),
        (5, 288, 96, True, "hardswish", 2),
        (5, 576, 96, True, "hardswish", 1),
        (5, 576, 96, True, "hardswish", 1),
    ],
}


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, mid: int, cout: int, k: int, se: bool, act: str, stride):
        super().__init__()
        layers: list[nn.Module] = []
        if mid != cin:
            layers.append(ConvBNAct(cin, mid, 1, act=act))
        layers.append(ConvBNAct(mid, mid, k, stride, groups=mid, act=act))
        if se:
            layers.append(SqueezeExcite(mid))
        layers.append(ConvBNAct(mid, cout, 1, act=None))
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.residual else y


class MobileNetV3(StagedBackbone):
    """MobileNetV3 ``model_name`` "small" or "large" at width multiplier ``scale``."""

    def __init__(
        self, in_channels: int = 3, model_name: str = "large", scale: float = 0.5, mode: str = "det"
    ):
        super().__init__(mode)
        if model_name not in _MNV3:
            raise ValueError(f"MobileNetV3 model_name must be one of {sorted(_MNV3)}, got {model_name!r}")
        strides = iter(stage_strides(5, mode))
        c = make_divisible(16 * scale)
        stages: list[list[nn.Module]] = [[ConvBNAct(in_channels, c, 3, next(strides), act="hardswish")]]
        for k, exp, out, se, act, s in _MNV3[model_name]:
            if s == 2:
                stages.append([])
                s = next(strides)
            mid, cout = make_divisible(exp * scale), make_divisible(out * scale)
            stages[-1].append(InvertedResidual(c, mid, cout, k, se, act, s))
            c = cout
        last = make_divisible(_MNV3[model_name][-1][1] * scale)
        stages[-1].append(ConvBNAct(c, last, 1, act="hardswish"))
        self.stages = nn.ModuleList(nn.Sequential(*s) for s in stages)
        chans: list[int] = []
        for stage in self.stages:
            tail: Any = list(stage.children())[-1]
            conv: Any = tail[0] if isinstance(tail, ConvBNAct) else tail.body[-1][0]
            chans.append(conv.out_channels)
        self.out_channels = chans[1:] if mode == "det" else last


# --- ResNet-vd --------------------------------------------------------------------------------
class _Shortcut(nn.Sequential):
    """The "vd" shortcut: average-pool first, then a 1x1 conv, so no input pixel is skipped."""

    def __init__(self, cin: int, cout: int, stride):
        layers: list[nn.Module] = []
        if stride != 1:
            layers.append(nn.AvgPool2d(stride, stride, ceil_mode=True))
        layers.append(ConvBNAct(cin, cout, 1, act=None))
        super().__init__(*layers)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin: int, c: int, stride):
        super().__init__()
        self.body = nn.Sequential(ConvBNAct(cin, c, 3, stride), ConvBNAct(c, c, 3, act=None))
        self.short = _Shortcut(cin, c, stride) if stride != 1 or cin != c else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.short(x))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, c: int, stride):
        super().__init__()
        cout = c * 4
        self.body = nn.Sequential(
            ConvBNAct(cin, c, 1), ConvBNAct(c, c, 3, stride), ConvBNAct(c, cout, 1, act=None)
        )
        self.short = _Shortcut(cin, cout, stride) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.short(x))


_RESNET: dict[int, tuple[Any, list[int]]] = {
    18: (BasicBlock, [2, 2, 2, 2]),
    34: (BasicBlock, [3, 4, 6, 3]),
    50: (Bottleneck, [3, 4, 6, 3]),
}


class ResNetVd(StagedBackbone):
    """ResNet-vd (three-conv stem, average-pool shortcuts) with ``layers`` 18, 34 or 50."""

    def __init__(self, in_channels: int = 3, layers: int = 18, mode: str = "det"):
        super().__init__(mode)
        if layers not in _RESNET:
            raise ValueError(f"ResNetVd layers must be one of {sorted(_RESNET)}, got {layers}")
        block, depths = _RESNET[layers]
        s = stage_strides(5, mode)
        stem = nn.Sequential(ConvBNAct(in_channels, 32, 3, s[0]), ConvBNAct(32, 32, 3), ConvBNAct(32, 64, 3))
        stages: list[nn.Module] = [stem]
        cin = 64
        for i, (c, n) in enumerate(zip((64, 128, 256, 512), depths, strict=True)):
            # stage 1 downsamples with the stem's max-pool, the others with their first block
            first = nn.MaxPool2d(3, s[1], 1) if i == 0 else None
            blocks: list[nn.Module] = [first] if first is not None else []
            for j in range(n):
                blocks.append(block(cin, c, s[i + 1] if (j == 0 and i > 0) else 1))
                cin = c * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.ModuleList(stages)
        chans = [c * block.expansion for c in (64, 128, 256, 512)]
        self.out_channels = chans if mode == "det" else chans[-1]


# --- PP-LCNet ---------------------------------------------------------------------------------
# Per stage: (kernel, out, squeeze-excite) for each depthwise-separable block; the first block of
# stages 1-4 downsamples.
_LCNET = [
    [(3, 32, False)],
    [(3, 64, False), (3, 64, False)],
    [(3, 128, False), (3, 128, False)],
    [(3, 256, False)] + [(5, 256, False)] * 5,
    [(5, 512, True), (5, 512, True)],
]


class DepthwiseSeparable(nn.Sequential):
    def __init__(self, cin: int, cout: int, k: int, stride, se: bool):
        layers: list[nn.Module] = [ConvBNAct(cin, cin, k, stride, groups=cin, act="hardswish")]
        if se:
            layers.append(SqueezeExcite(cin))
        layers.append(ConvBNAct(cin, cout, 1, act="hardswish"))
        super().__init__(*layers)


class PPLCNet(StagedBackbone):
    """A PP-LCNet-style net: depthwise-separable blocks, hard-swish, SE only at the end."""

    def __init__(self, in_channels: int = 3, scale: float = 1.0, mode: str = "det"):
        super().__init__(mode)
        strides = stage_strides(5, mode)
        c = make_divisible(16 * scale)
        stages = []
        for i, blocks in enumerate(_LCNET):
            layers: list[nn.Module] = (
                [ConvBNAct(in_channels, c, 3, strides[0], act="hardswish")] if i == 0 else []
            )
            for j, (k, out, se) in enumerate(blocks):
                cout = make_divisible(out * scale)
                layers.append(DepthwiseSeparable(c, cout, k, strides[i] if (j == 0 and i > 0) else 1, se))
                c = cout
            stages.append(nn.Sequential(*layers))
        self.stages = nn.ModuleList(stages)
        chans = [make_divisible(b[-1][1] * scale) for b in _LCNET]
        self.out_channels = chans[1:] if mode == "det" else chans[-1]


# the published PP-OCR architectures live in their own modules
from lumenocr.models.pplcnet_v3 import PPLCNetV3  # noqa: E402
from lumenocr.models.ppocr_mobilenet_v3 import PPMobileNetV3  # noqa: E402
from lumenocr.models.repvit import RepViTNet  # noqa: E402

BACKBONES = {
    "MobileNetV3": MobileNetV3,
    "ResNetVd": ResNetVd,
    "PPLCNet": PPLCNet,
    "RepViTNet": RepViTNet,
    "PPMobileNetV3": PPMobileNetV3,
    "PPLCNetV3": PPLCNetV3,
}
