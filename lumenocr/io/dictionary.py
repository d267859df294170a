"""The one reader of character dictionary files (PaddleOCR keys format), for recognizers,
training and synthetic data alike."""

from __future__ import annotations

import os
from pathlib import Path

from lumenocr.errors import DictionaryError, DictionaryNotFoundError


def read_dictionary(path: str | os.PathLike) -> list[str]:
    """One entry per line, in model output order.

    Lines are kept verbatim except for the line break (``\\n`` or ``\\r\\n``), so entries that
    are themselves a space or a full-width space survive; a trailing newline is tolerated and
    a byte-order mark (Windows editors add one) does not glue onto the first entry.
    """
    p = Path(path)
    if not p.is_file():
        raise DictionaryNotFoundError(f"dictionary file not found: {p}")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise DictionaryError(f"dictionary {p} is not UTF-8 text: {e}") from None
    except OSError as e:
        raise DictionaryError(f"cannot read dictionary {p}: {e.strerror or e}") from None
    entries = [e[:-1] if e.endswith("\r") else e for e in text.split("\n")]
    if entries and entries[-1] == "":
        entries.pop()
    if not entries:
        raise DictionaryError(f"dictionary {p} is empty")
    return entries
