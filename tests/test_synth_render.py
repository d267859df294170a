"""Synth rendering: polygons enclose the ink through every warp, text rules, balancing, handwriting."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon
from synth_helpers import need_fonts

from lumenocr.errors import ConfigError
from lumenocr.synth.charset import builtin_charset, common_chinese, read_dict, tokenize
from lumenocr.synth.config import RecSynthConfig, TextConfig, rec_config
from lumenocr.synth.line import RecSynth
from lumenocr.synth.render import ink_polygon


def outside_ink(mask: np.ndarray, polys: list[np.ndarray], tol: float = 0.75, level: int = 40) -> int:
    """Number of ink pixels (> ``level``) whose centre lies outside every polygon (+ ``tol`` px)."""
    rows, cols = np.nonzero(mask > level)
    x, y = cols + 0.5, rows + 0.5
    inside = np.zeros(x.shape, bool)
    for p in polys:
        inside |= shapely.contains_xy(Polygon(p).buffer(tol), x, y)
    return int((~inside).sum())


def test_ink_polygon_straight_and_stepped():
    m = np.zeros((20, 40), np.uint8)
    m[5:9, 3:10] = 255
    m[10:15, 20:30] = 255
    quad = ink_polygon(m)
    assert quad.shape == (4, 2)
    np.testing.assert_allclose(quad.min(0), [2, 4])  # 1 px room around [3, 5] .. [30, 15]
    np.testing.assert_allclose(quad.max(0), [31, 16])
    stepped = ink_polygon(m, segments=4)
    assert stepped.shape == (10, 2) and outside_ink(m, [stepped], tol=0) == 0
    assert Polygon(stepped).area < Polygon(quad).area  # follows the ink, tighter than the box
    assert ink_polygon(np.zeros((5, 5), np.uint8)) is None


@pytest.mark.parametrize(
    "style",
    [
        {"rotate_prob": 1.0, "rotate": [-20, 20], "perspective_prob": 0.0, "curve_prob": 0.0},
        {"rotate_prob": 0.0, "perspective_prob": 1.0, "perspective": 0.3, "curve_prob": 0.0},
        {"rotate_prob": 0.5, "perspective_prob": 0.5, "curve_prob": 1.0, "curve": [0.2, 0.6]},
        {"vertical_prob": 1.0, "rotate_prob": 0.5, "rotate": [-10, 10], "perspective_prob": 0.5},
    ],
    ids=["rotate", "perspective", "curve", "vertical"],
)
def test_line_polygons_enclose_all_ink(style):
    need_fonts(cjk="vertical_prob" in style)
    # underlines cross the spaces between words, so they are tested on the line polygon below
    cfg = rec_config({"style": {**style, "spacing_prob": 0.5, "underline_prob": 0.0, "bold_prob": 0.2}})
    synth = RecSynth(cfg)
    verticals = 0
    for i in range(60):
        rng = np.random.default_rng([7, i])
        chosen = synth.select(rng)
        toks, face_id, want_v = chosen
        layer, _ = synth.maker.make(rng, tokens_face=(toks, face_id), want_vertical=want_v)
        assert layer.text == "".join(toks)
        assert outside_ink(layer.mask, [layer.polygon]) == 0, (i, layer.text)
        # the words partition the line: together they enclose its ink too
        assert outside_ink(layer.mask, [p for _, p in layer.words]) == 0, (i, layer.text)
        assert [w for w, _ in layer.words] == layer.text.split()
        if layer.vertical:
            verticals += 1
            assert np.ptp(layer.polygon[:, 1]) > np.ptp(layer.polygon[:, 0])
    if "vertical_prob" in style:
        assert verticals >= 10  # only Chinese lines turn vertical


def test_underline_and_strike_inside_line_polygon():
    need_fonts()
    style = {"underline_prob": 1.0, "strike_prob": 1.0, "vertical_prob": 0.0, "rotate_prob": 0.5}
    synth = RecSynth(rec_config({"style": {**style, "curve_prob": 0.3}}))
    for i in range(30):
        layer, _ = synth.maker.make(np.random.default_rng([9, i]))
        assert outside_ink(layer.mask, [layer.polygon]) == 0, (i, layer.text)


def test_straight_polygons_are_tight():
    need_fonts()
    cfg = rec_config(
        {"style": {"rotate_prob": 0, "perspective_prob": 0, "curve_prob": 0, "vertical_prob": 0}}
    )
    synth = RecSynth(cfg)
    for i in range(30):
        layer, _ = synth.maker.make(np.random.default_rng([3, i]))
        rows, cols = np.nonzero(layer.mask)
        x0, y0 = layer.polygon.min(0)
        x1, y1 = layer.polygon.max(0)
        # ink bbox plus the 1 px interpolation room, nothing more
        assert (x0, y0, x1, y1) == (cols.min() - 1, rows.min() - 1, cols.max() + 2, rows.max() + 2)


def test_sampled_text_respects_length_and_spacing_rules():
    faces = need_fonts(cjk=True)
    from lumenocr.synth.text import TextSampler

    cfg = TextConfig(max_len=12, min_len=2)
    sampler = TextSampler(cfg, faces, seed=1)
    for plan in sampler.plan(1, 0, 400):
        toks, face_id = sampler.sample(np.random.default_rng([1, plan.index]), plan)
        text = "".join(toks)
        assert 2 <= len(toks) <= 12, text
        assert text == text.strip() and "  " not in text, repr(text)
        assert all(t in sampler.token_set or t == " " for t in toks)
        assert all(t == " " or t in sampler.face_chars[face_id].set for t in toks)
        assert all(t in toks for t in plan.focus), (plan, text)  # balanced tokens are never cut


def test_balancing_guarantee_and_split_independence():
    faces = need_fonts(cjk=True)
    from lumenocr.synth.text import STREAM_CJK, TextSampler

    cfg = TextConfig(charset="default", balance_per_line=2)
    sampler = TextSampler(cfg, faces, seed=5)
    n = 9000
    plans = sampler.plan(5, 0, n)
    assert [p.index for p in plans] == list(range(n))
    assert plans[3000:3100] == sampler.plan(5, 3000, 3100)  # any split of the range gives the same plans
    for s, stream in enumerate(sampler.streams):
        lines = [p for p in plans if p.kind != "corpus" and (p.kind == "chinese") == (s == STREAM_CJK)]
        counts = {t: 0 for t in stream}
        for p in lines:
            for t in p.focus:
                counts[t] += 1
        floor = len(lines) * 2 // len(stream)
        assert min(counts.values()) >= floor
        assert max(counts.values()) <= floor + 2


def test_corpus_lines_windows_and_skips(tmp_path):
    faces = need_fonts()
    from lumenocr.synth.text import TextSampler

    corpus = tmp_path / "corpus.txt"
    lines = [
        "the quick brown fox jumps over the lazy dog again and again and again",
        "short line",
        "emoji 🙂 here",
    ]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = TextConfig(charset="latin", corpus_path=str(corpus), max_len=20)
    sampler = TextSampler(cfg, faces, seed=0)
    assert sampler.corpus_skipped == 1  # the emoji line: not in the charset
    for i in range(100):
        toks, _ = sampler.sample(np.random.default_rng(i))
        text = "".join(toks)
        assert len(toks) <= 20
        assert any(f" {text} " in f" {ln} " for ln in lines[:2]), text  # whole words, never cut


def test_dictionary_tokens_and_uncovered(tmp_path):
    faces = need_fonts()
    from lumenocr.synth.text import TextSampler

    d = tmp_path / "dict.txt"
    d.write_text("a\nb\nch\n\u0378\n", encoding="utf-8")  # U+0378 is unassigned: no font has it
    with pytest.raises(ConfigError, match="no glyph"):
        TextSampler(TextConfig(dict_path=str(d)), faces)
    sampler = TextSampler(TextConfig(dict_path=str(d), allow_uncovered=True, max_len=6), faces)
    assert sampler.tokens == ["a", "b", "ch"]
    assert tokenize("chab ch", sampler.token_set, 2) == ["ch", "a", "b", " ", "ch"]
    assert tokenize("chx", sampler.token_set, 2) is None
    for i in range(50):
        toks, _ = sampler.sample(np.random.default_rng(i))
        assert len(toks) <= 6 and set(toks) <= {"a", "b", "ch", " "}


def test_charsets():
    assert len(common_chinese()) == 3755 and "的" in common_chinese()
    latin = builtin_charset("latin")
    assert "é" in latin.token_set and "A" in latin.token_set and " " not in latin.token_set
    with pytest.raises(ConfigError):
        builtin_charset("nope")


def test_read_dict_keeps_space_line(tmp_path):
    d = tmp_path / "d.txt"
    d.write_text("x\n \ny\r\n", encoding="utf-8")
    cs = read_dict(d, space=False)
    assert cs.tokens == ["x", "y"] and cs.space


def test_handwriting_lines_from_character_images(tmp_path):
    faces = need_fonts()
    import cv2
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(faces[0].path, 40, index=faces[0].index)
    for ch in "0123456789":
        folder = tmp_path / "chars" / ch
        folder.mkdir(parents=True)
        for k in range(2):
            img = Image.new("L", (48, 56), 255)
            ImageDraw.Draw(img).text((8 + 2 * k, 4), ch, font=font, fill=20)
            img.save(folder / f"{k}.png")
    cfg = rec_config(
        {"text": {"charset": "digits", "max_len": 10}, "handwriting": {"char_dir": str(tmp_path / "chars")}}
    )
    synth = RecSynth(cfg)
    for i in range(20):
        rng = np.random.default_rng(i)
        layer = synth.handwriting.make(rng)
        assert set(layer.text) <= set("0123456789") and 1 <= len(layer.text) <= 10
        assert outside_ink(layer.mask, [layer.polygon]) == 0
        sample = synth.render(np.random.default_rng(100 + i))
        assert sample.font == "handwriting" and sample.image.ndim == 3
    # an empty folder is a clear error
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no character images"):
        RecSynth(rec_config({"handwriting": {"char_dir": str(tmp_path / "empty")}}))
    assert cv2 is not None


def test_resize_height():
    need_fonts()
    synth = RecSynth(rec_config({"resize_height": 32}))
    for i in range(10):
        img = synth.render(np.random.default_rng(i)).image
        assert img.shape[0] == 32 and img.shape[1] >= 8
    with pytest.raises(ConfigError, match="resize_height"):
        rec_config({"resize_height": 4})


def test_render_line_api():
    need_fonts()
    from lumenocr.synth import render_line

    cfg = RecSynthConfig()
    img1, text1 = render_line(cfg, np.random.default_rng(11))
    img2, text2 = render_line(cfg, np.random.default_rng(11))
    assert text1 == text2 and np.array_equal(img1, img2)
    assert img1.dtype == np.uint8 and img1.ndim == 3 and img1.shape[2] == 3 and text1


def test_page_polygons_enclose_all_text_ink():
    need_fonts(cjk=True)
    from lumenocr.synth.config import det_config
    from lumenocr.synth.page import PageSynth

    cfg = det_config(
        {
            "width": [400, 520],
            "page_rotate_prob": 0.5,
            "page_perspective_prob": 0.5,
            "style": {"rotate_prob": 0.5, "curve_prob": 0.3, "perspective_prob": 0.3, "vertical_prob": 0.3},
        }
    )
    synth = PageSynth(cfg)
    n_lines = 0
    for i in range(8):
        page = synth.render(np.random.default_rng([21, i]))
        h, w = page.image.shape[:2]
        assert page.ink.shape == (h, w)
        polys = [ln.polygon for ln in page.lines]
        n_lines += len(polys)
        # a page warp resamples the ink once more: 1.5 px tolerance there
        assert outside_ink(page.ink, polys, tol=1.5) == 0, i
        assert (
            outside_ink(page.ink, [p for ln in page.lines for _, p in ln.words], tol=1.5)
            < 0.001 * page.ink.size
        )
        for ln in page.lines:
            assert [t for t, _ in ln.words] == ln.text.split() or ln.vertical
    assert n_lines > 30


def test_image_backgrounds_come_from_the_folder(tmp_path):
    need_fonts()
    import cv2

    folder = tmp_path / "bg"
    folder.mkdir()
    cv2.imwrite(str(folder / "red.png"), np.full((200, 300, 3), (30, 30, 220), np.uint8))
    effects = {"background": {"image": 1}, "background_dirs": [str(folder)], "blur_prob": 0, "noise_prob": 0}
    effects |= {"jpeg_prob": 0, "shadow_prob": 0, "motion_blur_prob": 0}
    synth = RecSynth(rec_config({"effects": effects, "margin": [0.3, 0.3], "style": {"vertical_prob": 0}}))
    for i in range(5):
        img = synth.render(np.random.default_rng(i)).image
        assert tuple(int(v) for v in img[1, 1]) == (30, 30, 220)  # the corner shows the folder's image
    with pytest.raises(Exception, match="background folder not found"):
        RecSynth(rec_config({"effects": {"background_dirs": [str(tmp_path / "nope")]}})).render(
            np.random.default_rng(0)
        )


def test_user_font_folder_broken_files_and_empty(tmp_path, monkeypatch):
    faces = need_fonts()
    import shutil

    from lumenocr.synth.fonts import load_faces

    monkeypatch.setenv("LUMENOCR_CACHE", str(tmp_path / "cache"))  # coverage computed fresh, cached here
    folder = tmp_path / "fonts"
    folder.mkdir()
    (folder / "broken.ttf").write_bytes(b"not a font at all")
    latin = next(f for f in faces if f.path.endswith(".ttf"))
    shutil.copy(latin.path, folder / "mine.ttf")
    mine = load_faces([str(folder)], use_system=False)
    assert [f.name for f in mine] == [latin.name] and mine[0].coverage == latin.coverage
    assert list((tmp_path / "cache").rglob("*.json"))  # coverage cached for the next run
    (folder / "mine.ttf").unlink()
    with pytest.raises(ConfigError, match="no usable fonts"):
        load_faces([str(folder)], use_system=False)


def test_default_config_without_a_chinese_font(tmp_path, caplog):
    faces = need_fonts()
    import shutil

    latin = next(f for f in faces if f.path.endswith(".ttf") and "中" not in f.coverage)
    folder = tmp_path / "fonts"
    folder.mkdir()
    shutil.copy(latin.path, folder / "only.ttf")
    cfg = rec_config({"fonts": {"dirs": [str(folder)], "use_system": False}})
    with caplog.at_level("WARNING"):
        synth = RecSynth(cfg)
    assert "no glyph in any font" in caplog.text  # the Chinese part of the charset is dropped, loudly
    assert "chinese" not in synth.sampler.kinds
    for i in range(30):
        sample = synth.render(np.random.default_rng(i))
        assert all(ch in latin.coverage or ch == " " for ch in sample.text)


def test_glyphs_a_font_only_claims_are_never_drawn(tmp_path, monkeypatch):
    """A font whose cmap lists 'Q' and 'Z' but maps them to empty glyphs (the space and the
    no-break space): the cmap check passes them, the glyph check must keep them out of every line.
    (A cmap cannot point at .notdef itself: glyph 0 means "missing" in the cmap format.)"""
    faces = need_fonts()
    from fontTools.ttLib import TTFont

    monkeypatch.setenv("LUMENOCR_CACHE", str(tmp_path / "cache"))
    src = next(f for f in faces if f.path.endswith("DejaVuSans.ttf") or f.path.endswith(".ttf"))
    font = TTFont(src.path)
    for table in font["cmap"].tables:
        if table.isUnicode():
            table.cmap[ord("Q")] = "space"
            table.cmap[ord("Z")] = font.getBestCmap().get(0xA0, "space")
    folder = tmp_path / "fonts"
    folder.mkdir()
    font.save(str(folder / "liar.ttf"))
    cfg = rec_config(
        {
            "fonts": {"dirs": [str(folder)], "use_system": False},
            "text": {"charset": "ascii", "generators": {"codes": 1.0, "random": 1.0}},
        }
    )
    synth = RecSynth(cfg)
    assert {"Q", "Z"} <= synth.sampler.faces[0].coverage  # the cmap claims them
    assert synth.sampler.glyph_check(synth.sampler.faces[0], ["Q", "Z", "A"]) == ["Q", "Z"]
    texts = "".join(synth.render(np.random.default_rng(i)).text for i in range(150))
    assert "Q" not in texts and "Z" not in texts and "A" in texts
