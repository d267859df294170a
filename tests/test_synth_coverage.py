"""No missing glyphs in 10,000 generated lines (default config).

What is checked, honestly:
1. For all 10,000 lines, the text and font the generator picks (``RecSynth.select``, the very
   first step of ``render``, with the same per-line seeds as ``generate_rec``) have every
   character in the font's cmap.
2. Every distinct (font, character) pair used by those lines is drawn with PIL and must
   give ink that differs from the font's missing-glyph (.notdef) drawing.
3. A subset of 200 lines is rendered in full, to confirm that ``render`` draws exactly the
   selected text with the selected font.
Rendering all 10,000 lines in full (~90 s on one core) would add nothing to 1-3.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw
from synth_helpers import need_fonts

from lumenocr.synth.config import RecSynthConfig
from lumenocr.synth.fonts import FontCache
from lumenocr.synth.generate import _REC
from lumenocr.synth.line import RecSynth

N_LINES = 10_000
SEED = 0
MISSING = "\U0010fffd"  # a private-use code point no font here maps: draws .notdef


def _draw(font, text: str) -> np.ndarray:
    img = Image.new("L", (64, 64), 0)
    ImageDraw.Draw(img).text((8, 8), text, font=font, fill=255)
    return np.asarray(img)


def test_no_missing_glyphs_in_10000_default_lines():
    need_fonts(cjk=True)
    cfg = RecSynthConfig()
    synth = RecSynth(cfg, seed=SEED)
    plans = synth.sampler.plan(SEED, 0, N_LINES)
    pairs: set[tuple[int, str]] = set()
    chosen = {}
    for plan in plans:
        toks, face_id, _ = synth.select(np.random.default_rng([SEED, plan.index, _REC]), plan)
        face = synth.sampler.faces[face_id]
        assert 1 <= len(toks) <= cfg.text.max_len
        for t in toks:
            if t != " ":
                missing = [ch for ch in t if ch not in face.coverage]
                assert not missing, f"line {plan.index}: {missing} not in {face.name}"
                pairs.add((face_id, t))
        chosen[plan.index] = ("".join(toks), f"{face.path}:{face.index}")

    cache = FontCache()
    bad = []
    for face_id, token in sorted(pairs):
        face = synth.sampler.faces[face_id]
        assert MISSING not in face.coverage
        font = cache.get(face, 20)
        glyph = _draw(font, token)
        if not glyph.any() or np.array_equal(glyph, _draw(font, MISSING)):
            bad.append((face.name, token))
    assert not bad, f"{len(bad)} (font, character) pairs draw no glyph: {bad[:20]}"
    assert len(pairs) > 3000  # the check really spans the Latin and Chinese charset

    for i in range(0, N_LINES, N_LINES // 200):
        sample = synth.render(np.random.default_rng([SEED, i, _REC]), plans[i])
        assert (sample.text, sample.font) == chosen[i]
