"""Merge the text read in consecutive sampled frames into spans with first/last time stamps."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


@dataclass
class Span:
    """One text shown over consecutive samples: ``start``/``end`` are the times of the first and
    last sampled frame it was read in; ``text`` is its best-scoring reading."""

    text: str
    start: float
    end: float
    score: float
    points: list
    frames: int = 1
    _readings: dict[str, float] = field(default_factory=dict, repr=False)

    def add(self, text: str, score: float, points: list, time: float) -> None:
        self.end = time
        self.frames += 1
        self._readings[text] = max(self._readings.get(text, 0.0), score)
        if score > self.score:
            self.text, self.score, self.points = text, score, points

    def record(self, source: str) -> dict:
        return {
            "image": source,
            "page": None,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "text": self.text,
            "score": round(float(self.score), 5),
            "points": [[round(float(x), 1), round(float(y), 1)] for x, y in self.points],
            "frames": self.frames,
        }


class SpanMerger:
    """Feed the lines of each sampled frame in time order; a reading continues the open span it
    matches best (same text up to ``same_text`` similarity), else opens a new one; a span not
    read in a sample is closed."""

    def __init__(self, same_text: float = 80.0):
        self.same_text = same_text
        self.open: list[Span] = []
        self.closed: list[Span] = []

    def add_frame(self, time: float, lines: list[tuple[str, float, list]]) -> None:
        unmatched = list(self.open)
        still_open: list[Span] = []
        for text, score, points in lines:
            text = normalise(text)
            if not text:
                continue
            best, best_sim = None, -1.0
            for span in unmatched:
                sim = fuzz.ratio(text, span.text)
                if sim >= self.same_text and sim > best_sim:
                    best, best_sim = span, sim
            if best is not None:
                unmatched.remove(best)
                best.add(text, score, points, time)
                still_open.append(best)
            else:
                still_open.append(Span(text, time, time, score, points, 1, {text: score}))
        self.closed.extend(unmatched)
        self.open = still_open

    def finish(self) -> list[Span]:
        """All spans, in order of first appearance (then top to bottom)."""
        self.closed.extend(self.open)
        self.open = []
        return sorted(self.closed, key=lambda s: (s.start, min(p[1] for p in s.points) if s.points else 0))
