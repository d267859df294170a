"""Ground-truth label files: PaddleOCR detection/recognition labels and ICDAR 2015 txt files.

Formats read and written here:

* PaddleOCR detection / end-to-end label file, one image per line::

      images/x.jpg<TAB>[{"transcription": "text", "points": [[x1, y1], [x2, y2], ...]}, ...]

  A transcription of ``###`` (or ``"difficult": true``) marks a don't-care region.
* PaddleOCR recognition label file, one crop per line: ``crops/word_1.png<TAB>text``.
* ICDAR 2015 ground truth, one ``gt_img_N.txt`` per image, one box per line:
  ``x1,y1,x2,y2,x3,y3,x4,y4,transcription`` (the transcription may itself contain commas).
  ICDAR 2013 style lines ``xmin,ymin,xmax,ymax,"text"`` are read too. A UTF-8 BOM and CRLF
  line ends are tolerated.

Image paths are kept exactly as written in the label file (relative to the label file's
folder); :func:`resolve_image` turns them into real paths. A malformed line raises
:class:`LabelFormatError` naming the file and line number: nothing is silently dropped.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lumenocr.errors import InputError, InputNotFoundError

IGNORE_TEXT = "###"

__all__ = [
    "IGNORE_TEXT",
    "DetSample",
    "LabelFormatError",
    "RecSample",
    "detect_label_kind",
    "label_root",
    "read_det_labels",
    "read_icdar_gt",
    "read_rec_labels",
    "resolve_image",
    "write_det_labels",
    "write_rec_labels",
]


class LabelFormatError(InputError):
    """A label file (or one of its lines) does not follow the expected format."""


@dataclass
class DetSample:
    """Ground truth of one image for detection / end-to-end evaluation and training.

    ``polygons[i]`` is a float32 ``(N, 2)`` array of ``(x, y)`` points; ``texts[i]`` its
    transcription; ``ignore[i]`` is True for don't-care regions (``###``).
    """

    image_path: str
    polygons: list[np.ndarray] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    ignore: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not (len(self.polygons) == len(self.texts) == len(self.ignore)):
            raise ValueError(
                f"DetSample({self.image_path!r}): polygons, texts and ignore must have the same length "
                f"(got {len(self.polygons)}, {len(self.texts)}, {len(self.ignore)})"
            )


@dataclass
class RecSample:
    """Ground truth of one text crop for recognition evaluation and training."""

    image_path: str
    text: str


# --- helpers -------------------------------------------------------------------------------------


def _read_lines(path: Path) -> list[str]:
    """Lines of a UTF-8 text file without their line ends (BOM and CRLF tolerated)."""
    if not path.is_file():
        raise InputNotFoundError(f"label file not found: {path}")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise LabelFormatError(f"{path}: not UTF-8 text ({e})") from None
    # splitlines() would also split on form feeds and U+2028 inside transcriptions; only \n and \r\n
    # end a line in these formats.
    lines = text.split("\n")
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def _parse_points(value, where: str) -> np.ndarray:
    try:
        pts = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise LabelFormatError(f"{where}: 'points' must be a list of [x, y] numbers, got {value!r}") from None
    if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] < 3:
        raise LabelFormatError(f"{where}: 'points' must be at least 3 [x, y] pairs, got {value!r}")
    if not np.isfinite(pts).all():
        raise LabelFormatError(f"{where}: 'points' contains a non-finite number: {value!r}")
    return pts.astype(np.float32)


def _number(v: float) -> int | float:
    """JSON-friendly coordinate: integers stay integers, so round trips keep files byte-stable."""
    v = float(v)
    return int(v) if v.is_integer() else round(v, 2)


def _check_one_line(value: str, what: str, where: str) -> None:
    if "\n" in value or "\r" in value:
        raise LabelFormatError(
            f"{where}: {what} contains a line break, which the label format cannot hold: {value!r}"
        )


# --- PaddleOCR detection labels ------------------------------------------------------------------


def read_det_labels(label_file: str | Path, ignore_tags: Sequence[str] = (IGNORE_TEXT,)) -> list[DetSample]:
    """Read a PaddleOCR detection label file.

    A box is don't-care when its transcription is one of ``ignore_tags`` or it carries
    ``"difficult": true``. Blank lines are skipped; anything else malformed raises
    :class:`LabelFormatError` with ``file:line``.
    """
    path = Path(label_file)
    samples = []
    for lineno, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        image_path, tab, payload = line.partition("\t")
        if not tab:
            raise LabelFormatError(f"{where}: expected 'image_path<TAB>[json boxes]', found no tab")
        if not image_path:
            raise LabelFormatError(f"{where}: empty image path")
        try:
            boxes = json.loads(payload)
        except json.JSONDecodeError as e:
            raise LabelFormatError(
                f"{where}: the boxes are not valid JSON ({e.msg} at column {e.colno})"
            ) from None
        if not isinstance(boxes, list):
            raise LabelFormatError(f"{where}: expected a JSON list of boxes, got {type(boxes).__name__}")
        sample = DetSample(image_path)
        for k, box in enumerate(boxes):
            bwhere = f"{where}: box {k}"
            if not isinstance(box, dict) or "points" not in box:
                raise LabelFormatError(f"{bwhere}: expected an object with 'points' and 'transcription'")
            text = box.get("transcription", "")
            if not isinstance(text, str):
                raise LabelFormatError(f"{bwhere}: 'transcription' must be a string, got {text!r}")
            sample.polygons.append(_parse_points(box["points"], bwhere))
            sample.texts.append(text)
            sample.ignore.append(text in ignore_tags or bool(box.get("difficult", False)))
        samples.append(sample)
    return samples


def write_det_labels(label_file: str | Path, samples: Iterable[DetSample]) -> None:
    """Write samples as a PaddleOCR detection label file (UTF-8, LF line ends).

    A don't-care box whose text is not ``###`` keeps its text and is written with
    ``"difficult": true``, so :func:`read_det_labels` reads back the same sample.
    """
    path = Path(label_file)
    out = []
    for sample in samples:
        _check_one_line(sample.image_path, "image path", str(path))
        if "\t" in sample.image_path:
            raise LabelFormatError(f"{path}: image path contains a tab: {sample.image_path!r}")
        boxes = []
        for poly, text, ign in zip(sample.polygons, sample.texts, sample.ignore, strict=True):
            box: dict[str, object] = {
                "transcription": text,
                "points": [[_number(x), _number(y)] for x, y in np.asarray(poly)],
            }
            if ign and text != IGNORE_TEXT:
                box["difficult"] = True
            boxes.append(box)
        out.append(f"{sample.image_path}\t{json.dumps(boxes, ensure_ascii=False)}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(out), encoding="utf-8", newline="\n")


# --- PaddleOCR recognition labels ----------------------------------------------------------------


def read_rec_labels(label_file: str | Path) -> list[RecSample]:
    """Read a PaddleOCR recognition label file (``path<TAB>text`` per line).

    The text is everything after the first tab, kept verbatim (leading/trailing spaces included).
    """
    path = Path(label_file)
    samples = []
    for lineno, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        image_path, tab, text = line.partition("\t")
        if not tab:
            raise LabelFormatError(f"{path}:{lineno}: expected 'image_path<TAB>text', found no tab")
        if not image_path:
            raise LabelFormatError(f"{path}:{lineno}: empty image path")
        samples.append(RecSample(image_path, text))
    return samples


def write_rec_labels(label_file: str | Path, samples: Iterable[RecSample]) -> None:
    """Write samples as a PaddleOCR recognition label file (UTF-8, LF line ends)."""
    path = Path(label_file)
    out = []
    for s in samples:
        _check_one_line(s.image_path, "image path", str(path))
        _check_one_line(s.text, "text", str(path))
        if "\t" in s.image_path:
            raise LabelFormatError(f"{path}: image path contains a tab: {s.image_path!r}")
        out.append(f"{s.image_path}\t{s.text}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(out), encoding="utf-8", newline="\n")


# --- ICDAR txt ground truth ----------------------------------------------------------------------

_NUM = r"\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)\s*"
_ICDAR15 = re.compile(rf"^({_NUM}),({_NUM}),({_NUM}),({_NUM}),({_NUM}),({_NUM}),({_NUM}),({_NUM}),(.*)$")
_ICDAR13 = re.compile(rf"^({_NUM}),({_NUM}),({_NUM}),({_NUM}),(.*)$")


def _icdar_sample_name(txt: Path) -> str:
    """``gt_img_12.txt`` -> ``img_12``: the image's name without extension (the txt does not say it)."""
    stem = txt.stem
    return stem[3:] if stem.startswith("gt_") else stem


