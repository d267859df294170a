"""Inputs as the user names them: paths, folders, globs, URLs, bytes, arrays, PIL images.

* :func:`expand_inputs` turns command-line style inputs (files, folders, globs, URLs) into a
  list of files to read, reporting what was skipped and what matched nothing.
* :func:`iter_pages` reads one input lazily, page by page; :func:`load_image` reads an input
  that must be a single image.
* :func:`load_all` reads many inputs and reports each failure as a :class:`LoadFailure`
  instead of stopping, so one bad file in 10,000 does not lose the other 9,999.
"""

from __future__ import annotations

import functools
import glob
import os
import re
import time
from collections.abc import Collection, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from lumenocr.errors import (
    ImageDecodeError,
    ImageTooLargeError,
    InputError,
    InputNotFoundError,
    LumenOCRError,
)
from lumenocr.io.image import (
    SNIFF_BYTES,
    SUPPORTED_EXTENSIONS,
    LoadFailure,
    LoadOptions,
    Page,
    array_to_bgr,
    decode_image_bytes,
    decode_with_pil,
    is_url,
    pil_to_bgr,
    sniff_format,
    unsupported,
)

#: Anything :func:`iter_pages` accepts.
Source = str | os.PathLike | bytes | bytearray | memoryview | np.ndarray | Image.Image

_USER_AGENT = "lumenocr (+https://github.com/lumenocr/lumenocr)"
_CHUNK = 1 << 16


def source_label(source: Any) -> str:
    """How an input is named in results and errors: the path or URL as given, else a tag."""
    if isinstance(source, str):
        return source
    if isinstance(source, os.PathLike):
        return str(os.fspath(source))
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>"
    if isinstance(source, np.ndarray):
        return "<array>"
    if isinstance(source, Image.Image):
        return "<PIL image>"
    return f"<{type(source).__name__}>"


# --- reading one input ---------------------------------------------------------------------
def iter_pages(
    source: Source, options: LoadOptions | None = None, name: str | None = None
) -> Generator[Page, None, None]:
    """Yield the pages of one input lazily (one for an image, one per page for PDF/TIFF).

    ``source`` is a path (``str``/``os.PathLike``), an ``http(s)://`` URL, the bytes of an image
    or PDF file, a numpy array (H x W gray, H x W x 3 BGR, H x W x 4 BGRA) or a PIL image (its
    current frame). Errors are :class:`~lumenocr.errors.InputError` subclasses with a message
    naming the input; they are raised when iteration starts. ``name`` replaces the label of
    in-memory inputs (``"<bytes>"``...) in pages and errors, e.g. an uploaded file's name.
    """
    for item in _iter_source(source, options or LoadOptions(), False, name):
        assert isinstance(item, Page)
        yield item


def load_image(source: Source, options: LoadOptions | None = None, name: str | None = None) -> np.ndarray:
    """Read an input that holds exactly one image and return it as H x W x 3 uint8 BGR.

    A multi-page PDF or TIFF is an :class:`InputError` (nothing is dropped silently): use
    :func:`iter_pages`, or select one page with ``LoadOptions(pages=[i])``.
    """
    pages = iter_pages(source, options, name)
    try:
        first = next(pages)
        if next(pages, None) is not None:
            raise InputError(
                f"{name or source_label(source)}: has several pages; read it with iter_pages() "
                "or select one page with LoadOptions(pages=[i])"
            )
    finally:
        pages.close()
    return first.image


