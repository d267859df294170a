"""Typed configuration of the synthetic data generator.

Every effect has a probability; every range is ``[low, high]``. Defaults make useful training
data with no config at all: mixed Latin / Chinese lines, light augmentation. Configs load from
YAML (``load_config``) and reject unknown keys with a :class:`~lumenocr.errors.ConfigError`.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lumenocr.config_utils import from_dict, read_yaml_mapping
from lumenocr.errors import ConfigError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


@dataclass
class FontConfig:
    """Which font files to render with."""

    dirs: list[str] = field(default_factory=list)  # user font folders, searched recursively
    use_system: bool = True  # also scan the standard system font folders
    include: list[str] = field(default_factory=list)  # keep only fonts whose name/file contains one of these
    # Math fonts draw letters as symbols; JP/KR/HK faces of Noto CJK use non-Chinese glyph forms.
    exclude: list[str] = field(default_factory=lambda: ["Math", "CJK JP", "CJK KR", "CJK HK"])
    size: list[int] = field(default_factory=lambda: [22, 44])  # font size in px


@dataclass
class TextConfig:
    """Where line text comes from and which characters it may use."""

    charset: str = "default"  # default (ASCII + common Chinese) | latin | ascii | chinese | digits
    dict_path: str | None = None  # PaddleOCR dictionary (one token per line); replaces charset
    use_space_char: bool = True
    corpus_path: str | None = None  # text file, one line of text per line
    corpus_prob: float = 1.0  # with a corpus: share of lines taken from it (rest is generated)
    min_len: int = 1  # in tokens
    max_len: int = 25  # the recognizer's label limit, in tokens
    balance_per_line: int = 1  # tokens per line drawn in turn from the whole charset (0: off)
    generators: dict[str, float] = field(
        default_factory=lambda: {
            "words": 4.0,
            "numbers": 1.0,
            "dates": 0.6,
            "prices": 0.6,
            "codes": 0.6,
            "chinese": 4.0,
            "random": 1.0,
        }
    )
    allow_uncovered: bool = False  # drop charset tokens no font can draw instead of failing


@dataclass
class StyleConfig:
    """How one line of text looks (before it is placed on a background)."""

    vertical_prob: float = 0.08  # top-to-bottom columns, only for Chinese-only text
    spacing_prob: float = 0.3
    # extra advance, x font size; wider gaps read as spaces and make labels ambiguous
    spacing: list[float] = field(default_factory=lambda: [-0.04, 0.2])
    underline_prob: float = 0.03
    strike_prob: float = 0.02
    rotate_prob: float = 0.3
    rotate: list[float] = field(default_factory=lambda: [-3.0, 3.0])  # degrees
    perspective_prob: float = 0.15
    perspective: float = 0.05  # max corner shift, x line height
    curve_prob: float = 0.08
    curve: list[float] = field(default_factory=lambda: [0.1, 0.35])  # amplitude, x line height
    min_contrast: float = 70.0  # luminance difference text vs background (0..255)
    text_shadow_prob: float = 0.05
    bold_prob: float = 0.05  # fake bold (dilated strokes) on top of real bold fonts


@dataclass
class EffectsConfig:
    """Background and image-level degradations."""

    background: dict[str, float] = field(
        default_factory=lambda: {"solid": 3.0, "gradient": 2.0, "noise": 2.0, "image": 2.0}
    )
    background_dirs: list[str] = field(default_factory=list)  # photos/paper scans to crop backgrounds from
    blur_prob: float = 0.2
    blur: list[float] = field(default_factory=lambda: [0.3, 1.1])  # Gaussian sigma, px at 32 px height
    motion_blur_prob: float = 0.05
    noise_prob: float = 0.3
    noise: list[float] = field(default_factory=lambda: [2.0, 10.0])  # Gaussian sigma, grey levels
    jpeg_prob: float = 0.3
    jpeg_quality: list[int] = field(default_factory=lambda: [25, 85])
    shadow_prob: float = 0.1  # soft lighting shadow over part of the image


@dataclass
class HandwritingConfig:
    """Compose lines from single-character images (``char_dir``): the FAQ's handwriting recipe."""

    char_dir: str | None = None  # folder with labels.txt (path<TAB>char) or one sub-folder per char
    prob: float = 1.0  # share of lines composed from handwriting when char_dir is set
    height: list[int] = field(default_factory=lambda: [28, 44])  # character height, px
    spacing: list[float] = field(default_factory=lambda: [-0.08, 0.2])  # x char height
    jitter: float = 0.08  # vertical / size jitter per character, x char height