def _natural_key(p: Path):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)]


def _read_icdar_file(txt: Path, ignore_tags: Sequence[str]) -> DetSample:
    sample = DetSample(_icdar_sample_name(txt))
    for lineno, line in enumerate(_read_lines(txt), start=1):
        if not line.strip():
            continue
        m = _ICDAR15.match(line)
        if m:
            xy = [float(v) for v in m.groups()[:8]]
            poly = np.asarray(xy, dtype=np.float32).reshape(4, 2)
            text = m.group(9)
        else:
            m = _ICDAR13.match(line)
            if not m:
                raise LabelFormatError(
                    f"{txt}:{lineno}: expected 'x1,y1,x2,y2,x3,y3,x4,y4,transcription' "
                    f"(or 'xmin,ymin,xmax,ymax,\"text\"'), got {line[:80]!r}"
                )
            x0, y0, x1, y1 = (float(v) for v in m.groups()[:4])
            poly = np.asarray([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
            text = m.group(5).strip()
            if len(text) >= 2 and text[0] == text[-1] == '"':
                text = text[1:-1]
        if not all(math.isfinite(v) for v in poly.ravel()):
            raise LabelFormatError(f"{txt}:{lineno}: non-finite coordinate")
        sample.polygons.append(poly)
        sample.texts.append(text)
        sample.ignore.append(text in ignore_tags)
    return sample


def read_icdar_gt(
    txt_path_or_folder: str | Path, ignore_tags: Sequence[str] = (IGNORE_TEXT,)
) -> list[DetSample]:
    """Read ICDAR ground truth: one ``gt_img_N.txt`` file, or every ``gt_*.txt`` of a folder.

    Returns one :class:`DetSample` per file, in natural order (``img_2`` before ``img_10``).
    The txt files do not name their image, so ``image_path`` is the image *stem*
    (``gt_img_12.txt`` -> ``img_12``); prediction matching falls back to stems, and
    ``lumenocr eval --model`` needs ``--images`` to find the pictures.
    """
    path = Path(txt_path_or_folder)
    if path.is_dir():
        files = sorted(path.glob("gt_*.txt"), key=_natural_key) or sorted(
            path.glob("*.txt"), key=_natural_key
        )
        if not files:
            raise InputNotFoundError(f"no ICDAR ground-truth files (gt_*.txt) in {path}")
        return [_read_icdar_file(f, ignore_tags) for f in files]
    if not path.is_file():
        raise InputNotFoundError(f"ICDAR ground truth not found: {path}")
    return [_read_icdar_file(path, ignore_tags)]


# --- paths and format detection ------------------------------------------------------------------


def resolve_image(label_file: str | Path, image_path: str, must_exist: bool = True) -> Path:
    """The real path of ``image_path`` as written in ``label_file`` (relative to its folder).

    Raises :class:`InputNotFoundError` when ``must_exist`` and the file is not there.
    """
    p = Path(image_path)
    if not p.is_absolute():
        base = Path(label_file)
        p = (base if base.is_dir() else base.parent) / p
    if must_exist and not p.is_file():
        raise InputNotFoundError(f"image {image_path!r} listed in {label_file} not found at {p}")
    return p


def detect_label_kind(path: str | Path) -> str:
    """Guess a ground-truth source's format: ``"det"``, ``"rec"`` or ``"icdar"``.

    A folder holding ``label.txt`` is that file; a folder of ``gt_*.txt`` is ICDAR.
    """
    p = Path(path)
    if p.is_dir():
        if (p / "label.txt").is_file():
            p = p / "label.txt"
        elif any(p.glob("*.txt")):
            return "icdar"
        else:
            raise InputNotFoundError(f"{p} holds neither label.txt nor ICDAR gt_*.txt files")
    for line in _read_lines(p):
        if not line.strip():
            continue
        _, tab, rest = line.partition("\t")
        if tab:
            try:
                boxes = json.loads(rest)
            except json.JSONDecodeError:
                return "rec"
            is_det = isinstance(boxes, list) and all(isinstance(b, dict) for b in boxes)
            return "det" if is_det else "rec"
        if _ICDAR15.match(line) or _ICDAR13.match(line):
            return "icdar"
        raise LabelFormatError(f"{p}: cannot tell the label format from its first line {line[:80]!r}")
    raise LabelFormatError(f"{p}: label file is empty")


def label_root(path: str | Path) -> Path:
    """The folder image paths of a label source are relative to."""
    p = Path(path)
    return p if p.is_dir() else p.parent
