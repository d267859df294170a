"""Progress bar and error lines on standard error that do not break each other."""

from __future__ import annotations

import os
import sys

from lumenocr.errors import InputError
from lumenocr.io.writers import display_name


class Progress:
    """Messages on standard error (:meth:`report`) and, once :meth:`start` is called with a
    total, a tqdm bar over pages that the messages are printed above."""

    def __init__(self, prefix: str = "lumenocr ocr"):
        self.prefix = prefix
        self.bar = None

    def start(self, total: int) -> None:
        """Show a bar counting ``total`` pages (more if multi-page TIFFs hold more)."""
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="page", file=sys.stderr, dynamic_ncols=True)

    def report(self, message: str) -> None:
        line = display_name(f"{self.prefix}: {message}")  # a file name that is not UTF-8: \xNN
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)

    def advance(self, n: int = 1) -> None:
        bar = self.bar
        if bar is None:
            return
        if bar.total is not None and bar.n + n > bar.total:
            bar.total = bar.n + n  # a multi-page TIFF holds more pages than counted
        bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def count_pages(files: list[str]) -> int:
    """Pages to process, for the progress bar (PDF page counts are cheap; TIFFs count as 1)."""
    total = 0
    for f in files:
        n = 1
        if f.lower().endswith(".pdf") and os.path.isfile(f):
            from lumenocr.io.pdf import pdf_page_count  # pypdfium2 loads only when a PDF comes

            try:
                n = pdf_page_count(f, f)
            except InputError:
                n = 1
        total += n
    return total
