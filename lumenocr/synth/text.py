"""Line text: built-in realistic generators, corpus lines, per-character balancing, font choice.

Balancing (PaddleOCR FAQ: every character in enough samples) is deterministic: tokens are
split into two streams (CJK and other), each a seeded permutation of its tokens, and line
``i`` takes the next ``balance_per_line`` tokens of its stream. Which stream a line uses is
planned in blocks from the seed alone (:meth:`TextSampler.plan`), so after ``N`` lines every token of a
stream has appeared at least ``floor(N_stream * k / n_stream)`` times, whatever the worker count.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lumenocr.errors import ConfigError, InputNotFoundError
from lumenocr.synth.charset import Charset, builtin_charset, is_cjk, is_han, read_dict, tokenize
from lumenocr.synth.config import TextConfig
from lumenocr.synth.fonts import FontFace

log = logging.getLogger(__name__)

# Pseudo-word pieces: word-like letter patterns without copying any word list.
_ONSETS = "b c d f g h j k l m n p r s t v w y z bl br ch cl cr dr fl fr gr pl pr sc sh sl sp st str th tr wh".split()  # noqa: SIM905
_VOWELS = ["a", "e", "i", "o", "u", "a", "e", "i", "o", "ea", "ee", "ai", "oo", "ou", "ie", "io"]
_CODAS = ["", "", "", "n", "r", "s", "t", "l", "m", "d", "ng", "st", "nd", "ck", "rt", "th", "x", "ll"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_CURRENCY = ["$", "€", "£", "¥", "USD ", "EUR ", "RMB "]
_TLDS = ["com", "org", "net", "cn", "io", "de"]
_LATIN_PUNCT_AFTER = ",.;:!?"
_CJK_PUNCT_AFTER = "，。、；：！？"
_BLOCK = 4096  # lines per planning block: plans depend on (seed, index) only

STREAM_CJK, STREAM_OTHER = 0, 1


@dataclass(frozen=True)
class LinePlan:
    """What line ``index`` will be: its generator kind and its balanced tokens."""

    index: int
    kind: str  # a generator name or "corpus"
    focus: tuple[str, ...]


def load_charset(cfg: TextConfig) -> Charset:
    return (
        read_dict(cfg.dict_path, cfg.use_space_char)
        if cfg.dict_path
        else builtin_charset(cfg.charset, cfg.use_space_char)
    )


class FaceChars:
    """The charset tokens one font face can draw, grouped by what the generators need."""

    def __init__(self, tokens: Sequence[str]):
        self.all = list(tokens)
        self.set = frozenset(tokens)
        self.lower = [t for t in tokens if len(t) == 1 and "a" <= t <= "z"]
        self.upper = [t for t in tokens if len(t) == 1 and "A" <= t <= "Z"]
        self.digits = [t for t in tokens if len(t) == 1 and "0" <= t <= "9"]
        self.han = [t for t in tokens if len(t) == 1 and is_han(t)]
        self.cjk = [t for t in tokens if is_cjk(t)]
        self.accented = [t for t in tokens if len(t) == 1 and t.isalpha() and 0xC0 <= ord(t) < 0x250]

    def can(self, kind: str) -> bool:
        if kind == "words":
            return len(self.lower) >= 15
        if kind in {"numbers", "dates", "prices"}:
            return len(self.digits) == 10
        if kind == "codes":
            return len(self.digits) == 10 and len(self.upper) >= 15
        if kind == "chinese":
            return len(self.han) >= 50
        return bool(self.all)


def face_tokens(face: FontFace, tokens: Sequence[str]) -> set[str]:
    """The tokens ``face`` can draw (set operations: charsets hold thousands of tokens)."""
    single = {t for t in tokens if len(t) == 1}
    out = single & face.coverage
    out.update(t for t in tokens if len(t) > 1 and face.covers(t))
    return out


class TextSampler:
    """Draws (tokens, font face) pairs: every token of the line has a glyph in the face."""

    def __init__(
        self,
        cfg: TextConfig,
        faces: Sequence[FontFace],
        seed: int = 0,
        charset: Charset | None = None,
        glyph_check=None,
    ):
        """``glyph_check(face, tokens) -> bad tokens`` (a :class:`~lumenocr.synth.fonts.GlyphChecker`)
        makes :meth:`sample` redraw lines whose glyphs a face only claims to have."""
        self.cfg = cfg
        self.glyph_check = glyph_check
        self.charset = charset or load_charset(cfg)
        self.max_tok = max(len(t) for t in self.charset.tokens)
        faces = list(faces)
        per_face = [face_tokens(f, self.charset.tokens) for f in faces]
        anywhere = set().union(*per_face) if per_face else set()
        covered = [t for t in self.charset.tokens if t in anywhere]
        missing = [t for t in self.charset.tokens if t not in anywhere]
        if missing:
            shown = " ".join(missing[:30]) + (" ..." if len(missing) > 30 else "")
            msg = f"{len(missing)} of {len(self.charset.tokens)} charset tokens have no glyph in any font: {shown}"
            if cfg.dict_path and not cfg.allow_uncovered:
                raise ConfigError(
                    msg + " (add fonts with --fonts, or set text.allow_uncovered: true to drop them)"
                )
            log.warning("%s; they are left out", msg)
        if not covered:
            raise ConfigError("no charset token can be drawn with the available fonts")
        self.tokens = covered
        self.token_set = frozenset(covered)
        # Keep only faces that draw a useful share of the charset, so no face is picked for nothing.
        keep = [i for i, toks in enumerate(per_face) if len(toks) >= min(10, len(covered))]
        self.faces = [faces[i] for i in keep]
        self.face_chars = [FaceChars([t for t in covered if t in per_face[i]]) for i in keep]
        # Each font *file* gets equal weight, split among its faces (a .ttc has several).
        per_file: dict[str, int] = {}
        for f in self.faces:
            per_file[f.path] = per_file.get(f.path, 0) + 1
        self.face_weights = np.array([1.0 / per_file[f.path] for f in self.faces])
        self.streams = [
            [t for t in covered if is_cjk(t)],
            [t for t in covered if not is_cjk(t)],
        ]
        perm_rng = np.random.default_rng([seed, 0x5EED])
        self.streams = [[s[i] for i in perm_rng.permutation(len(s))] for s in self.streams]
        self.kinds = {
            k: w for k, w in cfg.generators.items() if w > 0 and any(fc.can(k) for fc in self.face_chars)
        }
        if not self.kinds:
            self.kinds = {"random": 1.0}
        self._face_probs: dict[tuple, np.ndarray] = {}
        self.corpus = self._load_corpus(cfg.corpus_path) if cfg.corpus_path else []

    # --- planning (main process) -------------------------------------------------------------
    def _stream_of(self, kind: str) -> int:
        return STREAM_CJK if kind == "chinese" else STREAM_OTHER

    def _block_kinds(self, seed: int, block: int) -> list[str]:
        rng = np.random.default_rng([seed, block, 0xB10C])
        names = sorted(self.kinds)
        w = np.array([self.kinds[n] for n in names], float)
        kinds = [names[i] for i in rng.choice(len(names), size=_BLOCK, p=w / w.sum())]
        if self.corpus:
            use = rng.random(_BLOCK) < self.cfg.corpus_prob
            kinds = ["corpus" if u else k for u, k in zip(use, kinds, strict=True)]
        return kinds

    def plan(self, seed: int, start: int, stop: int) -> list[LinePlan]:
        """Plans of lines ``start .. stop-1``; identical for any split of the range."""
        return list(self.iter_plans(seed, start, stop))

    def iter_plans(self, seed: int, start: int, stop: int) -> Iterator[LinePlan]:
        """Lazy :meth:`plan`: millions of lines need no list of plans in memory."""
        k = self.cfg.balance_per_line
        counts = [0, 0]
        for block in range(stop // _BLOCK + 1):
            b0 = block * _BLOCK
            if b0 >= stop:
                break
            kinds = self._block_kinds(seed, block)
            for j, kind in enumerate(kinds):
                i = b0 + j
                if i >= stop:
                    break
                focus: tuple[str, ...] = ()
                if kind != "corpus" and k:
                    s = self._stream_of(kind)
                    stream = self.streams[s] or self.streams[1 - s]
                    pos = counts[s] * k
                    counts[s] += 1
                    if i >= start and stream:
                        focus = tuple(stream[(pos + m) % len(stream)] for m in range(k))
                if i >= start:
                    yield LinePlan(i, kind, focus)

    def random_plan(self, rng: np.random.Generator) -> LinePlan:
        """A plan for in-memory use (no index): kind by weight, focus drawn at random."""
        if self.corpus and rng.random() < self.cfg.corpus_prob:
            return LinePlan(-1, "corpus", ())
        names = sorted(self.kinds)
        w = np.array([self.kinds[n] for n in names], float)
        kind = names[int(rng.choice(len(names), p=w / w.sum()))]
        s = self._stream_of(kind)
        stream = self.streams[s] or self.streams[1 - s]
        k = self.cfg.balance_per_line
        focus = tuple(stream[int(rng.integers(len(stream)))] for _ in range(k)) if stream and k else ()
        return LinePlan(-1, kind, focus)

    # --- corpus -------------------------------------------------------------------------------
    def _load_corpus(self, path: str) -> list[list[str]]:
        p = Path(path)
        if not p.is_file():
            raise InputNotFoundError(f"corpus not found: {p}")
        lines, skipped = [], 0
        with p.open(encoding="utf-8", errors="replace") as fh:
            for raw in fh:
                text = " ".join(raw.split())
                if not text:
                    continue
                toks = tokenize(text, self.token_set, self.max_tok)
                if toks is None:
                    skipped += 1
                    continue
                lines.append(toks)
        if skipped:
            log.warning(
                "corpus %s: %d line(s) use characters outside the charset/fonts and are skipped", p, skipped
            )
        if not lines:
            raise ConfigError(f"corpus {p}: no line can be drawn with the charset and fonts")
        self.corpus_skipped = skipped
        return lines

    # --- sampling (workers) -------------------------------------------------------------------
    def pick_face(self, rng: np.random.Generator, need: Sequence[str] = (), kind: str | None = None) -> int:
        """A face (index) drawing all of ``need`` and, preferably, able to run generator ``kind``."""
        key = (tuple(need), kind)
        p = self._face_probs.get(key)
        if p is None:
            ok = np.array(
                [
                    all(t in fc.set or t == " " for t in need) and (kind is None or fc.can(kind))
                    for fc in self.face_chars
                ]
            )
            if not ok.any():
                ok = np.array([all(t in fc.set or t == " " for t in need) for fc in self.face_chars])
            w = self.face_weights * ok
            p = w / w.sum()
            if len(self._face_probs) < 20000:  # focus tokens and kinds repeat: memoise
                self._face_probs[key] = p
        return int(rng.choice(len(self.faces), p=p))

    def target_len(self, rng: np.random.Generator, lo: int | None = None, hi: int | None = None) -> int:
        lo = self.cfg.min_len if lo is None else lo
        hi = self.cfg.max_len if hi is None else hi
        # Skewed to short lines, as words and short phrases dominate real crops.
        return int(lo + np.floor((hi - lo + 1) * rng.random() ** 1.6))

    def sample(
        self,
        rng: np.random.Generator,
        plan: LinePlan | None = None,
        vertical: bool = False,
        long: bool = False,
        face_id: int | None = None,
    ) -> tuple[list[str], int]:
        """Tokens of one line and the index of a face (in ``self.faces``) that draws all of them.

        ``vertical`` asks for CJK-only text (upright glyphs); it is honoured when possible.
        ``long`` asks for at least half the maximum length (paragraph lines). ``face_id``
        forces the face (a paragraph keeps one font): text adapts to what it can draw.
        """
        plan = plan or self.random_plan(rng)
        if self.glyph_check is None:
            return self._sample_once(rng, plan, vertical, long, face_id)
        for _ in range(8):
            toks, fid = self._sample_once(rng, plan, vertical, long, face_id)
            bad = self.glyph_check(self.faces[fid], toks)
            if not bad:
                return toks, fid
            # A balanced token the face cannot draw would come back every time: let it go here.
            plan = LinePlan(plan.index, plan.kind, tuple(t for t in plan.focus if t not in bad))
        face = self.faces[fid]
        raise ConfigError(
            f"font {face.name} ({face.path}) lists glyphs it does not draw (e.g. {' '.join(bad[:10])}); "
            "remove the file or add its name to fonts.exclude"
        )

    def _sample_once(
        self, rng: np.random.Generator, plan: LinePlan, vertical: bool, long: bool, face_id: int | None
    ) -> tuple[list[str], int]:
        if plan.kind == "corpus":
            for _ in range(5 if face_id is not None else 1):
                toks = self._corpus_window(rng)
                if face_id is None:
                    return toks, self.pick_face(rng, toks)
                if all(t == " " or t in self.face_chars[face_id].set for t in toks):
                    return toks, face_id
            assert face_id is not None  # with no face the loop above returned
            plan = LinePlan(plan.index, self._kind_for(rng, self.face_chars[face_id], "words"), ())
        focus = list(plan.focus)
        if face_id is None:
            face_id = self.pick_face(rng, focus, plan.kind)
        fc = self.face_chars[face_id]
        focus = [t for t in focus if t in fc.set]
        kind = self._kind_for(rng, fc, plan.kind)
        budget = self.cfg.max_len - len(focus) - (1 if focus else 0)
        generated: list[str] | None = []
        for _ in range(6):
            if budget <= 0:
                break
            generated = self._generate(kind, rng, fc, budget, vertical, long)
            if generated is not None:
                break
        else:
            generated = self._random(rng, fc, budget, vertical)
        toks = self._insert(rng, generated or [], focus)
        toks = _clean(toks)[: self.cfg.max_len]
        toks = _clean(toks)
        if len(toks) < self.cfg.min_len:  # pad short lines with random tokens of the same face
            extra = self._random(rng, fc, self.cfg.min_len - len(toks), vertical)
            toks = _clean(toks + extra)
        if "".join(toks).strip("#") == "":  # '###' marks don't-care boxes in det labels
            toks = ([t for t in fc.all if t != "#"][:1] + toks)[: self.cfg.max_len]
        return toks, face_id

    def _kind_for(self, rng: np.random.Generator, fc: FaceChars, kind: str) -> str:
        """``kind`` if the face can run it, else another generator it can run (by weight)."""
        if fc.can(kind):
            return kind
        names = sorted(k for k in self.kinds if fc.can(k))
        if not names:
            return "random"
        w = np.array([self.kinds[n] for n in names], float)
        return names[int(rng.choice(len(names), p=w / w.sum()))]

    def _corpus_window(self, rng: np.random.Generator) -> list[str]:
        toks = self.corpus[int(rng.integers(len(self.corpus)))]
        n = self.target_len(rng, max(self.cfg.min_len, 2))
        if len(toks) <= n:
            return toks
        starts = [0] + [i + 1 for i, t in enumerate(toks[: len(toks) - n]) if t == " "]
        s = starts[int(rng.integers(len(starts)))]
        end = s + n
        if end < len(toks) and toks[end] != " " and " " in toks[s:end] and not is_cjk(toks[end]):
            # The window would cut a word: end at the last space inside it instead.
            end = s + len(toks[s:end]) - toks[s:end][::-1].index(" ")
        elif end < len(toks) and toks[end] != " " and not is_cjk(toks[end]):
            # One long word: take it whole when it fits the length limit.
            while end < len(toks) and toks[end] != " " and end - s < self.cfg.max_len:
                end += 1
        return _clean(toks[s:end]) or toks[:n]

    def _insert(self, rng: np.random.Generator, toks: list[str], focus: list[str]) -> list[str]:
        """Put the balanced tokens into the line where they look natural: letters inside a word,
        digits next to digits, punctuation against a word; CJK anywhere in CJK text."""
        if not focus:
            return toks
        if not toks:
            return list(focus)
        if all(is_cjk(t) for t in focus) and any(is_cjk(t) for t in toks):
            g = int(rng.integers(len(toks) + 1))  # CJK text has no word boundaries to respect
            return toks[:g] + list(focus) + toks[g:]
        out = list(toks)
        for t in focus:
            word_pos = [i for i, x in enumerate(out) if x != " "]
            if t.isalpha():
                cands = [i for i in word_pos if out[i].isalpha()]
            elif t.isdigit():
                cands = [i for i in word_pos if out[i].isdigit()]
            else:
                cands = word_pos
            if not cands or (t.isalnum() and rng.random() < 0.15):
                g = 0 if rng.random() < 0.5 else len(out)  # sometimes a word of its own
                sep = [" "] if self.charset.space else []
                out = [t] + sep + out if g == 0 else out + sep + [t]
                continue
            if t.isalnum():
                i = cands[int(rng.integers(len(cands)))]
                out.insert(i + int(rng.integers(2)), t)
                continue
            starts = [i for i in word_pos if i == 0 or out[i - 1] == " "]
            ends = [i + 1 for i in word_pos if i == len(out) - 1 or out[i + 1] == " "]
            if t in "([{<\"'“‘$€£¥#@":
                at = starts  # opening marks and currency go before a word
            elif t in ".,;:!?)]}>%…”’":
                at = ends
            else:
                at = starts + ends
            out.insert(at[int(rng.integers(len(at)))], t)
        return out

    # --- generators ---------------------------------------------------------------------------
    def _generate(
        self, kind: str, rng, fc: FaceChars, budget: int, vertical: bool, long: bool = False
    ) -> list[str] | None:
        if vertical and fc.can("chinese"):
            kind = "chinese"
        if kind == "random":
            return self._random(rng, fc, budget, vertical)
        lo = max(1, min(self.cfg.min_len, budget))
        n = self.target_len(rng, max(lo, budget // 2) if long else lo, budget)
        if kind == "chinese":
            return self._chinese(rng, fc, n, vertical)
        text = {"words": _words, "numbers": _number, "dates": _date, "prices": _price, "codes": _code}[kind](
            rng, n
        )
        toks = tokenize(text, fc.set, self.max_tok)
        if toks is None:
            return None
        if kind == "words" and fc.accented and rng.random() < 0.15:  # a few accented letters when available
            for i, t in enumerate(toks):
                if t in "aeiouAEIOU" and rng.random() < 0.3:
                    toks[i] = fc.accented[int(rng.integers(len(fc.accented)))]
        return _clean(_fit(toks, budget))

    def _random(self, rng, fc: FaceChars, n: int, vertical: bool) -> list[str]:
        pool = fc.cjk if vertical and fc.cjk else fc.all
        n = max(1, n)
        n = int(rng.integers(max(1, min(self.cfg.min_len, n)), n + 1))
        toks = [pool[int(i)] for i in rng.integers(len(pool), size=n)]
        if self.charset.space and not vertical and n > 4:
            for i in range(1, n - 1):
                if rng.random() < 0.12 and toks[i - 1] != " ":
                    toks[i] = " "
        return _clean(toks)

    def _chinese(self, rng, fc: FaceChars, n: int, vertical: bool) -> list[str]:
        han = fc.han
        punct = [p for p in _CJK_PUNCT_AFTER if p in fc.set]
        out: list[str] = []
        while len(out) < n:
            r = rng.random()
            if r < 0.08 and not vertical and fc.digits:
                out += [fc.digits[int(i)] for i in rng.integers(10, size=int(rng.integers(1, 5)))]
            elif r < 0.11 and not vertical and fc.upper:
                out += [fc.upper[int(i)] for i in rng.integers(len(fc.upper), size=int(rng.integers(1, 4)))]
            else:
                out += [han[int(i)] for i in rng.integers(len(han), size=int(rng.integers(1, 5)))]
            if punct and rng.random() < 0.15 and len(out) < n - 1:
                out.append(punct[int(rng.integers(len(punct)))])
        return _clean(out[:n])


def _clean(toks: list[str]) -> list[str]:
    """No leading/trailing or double spaces: they would be invisible label noise."""
    out: list[str] = []
    for t in toks:
        if t == " " and (not out or out[-1] == " "):
            continue
        out.append(t)
    while out and out[-1] == " ":
        out.pop()
    return out


def _fit(toks: list[str], n: int) -> list[str]:
    """Cut to ``n`` tokens, at a space when one is in the second half."""
    if len(toks) <= n:
        return toks
    head = toks[:n]
    if toks[n] != " " and " " in head[n // 2 :]:
        head = head[: len(head) - head[::-1].index(" ")]
    return head


def _pseudo_word(rng) -> str:
    w = ""
    for _ in range(int(rng.choice([1, 1, 1, 2, 2, 2, 3]))):
        w += _ONSETS[int(rng.integers(len(_ONSETS)))] if rng.random() < 0.8 else ""
        w += _VOWELS[int(rng.integers(len(_VOWELS)))]
        w += _CODAS[int(rng.integers(len(_CODAS)))] if rng.random() < 0.6 else ""
    if rng.random() < 0.2:
        w = w[: int(rng.integers(1, 4))]  # short words: a, of, to ...
    return w


def _words(rng, n: int) -> str:
    words: list[str] = []
    style = rng.random()
    while sum(len(w) + 1 for w in words) < n:
        w = _pseudo_word(rng)
        if style < 0.1 or rng.random() < 0.03:
            w = w.upper()
        elif style < 0.35 and rng.random() < 0.7 or not words and rng.random() < 0.5:
            w = w.capitalize()
        r = rng.random()
        if r < 0.12:
            w += _LATIN_PUNCT_AFTER[int(rng.integers(len(_LATIN_PUNCT_AFTER)))]
        elif r < 0.15:
            w = "(" + w + ")" if rng.random() < 0.5 else '"' + w + '"'
        elif r < 0.18:
            w = w + "-" + _pseudo_word(rng)
        elif r < 0.22:
            w = str(int(rng.integers(1, 1000)))
        words.append(w)
    return " ".join(words)


def _number(rng, n: int) -> str:
    r = rng.random()
    v = float(10 ** rng.uniform(0, 7))
    if r < 0.25:
        s = str(int(v))
    elif r < 0.45:
        s = f"{int(v):,}"
    elif r < 0.65:
        s = f"{v:.{int(rng.integers(1, 4))}f}"
    elif r < 0.75:
        s = f"{rng.uniform(0, 100):.1f}%"
    elif r < 0.85:
        s = f"{'-+'[int(rng.integers(2))]}{v:.2f}"
    else:
        s = f"No. {int(v) % 10000}"
    return s


def _date(rng, n: int) -> str:
    y, m, d = int(rng.integers(1950, 2040)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
    hh, mm = int(rng.integers(0, 24)), int(rng.integers(0, 60))
    forms = [
        f"{y}-{m:02d}-{d:02d}",
        f"{d:02d}/{m:02d}/{y}",
        f"{m}/{d}/{y % 100:02d}",
        f"{d}.{m}.{y}",
        f"{d} {_MONTHS[m - 1]} {y}",
        f"{_MONTHS[m - 1]} {d}, {y}",
        f"{hh:02d}:{mm:02d}",
        f"{y}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}",
        f"{y}年{m}月{d}日",
    ]
    return forms[int(rng.integers(len(forms)))]


def _price(rng, n: int) -> str:
    cur = _CURRENCY[int(rng.integers(len(_CURRENCY)))]
    v = float(10 ** rng.uniform(-0.5, 5))
    amount = f"{v:,.2f}" if rng.random() < 0.6 else f"{v:.2f}"
    if rng.random() < 0.2:
        return f"{amount} {cur.strip() or 'USD'}"
    if rng.random() < 0.15:
        return f"Total: {cur}{amount}"
    return f"{cur}{amount}"


def _code(rng, n: int) -> str:
    def letters(k: int) -> str:
        return "".join(chr(65 + int(i)) for i in rng.integers(26, size=k))

    def digits(k: int) -> str:
        return "".join(str(int(i)) for i in rng.integers(10, size=k))

    r = rng.random()
    if r < 0.25:
        return f"{letters(int(rng.integers(1, 4)))}-{digits(int(rng.integers(3, 7)))}"
    if r < 0.45:
        return f"+{digits(2)} {digits(3)} {digits(4)} {digits(4)}"
    if r < 0.6:
        return f"{_pseudo_word(rng)}.{_pseudo_word(rng)}@{_pseudo_word(rng)}.{_TLDS[int(rng.integers(len(_TLDS)))]}"
    if r < 0.75:
        return f"www.{_pseudo_word(rng)}{_pseudo_word(rng)}.{_TLDS[int(rng.integers(len(_TLDS)))]}"
    if r < 0.9:
        return f"ID: {digits(int(rng.integers(6, 12)))}"
    return f"{letters(2)}{digits(2)} {letters(3)}"
