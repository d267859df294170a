"""PP-LCNetV3, the backbone of the PP-OCRv5 mobile models (as published, re-parameterised).

Read off the published PP-OCRv5 mobile detection graph: a 3x3/2 conv with batch-norm, then
depthwise-separable blocks. Each conv of a block is a *learnable rep layer*: in training,
PaddleOCR sums several parallel conv-BN branches; the published file holds their sum as one
conv with a bias. Every rep layer is followed by a learnable affine (a scalar scale and shift),
and - except for stride-2 depthwise convs - by hard-swish and another learnable affine.
Squeeze-excite (1/6-slope hard sigmoid) sits between the depthwise and pointwise convs of the
last stage's first blocks. ``mode="det"`` returns the outputs of the last four stages, each
through a 1x1 conv to ``det_channels``; ``mode="rec"`` (read off the PP-OCRv5 mobile recognition
graph) downsamples mostly the height after the stem - ``(2, 1)`` three times, ``(1, 2)`` once -
and average-pools the last map by (3, 2): a 48-pixel line becomes one row, one step per 8 columns.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from lumenocr.models.repvit import HardSqueezeExcite

Stride = int | tuple[int, int]
# per stage: (kernel, in, out, stride, squeeze-excite) at width 1.0 (PaddleOCR's NET_CONFIG_det)
DET_STAGES: list[list[tuple[int, int, int, Stride, bool]]] = [
    [(3, 16, 32, 1, False)],
    [(3, 32, 64, 2, False), (3, 64, 64, 1, False)],
    [(3, 64, 128, 2, False), (3, 128, 128, 1, False)],
    [(3, 128, 256, 2, False), *[(5, 256, 256, 1, False)] * 4],
    [(5, 256, 512, 2, True), (5, 512, 512, 1, True), (5, 512, 512, 1, False), (5, 512, 512, 1, False)],
]
# the text-line variant: downsampling halves the height only, after the stem
REC_STAGES: list[list[tuple[int, int, int, Stride, bool]]] = [
    [(3, 16, 32, 1, False)],
    [(3, 32, 64, 1, False), (3, 64, 64, 1, False)],
    [(3, 64, 128, (2, 1), False), (3, 128, 128, 1, False)],
    [(3, 128, 256, (1, 2), False), *[(5, 256, 256, 1, False)] * 4],
    [
        (5, 256, 512, (2, 1), True),
        (5, 512, 512, 1, True),
        (5, 512, 512, (2, 1), False),
        (5, 512, 512, 1, False),
    ],
]


def divisible16(value: float) -> int:
    out = max(16, int(value + 8) // 16 * 16)
    return out + 16 if out < 0.9 * value else out


class LearnableAffine(nn.Module):
    """``scale * x + shift`` with two learned scalars."""

    def __init__(self, scale: float = 1.0, shift: float = 0.0):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor([scale]))
        self.bias = nn.Parameter(torch.tensor([shift]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * x + self.bias


class RepConv(nn.Module):
    """A re-parameterised conv (one conv with bias), its affine, then hard-swish + affine unless
    it is a stride-2 layer (PP-LCNetV3 leaves those linear)."""

    def __init__(self, cin: int, cout: int, k: int, stride=1, groups: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=True)
        self.affine = LearnableAffine()
        self.act = stride != 2
        if self.act:
            self.act_affine = LearnableAffine()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.affine(self.conv(x))
        return self.act_affine(F.hardswish(x)) if self.act else x


class LCNetV3Block(nn.Module):
    def __init__(self, cin: int, cout: int, k: int, stride, se: bool):
        super().__init__()
        self.dw = RepConv(cin, cin, k, stride, groups=cin)
        self.se = HardSqueezeExcite(cin) if se else nn.Identity()
        self.pw = RepConv(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pw(self.se(self.dw(x)))


class PPLCNetV3(nn.Module):
    """PP-LCNetV3 at width ``scale``; ``det_channels`` are the det-mode output widths at 1.0."""

    def __init__(
        self,
        in_channels: int = 3,
        scale: float = 0.75,
        mode: str = "det",
        det_channels: tuple[int, int, int, int] = (16, 24, 56, 480),
    ):
        super().__init__()
        if mode not in ("det", "rec"):
            raise ValueError(f"mode must be 'det' or 'rec', got {mode!r}")
        self.mode = mode
        stem = divisible16(16 * scale)
        self.stem = nn.Sequential(nn.Conv2d(in_channels, stem, 3, 2, 1, bias=False), nn.BatchNorm2d(stem))
        table = DET_STAGES if mode == "det" else REC_STAGES
        self.stages = nn.ModuleList(
            nn.Sequential(
                *[
                    LCNetV3Block(divisible16(cin * scale), divisible16(cout * scale), k, s, se)
                    for k, cin, cout, s, se in stage
                ]
            )
            for stage in table
        )
        widths = [divisible16(stage[-1][2] * scale) for stage in table]
        if mode == "det":
            outs = [int(c * scale) for c in det_channels]
            self.det_out = nn.ModuleList(nn.Conv2d(c, o, 1) for c, o in zip(widths[1:], outs, strict=True))
            self.out_channels: list[int] | int = outs
        else:
            self.out_channels = widths[-1]

    def forward(self, x: torch.Tensor):
        x = self.stem(x)
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        if self.mode == "det":
            return [conv(f) for conv, f in zip(self.det_out, feats[1:], strict=True)]
        return F.avg_pool2d(x, (3, 2), (3, 2))
