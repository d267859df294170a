"""Training datasets: PaddleOCR label files (several, mixed by ``ratio_list``) and LMDB.

A dataset item is a dict of numpy arrays that the default collate function stacks. Model
inputs are produced by :mod:`lumenocr.preprocess` (``resize_norm_pad`` for crops,
``DetPreprocess.normalize`` for pages), the code inference runs, so a trained model sees the
same input at inference as in training.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from lumenocr.errors import ConfigError, InputNotFoundError
from lumenocr.io.labels import read_det_labels, read_rec_labels, resolve_image
from lumenocr.io.sources import load_image
from lumenocr.preprocess.det import DetPreprocess
from lumenocr.preprocess.rec import RecPreprocess, resize_norm_pad
from lumenocr.train.augment import DetAugConfig, RecAugConfig, augment_det, augment_rec
from lumenocr.train.db_targets import DBTargets

log = logging.getLogger("lumenocr.train")

CLS_LABELS = ("0", "180")


def decode_image(data: bytes, where: str) -> np.ndarray:
    """A BGR image from encoded bytes, decoded as inference decodes it (EXIF orientation, alpha)."""
    return load_image(data, name=where)


def read_image(path: Path) -> np.ndarray:
    """A BGR image file, decoded as inference decodes it (EXIF orientation, alpha)."""
    return load_image(path)


class LmdbSource:
    """A PaddleOCR-style recognition LMDB: ``num-samples``, ``image-%09d``, ``label-%09d`` (1-based).

    The environment is opened lazily in each process (LMDB handles must not cross a fork).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not (self.path / "data.mdb").is_file():
            raise InputNotFoundError(f"no LMDB database (data.mdb) in {self.path}")
        self._env = None

    def _txn(self):
        if self._env is None:
            import lmdb

            self._env = lmdb.open(str(self.path), readonly=True, lock=False, readahead=False, meminit=False)
        return self._env.begin(write=False)

    def labels(self) -> list[tuple[str, str]]:
        """``[(key, text)]`` for every sample."""
        with self._txn() as txn:
            raw = txn.get(b"num-samples")
            if raw is None:
                raise ConfigError(f"{self.path}: LMDB has no 'num-samples' entry (not a PaddleOCR rec LMDB)")
            n = int(raw)
            out = []
            for i in range(1, n + 1):
                label = txn.get(b"label-%09d" % i)
                if label is None:
                    raise ConfigError(f"{self.path}: LMDB lacks label-{i:09d}")
                out.append((f"{i:09d}", label.decode("utf-8")))
        return out

    def load(self, key: str) -> np.ndarray:
        with self._txn() as txn:
            data = txn.get(b"image-" + key.encode())
        if data is None:
            raise InputNotFoundError(f"{self.path}: LMDB lacks image-{key}")
        return decode_image(data, f"image-{key} in {self.path}")

    def __getstate__(self):  # never pickle an open environment into a worker
        return {"path": self.path, "_env": None}


def _source_name(source) -> str:
    """A label file's path, or an LMDB folder's, for messages."""
    return str(getattr(source, "label_file", None) or getattr(source, "path", source))


class FolderSource:
    """Images referenced by a label file, relative to its folder."""

    def __init__(self, label_file: str | Path):
        self.label_file = Path(label_file)

    def load(self, key: str) -> np.ndarray:
        return read_image(resolve_image(self.label_file, key, must_exist=False))


def check_images_exist(label_file: str | Path, image_paths: Sequence[str]) -> None:
    """Every image a label file lists must exist: a typo in a path would otherwise stop a long run
    hours in, or silently train on fewer samples."""
    missing = [
        p for p in dict.fromkeys(image_paths) if not resolve_image(label_file, p, must_exist=False).is_file()
    ]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise InputNotFoundError(
            f"{label_file}: {len(missing)} of {len(set(image_paths))} listed images do not exist "
            f"(paths are relative to the label file's folder): {shown}"
        )


def sample_by_ratio(n: int, ratio: float, rng: np.random.Generator) -> list[int]:
    """Indices drawn from one source: ``ratio`` < 1 subsamples, > 1 repeats (mixing several files)."""
    if ratio <= 0:
        raise ConfigError(f"ratio_list entries must be > 0, got {ratio}")
    k = int(math.ceil(n * ratio))
    whole, rest = divmod(k, n) if n else (0, 0)
    return list(range(n)) * whole + sorted(rng.choice(n, rest, replace=False).tolist()) if n else []