def load_all(sources: Iterable[Source], options: LoadOptions | None = None) -> Iterator[Page | LoadFailure]:
    """Read many inputs in order, yielding a :class:`Page` per page read and a :class:`LoadFailure`
    per input (or PDF page) that could not be read, never stopping at a bad one."""
    options = options or LoadOptions()
    for source in sources:
        label = source_label(source)
        last_page: int | None = None
        try:
            for item in _iter_source(source, options, True):
                last_page = item.page
                yield item
        except InputError as exc:
            yield LoadFailure(label, _failed_page(last_page), exc)
        except LumenOCRError as exc:
            yield LoadFailure(label, _failed_page(last_page), InputError(str(exc)))
        except Exception as exc:  # noqa: BLE001 - an unforeseen decoder failure must not stop the batch
            err = ImageDecodeError(f"{label}: cannot read ({type(exc).__name__}: {exc})")
            err.__cause__ = exc
            yield LoadFailure(label, _failed_page(last_page), err)


def _failed_page(last_page: int | None) -> int | None:
    return None if last_page is None else last_page + 1


def _iter_source(
    source: Any, options: LoadOptions, report_bad_pages: bool, name: str | None = None
) -> Iterator[Page | LoadFailure]:
    if isinstance(source, np.ndarray):
        label = name or "<array>"
        yield Page(array_to_bgr(source, label, options.max_pixels), label, None)
    elif isinstance(source, Image.Image):
        label = name or "<PIL image>"
        yield Page(pil_to_bgr(source, label, options.max_pixels), label, None)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        yield from _iter_bytes(bytes(source), name or "<bytes>", options, report_bad_pages)
    elif isinstance(source, str) and is_url(source):
        yield from _iter_bytes(fetch_url(source, options), source, options, report_bad_pages)
    elif isinstance(source, (str, os.PathLike)):
        yield from _iter_path(source, options, report_bad_pages)
    else:
        raise InputError(
            f"unsupported input type {type(source).__name__}: expected a path, an http(s) URL, bytes, "
            "a numpy array or a PIL image"
        )


def _iter_bytes(
    data: bytes, label: str, options: LoadOptions, report_bad_pages: bool
) -> Iterator[Page | LoadFailure]:
    if not data:
        raise ImageDecodeError(f"{label}: file is empty (0 bytes)")
    fmt = sniff_format(data[:SNIFF_BYTES])
    if fmt == "pdf":
        from lumenocr.io.pdf import iter_pdf_pages  # pypdfium2 only loads when a PDF comes

        yield from iter_pdf_pages(data, label, options, report_bad_pages)
    else:
        yield from decode_image_bytes(data, label, options, fmt)


def _iter_path(
    path: str | os.PathLike, options: LoadOptions, report_bad_pages: bool
) -> Iterator[Page | LoadFailure]:
    label = os.fspath(path)
    if isinstance(label, bytes):
        label = os.fsdecode(label)
    if os.path.isdir(label):
        raise InputError(f"{label}: is a folder; expand it with expand_inputs() (the CLI does this)")
    try:
        with open(label, "rb") as f:
            head = f.read(SNIFF_BYTES)
            fmt = sniff_format(head)
            if fmt in ("jpeg", "png", "bmp", "webp"):
                data = head + f.read()
    except FileNotFoundError as exc:
        if "://" in label[:12]:
            raise InputNotFoundError(
                f"{label}: no such file (only http:// and https:// URLs are downloaded)"
            ) from exc
        raise InputNotFoundError(f"{label}: no such file") from exc
    except OSError as exc:
        raise InputError(f"{label}: cannot read: {exc.strerror or exc}") from exc
    if not head:
        raise ImageDecodeError(f"{label}: file is empty (0 bytes)")
    if fmt is None:
        raise unsupported(label, head)
    if fmt == "pdf":
        from lumenocr.io.pdf import iter_pdf_pages

        yield from iter_pdf_pages(label, label, options, report_bad_pages)
    elif fmt in ("tiff", "gif"):
        yield from decode_with_pil(label, fmt, label, options)  # Pillow reads pages lazily from the file
    else:
        yield from decode_image_bytes(data, label, options, fmt)


