"""Heads: DB (probability / threshold / approximate binary maps), CTC and the 0/180 classifier.

In training mode a head returns what its loss needs (logits or all DB maps); in eval mode it
returns exactly what PP-OCR's exported models output, so ``model.eval()`` is the export graph.
"""

from __future__ import annotations

import torch
from torch import nn


class _DBBranch(nn.Sequential):
    """3x3 conv, then two 2x transposed convs back to input resolution, sigmoid.

    ``batch_norm=False``: the convs carry biases instead (the layout of published PP-OCR graphs,
    whose batch-norm is folded into the convs).
    """

    def __init__(self, cin: int, batch_norm: bool = True):
        mid = max(cin // 4, 8)
        norm = nn.BatchNorm2d if batch_norm else lambda _c: nn.Identity()
        super().__init__(
            nn.Conv2d(cin, mid, 3, padding=1, bias=not batch_norm),
            norm(mid),
            nn.ReLU(),
            nn.ConvTranspose2d(mid, mid, 2, 2),
            norm(mid),
            nn.ReLU(),
            nn.ConvTranspose2d(mid, 1, 2, 2),
            nn.Sigmoid(),
        )


class DBHead(nn.Module):
    """Differentiable binarization head. Eval: (N, 1, H, W) probability map.

    Train: (N, 3, H, W) = probability, threshold and the approximate binary map
    ``1 / (1 + exp(-k (P - T)))``.
    """

    def __init__(self, in_channels: int, k: float = 50.0, batch_norm: bool = True):
        super().__init__()
        self.k = k
        self.binarize = _DBBranch(in_channels, batch_norm)
        self.thresh = _DBBranch(in_channels, batch_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        prob = self.binarize(x)
        if not self.training:
            return prob
        thresh = self.thresh(x)
        binary = torch.sigmoid(self.k * (prob - thresh))
        return torch.cat([prob, thresh, binary], dim=1)


class CTCHead(nn.Module):
    """Per-time-step classifier. Train: logits (N, T, C); eval: softmax probabilities."""

    def __init__(self, in_channels: int, num_classes: int, mid_channels: int | None = None):
        super().__init__()
        if mid_channels:
            self.fc: nn.Module = nn.Sequential(
                nn.Linear(in_channels, mid_channels), nn.Linear(mid_channels, num_classes)
            )
        else:
            self.fc = nn.Linear(in_channels, num_classes)
        self.num_classes = num_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.fc(x)
        return logits if self.training else torch.softmax(logits, dim=-1)


class ClsHead(nn.Module):
    """Global-pool + linear over ``num_classes`` (0/180). Train: logits; eval: softmax (N, 2)."""

    def __init__(self, in_channels: int, num_classes: int = 2):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_channels, num_classes)
        self.num_classes = num_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.fc(self.pool(x).flatten(1))
        return logits if self.training else torch.softmax(logits, dim=-1)


HEADS = {"DBHead": DBHead, "CTCHead": CTCHead, "ClsHead": ClsHead}
