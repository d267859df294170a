"""The batch options of ``lumenocr ocr`` (many inputs, resumable, sharded, Ray, video) and the
choices derived from them; the work itself is :mod:`lumenocr.batch`."""

from __future__ import annotations

import argparse
import os

from lumenocr.batch.runner import BatchOptions
from lumenocr.errors import ConfigError
from lumenocr.io.image import LoadOptions
from lumenocr.video.options import VideoOptions

_VIDEO = VideoOptions()
_LOAD = LoadOptions()


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("batch (many inputs)")
    g.add_argument(
        "--from-list",
        metavar="FILE",
        help="also read the inputs listed in FILE, one path or URL a line (- for standard input); "
        "e.g. the OUTPUT.failed.txt of an earlier run",
    )
    g.add_argument(
        "--resume",
        action="store_true",
        help="append to --output (JSONL), skipping the inputs and pages it already holds",
    )
    g.add_argument(
        "--shard",
        metavar="K/N",
        help="process only the K-th of N parts of the inputs (1 <= K <= N), split by a hash of "
        "each input name, so N machines can share one list without coordination",
    )
    g.add_argument(
        "--unordered",
        action="store_true",
        help='write records as they finish, each with its input "index", not in input order',
    )
    g.add_argument(
        "--recycle",
        type=int,
        metavar="N",
        help="replace each worker process after N pages (a memory safety valve)",
    )
    g.add_argument(
        "--ray",
        nargs="?",
        const="auto",
        metavar="ADDRESS",
        help="run on a Ray cluster (needs the [ray] extra): ADDRESS of its head (ray://... or "
        "host:port); without one, the RAY_ADDRESS cluster or a local Ray instance",
    )
    g.add_argument(
        "--timeout",
        type=float,
        default=_LOAD.timeout,
        metavar="S",
        help=f"give up on a URL after S seconds ({_LOAD.timeout:g}); it is reported and the batch goes on",
    )
    v = p.add_argument_group("video (mp4, mov, avi, mkv, webm...)")
    v.add_argument(
        "--fps",
        type=float,
        default=_VIDEO.fps,
        metavar="F",
        help=f"frames sampled per second of video ({_VIDEO.fps:g})",
    )
    v.add_argument("--srt", metavar="DIR", help="also write each video's text as subtitles DIR/<name>.srt")


def batch_options(args, files: int, pages: int, cores: int) -> BatchOptions:
    """Workers and scheduling for this run. ``--workers`` unset: one process per core when
    there is enough work to pay for starting them (3 pages per core), else this process."""
    if args.recycle is not None and args.recycle < 1:
        raise ConfigError(f"--recycle must be at least 1, got {args.recycle}")
    workers = args.workers
    if workers is None:
        workers = cores if cores > 1 and pages >= 3 * cores else 1
    workers = max(1, min(workers, pages))
    return BatchOptions(workers=workers, ordered=not args.unordered, recycle=args.recycle)


def video_options(args) -> VideoOptions:
    return VideoOptions(fps=args.fps, srt_dir=args.srt)


def output_kind(args) -> str:
    """``jsonl-file`` (crash-safe appends), ``parquet`` or ``stream`` (the plain writers)."""
    out = args.output
    if out in (None, "-"):
        if args.resume:
            raise ConfigError("--resume needs --output FILE (the JSONL file of the run to resume)")
        return "stream"
    ext = os.path.splitext(out)[1].lower()
    if args.format == "parquet" or (args.format is None and ext == ".parquet"):
        if args.resume:
            raise ConfigError("--resume works with JSONL output; write JSONL and convert at the end")
        return "parquet"
    from lumenocr.io.writers import format_for

    fmt = format_for(out, args.format)
    if fmt == "jsonl":
        return "jsonl-file"
    if args.resume:
        raise ConfigError(f"--resume works with JSONL output, not {fmt}")
    return "stream"