# --- URLs ----------------------------------------------------------------------------------
# urllib, http.client and ssl load only when a URL is read (a tenth of a second of start-up).
@functools.lru_cache(maxsize=1)
def _opener():
    import urllib.request

    class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
        """Follow redirects only to http(s) URLs (urllib would also follow one to ftp://)."""

        def redirect_request(self, req, fp, code, msg, headers, newurl):
            if not is_url(newurl):
                raise InputError(f"{req.full_url}: redirected to {newurl!r}, which is not an http(s) URL")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return urllib.request.build_opener(_HttpOnlyRedirects)


def fetch_url(url: str, options: LoadOptions | None = None) -> bytes:
    """Download ``url`` (http/https) with a timeout and a size cap, streaming.

    Raises :class:`InputNotFoundError` for 404/410, :class:`ImageTooLargeError` past
    ``max_download_bytes`` (checked on Content-Length and while streaming), :class:`InputError`
    for other HTTP errors, timeouts and network failures. The whole download is bounded by about
    twice ``timeout`` even when a server sends bytes slowly.
    """
    import http.client
    import urllib.error
    import urllib.request

    options = options or LoadOptions()
    limit = options.max_download_bytes
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    deadline = time.monotonic() + options.timeout
    try:
        with _opener().open(request, timeout=options.timeout) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.strip().isdigit() and int(declared) > limit:
                raise ImageTooLargeError(
                    f"{url}: download is {int(declared):,} bytes, over the limit of {limit:,} "
                    "(LoadOptions.max_download_bytes)"
                )
            chunks: list[bytes] = []
            total = 0
            while True:
                if time.monotonic() > deadline:
                    raise InputError(f"{url}: download timed out after {options.timeout:g} s")
                # read1 returns after one socket read, so a server dripping bytes cannot outlast the deadline.
                chunk = response.read1(min(_CHUNK, limit + 1 - total))
                if not chunk:
                    break
                total += len(chunk)
                if total > limit:
                    raise ImageTooLargeError(
                        f"{url}: download exceeds the limit of {limit:,} bytes (LoadOptions.max_download_bytes)"
                    )
                chunks.append(chunk)
    except LumenOCRError:
        raise
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 410):
            raise InputNotFoundError(f"{url}: not found (HTTP {exc.code})") from exc
        raise InputError(f"{url}: download failed: HTTP {exc.code} {exc.reason}") from exc
    except TimeoutError as exc:
        raise InputError(f"{url}: download timed out after {options.timeout:g} s") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise InputError(f"{url}: download timed out after {options.timeout:g} s") from exc
        raise InputError(f"{url}: download failed: {exc.reason}") from exc
    except (http.client.HTTPException, OSError, ValueError) as exc:
        raise InputError(f"{url}: download failed: {type(exc).__name__}: {exc}") from exc
    return b"".join(chunks)


# --- expanding command-line inputs -----------------------------------------------------------
@dataclass
class ExpandedInputs:
    """What a list of inputs expanded to.

    ``files``: paths and URLs to read, in order (folders in natural order), each once.
    ``skipped``: files found inside folders or globs whose extension lumenocr does not read.
    ``missing``: inputs that matched nothing (no such path, empty folder, glob with no match);
    ``reasons`` says why for each.
    """

    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every input matched something."""
        return not self.missing

    def problems(self) -> list[str]:
        """One line per input that matched nothing, for reports."""
        return [f"{item}: {self.reasons.get(item, 'matched nothing')}" for item in self.missing]


_GLOB_CHARS = re.compile(r"[*?\[]")
_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """Sort key that orders ``img_2`` before ``img_10`` (case-insensitive, numbers by value)."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in _DIGITS.split(text))


def is_supported_file(name: str, extensions: Collection[str] = SUPPORTED_EXTENSIONS) -> bool:
    """True when ``name``'s extension is one a folder or glob expands to."""
    return os.path.splitext(name)[1].lower() in extensions


