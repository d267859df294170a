"""Sample frames from a video with OpenCV, at a given rate, telling a broken stream apart."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from lumenocr.errors import ImageDecodeError, InputNotFoundError


@dataclass(frozen=True)
class Frame:
    """A sampled frame: BGR ``image``, ``time`` in seconds, ``index`` in the stream."""

    image: np.ndarray
    time: float
    index: int


@dataclass
class StreamInfo:
    """What the container declares (``frames`` may be 0 when unknown), and what was read."""

    fps: float
    frames: int
    width: int
    height: int
    read: int = 0  # frames decoded before the stream ended

    @property
    def duration(self) -> float:
        return self.frames / self.fps if self.frames and self.fps else self.read / (self.fps or 1.0)


def open_video(path: str):
    """``cv2.VideoCapture`` for ``path`` and its :class:`StreamInfo`; clear errors otherwise."""
    import cv2

    # FFmpeg's own log lines (e.g. "moov atom not found") would interleave with ours; the
    # errors it means are reported below in words.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    if not os.path.isfile(path):
        raise InputNotFoundError(f"{path}: no such file")
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        cap.release()
        raise ImageDecodeError(
            f"{path}: cannot open the video (damaged or truncated container, or a codec "
            "OpenCV's FFmpeg cannot decode)"
        )
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    if not (fps > 0 and math.isfinite(fps)):
        cap.release()
        raise ImageDecodeError(f"{path}: the video declares no frame rate; cannot time its frames")
    info = StreamInfo(
        fps,
        max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0), 0),
        int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0),
        int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0),
    )
    return cap, info


def sample_frames(cap, info: StreamInfo, fps: float) -> Iterator[Frame]:
    """Frames at ``0, 1/fps, 2/fps, ...`` seconds (the nearest stream frame at or after each).

    Frames are read in sequence (``grab`` every frame, ``retrieve`` only the sampled ones):
    seeking is frame-inaccurate in many codecs. ``info.read`` counts the frames decoded.
    """
    step = info.fps / fps  # stream frames per sample
    next_sample = 0.0
    index = 0
    while cap.grab():
        info.read = index + 1
        if index + 1e-6 >= next_sample:
            ok, image = cap.retrieve()
            if not ok or image is None:
                break
            yield Frame(image, index / info.fps, index)
            while next_sample <= index + 1e-6:
                next_sample += step
        index += 1


def thumbnail(image: np.ndarray, width: int = 64) -> np.ndarray:
    """Small grey copy for comparing frames (noise and compression artefacts average out)."""
    import cv2

    h, w = image.shape[:2]
    size = (width, max(1, round(h * width / max(w, 1))))
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA).astype(np.float32)


def frame_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two thumbnails (0..255)."""
    return float(np.mean(np.abs(a - b)))
