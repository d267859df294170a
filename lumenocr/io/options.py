"""How inputs are read (:class:`LoadOptions`), apart from the decoders in :mod:`lumenocr.io.image`
so that settings modules (the server's, the CLI's) can name them without loading OpenCV and
Pillow."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lumenocr.errors import ConfigError


@dataclass(frozen=True)
class LoadOptions:
    """How inputs are read.

    ``max_pixels`` limits a decoded image (width x height); images are checked from their header
    before decoding. PDF pages are rendered at ``pdf_dpi`` but scaled down when the page would
    exceed ``max_pdf_side`` pixels on its longer side or ``max_pixels`` in area (a rendering
    choice, so a big poster page still loads). ``pages`` selects 0-based pages of PDFs and
    TIFFs (``None``: all; a requested page that does not exist is an error; single-image formats
    ignore it); :func:`parse_page_spec` turns a user's ``"1-3,5"`` into it.
    ``max_download_bytes`` and ``timeout`` (seconds) bound URL downloads. ``pdf_password``
    opens encrypted PDFs.
    """

    pdf_dpi: int = 200
    max_pixels: int = 100_000_000
    max_pdf_side: int = 10_000
    max_download_bytes: int = 50 * 1024 * 1024
    timeout: float = 15.0
    pages: range | list[int] | tuple[int, ...] | None = None
    pdf_password: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.pdf_dpi <= 2400:
            raise ConfigError(f"pdf_dpi must be in 1..2400, got {self.pdf_dpi}")
        for name in ("max_pixels", "max_pdf_side", "max_download_bytes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)}")
        if not self.timeout > 0:
            raise ConfigError(f"timeout must be positive, got {self.timeout}")
        if self.pages is not None:
            if isinstance(self.pages, (str, bytes)) or not all(
                isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in self.pages
            ):
                raise ConfigError(
                    f"pages must be a range or a list of 0-based page numbers, got {self.pages!r}"
                )
            if any(p < 0 for p in self.pages):
                raise ConfigError(f"pages are 0-based and must be >= 0, got {list(self.pages)}")
            if not isinstance(self.pages, range):  # keep the options hashable and immutable
                object.__setattr__(self, "pages", tuple(int(p) for p in self.pages))


def parse_page_spec(spec: str) -> list[int]:
    """Turn a 1-based page list as users write it (``"1-3,5"``) into 0-based indices ``[0, 1, 2, 4]``."""
    pages: list[int] = []
    for part in spec.replace(" ", "").split(","):
        first, sep, last = part.partition("-")
        try:
            lo = int(first)
            hi = int(last) if sep else lo
        except ValueError:
            raise ConfigError(f"bad page list {spec!r}: expected numbers and ranges like '1-3,5'") from None
        if lo < 1 or hi < lo:
            raise ConfigError(
                f"bad page range {part!r} in {spec!r}: pages count from 1 and ranges go upwards"
            )
        pages.extend(range(lo - 1, hi))
    return pages


def missing_pages(indices: list[int]) -> str:
    """Says which requested pages do not exist, counted from 1 as users write them (``--pages``,
    the server's ``pages``), with the 0-based index of ``LoadOptions.pages`` beside it."""
    numbers = ", ".join(f"{p + 1} (index {p})" for p in indices)
    return (
        f"requested page {numbers} does not exist"
        if len(indices) == 1
        else f"requested pages {numbers} do not exist"
    )
