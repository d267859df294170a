"""Reading lumenocr's prediction JSONL and pairing predictions with ground-truth images.

Detection / end-to-end predictions (``lumenocr ocr --format jsonl``), one object per image::

    {"image": "<path as given>", "page": null, "seconds": 0.1,
     "boxes": [{"points": [[x, y], ...], "text": "...", "score": 0.9, "words": [...]?}]}

Recognition predictions: ``{"image": ..., "text": ..., "score": ..., "seconds": ...}``.

Predictions name images as the user gave them (absolute, relative to the working folder, or
relative to the dataset), so :class:`ImageMatcher` pairs them with ground truth by, in order:
the exact label path, the same file on disk, a path ending with the label path, a unique file
name, a unique file stem (for ICDAR ground truth, which names no extension).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from lumenocr.errors import InputError, InputNotFoundError

__all__ = [
    "ImageMatcher",
    "PredSample",
    "PredictionFormatError",
    "RecPrediction",
    "align_predictions",
    "read_predictions",
    "read_rec_predictions",
]


class PredictionFormatError(InputError):
    """A predictions file (or one of its lines) does not follow lumenocr's JSONL contract."""


@dataclass
class PredSample:
    """Predicted boxes of one image (or one page)."""

    image: str
    polygons: list[np.ndarray] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    page: int | None = None
    seconds: float = 0.0
    line_fallbacks: int = 0  # with words=True: boxes without word boxes, evaluated as whole lines


@dataclass
class RecPrediction:
    """Recognised text of one crop."""

    image: str
    text: str
    score: float = 0.0
    seconds: float = 0.0


def _decoded_lines(f, path: Path):
    lineno = 0
    try:
        for lineno, line in enumerate(f, start=1):  # noqa: B007 - lineno is reported below
            yield line
    except UnicodeDecodeError:
        raise PredictionFormatError(
            f"{path}:{lineno + 1}: not UTF-8 text; predictions are the JSONL written by `lumenocr ocr`"
        ) from None


def _json_lines(path: Path):
    if not path.is_file():
        raise InputNotFoundError(f"predictions file not found: {path}")
    with path.open("rb") as raw:
        head = raw.read(1024)
    try:
        head.decode("utf-8")
        binary = b"\x00" in head
    except UnicodeDecodeError as e:
        binary = e.start < len(head) - 4  # not just a multi-byte character cut at the end
    if binary:
        from lumenocr.io.image import describe_content, sniff_format

        fmt = sniff_format(head)
        what = f"a {fmt.upper()} file" if fmt else describe_content(head)
        raise PredictionFormatError(
            f"{path}: is not a predictions file (it looks like {what}); expected the JSONL written by "
            "`lumenocr ocr --format jsonl`, or use --model to run a model over the ground-truth images"
        )
    with path.open(encoding="utf-8-sig") as f:
        lines = _decoded_lines(f, path)
        for lineno, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise PredictionFormatError(
                    f"{where}: not valid JSON ({e.msg} at column {e.colno})"
                ) from None
            if not isinstance(obj, dict) or not isinstance(obj.get("image"), str):
                raise PredictionFormatError(f"{where}: expected an object with an 'image' path")
            yield where, obj


def _box(box, where: str) -> tuple[np.ndarray, str, float]:
    if not isinstance(box, dict) or "points" not in box:
        raise PredictionFormatError(f"{where}: a box must be an object with 'points'")
    try:
        pts = np.asarray(box["points"], dtype=np.float32).reshape(-1, 2)
    except (TypeError, ValueError):
        raise PredictionFormatError(f"{where}: 'points' must be a list of [x, y] numbers") from None
    text = box.get("text", "")
    if not isinstance(text, str):
        raise PredictionFormatError(f"{where}: 'text' must be a string")
    return pts, text, float(box.get("score", 0.0) or 0.0)


