"""Losses: DB (balanced BCE + dice + masked L1), CTC, and cross-entropy for the classifier.

Every loss takes ``(model_output, batch)`` and returns a dict with ``"loss"`` (what is
back-propagated) and its parts, so the trainer can log each term.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


def balanced_bce(
    pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor, negative_ratio: float = 3.0
) -> torch.Tensor:
    """BCE over all positives and the hardest ``negative_ratio`` x as many negatives."""
    positive = gt * mask
    negative = (1 - gt) * mask
    n_pos = int(positive.sum().item())
    n_neg = min(int(negative.sum().item()), int(n_pos * negative_ratio))
    loss = F.binary_cross_entropy(pred.clamp(1e-6, 1 - 1e-6), gt, reduction="none")
    pos_loss = (loss * positive).sum()
    if n_neg > 0:
        neg_loss = torch.topk((loss * negative).flatten(), n_neg).values.sum()
    else:
        neg_loss = loss.new_zeros(())
    return (pos_loss + neg_loss) / (n_pos + n_neg + 1e-6)


def dice_loss(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    inter = (pred * gt * mask).sum()
    union = (pred * mask).sum() + (gt * mask).sum() + 1e-6
    return 1 - 2.0 * inter / union


def masked_l1(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (torch.abs(pred - gt) * mask).sum() / (mask.sum() + 1e-6)


@dataclass
class DBLoss:
    """``alpha * BCE(prob) + beta * L1(thresh) + dice(binary)`` (DB paper: alpha=5, beta=10)."""

    alpha: float = 5.0
    beta: float = 10.0
    negative_ratio: float = 3.0

    def __call__(self, maps: torch.Tensor, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        prob, thresh, binary = maps[:, 0], maps[:, 1], maps[:, 2]
        shrink_map, shrink_mask = batch["shrink_map"], batch["shrink_mask"]
        l_prob = balanced_bce(prob, shrink_map, shrink_mask, self.negative_ratio)
        l_thresh = masked_l1(thresh, batch["threshold_map"], batch["threshold_mask"])
        l_binary = dice_loss(binary, shrink_map, shrink_mask)
        total = self.alpha * l_prob + self.beta * l_thresh + l_binary
        return {"loss": total, "loss_prob": l_prob, "loss_thresh": l_thresh, "loss_binary": l_binary}


@dataclass
class CTCLoss:
    """CTC over (N, T, C) logits with blank 0; the mean over the batch of per-sample losses.

    With ``valid_ratio`` in the batch, each sample's CTC path must end within the columns its
    crop covers (right padding is excluded), matching what ``TextRecognizer`` decodes.
    """

    def __post_init__(self) -> None:
        self._ctc = nn.CTCLoss(blank=0, reduction="none", zero_infinity=True)

    def __call__(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        log_probs = logits.float().log_softmax(-1).permute(1, 0, 2)  # (T, N, C)
        n, t = logits.shape[0], logits.shape[1]
        input_lengths = torch.full((n,), t, dtype=torch.long)
        if "valid_ratio" in batch:  # only the columns over the crop, as the pipeline decodes
            input_lengths = torch.ceil(batch["valid_ratio"].float() * t).long().clamp(1, t)
        losses = self._ctc(log_probs, batch["label"], input_lengths, batch["length"])
        return {"loss": losses.mean()}


@dataclass
class ClsLoss:
    """Cross-entropy over the 0/180 logits."""

    def __call__(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {"loss": F.cross_entropy(logits.float(), batch["label"])}


LOSSES = {"DBLoss": DBLoss, "CTCLoss": CTCLoss, "ClsLoss": ClsLoss}
