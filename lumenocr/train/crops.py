"""Cut recognition training crops out of a detection / end-to-end label file.

Fine-tuning a recognizer on the images a detector is trained on needs word crops; PaddleOCR's
users write this script themselves. ``mode``:

* ``quad``: perspective-rectify each quadrilateral (what the OCR pipeline feeds the recognizer);
* ``box``: the axis-aligned bounding box (how the ICDAR 2015 task 4.3 word crops were cut);
* ``both``: one of each, a cheap geometric augmentation.

Don't-care boxes (``###``) and empty transcriptions are skipped; an unreadable image is
reported and the rest are processed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from lumenocr.errors import ConfigError
from lumenocr.io.labels import RecSample, read_det_labels, resolve_image, write_rec_labels
from lumenocr.pipeline.crop import crop_region

log = logging.getLogger("lumenocr.train")

MODES = ("quad", "box", "both")


def _box_crop(image: np.ndarray, poly: np.ndarray) -> np.ndarray | None:
    h, w = image.shape[:2]
    x0, y0 = np.floor(poly.min(axis=0)).astype(int)
    x1, y1 = np.ceil(poly.max(axis=0)).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return image[y0:y1, x0:x1]


def cut_word_crops(label_file: str | Path, out_dir: str | Path, mode: str = "quad") -> dict[str, int]:
    """Write ``out_dir/crops/*.png`` and ``out_dir/label.txt``; returns counts."""
    if mode not in MODES:
        raise ConfigError(f"crop mode must be one of {MODES}, got {mode!r}")
    out = Path(out_dir)
    (out / "crops").mkdir(parents=True, exist_ok=True)
    samples: list[RecSample] = []
    counts = {"images": 0, "crops": 0, "skipped_boxes": 0, "unreadable_images": 0}
    for sample in read_det_labels(label_file):
        path = resolve_image(label_file, sample.image_path, must_exist=False)
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            log.warning("cannot read %s; skipped", path)
            counts["unreadable_images"] += 1
            continue
        counts["images"] += 1
        stem = Path(sample.image_path).stem
        for k, (poly, text, ignore) in enumerate(
            zip(sample.polygons, sample.texts, sample.ignore, strict=True)
        ):
            if ignore or not text.strip():
                counts["skipped_boxes"] += 1
                continue
            crops = []
            if mode in ("quad", "both"):
                crops.append(("q", crop_region(image, poly).image))
            if mode in ("box", "both"):
                box = _box_crop(image, np.asarray(poly, dtype=np.float32))
                if box is not None:
                    crops.append(("b", box))
            for tag, crop in crops:
                if min(crop.shape[:2]) < 2:
                    continue
                name = f"crops/{stem}_{k}{tag}.png"
                cv2.imwrite(str(out / name), crop)
                samples.append(RecSample(name, text))
                counts["crops"] += 1
    write_rec_labels(out / "label.txt", samples)
    return counts


def split_det_labels(
    label_file: str | Path, out_dir: str | Path, val_fraction: float, seed: int = 0
) -> tuple[Path, Path]:
    """Split a det label file by image into ``train.txt`` / ``val.txt`` beside the images.

    The written paths are absolute, so the new label files work from any folder.
    """
    from lumenocr.io.labels import write_det_labels

    if not 0 < val_fraction < 1:
        raise ConfigError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    samples = read_det_labels(label_file)
    for s in samples:
        s.image_path = str(resolve_image(label_file, s.image_path, must_exist=False).resolve())
    order = np.random.default_rng(seed).permutation(len(samples))
    n_val = max(1, int(round(len(samples) * val_fraction)))
    val = [samples[i] for i in sorted(order[:n_val])]
    train = [samples[i] for i in sorted(order[n_val:])]
    out = Path(out_dir)
    write_det_labels(out / "train.txt", train)
    write_det_labels(out / "val.txt", val)
    return out / "train.txt", out / "val.txt"
