"""Video OCR: ``lumenocr ocr clip.mp4 --fps 1`` reads each text once, with when it was shown.

Frames are sampled with OpenCV at ``fps``; a frame nearly identical to the last OCR-ed one is
not OCR-ed again; the lines read in consecutive samples are merged into spans with their first
and last time stamps (subtitles and slides come out once, not 30 times). Output: one JSONL
record per span, and SubRip subtitles on request.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lumenocr.video.options import VideoOptions

# Imported on first use (PEP 562): the batch job's settings name VideoOptions for every
# ``lumenocr ocr`` run, which must not pay for the video reader (and rapidfuzz) without a video.
_EXPORTS = {
    "VideoResult": "lumenocr.video.reader",
    "read_video": "lumenocr.video.reader",
    "Span": "lumenocr.video.spans",
    "SpanMerger": "lumenocr.video.spans",
    "to_srt": "lumenocr.video.srt",
}

if TYPE_CHECKING:
    from lumenocr.video.reader import VideoResult, read_video
    from lumenocr.video.spans import Span, SpanMerger
    from lumenocr.video.srt import to_srt

__all__ = ["Span", "SpanMerger", "VideoOptions", "VideoResult", "read_video", "to_srt", "video_outcome"]


def video_outcome(ocr, job, path: str):
    """A batch :class:`~lumenocr.batch.job.Outcome` for one video (its spans as records)."""
    from lumenocr.batch.engine import failure_message, is_config_error
    from lumenocr.batch.job import Outcome
    from lumenocr.video.reader import read_video

    try:
        result = read_video(ocr, path, job.video)
    except Exception as e:  # noqa: BLE001 - one bad video must not stop the batch
        if is_config_error(e):
            raise
        return Outcome(path, None, error=failure_message(e, path))
    text = "\n".join(s.text for s in result.spans)
    return Outcome(path, None, text=text, error=result.error, records=result.records())


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lumenocr.video' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
