"""Word boxes from CTC character positions.

The recognizer's output grid spans the padded batch width; each kept character has a run
of grid columns. Characters are grouped into words at spaces (and, for CJK scripts, each
ideograph is its own word, as ICDAR-style annotations of Chinese do), and each word's
horizontal extent in the crop is mapped back through the crop's homography.
"""

from __future__ import annotations

import unicodedata

import numpy as np

from lumenocr.pipeline.crop import Crop
from lumenocr.results import RecResult, Word


def _is_cjk(ch: str) -> bool:
    if not ch:
        return False
    o = ord(ch[0])
    return (
        0x3040 <= o <= 0x30FF
        or 0x3400 <= o <= 0x4DBF
        or 0x4E00 <= o <= 0x9FFF
        or 0xAC00 <= o <= 0xD7AF
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x2FA1F
    )


def _groups(chars: list[str]) -> list[list[int]]:
    groups: list[list[int]] = []
    cur: list[int] = []
    for i, ch in enumerate(chars):
        if ch.isspace() or unicodedata.category(ch[:1] or " ") == "Zs":
            if cur:
                groups.append(cur)
            cur = []
        elif _is_cjk(ch):
            if cur:
                groups.append(cur)
            groups.append([i])
            cur = []
        else:
            cur.append(i)
    if cur:
        groups.append(cur)
    return groups


def word_boxes(
    rec: RecResult, crop: Crop, resized_width: int, batch_width: int, region_is_word: bool = False
) -> list[Word]:
    """Split a recognised line into words with quads in source-image coordinates.

    ``resized_width`` is the crop's width after resizing to the model height (before
    padding) and ``batch_width`` the padded input width the grid spans. ``region_is_word``:
    the crop is a word detector's box, so a line of one word keeps the whole crop as its box.
    """
    if not rec.char_spans or rec.grid_width <= 0:
        return []
    chars = [rec.text[i] for i in range(len(rec.text))] if len(rec.text) == len(rec.char_spans) else None
    if chars is None:  # multi-character tokens: fall back to the whole line as one word
        return []
    crop_h, crop_w = crop.image.shape[:2]
    scores = rec.char_scores or [rec.score] * len(chars)
    groups = _groups(chars)

    def word(g: list[int], x0: float, x1: float) -> Word:
        quad = crop.map_points(np.array([[x0, 0], [x1, 0], [x1, crop_h], [x0, crop_h]], dtype=np.float64))
        return Word("".join(chars[i] for i in g), float(np.mean([scores[i] for i in g])), quad.tolist())

    if region_is_word and len(groups) == 1:  # the detector measured this word's box
        return [word(groups[0], 0.0, float(crop_w))]
    px_per_col = batch_width / rec.grid_width * crop_w / max(resized_width, 1)  # grid column -> crop px
    # Squeezed text may run on into the padding (see RecPreprocess.decode_width): its
    # characters still lie inside the crop, so the columns they use are spread over it.
    used = max(e for _, e in rec.char_spans) + 1
    px_per_col = min(px_per_col, crop_w / used)
    centers = np.array([(s + e + 1) / 2 for s, e in rec.char_spans], dtype=np.float64)
    visible = [i for i, c in enumerate(chars) if not c.isspace()]
    if len(visible) >= 2:
        pitch = float(np.median(np.diff(centers[visible])))
    else:
        # One character: spread the crop's width (in grid columns) over the text.
        pitch = (crop_w / px_per_col) / max(len(chars), 1)
    pitch = max(pitch, 1.0)
    words = []
    for g in groups:
        x0 = (centers[g[0]] - 0.5 * pitch) * px_per_col
        x1 = (centers[g[-1]] + 0.5 * pitch) * px_per_col
        # A pitch measured across a space (lines like "a b") would push a word past the
        # space next to it: a word never extends beyond the middle of an adjacent space.
        if g[0] > 0 and chars[g[0] - 1].isspace():
            x0 = max(x0, centers[g[0] - 1] * px_per_col)
        if g[-1] + 1 < len(chars) and chars[g[-1] + 1].isspace():
            x1 = min(x1, centers[g[-1] + 1] * px_per_col)
        x0, x1 = max(0.0, x0), min(float(crop_w), x1)
        if x1 <= x0:
            continue
        words.append(word(g, x0, x1))
    return words
