"""CTC decoding with character positions (for word boxes) and an optional beam search."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from lumenocr.errors import DictionaryMismatchError
from lumenocr.io.dictionary import read_dictionary as load_dictionary  # noqa: F401 - former home, kept for callers
from lumenocr.results import RecResult

BLANK = 0


@dataclass(frozen=True)
class CTCDecoder:
    """Maps CTC class indices to text. Class 0 is the blank; then ``characters``; then a
    space when ``use_space_char`` (PaddleOCR's layout).

    Some published dictionaries already contain ``"blank"`` as the first entry or a space
    as the last one; :meth:`for_model` detects those layouts from the model's class count.
    """

    name: ClassVar[str] = "ctc"

    characters: tuple[str, ...]
    use_space_char: bool = True
    labels: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        labels = ["<blank>", *self.characters]
        if self.use_space_char:
            labels.append(" ")
        object.__setattr__(self, "labels", tuple(labels))

    @property
    def num_classes(self) -> int:
        return len(self.labels)

    @classmethod
    def for_model(
        cls,
        characters: Sequence[str],
        num_classes: int | None,
        source: str = "dictionary",
        use_space_char: bool | None = None,
    ) -> CTCDecoder:
        """Build the decoder whose class count fits ``num_classes`` (the model's last output
        dimension), accepting the common dictionary layouts; anything else is a
        :class:`DictionaryMismatchError` that gives both sizes. ``use_space_char`` (the model
        metadata's) decides only when the class count is unknown."""
        chars = list(characters)
        if chars and chars[0].lower() in ("blank", "<blank>"):
            chars = chars[1:]
        if num_classes is None:
            space = " " not in chars if use_space_char is None else bool(use_space_char)
            return cls(tuple(chars), use_space_char=space)
        if num_classes == len(chars) + 2:
            # PaddleOCR appends the space class even when the dictionary already has a space.
            return cls(tuple(chars), use_space_char=True)
        if num_classes == len(chars) + 1:
            return cls(tuple(chars), use_space_char=False)
        raise DictionaryMismatchError(
            f"{source} has {len(chars)} characters but the recognition model outputs {num_classes} classes "
            f"(expected {len(chars) + 1} without or {len(chars) + 2} with the space class, blank included): "
            "the dictionary does not belong to this model"
        )

    def check(self, num_classes: int, source: str = "model") -> None:
        if num_classes != self.num_classes:
            raise DictionaryMismatchError(
                f"{source} outputs {num_classes} classes but the dictionary gives {self.num_classes} "
                f"({len(self.characters)} characters + blank{' + space' if self.use_space_char else ''})"
            )

    # -- greedy -----------------------------------------------------------------------------
    def decode(self, probs: np.ndarray, valid_widths: Sequence[int] | None = None) -> list[RecResult]:
        """Greedy (best-path) decoding of a (N, T, C) probability batch.

        ``valid_widths[i]`` limits item i to its first columns (the rest is padding).
        The line score is the mean of the kept characters' probabilities (PaddleOCR's),
        0 for an empty result.
        """
        if probs.ndim != 3:
            raise ValueError(f"expected (N, T, C) probabilities, got shape {probs.shape}")
        self.check(probs.shape[2])
        idx = probs.argmax(axis=2)
        conf = np.take_along_axis(probs, idx[..., None], axis=2)[..., 0]
        out = []
        for i in range(probs.shape[0]):
            t_max = probs.shape[1] if valid_widths is None else int(valid_widths[i])
            out.append(self._collapse(idx[i, :t_max], conf[i, :t_max], probs.shape[1]))
        return out

    def _collapse(self, idx: np.ndarray, conf: np.ndarray, grid: int) -> RecResult:
        if idx.size == 0:
            return RecResult("", 0.0, [], grid, [])
        # A new character starts where the index changes and is not blank.
        change = np.ones(idx.shape, dtype=bool)
        change[1:] = idx[1:] != idx[:-1]
        starts = np.flatnonzero(change & (idx != BLANK))
        chars, spans, scores = [], [], []
        n = idx.size
        for s in starts:
            e = s
            while e + 1 < n and idx[e + 1] == idx[s]:
                e += 1
            chars.append(self.labels[idx[s]])
            spans.append((int(s), int(e)))
            scores.append(float(conf[s : e + 1].max()))
        score = float(np.mean(scores)) if scores else 0.0
        return RecResult("".join(chars), score, spans, grid, scores)

    # -- beam search ------------------------------------------------------------------------
    def beam_decode(
        self,
        probs: np.ndarray,
        beam_width: int = 8,
        valid_widths: Sequence[int] | None = None,
        prune: float = 1e-3,
    ) -> list[RecResult]:
        """CTC prefix beam search. Classes below ``prune`` probability at a step are skipped,
        which keeps it fast with 18k-class dictionaries. Character positions come from the
        greedy path where the texts agree; otherwise they are left out (``char_spans=None``)."""
        self.check(probs.shape[2])
        greedy = self.decode(probs, valid_widths)
        out = []
        for i in range(probs.shape[0]):
            t_max = probs.shape[1] if valid_widths is None else int(valid_widths[i])
            labels, logp = _prefix_beam(probs[i, :t_max], beam_width, prune)
            text = "".join(self.labels[k] for k in labels)
            if text == greedy[i].text:
                res = greedy[i]
                out.append(RecResult(text, res.score, res.char_spans, res.grid_width, res.char_scores))
            else:
                # Geometric mean per character keeps scores comparable to greedy ones.
                score = float(np.exp(logp / max(len(labels), 1))) if labels else 0.0
                out.append(RecResult(text, min(score, 1.0), None, probs.shape[1], None))
        return out


def _prefix_beam(probs: np.ndarray, beam_width: int, prune: float) -> tuple[tuple[int, ...], float]:
    """Standard CTC prefix beam search in probability space (T is small, ~40-200)."""
    beams: dict[tuple[int, ...], list[float]] = {(): [1.0, 0.0]}  # prefix -> [p_blank, p_nonblank]
    logscale = 0.0
    for t in range(probs.shape[0]):
        row = probs[t]
        cand = np.flatnonzero(row >= prune)
        nxt: dict[tuple[int, ...], list[float]] = defaultdict(lambda: [0.0, 0.0])
        for prefix, (pb, pnb) in beams.items():
            total = pb + pnb
            for c in cand:
                p = float(row[c])
                if c == BLANK:
                    nxt[prefix][0] += total * p
                    continue
                new = (*prefix, int(c))
                if prefix and prefix[-1] == c:
                    nxt[new][1] += pb * p  # repeated char needs a blank in between
                    nxt[prefix][1] += pnb * p  # same char continues
                else:
                    nxt[new][1] += total * p
        ranked = sorted(nxt.items(), key=lambda kv: kv[1][0] + kv[1][1], reverse=True)[:beam_width]
        norm = sum(v[0] + v[1] for _, v in ranked) or 1.0
        # Renormalise each step so long lines do not underflow; ranking is unaffected.
        beams = {k: [v[0] / norm, v[1] / norm] for k, v in ranked}
        logscale += np.log(norm)
    best, (pb, pnb) = max(beams.items(), key=lambda kv: kv[1][0] + kv[1][1])
    return best, float(np.log(max(pb + pnb, 1e-30)) + logscale)
