"""DB / CTC / classifier losses and DB target generation."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lumenocr.train.db_targets import DBTargets  # noqa: E402
from lumenocr.train.losses import CTCLoss, DBLoss, balanced_bce, dice_loss, masked_l1  # noqa: E402


def test_balanced_bce_keeps_only_the_hardest_three_negatives_per_positive():
    gt = torch.tensor([1.0, 0, 0, 0, 0, 0, 0, 0])
    mask = torch.ones(8)
    pred = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.1, 0.1, 0.1, 0.1])
    bce = -torch.log(torch.tensor([0.9, 0.2, 0.3, 0.4]))  # positive + the three hardest negatives
    assert torch.isclose(balanced_bce(pred, gt, mask), bce.sum() / 4, atol=1e-5)
    # an easy negative does not change the loss; a masked-out hard negative does not count
    pred2 = pred.clone()
    pred2[5] = 0.05
    assert torch.isclose(balanced_bce(pred2, gt, mask), bce.sum() / 4, atol=1e-5)
    mask2 = mask.clone()
    mask2[1] = 0
    expected = -torch.log(torch.tensor([0.9, 0.3, 0.4, 0.9])).sum() / 4
    assert torch.isclose(balanced_bce(pred, gt, mask2), expected, atol=1e-5)


def test_dice_and_masked_l1():
    gt = torch.tensor([1.0, 1, 0, 0])
    mask = torch.ones(4)
    assert dice_loss(gt, gt, mask) < 1e-5
    assert torch.isclose(dice_loss(1 - gt, gt, mask), torch.tensor(1.0))
    pred = torch.tensor([0.5, 0.5, 0.5, 9.0])
    assert torch.isclose(masked_l1(pred, torch.zeros(4), torch.tensor([1.0, 1, 1, 0])), torch.tensor(0.5))


def test_db_loss_is_lower_for_a_good_prediction():
    h = w = 16
    shrink = torch.zeros(1, h, w)
    shrink[:, 4:12, 4:12] = 1
    batch = {
        "shrink_map": shrink,
        "shrink_mask": torch.ones(1, h, w),
        "threshold_map": torch.full((1, h, w), 0.3),
        "threshold_mask": torch.ones(1, h, w),
    }
    good = torch.stack([shrink.clamp(0.02, 0.98), torch.full((1, h, w), 0.3), shrink], 1)
    bad = torch.stack([1 - shrink.clamp(0.02, 0.98), torch.full((1, h, w), 0.7), 1 - shrink], 1)
    lg, lb = DBLoss()(good, batch), DBLoss()(bad, batch)
    assert lg["loss"] < 0.2 < lb["loss"]
    assert set(lg) == {"loss", "loss_prob", "loss_thresh", "loss_binary"}


def test_ctc_loss_prefers_the_right_alignment():
    t, c = 8, 5
    label = torch.tensor([[1, 2, 3, 0]])
    batch = {"label": label, "length": torch.tensor([3])}
    right = torch.full((1, t, c), -5.0)
    for step, cls in enumerate([1, 1, 0, 2, 0, 3, 3, 0]):
        right[0, step, cls] = 5.0
    wrong = right.roll(1, dims=2)
    assert CTCLoss()(right, batch)["loss"] < 0.1 < CTCLoss()(wrong, batch)["loss"]


def test_db_targets_shrink_rectangle_by_the_db_offset():
    poly = np.array([[20, 20], [120, 20], [120, 60], [20, 60]], np.float32)
    t = DBTargets(shrink_ratio=0.4)((100, 200), [poly], [False])
    d = 100 * 40 * (1 - 0.4**2) / 280  # D = A (1 - r^2) / L = 12
    ys, xs = np.nonzero(t["shrink_map"])
    assert abs(xs.min() - (20 + d)) <= 1 and abs(xs.max() - (120 - d)) <= 1
    assert abs(ys.min() - (20 + d)) <= 1 and abs(ys.max() - (60 - d)) <= 1
    # threshold map: thresh_max on the border, thresh_min far from it, only inside the grown box
    assert t["threshold_map"][40, 20] == pytest.approx(0.7, abs=0.02)
    assert t["threshold_map"][90, 190] == pytest.approx(0.3)
    assert t["threshold_mask"][40, 20] == 1 and t["threshold_mask"][90, 190] == 0
    assert t["shrink_mask"].min() == 1


def test_db_targets_mask_out_ignored_and_tiny_text():
    ignored = np.array([[10, 10], [60, 10], [60, 30], [10, 30]], np.float32)
    tiny = np.array([[100, 50], [140, 50], [140, 54], [100, 54]], np.float32)  # 4 px high < min_text_size
    t = DBTargets()((80, 160), [ignored, tiny], [True, False])
    assert t["shrink_map"].sum() == 0
    assert t["shrink_mask"][20, 30] == 0 and t["shrink_mask"][52, 120] == 0 and t["shrink_mask"][70, 5] == 1


def test_ctc_valid_ratio_forbids_characters_in_the_padding():
    t, c = 8, 5
    batch = {"label": torch.tensor([[1, 2, 0]]), "length": torch.tensor([2])}
    late = torch.full((1, t, c), -5.0)
    for step, cls in enumerate([0, 1, 0, 0, 0, 0, 2, 0]):  # "2" emitted at column 6: in the padding
        late[0, step, cls] = 5.0
    assert CTCLoss()(late, batch)["loss"] < 0.1
    covered = {**batch, "valid_ratio": torch.tensor([0.5])}  # the crop covers columns 0-3 only
    assert CTCLoss()(late, covered)["loss"] > 1.0
