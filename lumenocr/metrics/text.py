"""Text normalisation, text matching and edit distance shared by every metric.

Normalisation modes (``mode`` arguments everywhere in :mod:`lumenocr.metrics`):

``"exact"``
    Unicode NFC only: composed and decomposed forms of the same letter (``é`` as one code
    point or as ``e`` + combining accent) are the same text; everything else must match.
``"nfkc"``
    NFKC (full-width to half-width, ligatures and compatibility characters folded), runs of
    whitespace collapsed to one space, ends stripped. Case and punctuation still count.
``"icdar"``
    The usual case-insensitive alphanumeric comparison of scene-text recognition
    benchmarks: NFKC, ``str.casefold``, then every character that is not alphanumeric
    (``str.isalnum``: letters and digits of any script, so Chinese text survives) is
    removed, spaces included. ``"Hello, World!"`` and ``"helloworld"`` are equal.
``"icdar2015"``
    The rule of the official ICDAR 2015 end-to-end script, for reproducing published
    figures: both texts are upper-cased (``str.upper``) and the prediction must equal the
    ground truth exactly, or the ground truth with ONE character from
    ``!?.:,*"()·[]/'`` removed from its start, its end, or both. The rule is asymmetric
    (only the ground truth is trimmed), so it is only defined through :func:`texts_match`;
    :func:`normalize_text` applies its symmetric part (``upper``). It differs from
    ``"icdar"`` in that inner punctuation counts (``"don't"`` != ``"dont"``) and a
    prediction with trailing punctuation the ground truth lacks is wrong.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz.distance import Levenshtein

from lumenocr.errors import ConfigError

MODES = ("exact", "nfkc", "icdar", "icdar2015")
ICDAR2015_SPECIAL = "!?.:,*\"()·[]/'"
_SPACES = re.compile(r"\s+")

__all__ = ["MODES", "edit_distance", "edit_ops", "normalize_text", "normalized_edit_distance", "texts_match"]


def check_mode(mode: str) -> str:
    """Return ``mode`` if it is a known normalisation mode, else raise :class:`ConfigError`."""
    if mode not in MODES:
        raise ConfigError(f"unknown text normalisation mode {mode!r}; choose one of {', '.join(MODES)}")
    return mode


def normalize_text(text: str, mode: str = "exact") -> str:
    """``text`` normalised for comparison under ``mode`` (see the module docstring)."""
    check_mode(mode)
    if mode == "exact":
        return unicodedata.normalize("NFC", text)
    if mode == "nfkc":
        return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()
    if mode == "icdar":
        return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())
    return unicodedata.normalize("NFC", text).upper()  # icdar2015: the symmetric part only


def texts_match(gt: str, pred: str, mode: str = "exact") -> bool:
    """Whether prediction ``pred`` counts as a correct reading of ground truth ``gt``."""
    g, p = normalize_text(gt, mode), normalize_text(pred, mode)
    if g == p:
        return True
    if mode != "icdar2015" or not g:
        return False
    head, tail = g[0] in ICDAR2015_SPECIAL, g[-1] in ICDAR2015_SPECIAL
    return (head and g[1:] == p) or (tail and g[:-1] == p) or (head and tail and g[1:-1] == p)


def edit_distance(a, b) -> int:
    """Levenshtein distance (unit costs) between two strings or two sequences of hashables."""
    return int(Levenshtein.distance(a, b))


def normalized_edit_distance(a, b) -> float:
    """Edit distance divided by the longer length: 0.0 identical, 1.0 nothing in common.

    Two empty inputs have distance 0.0.
    """
    return float(Levenshtein.normalized_distance(a, b))


def edit_ops(gt: str, pred: str) -> list[tuple[str, str]]:
    """The character errors turning ``gt`` into ``pred`` as ``(gt_char, pred_char)`` pairs.

    A substitution is ``("a", "o")``, a deletion (character missed) ``("a", "")``, an
    insertion (spurious character) ``("", "o")``. Matching characters are not listed.
    """
    out = []
    for op in Levenshtein.editops(gt, pred):
        if op.tag == "replace":
            out.append((gt[op.src_pos], pred[op.dest_pos]))
        elif op.tag == "delete":
            out.append((gt[op.src_pos], ""))
        else:
            out.append(("", pred[op.dest_pos]))
    return out
