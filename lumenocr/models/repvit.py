"""PP-OCRv6 small backbone: a PP-HGNetV2 stem followed by RepViT-style blocks.

Read off the published PP-OCRv6 small detection and recognition graphs:

* **stem** (PP-HGNetV2's ``StemBlock``): 3x3/2 conv, then two branches on its output - a 2x2
  max-pool and two 2x2 convs (both padded right/bottom by one pixel, so the size stays) -
  concatenated, then a 3x3/2 conv and a 1x1 conv. Total stride 4.
* **blocks** (RepViT): a *token mixer* - one depthwise 3x3 conv (the re-parameterised sum of a
  3x3, a 1x1 and an identity branch) optionally followed by squeeze-excite - and a *channel
  mixer* - a 1x1 expansion to twice the input width, GELU, a 1x1 projection - added to the
  token mixer's output when the width does not change.
* **stages**: the first works at the stem's width; each later stage starts with a downsampling
  block (depthwise 3x3 with stride 2 - ``(2, 1)`` for recognition, which keeps the width as CTC
  time steps - and no squeeze-excite) that widens the map.

The published graphs carry folded batch-norm: every conv has a bias and no normalisation. The
module mirrors that (``ConvAct``): fine-tuning trains the folded convs directly (see
docs/training.md, "Folded batch-norm").
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from lumenocr.models.common import ACTIVATIONS


class ConvAct(nn.Sequential):
    """Conv2d with bias (a conv whose batch-norm was folded into it) + activation."""

    def __init__(self, cin: int, cout: int, k=3, stride=1, groups: int = 1, act: str | None = "relu"):
        ks = (k, k) if isinstance(k, int) else tuple(k)
        pad = (ks[0] // 2, ks[1] // 2)
        super().__init__(nn.Conv2d(cin, cout, ks, stride, pad, groups=groups, bias=True), ACTIVATIONS[act]())


class HardSqueezeExcite(nn.Module):
    """Squeeze-excite with a hard-sigmoid gate ``clip(slope * x + 0.5, 0, 1)``.

    RepViT blocks use slope 1/6 (PyTorch's ``hardsigmoid``); Paddle's layers default to 0.2.
    """

    def __init__(self, channels: int, reduction: int = 4, slope: float = 1 / 6):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1)
        self.fc2 = nn.Conv2d(channels // reduction, channels, 1)
        self.slope = slope

    def gate(self, x: torch.Tensor) -> torch.Tensor:
        w = torch.relu(self.fc1(x.mean(dim=(2, 3), keepdim=True)))
        w = self.fc2(w)
        if abs(self.slope - 1 / 6) < 1e-6:
            return F.hardsigmoid(w)
        return torch.clamp(w * self.slope + 0.5, 0.0, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)


class StemBlock(nn.Module):
    """PP-HGNetV2 stem: ``in -> mid`` (stride 2), pool/conv branches, ``-> mid`` (stride 2), ``-> out``."""

    def __init__(self, cin: int, mid: int, cout: int):
        super().__init__()
        self.stem1 = ConvAct(cin, mid, 3, 2)
        self.stem2a = ConvAct(mid, mid // 2, 2)
        self.stem2b = ConvAct(mid // 2, mid, 2)
        self.stem3 = ConvAct(mid * 2, mid, 3, 2)
        self.stem4 = ConvAct(mid, cout, 1)
        # a 2x2 kernel at stride 1 needs one extra pixel right and bottom to keep the size
        for block in (self.stem2a, self.stem2b):
            conv = block[0]
            assert isinstance(conv, nn.Conv2d)
            conv.padding = (0, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem1(x)
        a = self.stem2b(F.pad(self.stem2a(F.pad(x, (0, 1, 0, 1))), (0, 1, 0, 1)))
        b = F.max_pool2d(F.pad(x, (0, 1, 0, 1)), 2, 1)  # inputs are >= 0 (ReLU): zero pad == -inf pad
        return self.stem4(self.stem3(torch.cat([b, a], dim=1)))


class RepViTBlock(nn.Module):
    """Token mixer (depthwise conv [+ SE]) then channel mixer (1x1 -> GELU -> 1x1)."""

    def __init__(self, cin: int, cout: int, stride=1, se: bool = False, kernel: int = 3):
        super().__init__()
        self.token = ConvAct(cin, cin, kernel, stride, groups=cin, act=None)
        self.se = HardSqueezeExcite(cin) if se else nn.Identity()
        self.channel = nn.Sequential(
            ConvAct(cin, 2 * cin, 1, act="gelu"), ConvAct(2 * cin, cout, 1, act=None)
        )
        self.residual = cin == cout and stride == 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.se(self.token(x))
        y = self.channel(x)
        return x + y if self.residual else y


class RepViTNet(nn.Module):
    """Stem + stages of RepViT blocks.

    ``stages``: one ``[channels, se_flags]`` per stage, ``se_flags`` a string of ``1``/``0`` per
    block (after the downsampling block that starts every stage but the first). ``mode="det"``
    returns every stage's map (strides 4, 8, 16, 32); ``mode="rec"`` downsamples later stages by
    ``(2, 1)`` and returns the last map average-pooled by ``rec_pool`` (``[3, 2]``: a 48-pixel
    line becomes one row, one CTC step per 8 input columns).
    """

    def __init__(
        self,
        in_channels: int = 3,
        stem_channels: tuple[int, int] = (24, 48),
        stages: list | None = None,
        mode: str = "det",
        rec_pool: tuple[int, int] = (3, 2),
    ):
        super().__init__()
        if mode not in ("det", "rec"):
            raise ValueError(f"mode must be 'det' or 'rec', got {mode!r}")
        stages = stages or [[48, "10"], [96, "10"], [192, "1010"], [384, "10"]]
        self.mode = mode
        self.rec_pool = tuple(rec_pool)
        mid, c = stem_channels
        self.stem = StemBlock(in_channels, mid, c)
        down = 2 if mode == "det" else (2, 1)
        self.stages = nn.ModuleList()
        chans = []
        for i, (width, flags) in enumerate(stages):
            flags = str(flags)
            if set(flags) - {"0", "1"}:
                raise ValueError(f"RepViTNet stage {i}: se flags must be a string of 0/1, got {flags!r}")
            blocks: list[nn.Module] = []
            if i > 0:
                blocks.append(RepViTBlock(c, width, down))
            elif width != c:
                raise ValueError(f"RepViTNet: first stage width {width} must equal the stem's {c}")
            c = width
            blocks += [RepViTBlock(c, c, 1, se=f == "1") for f in flags]
            self.stages.append(nn.Sequential(*blocks))
            chans.append(c)
        self.out_channels: list[int] | int = chans if mode == "det" else chans[-1]

    def forward(self, x: torch.Tensor):
        x = self.stem(x)
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        if self.mode == "det":
            return feats
        return F.avg_pool2d(x, self.rec_pool, self.rec_pool)