def expand_inputs(
    inputs: Sequence[str | os.PathLike],
    recursive: bool = True,
    extensions: Collection[str] = SUPPORTED_EXTENSIONS,
) -> ExpandedInputs:
    """Expand files, folders, glob patterns and URLs into the list of things to read.

    * A URL stays as is; an existing file is always kept (whatever its extension: it then
      fails with a clear error if it is not an image).
    * A folder expands to the supported files inside it (recursively unless ``recursive`` is
      False), sorted in natural order; hidden files and folders (name starting with ".") are
      ignored; other files are listed in ``skipped``.
    * A pattern with ``*``, ``?`` or ``[`` expands like a shell glob (``**`` crosses folders);
      matched folders are expanded, unsupported matched files are ``skipped``.
    * An input that matches nothing, or a folder with no supported file, goes to ``missing``.

    A file reached through several inputs is kept once (first occurrence). ``extensions``
    (lower case, with the dot) are the files folders and globs expand to.
    """
    out = ExpandedInputs()
    seen: set[str] = set()

    def add(path: str) -> bool:
        key = path if is_url(path) else os.path.realpath(path)
        if key in seen:
            return False
        seen.add(key)
        out.files.append(path)
        return True

    # ``found`` counts supported files matched, listed now or by an earlier input: a folder or
    # glob whose files were all given already matched something and is not "missing".
    def add_folder(folder: str) -> tuple[int, int]:
        found = skipped = 0
        for path in _walk(folder, recursive, out):
            if is_supported_file(path, extensions):
                add(path)
                found += 1
            else:
                out.skipped.append(path)
                skipped += 1
        return found, skipped

    for raw in inputs:
        item = os.fspath(raw)
        if isinstance(item, bytes):
            item = os.fsdecode(item)
        if is_url(item):
            add(item)
        elif os.path.isdir(item):
            found, skipped = add_folder(item)
            if not found:
                _missing(out, item, f"folder has no supported image or PDF ({skipped} other file(s) skipped)")
        elif os.path.lexists(item):
            add(item)
        elif _GLOB_CHARS.search(item):
            matches = sorted(glob.glob(item, recursive=True), key=natural_key)
            found = skipped = 0
            for match in matches:
                if os.path.isdir(match):
                    f, s = add_folder(match)
                    found, skipped = found + f, skipped + s
                elif is_supported_file(match, extensions):
                    add(match)
                    found += 1
                else:
                    out.skipped.append(match)
                    skipped += 1
            if not found:
                why = (
                    "pattern matched no file"
                    if not matches
                    else f"pattern matched no supported file ({skipped} skipped)"
                )
                _missing(out, item, why)
        elif re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", item):
            _missing(out, item, "only http:// and https:// URLs are read (or a local path)")
        else:
            _missing(out, item, "no such file or folder")
    return out


def _missing(out: ExpandedInputs, item: str, reason: str) -> None:
    out.missing.append(item)
    out.reasons[item] = reason


def _walk(folder: str, recursive: bool, out: ExpandedInputs) -> list[str]:
    """Files under ``folder`` (not hidden ones), sorted naturally by their path relative to it."""
    files: list[str] = []

    def onerror(exc: OSError) -> None:
        where = exc.filename or folder
        _missing(out, where, f"cannot list folder: {exc.strerror or exc}")

    visited = {os.path.realpath(folder)}
    # Symlinked folders are followed (their files were asked for too); the visited set stops loops.
    for root, dirs, names in os.walk(folder, onerror=onerror, followlinks=True):
        kept = []
        for d in dirs if recursive else []:
            real = os.path.realpath(os.path.join(root, d))
            if not d.startswith(".") and real not in visited:
                visited.add(real)
                kept.append(d)
        dirs[:] = kept
        files.extend(os.path.join(root, n) for n in names if not n.startswith("."))
    rel = {path: os.path.relpath(path, folder).replace(os.sep, "/") for path in files}
    return sorted(files, key=lambda p: natural_key(rel[p]))