def _ratios(files: Sequence, ratio_list: Sequence[float] | None) -> list[float]:
    if ratio_list is None:
        return [1.0] * len(files)
    if len(ratio_list) != len(files):
        raise ConfigError(f"ratio_list has {len(ratio_list)} entries for {len(files)} data sources")
    return [float(r) for r in ratio_list]


@dataclass
class Dictionary:
    """Characters of a CTC recognizer: class 0 is the blank, then ``characters``, then " "."""

    characters: list[str]
    use_space_char: bool = True
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        chars = list(self.characters) + ([" "] if self.use_space_char else [])
        self.index = {c: i + 1 for i, c in enumerate(chars)}

    @property
    def num_classes(self) -> int:
        return len(self.characters) + 1 + int(self.use_space_char)

    def encode(self, text: str) -> list[int] | None:
        """Class indices of ``text``, or None when a character is not in the dictionary."""
        try:
            return [self.index[c] for c in text]
        except KeyError:
            return None


class _Epoch:
    """Seeds per-sample randomness from ``(seed, epoch, index)``."""

    seed: int = 0
    epoch: int = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.epoch, index])


class RecDataset(_Epoch):
    """CTC recognition crops from label files and/or LMDB folders.

    Samples whose text is empty, longer than ``max_text_length`` or holds characters outside
    the dictionary are skipped and counted in one warning; an ``evaluation`` set keeps every
    sample (one the model cannot read counts as wrong, as in ``lumenocr eval``).
    """

    def __init__(
        self,
        label_files: Sequence[str] = (),
        lmdb: Sequence[str] = (),
        dictionary: Dictionary | None = None,
        image_shape: tuple[int, int] = (48, 320),
        max_text_length: int = 25,
        ratio_list: Sequence[float] | None = None,
        augment: RecAugConfig | None = None,
        seed: int = 0,
        task: str = "rec",
        role: str = "training",
        crop_margin: float = 0.0,
        read_padding: bool = False,
    ):
        self.seed = seed
        self.task = task
        self.crop_margin = crop_margin
        # The model is read over its padding too (RecPreprocess.read_padding): CTC may then
        # place characters anywhere on the canvas, as PP-OCR recognizers were trained.
        self.read_padding = read_padding
        self.role = role
        # An evaluation set keeps every sample: one the model cannot read counts as wrong, as
        # in `lumenocr eval`, instead of silently leaving the training-time figure.
        self.evaluation = role == "evaluation"
        self.image_shape = tuple(image_shape)
        self.max_text_length = max_text_length
        self.dictionary = dictionary
        self.augment = augment
        sources: list = [FolderSource(f) for f in label_files] + [LmdbSource(p) for p in lmdb]
        if not sources:
            raise ConfigError("a dataset needs at least one label file or LMDB folder")
        ratios = _ratios(sources, ratio_list)
        pick = np.random.default_rng(seed)
        self.sources = sources
        self.items: list[tuple[int, str, str]] = []
        skipped: Counter[str] = Counter()
        unknown: Counter[str] = Counter()
        for si, (src, ratio) in enumerate(zip(sources, ratios, strict=True)):
            if isinstance(src, FolderSource):
                entries = [(s.image_path, s.text) for s in read_rec_labels(src.label_file)]
                if (
                    entries
                    and sum(t.lstrip().startswith("[{") and '"points"' in t for _, t in entries)
                    > len(entries) // 2
                ):
                    from lumenocr.io.labels import LabelFormatError

                    raise LabelFormatError(
                        f"{src.label_file}: this is a detection label file (JSON boxes after the tab); a "
                        "recognizer trains on crops - cut them with `lumenocr data crops`"
                    )
                check_images_exist(src.label_file, [e[0] for e in entries])
            else:
                entries = src.labels()
            for j in sample_by_ratio(len(entries), ratio, pick):
                key, text = entries[j]
                reason = self._reject(text, unknown)
                if reason:
                    skipped[reason] += 1
                    if not self.evaluation:
                        continue
                self.items.append((si, key, text))
        self.skipped = dict(skipped)
        if skipped:
            examples = "".join(c for c, _ in unknown.most_common(10))
            n_bad = sum(skipped.values())
            log.warning(
                "%s %d of %d %s samples (%s): %s%s",
                "kept (they count as wrong)" if self.evaluation else "skipped",
                n_bad,
                len(self.items) if self.evaluation else n_bad + len(self.items),
                role,
                ", ".join(_source_name(s) for s in sources),
                ", ".join(f"{n} {why}" for why, n in sorted(skipped.items())),
                f" (unknown characters include {examples!r})" if examples else "",
            )
        if not self.items:
            raise ConfigError(f"no usable samples in {', '.join(_source_name(s) for s in sources)}")

    def _reject(self, text: str, unknown: Counter) -> str | None:
        if self.task == "cls":
            return None
        if not text:
            return "with empty text"
        if len(text) > self.max_text_length:
            return f"longer than max_text_length={self.max_text_length}"
        assert self.dictionary is not None
        if self.dictionary.encode(text) is None:
            unknown.update(c for c in text if c not in self.dictionary.index)
            return "with characters outside the dictionary"
        return None

    def __len__(self) -> int:
        return len(self.items)

    def load(self, index: int) -> tuple[np.ndarray, str]:
        si, key, text = self.items[index]
        return self.sources[si].load(key), text

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        image, text = self.load(index)
        rng = self.rng(index)
        if self.augment is not None:
            image = augment_rec(image, self.augment, rng)
        if self.crop_margin > 0 and self.task == "rec":
            # the right margin the recognizer adds when it reads a crop (edge pixels repeated)
            image = RecPreprocess(pad_right=self.crop_margin).padded(image)
        h, w = self.image_shape
        if self.task == "cls":
            # crops labelled 0/180 keep their label; any other crop is upright and is turned
            # half of the time, so plain recognition data trains the classifier too
            label = CLS_LABELS.index(text) if text in CLS_LABELS else 0
            if text not in CLS_LABELS and rng.random() < 0.5:
                image, label = cv2.rotate(image, cv2.ROTATE_180), 1
            return {"image": resize_norm_pad(image, h, w), "label": np.int64(label)}
        assert self.dictionary is not None
        codes = (self.dictionary.encode(text) or [])[: self.max_text_length]
        padded = np.zeros(self.max_text_length, np.int64)
        padded[: len(codes)] = codes
        # the share of the canvas the crop covers: CTC may only place characters there, because
        # the pipeline decodes just those columns (padding is not text) - unless the model is read
        # over the padding up to the canvas width, which is then its whole canvas
        covered = min(w, max(1, math.ceil(h * image.shape[1] / max(image.shape[0], 1))))
        if self.read_padding:
            covered = w
        return {
            "image": resize_norm_pad(image, h, w),
            "label": padded,
            "length": np.int64(len(codes)),
            "valid_ratio": np.float32(covered / w),
        }


