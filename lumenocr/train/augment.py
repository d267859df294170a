"""Training-time augmentation for detection pages and recognition crops.

Every function takes an explicit ``numpy.random.Generator``: the dataset seeds it from
``(seed, epoch, index)``, so a sample's augmentation does not depend on worker count or order,
and a resumed run sees exactly the samples the uninterrupted run would have seen.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lumenocr.errors import ConfigError


def _check_prob(where: str, **probs: float) -> None:
    for name, p in probs.items():
        if not 0.0 <= p <= 1.0:
            raise ConfigError(f"{where}.{name} must be a probability in [0, 1], got {p}")


def jitter_colour(image: np.ndarray, rng: np.random.Generator, strength: float = 0.3) -> np.ndarray:
    """Random brightness, contrast and saturation (each up to ``strength``) and hue shift."""
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-10, 10)) % 180
    hsv[..., 1] *= rng.uniform(1 - strength, 1 + strength)
    out = cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8), cv2.COLOR_HSV2BGR).astype(np.float32)
    contrast = rng.uniform(1 - strength, 1 + strength)
    brightness = rng.uniform(-strength, strength) * 128
    out = (out - out.mean()) * contrast + out.mean() + brightness
    return np.clip(out, 0, 255).astype(np.uint8)


# --- detection -----------------------------------------------------------------------------------
@dataclass
class DetAugConfig:
    """Page augmentation; the crop always ends on a ``size`` x ``size`` canvas."""

    size: int = 640
    flip_prob: float = 0.5
    rotate_prob: float = 0.5
    max_angle: float = 10.0
    scale_range: tuple[float, float] = (0.5, 3.0)
    crop_prob: float = 1.0
    min_crop_side_ratio: float = 0.1
    colour_prob: float = 0.5
    enabled: bool = True

    def __post_init__(self) -> None:
        _check_prob(
            "augment",
            flip_prob=self.flip_prob,
            rotate_prob=self.rotate_prob,
            crop_prob=self.crop_prob,
            colour_prob=self.colour_prob,
        )
        if self.size % 32:
            raise ConfigError(f"augment.size must be a multiple of 32, got {self.size}")
        if len(self.scale_range) != 2:
            raise ConfigError(f"augment.scale_range must be [low, high], got {self.scale_range!r}")
        self.scale_range = (float(self.scale_range[0]), float(self.scale_range[1]))


def _text_keeping_crop(
    shape: tuple[int, int],
    polys: list[np.ndarray],
    ignore: list[bool],
    rng: np.random.Generator,
    min_ratio: float,
) -> tuple[int, int, int, int]:
    """A crop ``(x0, y0, x1, y1)`` whose borders fall between text boxes and that holds at
    least one cared-for box entirely (the whole image when none is found in 50 tries)."""
    h, w = shape
    free_x, free_y = np.ones(w, bool), np.ones(h, bool)
    for p in polys:
        x0, y0 = np.clip(np.floor(p.min(0)).astype(int), 0, [w - 1, h - 1])
        x1, y1 = np.clip(np.ceil(p.max(0)).astype(int), 0, [w - 1, h - 1])
        free_x[x0 : x1 + 1] = False
        free_y[y0 : y1 + 1] = False
    xs, ys = np.flatnonzero(free_x), np.flatnonzero(free_y)
    cared = [p for p, ign in zip(polys, ignore, strict=True) if not ign]
    if len(xs) < 2 or len(ys) < 2 or not cared:
        return 0, 0, w, h
    for _ in range(50):
        cx0, cx1 = np.sort(rng.choice(xs, 2))
        cy0, cy1 = np.sort(rng.choice(ys, 2))
        if cx1 - cx0 < min_ratio * w or cy1 - cy0 < min_ratio * h:
            continue
        for p in cared:
            if (
                p[:, 0].min() >= cx0
                and p[:, 0].max() <= cx1
                and p[:, 1].min() >= cy0
                and p[:, 1].max() <= cy1
            ):
                return int(cx0), int(cy0), int(cx1) + 1, int(cy1) + 1
    return 0, 0, w, h


def augment_det(
    image: np.ndarray,
    polys: list[np.ndarray],
    ignore: list[bool],
    cfg: DetAugConfig,
    rng: np.random.Generator,
) -> tuple[np.ndarray, list[np.ndarray], list[bool]]:
    """Flip, rotate, scale, crop (keeping text whole) and colour-jitter a page; the result is
    ``cfg.size`` square (top-left aligned, zero padded). Boxes cut by the crop become ignored."""
    polys = [np.asarray(p, np.float32).copy() for p in polys]
    ignore = list(ignore)
    if cfg.enabled:
        h, w = image.shape[:2]
        if rng.random() < cfg.flip_prob:
            image = image[:, ::-1].copy()
            polys = [np.stack([w - p[:, 0], p[:, 1]], 1)[::-1].copy() for p in polys]
        if rng.random() < cfg.rotate_prob:
            angle = rng.uniform(-cfg.max_angle, cfg.max_angle)
            m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
            image = cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_CONSTANT)
            polys = [p @ m[:, :2].T + m[:, 2] for p in polys]
        s = rng.uniform(*cfg.scale_range)
        image = cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_LINEAR)
        polys = [p * s for p in polys]
        if rng.random() < cfg.colour_prob:
            image = jitter_colour(image, rng)
        if rng.random() < cfg.crop_prob:
            x0, y0, x1, y1 = _text_keeping_crop(image.shape[:2], polys, ignore, rng, cfg.min_crop_side_ratio)
            image = image[y0:y1, x0:x1]
            polys = [p - [x0, y0] for p in polys]
    # fit onto the square canvas
    h, w = image.shape[:2]
    scale = min(cfg.size / h, cfg.size / w)
    nh, nw = max(1, int(h * scale)), max(1, int(w * scale))
    canvas = np.zeros((cfg.size, cfg.size, 3), np.uint8)
    canvas[:nh, :nw] = cv2.resize(image, (nw, nh))
    polys = [(p * [nw / w, nh / h]).astype(np.float32) for p in polys]
    kept_polys, kept_ignore = [], []
    for p, ign in zip(polys, ignore, strict=True):
        inside = (p[:, 0] >= 0) & (p[:, 0] < nw) & (p[:, 1] >= 0) & (p[:, 1] < nh)
        if not inside.any():
            continue
        kept_polys.append(np.clip(p, 0, [nw - 1, nh - 1]).astype(np.float32))
        kept_ignore.append(ign or not inside.all())
    return canvas, kept_polys, kept_ignore


# --- recognition ---------------------------------------------------------------------------------
@dataclass
class RecAugConfig:
    """Crop augmentation: with probability ``aug_prob`` a crop gets each listed effect with
    its own probability (TIA-style distortion, perspective, crop, blur, colour, noise)."""

    aug_prob: float = 0.4
    distort_prob: float = 0.4
    perspective_prob: float = 0.4
    crop_prob: float = 0.4
    blur_prob: float = 0.4
    colour_prob: float = 0.4
    noise_prob: float = 0.4
    enabled: bool = True

    def __post_init__(self) -> None:
        _check_prob("augment", **{k: v for k, v in vars(self).items() if k.endswith("prob")})


def tia_distort(
    image: np.ndarray, rng: np.random.Generator, segments: int = 4, amount: float = 0.25
) -> np.ndarray:
    """Move fiducial points on the top and bottom edges at ``segments + 1`` columns and warp
    the image smoothly through them (text-image-augmentation style distortion + stretch)."""
    h, w = image.shape[:2]
    cols = np.linspace(0, w - 1, segments + 1)
    step = w / segments
    dx = rng.uniform(-amount, amount, segments + 1) * step * 0.5
    dx[0] = dx[-1] = 0.0
    dy_top = rng.uniform(-amount, amount, segments + 1) * h * 0.5
    dy_bot = rng.uniform(-amount, amount, segments + 1) * h * 0.5
    src_cols = cols + dx  # where each output column samples from
    gx = np.arange(w, dtype=np.float32)
    map_x_row = np.interp(gx, cols, src_cols).astype(np.float32)
    top = np.interp(gx, cols, dy_top)
    bot = np.interp(gx, cols, dy_bot)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    map_y = (t * (h - 1) + (1 - t) * top[None] + t * bot[None]).astype(np.float32)
    map_x = np.broadcast_to(map_x_row, (h, w)).copy()
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def perspective(image: np.ndarray, rng: np.random.Generator, amount: float = 0.15) -> np.ndarray:
    h, w = image.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    jitter = rng.uniform(0, amount, (4, 2)) * [min(w, 2 * h), h]
    dst = (src + jitter * np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], np.float32)).astype(np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def augment_rec(image: np.ndarray, cfg: RecAugConfig, rng: np.random.Generator) -> np.ndarray:
    """Augment one BGR text crop (returned unchanged with probability ``1 - aug_prob``)."""
    if not cfg.enabled or rng.random() >= cfg.aug_prob:
        return image
    h, w = image.shape[:2]
    if h >= 8 and w >= 8:
        if rng.random() < cfg.distort_prob:
            image = tia_distort(image, rng)
        if rng.random() < cfg.perspective_prob:
            image = perspective(image, rng)
        if rng.random() < cfg.crop_prob:
            cut = int(rng.integers(1, max(2, h // 8)))
            image = image[cut:] if rng.random() < 0.5 else image[:-cut]
        if rng.random() < cfg.blur_prob:
            image = cv2.GaussianBlur(image, (5, 5), rng.uniform(0.5, 1.5))
    if rng.random() < cfg.colour_prob:
        image = jitter_colour(image, rng)
    if rng.random() < cfg.noise_prob:
        noise = rng.normal(0, rng.uniform(2, 12), image.shape)
        image = np.clip(image.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(image)
