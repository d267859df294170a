"""PDF pages rendered to BGR images with pypdfium2, one page at a time.

Pages are rendered lazily (a 500-page PDF is never held in memory at once) at
``LoadOptions.pdf_dpi``, scaled down when a page would exceed ``max_pdf_side`` on its longer
side or ``max_pixels`` in area. PDFium is not thread-safe, so every call into it holds one
module lock; rendering a page is the only long one.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Iterator
from contextlib import suppress

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from lumenocr.errors import ImageDecodeError, InputError, InputNotFoundError
from lumenocr.io.image import LoadFailure, LoadOptions, Page
from lumenocr.io.options import missing_pages

log = logging.getLogger(__name__)

_PDFIUM_LOCK = threading.RLock()

_LOAD_ERRORS = {
    pdfium_c.FPDF_ERR_SUCCESS: "cannot be opened (damaged, or it has no pages)",
    pdfium_c.FPDF_ERR_UNKNOWN: "cannot be opened (damaged, or it has no pages)",
    pdfium_c.FPDF_ERR_FORMAT: "is not valid or is corrupt",
    pdfium_c.FPDF_ERR_FILE: "cannot be read",
    pdfium_c.FPDF_ERR_SECURITY: "uses an unsupported security handler",
    pdfium_c.FPDF_ERR_PAGE: "has a corrupt page tree",
}


def open_pdf(data: bytes | str | os.PathLike, source: str, password: str | None = None) -> pdfium.PdfDocument:
    """Open a PDF (bytes or path) with PDFium, turning its failures into clear input errors."""
    if isinstance(data, (bytes, bytearray, memoryview)) and len(data) == 0:
        raise ImageDecodeError(f"{source}: file is empty (0 bytes)")
    target = os.fspath(data) if isinstance(data, (str, os.PathLike)) else bytes(data)
    try:
        with _PDFIUM_LOCK:
            doc = pdfium.PdfDocument(target, password=password)
    except FileNotFoundError as exc:
        raise InputNotFoundError(f"{source}: no such file") from exc
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        # PDFium's last-error value is sticky: a failure that sets no code reports the previous
        # one, so a password error is only believed when the file has an encryption dictionary.
        if code == pdfium_c.FPDF_ERR_PASSWORD and _has_encrypt_dict(target):
            if password:
                raise InputError(f"{source}: PDF is encrypted and the given password is wrong") from exc
            raise InputError(
                f"{source}: PDF is encrypted (password protected); pass its password "
                "with --pdf-password (LoadOptions.pdf_password in Python) or decrypt it first"
            ) from exc
        reason = _LOAD_ERRORS.get(code, f"cannot be opened ({exc})")
        raise ImageDecodeError(f"{source}: PDF file {reason}") from exc
    return doc


def _has_encrypt_dict(target: bytes | str) -> bool:
    """True when the raw PDF contains ``/Encrypt`` (trailer and xref-stream dictionaries are never compressed)."""
    if isinstance(target, bytes):
        return b"/Encrypt" in target
    try:
        with open(target, "rb") as f:
            tail = b""
            while chunk := f.read(1 << 20):
                if b"/Encrypt" in tail + chunk:
                    return True
                tail = chunk[-16:]
    except OSError:
        return False
    return False


def render_scale(width_pt: float, height_pt: float, options: LoadOptions) -> float:
    """PDFium scale factor (pixels per PDF point) for a page, honouring the DPI and size caps."""
    scale = options.pdf_dpi / 72.0
    longer = max(width_pt, height_pt, 1e-6)
    scale = min(scale, options.max_pdf_side / longer)
    area = max(width_pt * height_pt, 1e-6)
    scale = min(scale, math.sqrt(options.max_pixels / area))
    return scale


def selected_pages(n_pages: int, options: LoadOptions, source: str) -> list[int]:
    """The 0-based pages to read; a requested page that does not exist is an :class:`InputError`."""
    if n_pages == 0:
        raise InputError(f"{source}: PDF has no pages")
    if options.pages is None:
        return list(range(n_pages))
    wanted = [int(p) for p in options.pages]
    missing = [p for p in wanted if p >= n_pages]
    if missing:
        raise InputError(f"{source}: PDF has {n_pages} page(s); {missing_pages(missing)}")
    return wanted


def render_page(doc: pdfium.PdfDocument, index: int, source: str, options: LoadOptions) -> np.ndarray:
    """Render page ``index`` of an open document to H x W x 3 uint8 BGR (C-contiguous)."""
    try:
        with _PDFIUM_LOCK:
            page = doc[index]
            try:
                width_pt, height_pt = page.get_size()
                scale = render_scale(width_pt, height_pt, options)
                nominal = options.pdf_dpi / 72.0
                if scale < nominal * 0.999:
                    log.warning(
                        "%s page %d: rendered at %.0f dpi instead of %d to stay within the size limits",
                        source,
                        index,
                        scale * 72.0,
                        options.pdf_dpi,
                    )
                bitmap = page.render(scale=scale)
                try:
                    # Default PDFium format is BGR (3 bytes); copy out before the buffer is freed.
                    image = np.array(bitmap.to_numpy(), dtype=np.uint8, copy=True, order="C")
                finally:
                    bitmap.close()
            finally:
                page.close()
    except pdfium.PdfiumError as exc:
        raise ImageDecodeError(f"{source}: cannot render PDF page {index}: {exc}") from exc
    if image.ndim == 2:  # PDFium may return grayscale for some bitmap formats
        image = np.repeat(image[:, :, None], 3, axis=2)
    elif image.shape[2] == 4:
        image = np.ascontiguousarray(image[:, :, :3])
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ImageDecodeError(f"{source}: PDF page {index} has zero size")
    return image


def pdf_page_count(data: bytes | str | os.PathLike, source: str, password: str | None = None) -> int:
    """Number of pages of a PDF (cheap: nothing is rendered)."""
    doc = open_pdf(data, source, password)
    try:
        with _PDFIUM_LOCK:
            return len(doc)
    finally:
        _close(doc)


def iter_pdf_pages(
    data: bytes | str | os.PathLike,
    source: str,
    options: LoadOptions = LoadOptions(),
    report_bad_pages: bool = False,
) -> Iterator[Page | LoadFailure]:
    """Yield each selected page of a PDF as a :class:`Page`, rendering one page per step.

    A page that fails to render raises :class:`ImageDecodeError`, or with ``report_bad_pages``
    is yielded as a :class:`LoadFailure` and the following pages are still read.
    """
    doc = open_pdf(data, source, options.pdf_password)
    try:
        with _PDFIUM_LOCK:
            n_pages = len(doc)
        for index in selected_pages(n_pages, options, source):
            try:
                image = render_page(doc, index, source, options)
            except ImageDecodeError as exc:
                if not report_bad_pages:
                    raise
                yield LoadFailure(source, index, exc)
                continue
            yield Page(image, source, index)
    finally:
        _close(doc)


def _close(doc: pdfium.PdfDocument) -> None:
    with _PDFIUM_LOCK, suppress(Exception):
        doc.close()
