"""Video OCR speed and span accuracy on a generated clip whose subtitles and times are known.

    python benchmarks/bench_video.py            # 60 s, 1280x720, 25 fps, a subtitle every 3 s

The clip is written with OpenCV (mp4v): a moving gradient background (so frames are never
identical) and 20 subtitles, each shown for 2.5 s with a 0.5 s gap. Reported per sampling
rate: frames sampled and OCR-ed, frames per second processed (wall time of the whole read),
spans found, subtitles read exactly, and the largest start/end error in sampled frames.
Results: benchmarks/results/video_benchmark.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WORDS = [
    "harbor",
    "lantern",
    "meadow",
    "copper",
    "signal",
    "orchard",
    "valley",
    "granite",
    "summer",
    "river",
    "bridge",
    "window",
]


def subtitles(n: int) -> list[tuple[float, float, str]]:
    rng = np.random.default_rng(7)
    out = []
    for i in range(n):
        text = " ".join(rng.choice(WORDS, size=3, replace=False)) + f" {i + 1}"
        out.append((3.0 * i + 0.5, 3.0 * i + 3.0, text.capitalize()))
    return out


def make_clip(path: str, seconds: float, fps: int, size: tuple[int, int], subs) -> None:
    from lumenocr.vis.sample import render_lines

    w, h = size
    vw = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    rendered = {t: render_lines([t], font_size=40) for _, _, t in subs}
    ys, xs = np.mgrid[0:h, 0:w]
    for i in range(int(seconds * fps)):
        t = i / fps
        shade = (40 + 30 * np.sin(xs / 200.0 + t) + 20 * np.cos(ys / 150.0 - t / 2)).astype(np.uint8)
        frame = np.dstack([shade, shade // 2 + 20, 80 - shade // 3]).astype(np.uint8)
        for a, b, text in subs:
            if a <= t < b:
                sub = rendered[text]
                sh, sw = sub.shape[:2]
                y, x = h - sh - 40, (w - sw) // 2
                frame[y : y + sh, x : x + sw] = sub
        vw.write(frame)
    vw.release()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rates", default="1,2")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "video_benchmark.md"))
    args = ap.parse_args()

    from lumenocr import OCR
    from lumenocr.video import VideoOptions, read_video

    subs = subtitles(int(args.seconds // 3))
    clip = os.path.join(tempfile.mkdtemp(), "clip.mp4")
    make_clip(clip, args.seconds, 25, (1280, 720), subs)
    ocr = OCR(threads=args.threads)
    rows = []
    for rate in [float(r) for r in args.rates.split(",")]:
        t0 = time.perf_counter()
        res = read_video(ocr, clip, VideoOptions(fps=rate))
        wall = time.perf_counter() - t0
        step = 1.0 / rate
        by_text = {s.text: s for s in res.spans}
        exact = [by_text[t] for _, _, t in subs if t in by_text]
        start_err = max((abs(by_text[t].start - a) for a, _, t in subs if t in by_text), default=float("nan"))
        end_err = max(
            (abs(by_text[t].end - (b - step)) for _, b, t in subs if t in by_text), default=float("nan")
        )
        rows.append(
            f"| {rate:g} | {res.sampled} | {res.ocr_frames} | {wall:.1f} | {res.sampled / wall:.2f} | "
            f"{len(res.spans)} | {len(exact)} of {len(subs)} | {start_err / step:.2f} | {end_err / step:.2f} |"
        )
        print(rows[-1], flush=True)
    text = "\n".join(
        [
            "# Video OCR",
            "",
            f"Generated clip: {args.seconds:g} s, 1280x720, 25 fps (mp4v), {len(subs)} subtitles of 2.5 s with 0.5 s gaps, "
            "moving background. Command: `python benchmarks/bench_video.py`. Machine: 2 cores, shared "
            f"(load average {os.getloadavg()[0]:.1f} at the end).",
            "",
            "| samples/s | frames sampled | frames OCR-ed | wall s | frames/s processed | spans | subtitles read exactly | max start error (samples) | max end error (samples) |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "End error is measured against the last sample before the subtitle disappears.",
        ]
    )
    Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
