"""SubRip (``.srt``) subtitles from text spans."""

from __future__ import annotations

from collections.abc import Sequence

from lumenocr.video.spans import Span


def _stamp(seconds: float) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def to_srt(spans: Sequence[Span], interval: float, duration: float | None = None) -> str:
    """One cue per span. A span read last at ``end`` was on screen until at least the next
    sample, so its cue ends ``interval`` later (not past ``duration``)."""
    out = []
    for n, span in enumerate(sorted(spans, key=lambda s: s.start), 1):
        end = span.end + interval
        if duration:
            end = min(end, max(duration, span.end))
        out.append(f"{n}\n{_stamp(span.start)} --> {_stamp(end)}\n{span.text}\n")
    return "\n".join(out)
