"""Backbones, necks and heads: output strides/shapes, train vs eval outputs, config errors."""

import pytest

torch = pytest.importorskip("torch")

from lumenocr.errors import ConfigError  # noqa: E402
from lumenocr.models import ModelConfig, build_model  # noqa: E402
from lumenocr.models.backbones import MobileNetV3, PPLCNet, ResNetVd  # noqa: E402
from lumenocr.models.necks import DBFPN, RSEFPN, SequenceEncoder  # noqa: E402

BACKBONES = [
    (MobileNetV3, {"model_name": "small", "scale": 0.35}),
    (MobileNetV3, {"model_name": "large", "scale": 0.35}),
    (ResNetVd, {"layers": 18}),
    (ResNetVd, {"layers": 34}),
    (ResNetVd, {"layers": 50}),
    (PPLCNet, {"scale": 0.25}),
]


@pytest.mark.parametrize(("cls", "kw"), BACKBONES)
def test_backbone_det_mode_gives_strides_4_to_32(cls, kw):
    m = cls(mode="det", **kw).eval()
    with torch.no_grad():
        feats = m(torch.zeros(1, 3, 64, 96))
    assert [tuple(f.shape[2:]) for f in feats] == [(16, 24), (8, 12), (4, 6), (2, 3)]
    assert [f.shape[1] for f in feats] == m.out_channels


@pytest.mark.parametrize(("cls", "kw"), BACKBONES)
def test_backbone_rec_mode_keeps_quarter_width(cls, kw):
    m = cls(mode="rec", **kw).eval()
    with torch.no_grad():
        out = m(torch.zeros(2, 3, 32, 100))
    assert out.shape[0] == 2 and out.shape[1] == m.out_channels
    assert out.shape[2] == 1  # height 32 -> 1 after five height halvings
    assert out.shape[3] == 25  # width / 4: one CTC time step per 4 pixels


@pytest.mark.parametrize("neck", [DBFPN, RSEFPN])
def test_fpn_fuses_at_stride_4(neck):
    fpn = neck([8, 16, 24, 32], 32).eval()
    feats = [torch.zeros(1, c, 32 // 2**i, 48 // 2**i) for i, c in enumerate([8, 16, 24, 32])]
    assert fpn(feats).shape == (1, 32, 32, 48)


@pytest.mark.parametrize("kind", ["reshape", "rnn", "svtr"])
def test_sequence_encoder_outputs_one_step_per_column(kind):
    enc = SequenceEncoder(32, kind, hidden_size=16, heads=4).eval()
    out = enc(torch.randn(2, 32, 2, 7))
    assert out.shape == (2, 7, enc.out_channels)


def _cfg(task, head, neck=None):
    return ModelConfig(
        task, {"name": "MobileNetV3", "model_name": "small", "scale": 0.35}, neck, {"name": head}
    )


def test_db_head_train_returns_three_maps_eval_returns_probability():
    m = build_model(_cfg("det", "DBHead", {"name": "DBFPN", "out_channels": 32}))
    x = torch.randn(1, 3, 64, 64)
    maps = m.train()(x)
    assert maps.shape == (1, 3, 64, 64)
    prob, thresh, binary = maps[0]
    k = m.head.k
    assert torch.allclose(binary, torch.sigmoid(k * (prob - thresh)), atol=1e-6)
    m.eval()
    out = m(x)
    assert out.shape == (1, 1, 64, 64) and out.min() >= 0 and out.max() <= 1


def test_ctc_and_cls_heads_return_probabilities_in_eval():
    rec = build_model(
        _cfg("rec", "CTCHead", {"name": "SequenceEncoder", "encoder_type": "rnn", "hidden_size": 8}), 11
    )
    logits = rec.train()(torch.randn(2, 3, 32, 64))
    assert logits.shape == (2, 16, 11) and not torch.allclose(logits.sum(-1), torch.ones(2, 16))
    probs = rec.eval()(torch.randn(2, 3, 32, 64))
    assert torch.allclose(probs.sum(-1), torch.ones(2, 16), atol=1e-5)
    cls = build_model(_cfg("cls", "ClsHead")).eval()
    assert cls(torch.randn(3, 3, 48, 192)).shape == (3, 2)


def test_builder_names_unknown_keys_and_wrong_heads():
    with pytest.raises(ConfigError, match="scal"):
        build_model(ModelConfig("det", {"name": "MobileNetV3", "scal": 1}, None, {"name": "DBHead"}))
    with pytest.raises(ConfigError, match="Mobile"):
        build_model(ModelConfig("det", {"name": "Mobile"}, None, {"name": "DBHead"}))
    with pytest.raises(ConfigError, match="needs head DBHead"):
        build_model(_cfg("det", "ClsHead"))
    with pytest.raises(ConfigError, match="dictionary"):
        build_model(_cfg("rec", "CTCHead"))
    with pytest.raises(ConfigError, match="task"):
        ModelConfig("ocr")
