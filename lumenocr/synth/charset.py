"""Character sets: built-in ones and PaddleOCR dictionary files.

A charset is a list of *tokens*; most tokens are one character, but a dictionary may hold
multi-character tokens (combining sequences, ligature-like units). Label lengths are counted
in tokens, and a token is drawn as one unit so shaping within it works.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lumenocr.errors import ConfigError

ASCII = "".join(chr(c) for c in range(0x21, 0x7F))
LATIN_EXTRA = "".join(chr(c) for c in range(0xC0, 0x100) if chr(c) not in "×÷") + "£€¥°§«»±µ¿¡"
CJK_PUNCT = "，。、：；！？「」『』（）《》【】…—·“”‘’"


@lru_cache(maxsize=1)
def common_chinese() -> str:
    """The 3,755 level-1 characters of GB 2312: the common Simplified Chinese set."""
    chars = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:  # unassigned code points at the end of rows
                continue
    return "".join(chars)


def is_cjk(token: str) -> bool:
    """True for ideographs, kana, hangul and full-width punctuation: upright in vertical text."""
    return all(unicodedata.east_asian_width(ch) in ("W", "F") for ch in token)


def is_han(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x2FFFF or 0xF900 <= o <= 0xFAFF


@dataclass
class Charset:
    """The tokens lines may use; ``space`` says whether ' ' may separate words."""

    tokens: list[str]
    space: bool = True
    source: str = ""
    token_set: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = [t for t in dict.fromkeys(self.tokens) if t and t != " "]
        self.token_set = frozenset(self.tokens)
        if not self.tokens:
            raise ConfigError(f"charset {self.source!r} is empty")

    def all_chars(self) -> set[str]:
        return {ch for t in self.tokens for ch in t}


def builtin_charset(name: str, space: bool = True) -> Charset:
    """``default`` (ASCII + common Chinese), ``latin``, ``ascii``, ``chinese`` or ``digits``."""
    if name == "ascii":
        chars = ASCII
    elif name == "latin":
        chars = ASCII + LATIN_EXTRA
    elif name == "chinese":
        chars = common_chinese() + CJK_PUNCT + "0123456789"
    elif name == "digits":
        chars = "0123456789.,-+:/%"
    elif name == "default":
        chars = ASCII + "£€¥°" + common_chinese() + CJK_PUNCT
    else:
        raise ConfigError(f"unknown charset {name!r}; use default|latin|ascii|chinese|digits")
    return Charset(list(chars), space=space, source=name)


def read_dict(path: str | Path, space: bool = True) -> Charset:
    """The charset of a PaddleOCR dictionary (read by :func:`lumenocr.io.dictionary.read_dictionary`).

    A line holding one space is the space token; empty lines hold no token.
    """
    from lumenocr.io.dictionary import read_dictionary

    tokens = read_dictionary(path)
    has_space = " " in tokens
    return Charset([t for t in tokens if t], space=space or has_space, source=str(path))


def tokenize(text: str, token_set: frozenset[str], max_token_len: int) -> list[str] | None:
    """Split ``text`` into charset tokens, longest match first; ``None`` if something is not in it.

    Spaces are kept as ' ' tokens.
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == " ":
            out.append(" ")
            i += 1
            continue
        for n in range(min(max_token_len, len(text) - i), 0, -1):
            if text[i : i + n] in token_set:
                out.append(text[i : i + n])
                i += n
                break
        else:
            return None
    return out
