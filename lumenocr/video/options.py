"""How videos are read (one dataclass: the CLI and the API derive their defaults from it)."""

from __future__ import annotations

from dataclasses import dataclass

from lumenocr.errors import ConfigError


@dataclass(frozen=True)
class VideoOptions:
    """``fps``: frames sampled per second of video. ``same_frame_diff``: a sampled frame whose
    mean absolute difference from the last OCR-ed frame (grey, 64 px wide thumbnails, 0..255)
    is below this is not OCR-ed again: its text is the last frame's. ``same_text``: two
    readings in consecutive samples are one span when their similarity (0..100, rapidfuzz
    ratio of the normalised texts) is at least this. ``srt_dir``: also write ``<stem>.srt``
    subtitles there."""

    fps: float = 1.0
    same_frame_diff: float = 1.5
    same_text: float = 80.0
    srt_dir: str | None = None

    def __post_init__(self) -> None:
        if not self.fps > 0:
            raise ConfigError(f"--fps must be positive, got {self.fps}")
        if self.same_frame_diff < 0:
            raise ConfigError(f"same_frame_diff must be >= 0, got {self.same_frame_diff}")
        if not 0 <= self.same_text <= 100:
            raise ConfigError(f"same_text must be in 0..100, got {self.same_text}")
