"""Tiny generated data sets drawn with OpenCV's built-in fonts, in PaddleOCR label format.

For smoke tests, CI's train -> export -> OCR chain and quick experiments; it needs no font
files. Realistic synthetic data (real fonts, backgrounds, effects) is :mod:`lumenocr.synth`.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

# no "l": Hershey fonts draw it exactly like "I", which would make labels unrecoverable
DEFAULT_CHARS = "0123456789abcdefghijkmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
)


def random_text(rng: np.random.Generator, chars: str, min_len: int, max_len: int) -> str:
    n = int(rng.integers(min_len, max_len + 1))
    return "".join(rng.choice(list(chars), n))


def _colours(rng: np.random.Generator) -> tuple[tuple[int, ...], tuple[int, ...]]:
    bg = rng.integers(150, 256, 3)
    fg = rng.integers(0, 90, 3)
    if rng.random() < 0.2:  # light text on a dark background
        bg, fg = 255 - bg, 255 - fg
    return tuple(int(v) for v in bg), tuple(int(v) for v in fg)


def render_line(text: str, rng: np.random.Generator, height: int = 32) -> np.ndarray:
    """One BGR text-line crop of roughly ``height`` pixels with random font, size and colours."""
    font = FONTS[int(rng.integers(len(FONTS)))]
    scale = float(rng.uniform(0.7, 1.1))
    thick = int(rng.integers(1, 3))
    (w, h), base = cv2.getTextSize(text, font, scale, thick)
    pad_x, pad_y = int(rng.integers(2, 10)), int(rng.integers(2, 8))
    bg, fg = _colours(rng)
    img = np.empty((h + base + 2 * pad_y, w + 2 * pad_x, 3), np.uint8)
    img[:] = bg
    cv2.putText(img, text, (pad_x, pad_y + h), font, scale, fg, thick, cv2.LINE_AA)
    img = np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)
    return cv2.resize(img, (max(1, round(img.shape[1] * height / img.shape[0])), height))


def make_rec_set(
    out_dir: str | Path,
    count: int,
    seed: int = 0,
    chars: str = DEFAULT_CHARS,
    min_len: int = 3,
    max_len: int = 10,
) -> Path:
    """Write ``count`` crops, ``label.txt`` and ``dict.txt`` (the characters); returns label.txt."""
    out = Path(out_dir)
    (out / "crops").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(count):
        text = random_text(rng, chars, min_len, max_len)
        cv2.imwrite(str(out / "crops" / f"{i:06d}.png"), render_line(text, rng))
        lines.append(f"crops/{i:06d}.png\t{text}\n")
    (out / "label.txt").write_text("".join(lines), encoding="utf-8")
    (out / "dict.txt").write_text("\n".join(chars) + "\n", encoding="utf-8")
    return out / "label.txt"


def render_page(
    rng: np.random.Generator, size: tuple[int, int] = (480, 640), lines: int = 6, chars: str = DEFAULT_CHARS
):
    """A page with ``lines`` non-overlapping horizontal text lines; returns (image, boxes)."""
    h, w = size
    bg, _ = _colours(rng)
    img = np.empty((h, w, 3), np.uint8)
    img[:] = bg
    img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    boxes: list[dict] = []
    taken = np.zeros(h, bool)
    for _ in range(lines * 5):
        if len(boxes) >= lines:
            break
        text = random_text(rng, chars, 3, 12)
        font = FONTS[int(rng.integers(len(FONTS)))]
        scale = float(rng.uniform(0.6, 1.6))
        thick = int(rng.integers(1, 3))
        (tw, th), base = cv2.getTextSize(text, font, scale, thick)
        if tw >= w - 20:
            continue
        x = int(rng.integers(5, w - tw - 5))
        y = int(rng.integers(th + 5, h - base - 5))
        y0, y1 = y - th - 3, y + base + 3
        if taken[max(0, y0 - 4) : y1 + 4].any():
            continue
        taken[y0:y1] = True
        fg = tuple(int(v) for v in (255 - np.asarray(bg)) // 3) if np.mean(bg) > 127 else (230, 230, 230)
        cv2.putText(img, text, (x, y), font, scale, fg, thick, cv2.LINE_AA)
        pts = [[x - 2, y0], [x + tw + 2, y0], [x + tw + 2, y1], [x - 2, y1]]
        boxes.append({"transcription": text, "points": pts})
    return img, boxes


def make_det_set(out_dir: str | Path, count: int, seed: int = 0, size: tuple[int, int] = (480, 640)) -> Path:
    """Write ``count`` pages and a PaddleOCR det ``label.txt``; returns its path."""
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(count):
        img, boxes = render_page(rng, size, int(rng.integers(3, 9)))
        cv2.imwrite(str(out / "images" / f"{i:05d}.jpg"), img)
        rows.append(f"images/{i:05d}.jpg\t{json.dumps(boxes)}\n")
    (out / "label.txt").write_text("".join(rows), encoding="utf-8")
    return out / "label.txt"


def tiny_config(
    task: str, train_label: str | Path, val_label: str | Path, out_dir: str | Path, **global_: object
) -> dict:
    """A raw training config for a very small model (smoke tests, CI's train -> export chain)."""
    g: dict = {
        "output_dir": str(out_dir),
        "max_steps": 4,
        "log_every": 1,
        "progress_bar": False,
        "threads": 1,
        "seed": 7,
    }
    g.update(global_)
    if task == "det":
        return {
            "global": g,
            "model": {
                "task": "det",
                "backbone": {"name": "MobileNetV3", "model_name": "small", "scale": 0.35},
                "neck": {"name": "DBFPN", "out_channels": 32},
                "head": {"name": "DBHead"},
            },
            "schedule": {"name": "cosine", "warmup_steps": 1},
            "train": {"label_files": [str(train_label)], "batch_size": 2, "augment": {"size": 128}},
            "eval": {"label_files": [str(val_label)]},
            "inference": {"preprocess": {"limit_side_len": 256}},
        }
    g.setdefault("character_dict", str(Path(train_label).parent / "dict.txt"))
    g.setdefault("use_space_char", False)
    g.setdefault("max_text_length", 10)
    return {
        "global": g,
        "model": {
            "task": task,
            "backbone": {"name": "MobileNetV3", "model_name": "small", "scale": 0.35},
            "neck": {"name": "SequenceEncoder", "encoder_type": "rnn", "hidden_size": 16}
            if task == "rec"
            else None,
            "head": {"name": "CTCHead" if task == "rec" else "ClsHead"},
        },
        "schedule": {"name": "cosine", "warmup_steps": 1},
        "train": {
            "label_files": [str(train_label)],
            "batch_size": 4,
            "image_shape": [32, 128],
            "augment": {"aug_prob": 0.5},
        },
        "eval": {"label_files": [str(val_label)], "batch_size": 8},
    }
