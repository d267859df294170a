"""Video OCR on generated clips whose text and times are known."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from lumenocr.video import SpanMerger, VideoOptions, read_video, to_srt
from lumenocr.vis.sample import render_lines

REPO = Path(__file__).resolve().parents[1]
FPS = 10
SIZE = (480, 160)
# (start, end, text): what the clip shows, end exclusive; None is a blank screen.
SCHEDULE = [
    (0.0, 1.0, None),
    (1.0, 3.0, "Hello world"),
    (3.0, 3.5, None),
    (3.5, 5.5, "Second subtitle here"),
    (5.5, 6.0, None),
]


def _frame(text: str | None, rng: np.random.Generator) -> np.ndarray:
    w, h = SIZE
    img = np.full((h, w, 3), 40, np.uint8)
    if text:
        t = render_lines([text], font_size=30)
        th, tw = t.shape[:2]
        y, x = (h - th) // 2, (w - tw) // 2
        img[y : y + th, x : x + tw] = t
    noise = rng.integers(-3, 4, img.shape)  # sensor-like noise: identical scenes never match bit for bit
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def make_clip(path: Path, fourcc: str = "mp4v") -> None:
    rng = np.random.default_rng(0)
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), FPS, SIZE)
    assert vw.isOpened(), f"OpenCV cannot write {fourcc}"
    for i in range(int(SCHEDULE[-1][1] * FPS)):
        t = i / FPS
        vw.write(_frame(next(x for a, b, x in SCHEDULE if a <= t < b), rng))
    vw.release()


def _model_available() -> bool:
    from lumenocr.cli.models import model_status
    from lumenocr.zoo import DEFAULT_MODEL, get_spec

    return model_status(get_spec(DEFAULT_MODEL))[0]


needs_model = pytest.mark.skipif(
    not _model_available(), reason="the default zoo model's package is not installed"
)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    make_clip(path)
    return path


def test_merger_joins_consecutive_readings_and_splits_gaps():
    m = SpanMerger(same_text=80)
    box = [[0, 0], [10, 0], [10, 5], [0, 5]]
    m.add_frame(0.0, [("Hello world", 0.90, box)])
    m.add_frame(1.0, [("Hel1o world", 0.80, box), ("Other", 0.9, box)])  # a misread continues the span
    m.add_frame(2.0, [("Hello  world", 0.95, box)])
    m.add_frame(3.0, [])
    m.add_frame(4.0, [("Hello world", 0.9, box)])  # shown again after a gap: a new span
    spans = m.finish()
    assert [(s.text, s.start, s.end, s.frames) for s in spans] == [
        ("Hello world", 0.0, 2.0, 3),
        ("Other", 1.0, 1.0, 1),
        ("Hello world", 4.0, 4.0, 1),
    ]


def test_srt_cues():
    m = SpanMerger()
    m.add_frame(61.5, [("Hi", 0.9, [[0, 0], [1, 0], [1, 1], [0, 1]])])
    srt = to_srt(m.finish(), interval=0.5, duration=61.8)
    assert srt == "1\n00:01:01,500 --> 00:01:01,800\nHi\n"


@needs_model
@pytest.mark.parametrize("fps", [2.0, 5.0])
def test_spans_match_the_known_text_and_times(clip, fps):
    from lumenocr import OCR

    result = read_video(OCR(threads=1), str(clip), VideoOptions(fps=fps))
    shown = [(a, b, t) for a, b, t in SCHEDULE if t]
    assert [s.text for s in result.spans] == [t for _, _, t in shown]
    step = 1.0 / fps
    for span, (start, end, _) in zip(result.spans, shown):
        assert abs(span.start - start) <= step + 1e-6
        assert abs(span.end - (end - step)) <= step + 1e-6  # the last sample before it went away
    assert result.sampled == round(6.0 * fps)
    assert result.ocr_frames < result.sampled  # near-identical frames were not OCR-ed again
    assert result.error is None and result.frames_per_second > 0
    print(
        f"fps={fps}: {result.sampled} frames sampled, {result.ocr_frames} OCR-ed, {result.frames_per_second:.1f} frames/s"
    )


@needs_model
def test_cli_writes_span_records_and_srt(clip, tmp_path):
    out, srt_dir = tmp_path / "spans.jsonl", tmp_path / "srt"
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lumenocr.cli.main",
            "ocr",
            str(clip),
            "--fps",
            "2",
            "-o",
            str(out),
            "--srt",
            str(srt_dir),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["text"], r["start"], r["end"]) for r in records] == [
        ("Hello world", 1.0, 2.5),
        ("Second subtitle here", 3.5, 5.0),
    ]
    assert all(r["image"] == str(clip) and r["page"] is None and len(r["points"]) == 4 for r in records)
    srt = (srt_dir / "clip.srt").read_text(encoding="utf-8")
    assert "00:00:01,000 --> 00:00:03,000\nHello world" in srt
    assert "00:00:03,500 --> 00:00:05,500\nSecond subtitle here" in srt


def test_unopenable_video_is_a_clear_error(tmp_path):
    from lumenocr.errors import InputError

    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    with pytest.raises(InputError, match="cannot open the video"):
        read_video(None, str(bad))
