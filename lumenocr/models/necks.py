"""Necks: DB-FPN and RSE-FPN for detection; sequence encoders (BiLSTM, SVTR-style mixer) for CTC."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from lumenocr.models.common import ConvBNAct, SqueezeExcite


def _up(x: torch.Tensor, factor: int) -> torch.Tensor:
    return F.interpolate(x, scale_factor=factor, mode="nearest")


class _RSEConv(nn.Module):
    """A plain conv followed by squeeze-excite with a residual around it (RSE-FPN's layer)."""

    def __init__(self, cin: int, cout: int, k: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, padding=k // 2, bias=False)
        self.se = SqueezeExcite(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        return x + self.se(x)


class DBFPN(nn.Module):
    """Feature pyramid over the stride 4..32 maps, fused at stride 4 into ``out_channels`` maps."""

    def __init__(self, in_channels: list[int], out_channels: int = 256, use_rse: bool = False):
        super().__init__()
        if out_channels % 4:
            raise ValueError(f"DBFPN out_channels must be a multiple of 4, got {out_channels}")

        def conv(cin: int, cout: int, k: int) -> nn.Module:
            return _RSEConv(cin, cout, k) if use_rse else nn.Conv2d(cin, cout, k, padding=k // 2, bias=False)

        self.lateral = nn.ModuleList(conv(c, out_channels, 1) for c in in_channels)
        self.smooth = nn.ModuleList(conv(out_channels, out_channels // 4, 3) for _ in in_channels)
        self.out_channels = out_channels

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        lat = [m(f) for m, f in zip(self.lateral, feats, strict=True)]
        for i in range(len(lat) - 2, -1, -1):  # top-down: coarse maps refine finer ones
            lat[i] = lat[i] + _up(lat[i + 1], 2)
        outs = [m(p) for m, p in zip(self.smooth, lat, strict=True)]
        outs = [outs[0]] + [_up(o, 2**i) for i, o in enumerate(outs[1:], 1)]
        return torch.cat(outs[::-1], dim=1)


class RSEFPN(DBFPN):
    """DB-FPN whose convolutions carry residual squeeze-excite attention (PP-OCRv3 style)."""

    def __init__(self, in_channels: list[int], out_channels: int = 96):
        super().__init__(in_channels, out_channels, use_rse=True)


class _Attention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, c = x.shape
        qkv = self.qkv(x).reshape(n, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = torch.softmax(q @ k.transpose(-2, -1) * (c // self.heads) ** -0.5, dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(n, t, c))


class _MixerBlock(nn.Module):
    """Pre-norm transformer block: global self-attention mixing over all positions, then an MLP."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 2.0):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = _Attention(dim, heads)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class SequenceEncoder(nn.Module):
    """Turns a (N, C, H, W) map into a (N, W, D) sequence for CTC.

    ``encoder_type``: ``"reshape"`` (average over height only), ``"rnn"`` (2-layer BiLSTM, the
    CRNN neck) or ``"svtr"`` (an SVTR-style mixer: local convs, global attention blocks over the
    whole map, fused with the input before pooling the height).
    """

    def __init__(
        self,
        in_channels: int,
        encoder_type: str = "rnn",
        hidden_size: int = 48,
        depth: int = 2,
        heads: int = 8,
    ):
        super().__init__()
        self.encoder_type = encoder_type
        if encoder_type == "reshape":
            self.out_channels = in_channels
        elif encoder_type == "rnn":
            self.rnn = nn.LSTM(in_channels, hidden_size, num_layers=2, bidirectional=True, batch_first=True)
            # a linear path around the LSTM: CTC gets usable per-column features from the first
            # step, which shortens the all-blank plateau BiLSTM-CTC models otherwise sit on
            self.skip = nn.Linear(in_channels, hidden_size * 2)
            self.out_channels = hidden_size * 2
        elif encoder_type == "svtr":
            if hidden_size % heads:
                raise ValueError(f"svtr hidden_size {hidden_size} must be a multiple of heads {heads}")
            mid = max(8, in_channels // 8)
            self.local_in = nn.Sequential(
                ConvBNAct(in_channels, mid, 3, act="hardswish"),
                ConvBNAct(mid, hidden_size, 1, act="hardswish"),
            )
            self.blocks = nn.Sequential(*[_MixerBlock(hidden_size, heads) for _ in range(depth)])
            self.norm = nn.LayerNorm(hidden_size)
            self.local_out = ConvBNAct(hidden_size, in_channels, 1, act="hardswish")
            self.fuse = nn.Sequential(
                ConvBNAct(2 * in_channels, mid, 3, act="hardswish"),
                ConvBNAct(mid, hidden_size, 1, act="hardswish"),
            )
            self.out_channels = hidden_size
        else:
            raise ValueError(f"encoder_type must be 'reshape', 'rnn' or 'svtr', got {encoder_type!r}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.encoder_type == "svtr":
            n, _, h, w = x.shape
            y = self.local_in(x)
            c = y.shape[1]
            y = self.norm(self.blocks(y.flatten(2).transpose(1, 2)))
            y = self.local_out(y.transpose(1, 2).reshape(n, c, h, w))
            x = self.fuse(torch.cat([x, y], dim=1))
        seq = x.mean(dim=2).permute(0, 2, 1)  # (N, W, C): one time step per column
        if self.encoder_type == "rnn":
            seq = self.rnn(seq)[0] + self.skip(seq)
        return seq


from lumenocr.models.large_kernel_fpn import LKRSEFPN  # noqa: E402
from lumenocr.models.svtr_lite import LiteSVTREncoder, SVTREncoder  # noqa: E402

NECKS = {
    "DBFPN": DBFPN,
    "RSEFPN": RSEFPN,
    "SequenceEncoder": SequenceEncoder,
    "LKRSEFPN": LKRSEFPN,
    "LiteSVTREncoder": LiteSVTREncoder,
    "SVTREncoder": SVTREncoder,
}
