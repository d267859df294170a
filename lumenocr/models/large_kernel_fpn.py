"""PP-OCRv6 small detection neck: RSE-FPN with large-kernel depthwise smoothing.

Read off the published graph: each backbone map goes through a 1x1 conv with residual
squeeze-excite (RSE, as in PP-OCRv3's RSE-FPN) to ``out_channels``; a top-down pass adds each
coarser map, upsampled, to the next finer one; each level is then smoothed by a depthwise
``kernel`` x ``kernel`` conv and a 1x1 RSE conv to ``out_channels / 4``, upsampled to stride 4
and concatenated (coarsest first) for the DB head.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from lumenocr.models.repvit import HardSqueezeExcite


class RSEConv(nn.Module):
    """Conv (no bias) followed by a residual hard-sigmoid squeeze-excite: ``y + y * gate(y)``."""

    def __init__(self, cin: int, cout: int, k: int = 1, slope: float = 0.2):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, padding=k // 2, bias=False)
        self.se = HardSqueezeExcite(cout, 4, slope)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return y + self.se(y)


class LargeKernelSmooth(nn.Module):
    """Depthwise ``k`` x ``k`` conv (with bias) then a 1x1 RSE conv to ``cout``."""

    def __init__(self, cin: int, cout: int, k: int):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, k, padding=k // 2, groups=cin, bias=True)
        self.pw = RSEConv(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pw(self.dw(x))


class LKRSEFPN(nn.Module):
    """Feature pyramid over the stride 4..32 maps, fused at stride 4 into ``out_channels`` maps.

    ``kernel``: size of the depthwise smoothing conv (PP-OCRv6 small: 7); ``0`` smooths with a
    3x3 RSE conv instead, which is PP-OCRv3-v5's RSE-FPN.
    """

    def __init__(self, in_channels: list[int], out_channels: int = 96, kernel: int = 7):
        super().__init__()
        if out_channels % 4:
            raise ValueError(f"LKRSEFPN out_channels must be a multiple of 4, got {out_channels}")
        self.lateral = nn.ModuleList(RSEConv(c, out_channels, 1) for c in in_channels)
        self.smooth = nn.ModuleList(
            LargeKernelSmooth(out_channels, out_channels // 4, kernel)
            if kernel
            else RSEConv(out_channels, out_channels // 4, 3)
            for _ in in_channels
        )
        self.out_channels = out_channels

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        n = len(feats)
        lat: list[torch.Tensor] = [torch.empty(0)] * n
        for i in range(n - 1, -1, -1):  # coarsest first: the order the published graph runs
            lat[i] = self.lateral[i](feats[i])
        for i in range(n - 2, -1, -1):  # top-down: coarse maps refine finer ones
            lat[i] = lat[i] + F.interpolate(lat[i + 1], scale_factor=2.0, mode="nearest")
        outs = [self.smooth[i](lat[i]) for i in range(n - 1, -1, -1)]  # coarsest first
        outs = [
            F.interpolate(o, scale_factor=float(2 ** (n - 1 - j)), mode="nearest") if j < n - 1 else o
            for j, o in enumerate(outs)
        ]
        return torch.cat(outs, dim=1)
