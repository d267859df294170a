"""Recognition samples: one styled text line cropped from its background."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lumenocr.pipeline.crop import VERTICAL_RATIO  # the inference rule for turning tall crops
from lumenocr.synth.charset import is_cjk
from lumenocr.synth.config import FontConfig, RecSynthConfig, StyleConfig
from lumenocr.synth.effects import (
    background,
    composite,
    degrade,
    list_images,
    luminance,
    text_color,
    text_shadow,
)
from lumenocr.synth.fonts import FontCache, FontFace, GlyphChecker, load_faces
from lumenocr.synth.render import TextLayer, make_layer, rotation_perspective, warp_layer
from lumenocr.synth.text import LinePlan, TextSampler


@dataclass
class RecSample:
    """One rendered recognition line."""

    image: np.ndarray  # BGR uint8
    text: str
    tokens: list[str]
    font: str  # "file:face-index", for coverage checks and debugging
    vertical: bool


def faces_for(cfg: FontConfig) -> list[FontFace]:
    return load_faces(cfg.dirs, cfg.use_system, cfg.include, cfg.exclude)


class LineMaker:
    """Turns a text plan into a styled, warped :class:`TextLayer` (shared by rec and det)."""

    def __init__(
        self, sampler: TextSampler, fonts: FontConfig, style: StyleConfig, cache: FontCache | None = None
    ):
        self.sampler = sampler
        self.font_cfg = fonts
        self.style = style
        self.cache = cache or FontCache()

    def font_size(self, rng: np.random.Generator) -> int:
        lo, hi = self.font_cfg.size
        return int(rng.integers(lo, hi + 1))

    def make(
        self,
        rng: np.random.Generator,
        plan: LinePlan | None = None,
        size: int | None = None,
        geometry: bool = True,
        max_width: float | None = None,
        allow_vertical: bool = True,
        tokens_face: tuple[list[str], int] | None = None,
        long: bool = False,
        want_vertical: bool | None = None,
        words: bool = True,
        face_id: int | None = None,
        spacing: float | None = None,
        bold: bool | None = None,
    ) -> tuple[TextLayer, FontFace] | None:
        """One line layer and the face it was drawn with (``None`` if nothing fits ``max_width``).

        ``max_width`` (px) cuts the text so the straight line fits; ``geometry`` enables
        rotation, perspective and curving (pages place lines themselves). ``tokens_face``
        gives the text and face chosen beforehand (see :meth:`RecSynth.select`); ``face_id``,
        ``spacing`` (px) and ``bold`` fix those looks (blocks of a page share them).
        """
        st = self.style
        if want_vertical is None:
            want_vertical = allow_vertical and rng.random() < st.vertical_prob
        for _ in range(8):
            toks, fid = tokens_face or self.sampler.sample(
                rng, plan, vertical=want_vertical, long=long, face_id=face_id
            )
            tokens_face = None
            face = self.sampler.faces[fid]
            vertical = want_vertical and len(toks) >= 2 and all(is_cjk(t) for t in toks)
            size = size or self.font_size(rng)
            font = self.cache.get(face, size)
            measure = self.cache.measurer(face, size)
            space = spacing
            if space is None:
                space = (
                    float(rng.uniform(st.spacing[0], st.spacing[1])) * size
                    if rng.random() < st.spacing_prob
                    else 0.0
                )
            if vertical:
                space = max(space, 0.0)
            if max_width is not None:
                toks = fit_tokens(toks, font, space, max_width, size if vertical else None, measure)
                if not toks:
                    continue
            underline = not vertical and rng.random() < st.underline_prob
            strike = not vertical and rng.random() < st.strike_prob
            thick = (rng.random() < st.bold_prob if bold is None else bold) and size >= 16
            curve = None
            if geometry and not vertical and len(toks) >= 3 and rng.random() < st.curve_prob:
                amp = float(rng.uniform(st.curve[0], st.curve[1])) * size * float(rng.choice([-1, 1]))
                period = (sum(measure(t) for t in toks) + size) * float(rng.uniform(0.9, 2.5))
                curve = (amp, period, float(rng.uniform(0, 2 * np.pi)))
            layer = make_layer(toks, font, space, vertical, underline, strike, thick, curve, words, measure)
            if layer is None:
                continue
            if geometry:
                layer = self.warp(rng, layer)
            return layer, face
        if max_width is not None:
            return None  # the space is too narrow for any text at this size
        raise RuntimeError("could not draw a visible line in 8 attempts")  # a bug, not a user error

    def warp(self, rng: np.random.Generator, layer: TextLayer) -> TextLayer:
        st = self.style
        angle = float(rng.uniform(st.rotate[0], st.rotate[1])) if rng.random() < st.rotate_prob else 0.0
        jitter = None
        if rng.random() < st.perspective_prob:
            jitter = rng.uniform(-1, 1, (4, 2)) * st.perspective * layer.line_height
        if angle == 0.0 and jitter is None:
            return layer
        h, w = layer.mask.shape
        return warp_layer(layer, rotation_perspective(w, h, angle, jitter))


def fit_tokens(
    toks: list[str], font, spacing: float, max_width: float, vertical_size: int | None, measure=None
) -> list[str]:
    """The longest prefix of ``toks`` that fits ``max_width`` px, cut at a space when possible."""
    pad = font.size * 0.6 + 4
    total = pad
    keep = 0
    for t in toks:
        total += (vertical_size if vertical_size is not None else (measure or font.getlength)(t)) + spacing
        if total > max_width:
            break
        keep += 1
    if keep == len(toks):
        return toks
    head = toks[:keep]
    if " " in head[keep // 2 :]:
        head = head[: len(head) - head[::-1].index(" ")]
    while head and head[-1] == " ":
        head.pop()
    return head


class RecSynth:
    """Renders recognition lines for a :class:`RecSynthConfig`.

    ``seed`` fixes the balanced-token permutation; each sample's look comes from the rng passed
    to :meth:`render`, so ``render(default_rng([seed, i]))`` is reproducible anywhere.
    """

    def __init__(self, cfg: RecSynthConfig, seed: int = 0):
        self.cfg = cfg
        cache = FontCache()
        checker = GlyphChecker(cache).bad_tokens
        self.sampler = TextSampler(cfg.text, faces_for(cfg.fonts), seed=seed, glyph_check=checker)
        self.maker = LineMaker(self.sampler, cfg.fonts, cfg.style, cache)
        list_images(tuple(cfg.effects.background_dirs))  # missing or empty folders fail here, not mid-run
        self.handwriting = None
        if cfg.handwriting.char_dir:
            from lumenocr.synth.handwriting import HandwritingSet

            self.handwriting = HandwritingSet(cfg.handwriting, self.sampler)

    def select(
        self, rng: np.random.Generator, plan: LinePlan | None = None
    ) -> tuple[list[str], int, bool] | None:
        """First step of :meth:`render`: the line's tokens, face index and vertical wish.

        ``None`` means the line is composed from handwriting images. Exposed so tests can
        check the text and font choice of many lines without drawing them.
        """
        if self.handwriting is not None and rng.random() < self.cfg.handwriting.prob:
            return None
        want_vertical = rng.random() < self.cfg.style.vertical_prob
        toks, face_id = self.sampler.sample(rng, plan, vertical=want_vertical)
        return toks, face_id, want_vertical

    def render(self, rng: np.random.Generator, plan: LinePlan | None = None) -> RecSample:
        cfg = self.cfg
        chosen = self.select(rng, plan)
        if chosen is None:
            assert self.handwriting is not None  # select() returns None only when it exists
            layer = self.maker.warp(rng, self.handwriting.make(rng))
            font = "handwriting"
        else:
            toks, face_id, want_vertical = chosen
            made = self.maker.make(
                rng, plan, tokens_face=(toks, face_id), want_vertical=want_vertical, words=False
            )
            assert made is not None  # only a max_width can leave no room for text
            layer, face = made
            font = f"{face.path}:{face.index}"
        image = self.compose(rng, layer)
        if (
            layer.vertical
            and cfg.vertical_output == "rotate"
            and image.shape[0] >= VERTICAL_RATIO * image.shape[1]
        ):
            image = np.ascontiguousarray(np.rot90(image))  # what inference does with tall crops
        if cfg.resize_height and image.shape[0] != cfg.resize_height:
            h = cfg.resize_height
            w = max(1, int(round(image.shape[1] * h / image.shape[0])))
            interp = cv2.INTER_AREA if h < image.shape[0] else cv2.INTER_LINEAR
            image = cv2.resize(image, (w, h), interpolation=interp)
        return RecSample(image, layer.text, layer.tokens, font, layer.vertical)

    def compose(self, rng: np.random.Generator, layer: TextLayer) -> np.ndarray:
        """Crop around the line with random margins, put it on a background, degrade."""
        lh = layer.line_height
        x0, y0 = np.floor(layer.polygon.min(0)).astype(int)
        x1, y1 = np.ceil(layer.polygon.max(0)).astype(int)
        m = (rng.uniform(self.cfg.margin[0], self.cfg.margin[1], size=4) * lh).astype(int)
        cx0, cy0, cx1, cy1 = x0 - m[0], y0 - m[1], x1 + m[2], y1 + m[3]
        h, w = cy1 - cy0, cx1 - cx0
        img = background(rng, h, w, self.cfg.effects).copy()
        color = text_color(rng, luminance(img), self.cfg.style.min_contrast)
        if rng.random() < self.cfg.style.text_shadow_prob:
            shade, dx, dy = text_shadow(rng, layer.mask, lh)
            composite(img, shade, color * 0.3 + img.reshape(-1, 3).mean(0) * 0.2, -cx0 + dx, -cy0 + dy)
        composite(img, layer.mask, color, -cx0, -cy0)
        return degrade(rng, img, self.cfg.effects, scale=lh / 32)


_SYNTH_CACHE: dict[str, RecSynth] = {}


def render_line(
    config: RecSynthConfig | None = None, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, str]:
    """Render one recognition line in memory: ``(BGR image, label)``.

    The synthesizer for a config is built once (fonts, coverage) and reused across calls.
    """
    config = config or RecSynthConfig()
    rng = rng or np.random.default_rng()
    key = repr(config)
    synth = _SYNTH_CACHE.get(key)
    if synth is None:
        if len(_SYNTH_CACHE) > 4:
            _SYNTH_CACHE.clear()
        synth = _SYNTH_CACHE[key] = RecSynth(config)
    s = synth.render(rng)
    return s.image, s.text
