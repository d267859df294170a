"""OCR a video: sample frames, skip near-identical ones, merge the text across frames."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from lumenocr.errors import ImageDecodeError
from lumenocr.video.frames import frame_difference, open_video, sample_frames, thumbnail
from lumenocr.video.options import VideoOptions
from lumenocr.video.spans import Span, SpanMerger


@dataclass
class VideoResult:
    """The text spans of a video and what it took: ``sampled`` frames, of which ``ocr_frames``
    were OCR-ed (the others matched the previous one), ``seconds`` of wall time, the stream's
    ``duration``; ``error`` says why reading stopped early (a broken stream), spans read until
    then are kept."""

    source: str
    spans: list[Span] = field(default_factory=list)
    sampled: int = 0
    ocr_frames: int = 0
    duration: float = 0.0
    seconds: float = 0.0
    error: str | None = None

    @property
    def frames_per_second(self) -> float:
        """Sampled frames handled per second of wall time."""
        return self.sampled / self.seconds if self.seconds > 0 else 0.0

    def records(self) -> list[dict]:
        return [s.record(self.source) for s in self.spans]


def read_video(ocr, path: str, options: VideoOptions | None = None) -> VideoResult:
    """OCR ``path`` with ``ocr`` (a :class:`lumenocr.OCR`) at ``options.fps`` samples a second.

    Raises an :class:`~lumenocr.errors.InputError` when the video cannot be opened; a stream
    that breaks part-way gives the spans read so far and ``error``.
    """
    options = options or VideoOptions()
    t0 = time.perf_counter()
    cap, info = open_video(path)
    result = VideoResult(path)
    merger = SpanMerger(options.same_text)
    last_thumb = None
    lines: list[tuple[str, float, list]] = []
    last_time = 0.0
    try:
        for frame in sample_frames(cap, info, options.fps):
            result.sampled += 1
            last_time = frame.time
            thumb = thumbnail(frame.image)
            if last_thumb is None or frame_difference(thumb, last_thumb) >= options.same_frame_diff:
                page = ocr.ocr_image(frame.image, source=path)
                lines = [(ln.text, ln.score, ln.points) for ln in page.lines]
                last_thumb = thumb
                result.ocr_frames += 1
            merger.add_frame(frame.time, lines)
    finally:
        cap.release()
    if result.sampled == 0:
        raise ImageDecodeError(f"{path}: no frame could be decoded (broken or empty video stream)")
    # Containers often over-declare by a frame or two; a larger shortfall is a broken stream.
    if info.frames and info.read < info.frames - max(2, int(0.02 * info.frames)):
        result.error = (
            f"video stream broken at {last_time:.2f} s: decoded {info.read} of the {info.frames} "
            f"frames it declares; text up to there was kept"
        )
    result.spans = merger.finish()
    result.duration = info.duration
    result.seconds = time.perf_counter() - t0
    if options.srt_dir:
        result.error = _write_srt(result, options) or result.error
    return result


def _write_srt(result: VideoResult, options: VideoOptions) -> str | None:
    from pathlib import Path

    from lumenocr.video.srt import to_srt

    assert options.srt_dir is not None
    target = Path(options.srt_dir) / (Path(result.source).stem + ".srt")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(to_srt(result.spans, 1.0 / options.fps, result.duration), encoding="utf-8")
    except OSError as e:
        return f"spans written, but the subtitles could not be saved: {e.strerror or e}"
    return None
