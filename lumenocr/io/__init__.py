"""Reading inputs: images, PDFs, URLs, folders and globs, bytes, numpy arrays and PIL images.

Main entry points (imported lazily so ``import lumenocr.io.labels`` stays light)::

    from lumenocr.io import LoadOptions, iter_pages, load_image, expand_inputs, load_all

    for page in iter_pages("scan.pdf", LoadOptions(pdf_dpi=300)):
        page.image  # H x W x 3 uint8 BGR
"""

from __future__ import annotations

from typing import TYPE_CHECKING

_EXPORTS = {
    "LoadOptions": "lumenocr.io.options",
    "Page": "lumenocr.io.image",
    "LoadFailure": "lumenocr.io.image",
    "SUPPORTED_EXTENSIONS": "lumenocr.io.image",
    "array_to_bgr": "lumenocr.io.image",
    "pil_to_bgr": "lumenocr.io.image",
    "sniff_format": "lumenocr.io.image",
    "parse_page_spec": "lumenocr.io.options",
    "iter_pdf_pages": "lumenocr.io.pdf",
    "pdf_page_count": "lumenocr.io.pdf",
    "Source": "lumenocr.io.sources",
    "ExpandedInputs": "lumenocr.io.sources",
    "expand_inputs": "lumenocr.io.sources",
    "fetch_url": "lumenocr.io.sources",
    "iter_pages": "lumenocr.io.sources",
    "load_all": "lumenocr.io.sources",
    "load_image": "lumenocr.io.sources",
    "source_label": "lumenocr.io.sources",
}

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "ExpandedInputs",
    "LoadFailure",
    "LoadOptions",
    "Page",
    "Source",
    "array_to_bgr",
    "expand_inputs",
    "fetch_url",
    "iter_pages",
    "iter_pdf_pages",
    "load_all",
    "load_image",
    "parse_page_spec",
    "pdf_page_count",
    "pil_to_bgr",
    "sniff_format",
    "source_label",
]

if TYPE_CHECKING:
    from lumenocr.io.image import (
        SUPPORTED_EXTENSIONS,
        LoadFailure,
        Page,
        array_to_bgr,
        pil_to_bgr,
        sniff_format,
    )
    from lumenocr.io.options import LoadOptions, parse_page_spec
    from lumenocr.io.pdf import iter_pdf_pages, pdf_page_count
    from lumenocr.io.sources import (
        ExpandedInputs,
        Source,
        expand_inputs,
        fetch_url,
        iter_pages,
        load_all,
        load_image,
        source_label,
    )


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lumenocr.io' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
