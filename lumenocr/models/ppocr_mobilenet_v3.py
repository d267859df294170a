"""PP-OCR's MobileNetV3 for text lines (the 0/180 direction classifier's backbone).

Read off the published ``ch_ppocr_mobile_v2.0_cls`` graph: MobileNetV3 small at width 0.35
with PaddleOCR's text-line layout - every inverted-residual block has its 1x1 expansion conv
(even when the expansion is 1), squeeze-excite reduces by 4 with a 0.2-slope hard sigmoid,
the four downsampling blocks halve only the height (``(2, 1)``), and a final 1x1 conv is
followed by a 2x2 max-pool. Batch-norm is kept (the published graph has it unfolded).
"""

from __future__ import annotations

import torch
from torch import nn

from lumenocr.models.common import ACTIVATIONS, make_divisible
from lumenocr.models.repvit import HardSqueezeExcite

# (kernel, expansion, out, squeeze-excite, activation, downsample) at width 1.0
_SMALL = [
    (3, 16, 16, True, "relu", True),
    (3, 72, 24, False, "relu", True),
    (3, 88, 24, False, "relu", False),
    (5, 96, 40, True, "hardswish", True),
    (5, 240, 40, True, "hardswish", False),
    (5, 240, 40, True, "hardswish", False),
    (5, 120, 48, True, "hardswish", False),
    (5, 144, 48, True, "hardswish", False),
    (5, 288, 96, True, "hardswish", True),
    (5, 576, 96, True, "hardswish", False),
    (5, 576, 96, True, "hardswish", False),
]


class ConvBNAct(nn.Sequential):
    def __init__(self, cin: int, cout: int, k: int, stride=1, groups: int = 1, act: str | None = None):
        super().__init__(
            nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            ACTIVATIONS[act](),
        )


class ResidualUnit(nn.Module):
    def __init__(self, cin: int, mid: int, cout: int, k: int, stride, se: bool, act: str):
        super().__init__()
        self.expand = ConvBNAct(cin, mid, 1, act=act)
        self.depthwise = ConvBNAct(mid, mid, k, stride, groups=mid, act=act)
        self.se = HardSqueezeExcite(mid, 4, slope=0.2) if se else nn.Identity()
        self.project = ConvBNAct(mid, cout, 1, act=None)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.se(self.depthwise(self.expand(x))))
        return x + y if self.residual else y


class PPMobileNetV3(nn.Module):
    """Text-line MobileNetV3 small; ``scale`` is the width multiplier (0.35 for the classifier)."""

    def __init__(self, in_channels: int = 3, scale: float = 0.35, mode: str = "rec"):
        super().__init__()
        if mode != "rec":
            raise ValueError("PPMobileNetV3 is a text-line backbone (mode 'rec', used by cls and rec heads)")
        c = make_divisible(16 * scale)
        self.stem = ConvBNAct(in_channels, c, 3, 2, act="hardswish")
        blocks = []
        for k, exp, out, se, act, down in _SMALL:
            mid, cout = make_divisible(exp * scale), make_divisible(out * scale)
            blocks.append(ResidualUnit(c, mid, cout, k, (2, 1) if down else 1, se, act))
            c = cout
        self.blocks = nn.Sequential(*blocks)
        last = make_divisible(576 * scale)
        self.last_conv = ConvBNAct(c, last, 1, act="hardswish")
        self.pool = nn.MaxPool2d(2, 2)
        self.out_channels = last

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.last_conv(self.blocks(self.stem(x))))