@dataclass
class RecSynthConfig:
    """Recognition lines: one cropped text line per image."""

    fonts: FontConfig = field(default_factory=FontConfig)
    text: TextConfig = field(default_factory=TextConfig)
    style: StyleConfig = field(default_factory=StyleConfig)
    effects: EffectsConfig = field(default_factory=EffectsConfig)
    handwriting: HandwritingConfig = field(default_factory=HandwritingConfig)
    margin: list[float] = field(default_factory=lambda: [0.02, 0.25])  # crop margin, x line height
    vertical_output: str = "rotate"  # rotate vertical lines 90 deg CCW as inference does | keep
    resize_height: int | None = None  # scale every line to this height (e.g. the recognizer's input)
    image_format: str = "jpg"  # jpg | png
    image_quality: int = 95  # JPEG quality of written files (artefacts come from effects.jpeg_*)


@dataclass
class DetSynthConfig:
    """Detection pages: many lines on one page, with a polygon per line (and word)."""

    fonts: FontConfig = field(default_factory=lambda: FontConfig(size=[12, 36]))
    text: TextConfig = field(default_factory=lambda: TextConfig(max_len=40))
    style: StyleConfig = field(
        default_factory=lambda: StyleConfig(rotate_prob=0.15, rotate=[-6.0, 6.0], curve_prob=0.05)
    )
    effects: EffectsConfig = field(default_factory=EffectsConfig)
    width: list[int] = field(default_factory=lambda: [640, 1024])  # page width, px
    aspect: list[float] = field(default_factory=lambda: [0.7, 1.5])  # height / width
    layouts: dict[str, float] = field(
        default_factory=lambda: {"paragraph": 3.0, "table": 1.5, "scatter": 1.5}
    )
    blocks: list[int] = field(default_factory=lambda: [3, 8])  # text blocks per page
    # Columns per page [min, max]: pages drawn with 2+ columns are articles (optional header,
    # full-width title, paragraphs flowing column by column, optional footer) whose label.txt
    # lists the lines in exact reading order.
    columns: list[int] = field(default_factory=lambda: [1, 1])
    page_rotate_prob: float = 0.2
    page_rotate: list[float] = field(default_factory=lambda: [-5.0, 5.0])  # whole-page rotation, degrees
    page_perspective_prob: float = 0.2
    page_perspective: float = 0.04  # max corner shift, x page size
    label_level: str = "line"  # polygons in label.txt: line | word
    write_word_labels: bool = True  # also write label_words.txt (word polygons)
    image_format: str = "jpg"
    image_quality: int = 92


# --- loading / validation -------------------------------------------------------------------


def _build(cls: type[T], data: dict[str, Any] | None, where: str) -> T:
    """``from_dict`` that also builds nested config dataclasses."""
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{where or cls.__name__}: expected a mapping, got {type(data).__name__}")
    data = dict(data or {})
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        sub: Any = hints.get(f.name)  # a type hint; a dataclass type when the branch below runs
        if f.name in data and dataclasses.is_dataclass(sub):
            make: Any = f.default_factory if f.default_factory is not dataclasses.MISSING else sub
            default = make()
            given = data[f.name] or {}
            if not isinstance(given, dict):
                raise ConfigError(f"{where}.{f.name}: expected a mapping, got {type(given).__name__}")
            merged = {**dataclasses.asdict(default), **given}
            nested: Any = sub
            data[f.name] = _build(nested, merged, f"{where}.{f.name}" if where else f.name)
    obj = from_dict(cls, data, where=where or cls.__name__)
    validate(obj, where or cls.__name__)
    return obj


def _check_prob(where: str, name: str, value: Any) -> None:
    if not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise ConfigError(f"{where}.{name} must be a probability in [0, 1], got {value!r}")


def _check_range(where: str, name: str, value: Any) -> None:
    ok = (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, (int, float)) for v in value)
    )
    if not ok or value[0] > value[1]:
        raise ConfigError(f"{where}.{name} must be a [low, high] pair with low <= high, got {value!r}")


def _check_weights(where: str, name: str, value: Any, allowed: set[str]) -> None:
    if not isinstance(value, dict) or not value:
        raise ConfigError(f"{where}.{name} must be a non-empty mapping of name -> weight")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ConfigError(f"{where}.{name}: unknown kind(s) {unknown}; valid: {sorted(allowed)}")
    if any(not isinstance(w, (int, float)) or w < 0 for w in value.values()) or sum(value.values()) <= 0:
        raise ConfigError(f"{where}.{name}: weights must be >= 0 and not all zero, got {value!r}")