def read_predictions(path: str | Path, words: bool = False) -> list[PredSample]:
    """Read detection / end-to-end predictions.

    With ``words`` the word boxes of each line are used instead of the line (ICDAR 2015 and
    FUNSD are labelled per word); a line without ``words`` is kept as one box and counted in
    ``PredSample.line_fallbacks``.
    """
    out = []
    for where, obj in _json_lines(Path(path)):
        boxes = obj.get("boxes")
        if not isinstance(boxes, list):
            raise PredictionFormatError(
                f"{where}: expected a 'boxes' list (is this a recognition predictions file?)"
            )
        page = obj.get("page")
        sample = PredSample(
            obj["image"],
            page=page if isinstance(page, int) else None,
            seconds=float(obj.get("seconds") or 0.0),
        )
        for k, box in enumerate(boxes):
            bwhere = f"{where}: box {k}"
            parts = box.get("words") if words and isinstance(box, dict) else None
            if words and not parts:
                sample.line_fallbacks += 1
            for item in parts or [box]:
                pts, text, score = _box(item, bwhere)
                sample.polygons.append(pts)
                sample.texts.append(text)
                sample.scores.append(score)
        out.append(sample)
    return out


def read_rec_predictions(path: str | Path) -> list[RecPrediction]:
    """Read recognition predictions; a full OCR record (``boxes``) counts as its box texts joined by spaces."""
    out = []
    for where, obj in _json_lines(Path(path)):
        if "text" in obj:
            text = obj["text"]
        elif isinstance(obj.get("boxes"), list):
            text = " ".join(b.get("text", "") for b in obj["boxes"] if isinstance(b, dict) and b.get("text"))
        else:
            raise PredictionFormatError(f"{where}: expected a 'text' (or 'boxes') field")
        if not isinstance(text, str):
            raise PredictionFormatError(f"{where}: 'text' must be a string")
        out.append(
            RecPrediction(
                obj["image"], text, float(obj.get("score") or 0.0), float(obj.get("seconds") or 0.0)
            )
        )
    return out


def _norm(p: str) -> str:
    return PurePosixPath(os.path.normpath(p.replace("\\", "/")).replace("\\", "/")).as_posix()


class ImageMatcher:
    """Finds which ground-truth image a prediction's image path refers to."""

    def __init__(self, gt_paths: Sequence[str], root: str | Path):
        self.root = Path(root)
        self.rel: dict[str, int] = {}
        self.abs: dict[str, int] = {}
        by_name, by_stem = defaultdict(list), defaultdict(list)
        for i, p in enumerate(gt_paths):
            rel = _norm(p)
            self.rel.setdefault(rel, i)
            self.abs.setdefault(os.path.normcase(os.path.abspath(self.root / rel)), i)
            name = PurePosixPath(rel).name
            by_name[name].append(i)
            by_stem[name.rsplit(".", 1)[0] if "." in name else name].append(i)
        self.by_name = {k: v[0] for k, v in by_name.items() if len(v) == 1}
        self.by_stem = {k: v[0] for k, v in by_stem.items() if len(v) == 1}
        self.suffixes = sorted(self.rel.items(), key=lambda kv: -len(kv[0]))

    def match(self, image: str) -> int | None:
        """Index of the ground-truth image that ``image`` names, or ``None``."""
        p = _norm(image)
        if p in self.rel:
            return self.rel[p]
        i = self.abs.get(os.path.normcase(os.path.abspath(p)))
        if i is not None:
            return i
        for rel, i in self.suffixes:  # longest label path the prediction ends with
            if p.endswith("/" + rel):
                return i
        name = PurePosixPath(p).name
        if name in self.by_name:
            return self.by_name[name]
        stem = name.rsplit(".", 1)[0] if "." in name else name
        return self.by_stem.get(stem)


@dataclass
class Alignment:
    """Predictions in ground-truth order, with what did not pair up."""

    preds: list  # one per ground-truth item, None where the image has no prediction
    missing: list[str]  # ground-truth images without a prediction
    unmatched: list[str]  # prediction images that name no ground-truth image


def align_predictions(gt_paths: Sequence[str], root: str | Path, preds: Sequence) -> Alignment:
    """Order ``preds`` (items with ``.image``) like ``gt_paths``; two predictions for one image is an error."""
    matcher = ImageMatcher(gt_paths, root)
    aligned: list = [None] * len(gt_paths)
    unmatched = []
    for pred in preds:
        i = matcher.match(pred.image)
        if i is None:
            unmatched.append(pred.image)
        elif aligned[i] is not None:
            raise PredictionFormatError(
                f"two predictions ({aligned[i].image!r} and {pred.image!r}) refer to the same ground-truth image "
                f"{gt_paths[i]!r}; multi-page predictions cannot be scored against per-image labels"
            )
        else:
            aligned[i] = pred
    missing = [gt_paths[i] for i, p in enumerate(aligned) if p is None]
    return Alignment(aligned, missing, unmatched)
