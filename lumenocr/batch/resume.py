"""Crash-safe JSONL output and resuming a run from it.

Each record is appended with ONE ``write()`` of a complete line to a file opened with
``O_APPEND``, so a run killed at any moment (SIGKILL included) leaves whole lines plus, at
worst, one torn last line if the kernel was stopped mid-write; :func:`load_done` cuts such a
tail off before a resumed run appends. The file is ``fsync``-ed every ``fsync_seconds`` and on
close, so a power loss costs at most that much work (a killed process loses nothing: its
writes are already in the page cache).
"""

from __future__ import annotations

import errno
import json
import os
import time

from lumenocr.batch.plan import Key
from lumenocr.errors import ConfigError, OutputError
from lumenocr.io.writers import json_text


def load_done(path: str, repair: bool = True) -> set[Key]:
    """The ``(image, page)`` keys of the records in a JSONL output file (empty if it does not
    exist). With ``repair``, a torn or unparsable last line is cut off the file; a bad line
    anywhere else is an error (the file is not ours to rewrite)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return set()
    except OSError as e:
        raise ConfigError(f"--resume: cannot read {path}: {e.strerror or e}") from None
    done: set[Key] = set()
    lines = data.split(b"\n")
    # Everything up to the last newline is whole lines; what follows it was torn by a kill.
    keep = len(data) - len(lines[-1])
    whole = lines[:-1]
    for n, raw in enumerate(whole):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            done.add((record["image"], record.get("page")))
        except (ValueError, KeyError, TypeError) as e:
            if n == len(whole) - 1:  # an unparsable last line: torn as well
                keep -= len(raw) + 1
                break
            raise ConfigError(
                f"--resume: {path} line {n + 1} is not a lumenocr JSONL record ({e}); "
                "resume only with the output file of an earlier run"
            ) from None
    if repair and keep < len(data):
        with open(path, "r+b") as f:
            f.truncate(keep)
    return done


class AppendJsonlWriter:
    """JSONL records appended crash-safely (see the module docstring).

    ``append=False`` starts a new file (truncating an old one). Same interface as
    :class:`lumenocr.io.writers.ResultWriter` plus :meth:`write_block`.
    """

    def __init__(self, path: str, append: bool = False, fsync_seconds: float = 2.0):
        self.path = path
        self.fsync_seconds = fsync_seconds
        self.count = 0
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (0 if append else os.O_TRUNC)
        try:
            parent = os.path.dirname(os.path.abspath(path))
            os.makedirs(parent, exist_ok=True)
            if os.path.isdir(path):
                raise IsADirectoryError(21, "is a folder; give a file name")
            self.fd = os.open(path, flags, 0o644)
        except OSError as e:
            raise ConfigError(f"cannot write {path}: {e.strerror or e}") from None
        self._synced = time.monotonic()

    def write(self, record: dict, text: str = "") -> None:
        self.write_block([record])

    def write_block(self, records: list[dict]) -> None:
        """Append ``records`` with one ``write()``: all of them land, or (killed) none whole."""
        data = "".join(json_text(r) + "\n" for r in records).encode("utf-8")
        view = memoryview(data)
        try:
            while view:  # a regular file takes it all at once; loop for the pathological partial write
                view = view[os.write(self.fd, view) :]
            if time.monotonic() - self._synced >= self.fsync_seconds:
                self._sync()
        except OSError as e:  # a full disk: say what is safe, no traceback
            raise OutputError(
                f"cannot write to {self.path}: {e.strerror or e}; the first {self.count} result(s) "
                "were written, this one and any after it were not"
            ) from None
        self.count += len(records)

    def _sync(self) -> None:
        try:
            os.fsync(self.fd)
        except OSError as e:
            if e.errno != errno.EINVAL:  # EINVAL: not a file that can be synced (/dev/full, a pipe)
                raise
        self._synced = time.monotonic()

    def close(self) -> None:
        if self.fd < 0:
            return
        fd, self.fd = self.fd, -1
        try:
            self._sync_fd(fd)
        finally:
            os.close(fd)

    def _sync_fd(self, fd: int) -> None:
        try:
            os.fsync(fd)
        except OSError as e:
            if e.errno != errno.EINVAL:
                raise OutputError(f"cannot write to {self.path}: {e.strerror or e}") from None

    def __enter__(self) -> AppendJsonlWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def failed_list_path(output: str) -> str:
    """Where the inputs that failed are listed: beside the output, ``<output>.failed.txt``."""
    return output + ".failed.txt"


def write_failed_list(output: str, failed: list[str]) -> str | None:
    """Write the failed inputs (one a line, reusable with ``--from-list``) beside ``output``;
    remove a stale list when nothing failed. Returns the path written, if any."""
    path = failed_list_path(output)
    if not failed:
        if os.path.exists(path):
            os.remove(path)
        return None
    tmp = path + ".tmp"
    # A name that is not UTF-8 is written as its own bytes, so --from-list reads it back as is.
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.writelines(item + "\n" for item in failed)
    os.replace(tmp, path)
    return path