_RANGES = {"size", "spacing", "rotate", "curve", "blur", "noise", "jpeg_quality", "height", "margin", "width"}
_RANGES |= {"aspect", "blocks", "page_rotate", "columns"}
GENERATORS = {"words", "numbers", "dates", "prices", "codes", "chinese", "random"}
BACKGROUNDS = {"solid", "gradient", "noise", "image"}
LAYOUTS = {"paragraph", "table", "scatter"}


def validate(obj: Any, where: str) -> None:
    """Check probabilities, ranges and enumerations of one config dataclass (not its children)."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.name.endswith("_prob") or f.name == "prob":
            _check_prob(where, f.name, value)
        elif f.name in _RANGES:
            _check_range(where, f.name, value)
    if isinstance(obj, TextConfig):
        _check_weights(where, "generators", obj.generators, GENERATORS)
        if not 1 <= obj.min_len <= obj.max_len:
            raise ConfigError(f"{where}: need 1 <= min_len <= max_len, got {obj.min_len}, {obj.max_len}")
        if obj.balance_per_line < 0 or obj.balance_per_line >= obj.max_len:
            raise ConfigError(f"{where}.balance_per_line must be in [0, max_len), got {obj.balance_per_line}")
        if obj.charset not in {"default", "latin", "ascii", "chinese", "digits"}:
            raise ConfigError(
                f"{where}.charset: unknown {obj.charset!r}; use default|latin|ascii|chinese|digits"
            )
    if isinstance(obj, EffectsConfig):
        _check_weights(where, "background", obj.background, BACKGROUNDS)
    if isinstance(obj, FontConfig) and obj.size[0] < 6:
        raise ConfigError(f"{where}.size: fonts under 6 px are unreadable, got {obj.size}")
    if isinstance(obj, DetSynthConfig):
        _check_weights(where, "layouts", obj.layouts, LAYOUTS)
        if obj.label_level not in {"line", "word"}:
            raise ConfigError(f"{where}.label_level must be 'line' or 'word', got {obj.label_level!r}")
    if isinstance(obj, (RecSynthConfig, DetSynthConfig)) and obj.image_format not in {"jpg", "png"}:
        raise ConfigError(f"{where}.image_format must be 'jpg' or 'png', got {obj.image_format!r}")
    if isinstance(obj, RecSynthConfig) and obj.vertical_output not in {"rotate", "keep"}:
        raise ConfigError(f"{where}.vertical_output must be 'rotate' or 'keep', got {obj.vertical_output!r}")
    if (
        isinstance(obj, RecSynthConfig)
        and obj.resize_height is not None
        and not 8 <= obj.resize_height <= 256
    ):
        raise ConfigError(f"{where}.resize_height must be null or 8..256 px, got {obj.resize_height!r}")


def rec_config(data: dict[str, Any] | None = None) -> RecSynthConfig:
    """Build a validated :class:`RecSynthConfig` from a (possibly partial, nested) dict."""
    return _build(RecSynthConfig, data, "rec")


def det_config(data: dict[str, Any] | None = None) -> DetSynthConfig:
    """Build a validated :class:`DetSynthConfig` from a (possibly partial, nested) dict."""
    return _build(DetSynthConfig, data, "det")


def load_config(path: str | Path | None, kind: str) -> RecSynthConfig | DetSynthConfig:
    """Load a YAML config for ``kind`` ('rec' or 'det'); ``None`` gives the defaults.

    Relative paths inside the file (fonts, corpus, dictionary, backgrounds) are resolved
    against the YAML file's folder so configs can ship next to their data.
    """
    if kind not in {"rec", "det"}:
        raise ConfigError(f"unknown synth kind {kind!r}; use 'rec' or 'det'")
    data: dict[str, Any] = {}
    if path is not None:
        data = read_yaml_mapping(path, "synth config")
        _resolve_paths(data, Path(path).parent)
    return rec_config(data) if kind == "rec" else det_config(data)


def _resolve_paths(data: dict[str, Any], base: Path) -> None:
    def fix(value: str) -> str:
        q = Path(value).expanduser()
        return str(q if q.is_absolute() else base / q)

    for section, keys in {
        "fonts": ["dirs"],
        "text": ["dict_path", "corpus_path"],
        "effects": ["background_dirs"],
        "handwriting": ["char_dir"],
    }.items():
        sec = data.get(section)
        if not isinstance(sec, dict):
            continue
        for k in keys:
            v = sec.get(k)
            if isinstance(v, str):
                sec[k] = fix(v)
            elif isinstance(v, list):
                sec[k] = [fix(x) if isinstance(x, str) else x for x in v]
