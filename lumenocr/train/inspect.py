"""Render training samples as the model receives them, with their targets (``lumenocr data inspect``)."""

from __future__ import annotations

import cv2
import numpy as np

from lumenocr.preprocess import DetPreprocess
from lumenocr.train.config import TrainConfig


def _rec_tile(item: dict, dictionary, width: int) -> np.ndarray:
    img = ((item["image"].transpose(1, 2, 0) * 127.5) + 127.5).clip(0, 255).astype(np.uint8)
    if dictionary is not None:
        chars = ["", *dictionary.characters, *([" "] if dictionary.use_space_char else [])]
        text = "".join(chars[i] for i in item["label"][: int(item["length"])])
    else:
        text = ("0", "180")[int(item["label"])]
    caption = np.full((22, img.shape[1], 3), 255, np.uint8)
    # OpenCV's fonts draw ASCII only; other characters show as '?'
    cv2.putText(
        caption,
        text.encode("ascii", "replace").decode(),
        (2, 16),
        cv2.FONT_HERSHEY_SIMPLEX,
        0.5,
        (0, 0, 160),
        1,
    )
    tile = np.vstack([img, caption])
    return cv2.resize(tile, (width, round(tile.shape[0] * width / tile.shape[1])))


def _det_tile(item: dict, pre: DetPreprocess, size: int) -> np.ndarray:
    mean = np.asarray(pre.mean, np.float32) * 255
    std = np.asarray(pre.std, np.float32) * 255
    img = (item["image"].transpose(1, 2, 0) * std + mean).clip(0, 255).astype(np.uint8)
    shrink = item["shrink_map"]
    overlay = img.copy()
    overlay[shrink > 0] = (0.5 * overlay[shrink > 0] + [0, 127, 0]).astype(np.uint8)
    overlay[item["shrink_mask"] == 0] = (0.5 * overlay[item["shrink_mask"] == 0] + [0, 0, 127]).astype(
        np.uint8
    )
    thresh = (item["threshold_map"] * item["threshold_mask"] * 255).astype(np.uint8)
    tile = np.hstack([img, overlay, cv2.cvtColor(thresh, cv2.COLOR_GRAY2BGR)])
    return cv2.resize(tile, (3 * size, size))


def sample_grid(cfg: TrainConfig, dataset, count: int, columns: int = 4) -> np.ndarray:
    """A BGR image of the first ``count`` samples. Rec/cls: the normalised crop and its decoded
    label. Det: the page, the shrunk text kernels (green) with masked-out regions (red), and the
    threshold map."""
    tiles = []
    for i in range(count):
        item = dataset[i]
        if cfg.task == "det":
            pre = cfg.preprocess()
            assert isinstance(pre, DetPreprocess)  # the det task's pre-processing
            tiles.append(_det_tile(item, pre, 256))
        else:
            tiles.append(
                _rec_tile(item, getattr(dataset, "dictionary", None) if cfg.task == "rec" else None, 320)
            )
    if cfg.task == "det":
        columns = 1
    h = max(t.shape[0] for t in tiles)
    tiles = [np.pad(t, ((0, h - t.shape[0]), (0, 0), (0, 0)), constant_values=255) for t in tiles]
    tiles += [np.full_like(tiles[0], 255)] * (-len(tiles) % columns)
    rows = [np.hstack(tiles[r : r + columns]) for r in range(0, len(tiles), columns)]
    return np.vstack(rows)
