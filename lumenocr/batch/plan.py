"""Cut a list of inputs into tasks: one page of a PDF or multi-page TIFF, one image, one video,
or (in recognition-only mode) a few whole inputs read as one recognizer batch.

Splitting documents into pages lets every worker share one 300-page PDF, and makes each task's
result exactly one record, so a resumed run knows precisely what is done.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from lumenocr.errors import ConfigError, InputError

#: Containers read as video (frames sampled with OpenCV), by file extension.
VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv"}
)

#: A record's identity in an output file: the input as given and its 0-based page (``None``
#: for a single image or a whole video).
Key = tuple[str, "int | None"]


def is_video(path: str) -> bool:
    """True when ``path`` names a video container (by extension; URLs never are)."""
    return "://" not in path[:12] and os.path.splitext(path)[1].lower() in VIDEO_EXTENSIONS


@dataclass(frozen=True)
class Unit:
    """One input, or one page of it. ``index`` is the input's position in the input list."""

    index: int
    source: str
    page: int | None = None  # the one page to read; None: the whole input
    stem: str | None = None  # picture file name stem for --vis
    video: bool = False

    @property
    def key(self) -> Key:
        return (self.source, self.page)


@dataclass(frozen=True)
class Task:
    """What one worker call reads: ``units`` in order (several only in recognition-only mode)."""

    number: int
    units: tuple[Unit, ...]


def page_count(path: str) -> int | None:
    """Pages of a local PDF or TIFF, cheaply (nothing rendered); ``None`` for anything else or
    when the file cannot be read (the task then reads the whole input and reports why)."""
    lower = path.lower()
    if "://" in path[:12] or not os.path.isfile(path):
        return None
    try:
        if lower.endswith(".pdf"):
            from lumenocr.io.pdf import pdf_page_count

            return pdf_page_count(path, path)
        if lower.endswith((".tif", ".tiff")):
            from PIL import Image

            with Image.open(path) as im:
                n = int(getattr(im, "n_frames", 1))
            return n if n > 1 else None  # a one-page TIFF is a single image (page None)
    except (InputError, OSError, ValueError, SyntaxError):  # Pillow raises SyntaxError on some bad headers
        return None
    return None


def plan_units(
    files: Sequence[str],
    stems: Sequence[str | None] | None = None,
    split_pages: bool = True,
    pages: Collection[int] | None = None,
) -> list[Unit]:
    """One unit per input, or per page of PDFs and multi-page TIFFs when ``split_pages``.

    ``pages`` (0-based, as ``LoadOptions.pages``) selects pages; a document that lacks one of
    them stays whole, so that reading it reports which pages do not exist.
    """
    wanted = sorted(set(pages)) if pages is not None else None
    units: list[Unit] = []
    for i, source in enumerate(files):
        stem = stems[i] if stems is not None else None
        if is_video(source):
            units.append(Unit(i, source, None, stem, video=True))
            continue
        n = page_count(source) if split_pages else None
        if n is None or (wanted is not None and any(p >= n for p in wanted)):
            units.append(Unit(i, source, None, stem))
        else:
            units.extend(Unit(i, source, p, stem) for p in (wanted if wanted is not None else range(n)))
    return units


def group_tasks(units: Sequence[Unit], chunk: int = 1) -> list[Task]:
    """Tasks of up to ``chunk`` consecutive whole-input image units (videos and pages alone)."""
    tasks: list[Task] = []
    group: list[Unit] = []

    def flush() -> None:
        if group:
            tasks.append(Task(len(tasks), tuple(group)))
            group.clear()

    for u in units:
        if u.video or u.page is not None or chunk <= 1:
            flush()
            tasks.append(Task(len(tasks), (u,)))
        else:
            group.append(u)
            if len(group) >= chunk:
                flush()
    flush()
    return tasks


# --- sharding -------------------------------------------------------------------------------------
def parse_shard(spec: str) -> tuple[int, int]:
    """``"K/N"`` (1 <= K <= N) -> ``(K, N)``."""
    k_text, sep, n_text = spec.partition("/")
    try:
        k, n = int(k_text), int(n_text)
    except ValueError:
        k = n = 0
    if not sep or n < 1 or not 1 <= k <= n:
        raise ConfigError(f"--shard must be K/N with 1 <= K <= N (e.g. 2/8), got {spec!r}")
    return k, n


def in_shard(source: str, k: int, n: int) -> bool:
    """Whether ``source`` belongs to shard ``k`` of ``n``.

    Decided by a hash of the input string, so N machines given the same list (in any order,
    or lists that differ by a few files) split it without talking to each other, and a file
    keeps its shard when others are added.
    """
    digest = hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % n == k - 1


def shard(files: Sequence[str], k: int, n: int) -> list[str]:
    """The inputs of shard ``k`` of ``n`` (see :func:`in_shard`), in their order."""
    return [f for f in files if in_shard(f, k, n)]


def read_list(path: str) -> list[str]:
    """Inputs from a list file (``-``: standard input): one path or URL a line; blank lines and
    lines starting with ``#`` are ignored, surrounding white space is stripped."""
    import sys

    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            # surrogateescape: a listed name that is not UTF-8 is kept as its bytes (as in
            # FILE.failed.txt); it is then read, or reported as missing, like any other input.
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
    except FileNotFoundError:
        raise ConfigError(f"--from-list {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"--from-list {path}: cannot read: {getattr(e, 'strerror', None) or e}") from None
    return [s for s in (line.strip() for line in text.splitlines()) if s and not s.startswith("#")]


def remaining(units: Sequence[Unit], done: Collection[Key]) -> list[Unit]:
    """Units whose record is not in ``done`` (a resumed run). A video counts as done when any
    of its span records is (its spans are written in one piece)."""
    return [u for u in units if u.key not in done]
