"""Writing OCR results: JSONL (the machine contract), JSON and plain text.

One record per image or PDF page (see :mod:`lumenocr.results` for the contract)::

    {"image": "<input as given>", "page": null | int,
     "boxes": [{"points": [[x, y], ...], "text": str, "score": float}], "seconds": float}

Recognition-only records (each input is one text crop) are
``{"image", "text", "score", "seconds"}`` plus ``"page"`` for pages of multi-page inputs.

Writers emit each record as soon as it is given and flush, so a batch that stops half-way
keeps every result written before it stopped (a JSON array is then left unterminated;
JSONL stays valid line by line).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import TextIO

from lumenocr.errors import ConfigError, OutputError
from lumenocr.results import OCRResult, RecResult

FORMATS = ("jsonl", "json", "txt", "md", "html")


def ocr_record(result: OCRResult, boxes: str = "lines", det_only: bool = False) -> dict:
    """The JSONL object for one image or page: :meth:`OCRResult.to_dict`, the one serializer."""
    return result.to_dict(boxes, det_only)


def rec_record(image: str, rec: RecResult, seconds: float, page: int | None = None) -> dict:
    """The JSONL object for one recognised text crop."""
    record = {
        "image": image,
        "text": rec.text,
        "score": round(float(rec.score), 5),
        "seconds": round(seconds, 4),
    }
    if page is not None:
        record["page"] = page
    return record


def format_for(path: str | None, explicit: str | None = None) -> str:
    """The output format: ``explicit`` if given, else from the file extension, else ``jsonl``."""
    if explicit:
        if explicit not in FORMATS:
            raise ConfigError(f"unknown output format {explicit!r}; choose from {', '.join(FORMATS)}")
        return explicit
    suffix = Path(path).suffix.lower().lstrip(".") if path else ""
    if path and suffix and suffix not in FORMATS and not Path(path).is_char_device():
        # Writing JSONL into "out.csv" would surprise whoever opens it.
        raise ConfigError(
            f"--output {path}: unknown extension '.{suffix}'; use {', '.join('.' + f for f in FORMATS)}, "
            f"or say which format to write with --format ({', '.join(FORMATS)})"
        )
    return suffix if suffix in FORMATS else "jsonl"


class ResultWriter:
    """Base writer: ``write(record, text)`` per image, then ``close()``. Use as a context manager.

    ``record`` is the JSON object; ``text`` the image's text in reading order (used by the
    text writer, which has no boxes).
    """

    def __init__(self, stream: TextIO, owns_stream: bool, name: str = "standard output"):
        self.stream = stream
        self._owns = owns_stream
        self.count = 0
        self.name = name
        self._failed = False

    def write(self, record: dict, text: str) -> None:
        try:
            self._write(record, text)
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            raise self._error(e) from None
        self.count += 1

    def _error(self, e: OSError) -> OutputError:
        """A full disk (or any write failure) says what reached the file and what did not."""
        self._failed = True
        return OutputError(
            f"cannot write to {self.name}: {e.strerror or e}; the first {self.count} result(s) were "
            f"written, this one and any after it were not"
        )

    def _write(self, record: dict, text: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _finish(self) -> None:
        pass

    def close(self) -> None:
        try:
            if not self._failed:
                self._finish()
                self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            raise self._error(e) from None
        finally:
            if self._owns:
                with contextlib.suppress(OSError):  # data that failed to flush: reported above
                    self.stream.close()

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def display_name(name: object) -> str:
    """``name`` for people (text output, messages): a file name that is not UTF-8 shows its
    bytes as ``\\xNN`` instead of failing to print."""
    return str(name).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def json_text(record: dict) -> str:
    """``record`` as one line of JSON, UTF-8 text as is. A file name that is not UTF-8 (Python
    keeps its bytes as lone surrogates, e.g. a GBK name unpacked on Linux) cannot be written as
    UTF-8: such a record is written with ``\\u`` escapes instead, which ``json.loads`` turns back
    into the same name (so ``--resume`` recognises it and the file can be opened again)."""
    text = json.dumps(record, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(record, ensure_ascii=True)
    return text


class JsonlWriter(ResultWriter):
    """One JSON object per line."""

    def _write(self, record: dict, text: str) -> None:
        self.stream.write(json_text(record) + "\n")


class JsonWriter(ResultWriter):
    """A JSON array of the records, one record per line."""

    def _write(self, record: dict, text: str) -> None:
        self.stream.write(("[\n" if self.count == 0 else ",\n") + json_text(record))

    def _finish(self) -> None:
        self.stream.write("[]\n" if self.count == 0 else "\n]\n")


class TextWriter(ResultWriter):
    """Plain text in reading order. With ``headers`` (several inputs, or pages) each image's text
    follows a ``==> image [page N] <==`` line, and images are separated by a blank line."""

    def __init__(
        self, stream: TextIO, owns_stream: bool, headers: bool = False, name: str = "standard output"
    ):
        super().__init__(stream, owns_stream, name)
        self.headers = headers

    def _write(self, record: dict, text: str) -> None:
        if self.headers or record.get("page") is not None:
            page = record.get("page")
            head = (
                f"==> {display_name(record.get('image'))}"
                + (f" [page {page}]" if page is not None else "")
                + " <=="
            )
            self.stream.write(("\n" if self.count else "") + head + "\n")
        self.stream.write(text + "\n" if text else "")


class MarkdownWriter(TextWriter):
    """Markdown per page (``text`` is the page's Markdown); several pages are separated by a
    rule and an HTML comment naming the image and page."""

    def _write(self, record: dict, text: str) -> None:
        if self.headers or record.get("page") is not None:
            page = record.get("page")
            where = display_name(record.get("image")) + (f" page {page}" if page is not None else "")
            self.stream.write(("\n---\n\n" if self.count else "") + f"<!-- {where} -->\n\n")
        self.stream.write(text if text.endswith("\n") or not text else text + "\n")


class HtmlWriter(ResultWriter):
    """One HTML document; each page's fragment (``text``) in an ``<article>`` titled by its image."""

    def _write(self, record: dict, text: str) -> None:
        import html

        if self.count == 0:
            self.stream.write(
                '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>lumenocr</title></head><body>\n'
            )
        page = record.get("page")
        title = html.escape(display_name(record.get("image"))) + (
            f" (page {page})" if page is not None else ""
        )
        self.stream.write(f'<article>\n<h1 class="source">{title}</h1>\n{text}</article>\n')

    def _finish(self) -> None:
        if self.count == 0:
            self.stream.write(
                '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>lumenocr</title></head><body>\n'
            )
        self.stream.write("</body></html>\n")


def prepare_folder(path: str | os.PathLike, option: str = "output folder") -> Path:
    """Create the folder ``path`` (and its parents) and check that files can be written in it,
    before any work is done: a file in its place, a read-only folder or one that cannot be
    created is a :class:`ConfigError` naming ``option``, not a traceback half-way."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ConfigError(f"{option} {path}: is a file, not a folder; give a folder")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"{option} {path}: cannot create the folder: {e.strerror or e}") from None
    if not os.access(p, os.W_OK | os.X_OK):
        raise ConfigError(f"{option} {path}: the folder is not writable")
    return p


def prepare_output_file(path: str | os.PathLike, option: str = "--output") -> Path:
    """Check that the file ``path`` can be written (creating its folder), before any work is
    done: a folder in its place or a file that cannot be created is a :class:`ConfigError`
    naming ``option``. The file is not left behind, and an existing one is not changed."""
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"{option} {path}: is a folder; give a file name")
    existed = p.exists()
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "ab"):
            pass
    except OSError as e:
        raise ConfigError(f"{option} {path}: cannot write: {e.strerror or e}") from None
    if not existed:
        p.unlink(missing_ok=True)
    return p


def open_writer(path: str | None, fmt: str | None = None, headers: bool = False) -> ResultWriter:
    """A writer to ``path`` (``None`` or ``"-"``: standard output) in ``fmt`` (see :func:`format_for`)."""
    fmt = format_for(None if path in (None, "-") else path, fmt)
    if path in (None, "-"):
        stream, owns = sys.stdout, False
    else:
        p = Path(path)
        if p.is_dir():
            raise ConfigError(f"--output {path}: is a folder; give a file name")
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            stream, owns = open(p, "w", encoding="utf-8", newline="\n"), True  # noqa: SIM115 - closed by the writer  # noqa: SIM115 - closed by the writer
        except OSError as e:
            raise ConfigError(f"cannot write {path}: {e.strerror or e}") from None
    name = "standard output" if path in (None, "-") else str(path)
    if fmt == "jsonl":
        return JsonlWriter(stream, owns, name)
    if fmt == "json":
        return JsonWriter(stream, owns, name)
    if fmt == "md":
        return MarkdownWriter(stream, owns, headers=headers, name=name)
    if fmt == "html":
        return HtmlWriter(stream, owns, name)
    return TextWriter(stream, owns, headers=headers, name=name)