class DetDataset(_Epoch):
    """DB detection pages from PaddleOCR det label files; ``###`` boxes are masked out."""

    def __init__(
        self,
        label_files: Sequence[str],
        augment: DetAugConfig | None = None,
        targets: DBTargets | None = None,
        normalize: DetPreprocess | None = None,
        ratio_list: Sequence[float] | None = None,
        seed: int = 0,
    ):
        if not label_files:
            raise ConfigError("a detection dataset needs at least one label file")
        self.seed = seed
        self.augment = augment or DetAugConfig()
        self.targets = targets or DBTargets()
        self.normalize = normalize or DetPreprocess()
        pick = np.random.default_rng(seed)
        self.items = []
        for f, ratio in zip(label_files, _ratios(label_files, ratio_list), strict=True):
            samples = read_det_labels(f)
            check_images_exist(f, [s.image_path for s in samples])
            self.items += [(Path(f), samples[j]) for j in sample_by_ratio(len(samples), ratio, pick)]
        if not self.items:
            raise ConfigError(f"no samples in {list(label_files)}")

    def __len__(self) -> int:
        return len(self.items)

    def sample(self, index: int) -> tuple[np.ndarray, list[np.ndarray], list[bool]]:
        """The augmented page (uint8 BGR) and its boxes, before target generation."""
        label_file, s = self.items[index]
        image = read_image(resolve_image(label_file, s.image_path, must_exist=False))
        return augment_det(image, s.polygons, s.ignore, self.augment, self.rng(index))

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        image, polys, ignore = self.sample(index)
        out = self.targets(image.shape[:2], polys, ignore)
        out["image"] = self.normalize.normalize(image)
        return out
