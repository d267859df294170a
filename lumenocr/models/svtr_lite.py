"""PP-OCRv6 small recognition neck: a light SVTR encoder over the pooled feature row.

Read off the published graph: a 1x1 conv-BN-swish shortcut; a 1x1 conv-BN-swish to ``dims``
followed by a residual depthwise ``1 x kernel`` conv-BN-swish (local mixing along the line);
``depth`` pre-norm transformer blocks (multi-head self-attention, swish MLP) over all positions;
a final layer norm; the shortcut added back; one ``dims``-wide vector per column for CTC.
"""

from __future__ import annotations

import torch
from torch import nn


class ConvBNSwish(nn.Sequential):
    def __init__(self, cin: int, cout: int, k=(1, 1), groups: int = 1):
        k = tuple(k)
        super().__init__(
            nn.Conv2d(cin, cout, k, padding=(k[0] // 2, k[1] // 2), groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.SiLU(),
        )


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        if dim % heads:
            raise ValueError(f"attention dim {dim} must be a multiple of heads {heads}")
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, c = x.shape
        qkv = self.qkv(x).reshape(n, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = torch.softmax(q @ k.transpose(-2, -1), dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(n, t, c))


class TransformerBlock(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: float = 2.0, eps: float = 1e-5):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.SiLU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class LiteSVTREncoder(nn.Module):
    """(N, C, 1, W) feature row -> (N, W, dims) sequence."""

    def __init__(
        self,
        in_channels: int,
        dims: int = 120,
        depth: int = 2,
        heads: int = 8,
        mlp_ratio: float = 2.0,
        kernel: int = 7,
    ):
        super().__init__()
        self.shortcut = ConvBNSwish(in_channels, dims)
        self.conv_in = ConvBNSwish(in_channels, dims)
        self.local = ConvBNSwish(dims, dims, (1, kernel), groups=dims)
        self.blocks = nn.Sequential(*[TransformerBlock(dims, heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(dims, eps=1e-6)
        self.out_channels = dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        short = self.shortcut(x)
        y = self.conv_in(x)
        y = y + self.local(y)
        n, c, h, w = y.shape
        seq = self.norm(self.blocks(y.flatten(2).transpose(1, 2)))  # (N, H*W, C)
        y = seq.transpose(1, 2).reshape(n, c, h, w) + short
        return y.mean(dim=2).transpose(1, 2)  # H is 1: (N, W, C)


class SVTREncoder(nn.Module):
    """PP-OCRv3-v5 mobile recognition neck (PaddleOCR's ``EncoderWithSVTR``), (N, C, 1, W) -> (N, W, dims).

    Read off the published PP-OCRv5 mobile graph: a ``1 x kernel`` conv to C/8 and a 1x1 conv to
    ``hidden``, ``depth`` pre-norm transformer blocks, a final layer norm, a 1x1 conv back to C,
    concatenation with the input, a ``1 x kernel`` conv to C/8 and a 1x1 conv to ``dims`` (all
    conv-BN-swish). With ``guide`` the transformer branch reads a detached copy of the input, so
    only the shortcut path trains the backbone (as PaddleOCR's ``use_guide``).
    """

    def __init__(
        self,
        in_channels: int,
        dims: int = 120,
        depth: int = 2,
        hidden: int = 120,
        heads: int = 8,
        mlp_ratio: float = 2.0,
        kernel: int = 3,
        guide: bool = True,
    ):
        super().__init__()
        mid = in_channels // 8
        self.guide = guide
        self.conv1 = ConvBNSwish(in_channels, mid, (1, kernel))
        self.conv2 = ConvBNSwish(mid, hidden)
        self.blocks = nn.Sequential(*[TransformerBlock(hidden, heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(hidden, eps=1e-6)
        self.conv3 = ConvBNSwish(hidden, in_channels)
        self.conv4 = ConvBNSwish(2 * in_channels, mid, (1, kernel))
        self.conv5 = ConvBNSwish(mid, dims)
        self.out_channels = dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.conv2(self.conv1(x.detach() if self.guide else x))
        n, c, h, w = z.shape
        seq = self.norm(self.blocks(z.flatten(2).transpose(1, 2)))
        z = self.conv3(seq.transpose(1, 2).reshape(n, c, h, w))
        y = self.conv5(self.conv4(torch.cat([x, z], dim=1)))
        return y.mean(dim=2).transpose(1, 2)  # H is 1: (N, W, dims)
