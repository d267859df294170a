"""Read text lines wider than the recognizer's input in overlapping windows.

A CTC recognizer sees a line at a fixed height and at most ``max_width`` columns (3200 for
PP-OCR at 48 px high: 66:1). A wider crop would have to be squashed, which turns every
character into a sliver and the text into garbage. Instead the line is cut into windows
that fit, each overlapping the next by a few character widths; each window is read on its
own, and every character is kept from the one window in which it lies away from the cut:
windows meet at the middle of their overlap, and a character belongs to the window its
centre falls in. Character positions come from the CTC output columns, so no text matching
is needed and repeated words join correctly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lumenocr.results import RecResult

#: Windows overlap by this many line heights (2-4 characters of Latin or CJK text).
OVERLAP_HEIGHTS = 2.0
#: Windows use at most this share of the recognizer's widest input, leaving room for a
#: model's right margin (``RecPreprocess.pad_right``) and for rounding.
WINDOW_FILL = 0.8


@dataclass(frozen=True)
class Window:
    """A window ``[x0, x1)`` of a long line and the part of it whose characters are kept."""

    x0: int
    x1: int
    keep_from: float  # characters whose centre lies in [keep_from, keep_to) belong here
    keep_to: float


def plan_windows(width: int, height: int, max_ratio: float) -> list[Window]:
    """Windows covering a ``width`` x ``height`` line, none wider than ``max_ratio`` heights
    (one window when the line already fits)."""
    if width <= max_ratio * height:
        return [Window(0, width, 0.0, float(width))]
    win = max(1, int(WINDOW_FILL * max_ratio * height))
    overlap = min(int(OVERLAP_HEIGHTS * height), win // 3)
    step = max(1, win - overlap)
    n = max(2, math.ceil((width - overlap) / step))
    starts = [min(k * step, width - win) for k in range(n)]
    windows = []
    for k, x0 in enumerate(starts):
        x1 = min(width, x0 + win)
        lo = 0.0 if k == 0 else (x0 + min(width, starts[k - 1] + win)) / 2
        # The last window keeps whatever it reads, even characters the CTC placed past the
        # line's end (squeezed text runs on into the padding, see RecPreprocess.decode_width).
        hi = math.inf if k == n - 1 else (starts[k + 1] + x1) / 2
        windows.append(Window(x0, x1, lo, hi))
    return windows


def char_centres(rec: RecResult, px_per_col: float) -> list[float]:
    """Each character's centre in window pixels."""
    return [(s + e + 1) / 2 * px_per_col for s, e in rec.char_spans or []]


def join_windows(parts: list[tuple[Window, RecResult, float]], width: int) -> RecResult:
    """Join window results into one line result.

    ``parts`` holds each window, its recognition and the window-pixels per CTC column. The
    result's ``char_spans`` are in pixels of the whole line and its ``grid_width`` is the
    line width, so word boxes map one column to one pixel.
    """
    text: list[str] = []
    spans: list[tuple[int, int]] = []
    scores: list[float] = []
    for win, rec, px in parts:
        if not rec.char_spans or len(rec.char_spans) != len(rec.text):
            # No per-character positions (a custom dictionary with multi-character entries):
            # the window's text as it is, without word positions.
            text.append(rec.text)
            continue
        char_scores = rec.char_scores or [rec.score] * len(rec.text)
        for ch, (s, e), c, sc in zip(rec.text, rec.char_spans, char_centres(rec, px), char_scores):
            x = win.x0 + c
            if win.keep_from <= x < win.keep_to:
                if ch.isspace() and (not text or text[-1].isspace()):
                    continue  # a space at the cut, already kept from the previous window
                text.append(ch)
                spans.append((int(win.x0 + s * px), int(math.ceil(win.x0 + (e + 1) * px)) - 1))
                scores.append(float(sc))
    while text and text[-1].isspace():
        text.pop()
        if len(spans) > len(text):
            spans.pop()
            scores.pop()
    joined = "".join(text)
    score = sum(scores) / len(scores) if scores else 0.0
    return RecResult(joined, score, spans, width, scores)
