"""Backgrounds, text colour with guaranteed contrast, compositing and image degradations.

All functions take an explicit ``numpy.random.Generator`` so a sample depends only on its seed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from lumenocr.errors import ConfigError, InputNotFoundError
from lumenocr.synth.config import EffectsConfig

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
_LUMA = np.array([0.114, 0.587, 0.299], np.float32)  # BGR weights


def luminance(bgr: np.ndarray) -> float:
    """Mean luminance (0..255) of a BGR image or region."""
    if bgr.size == 0:
        return 128.0
    mean = cv2.mean(np.ascontiguousarray(bgr))[:3]  # far faster than numpy's strided mean
    return float(np.asarray(mean, np.float32) @ _LUMA)


@lru_cache(maxsize=8)
def list_images(dirs: tuple[str, ...]) -> tuple[str, ...]:
    """Image files under ``dirs`` (sorted: reproducible); a missing folder is an error."""
    files: list[str] = []
    for d in dirs:
        p = Path(d).expanduser()
        if not p.is_dir():
            raise InputNotFoundError(f"background folder not found: {p}")
        files += [str(f) for f in p.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES]
    if dirs and not files:
        raise ConfigError(f"no images in background folder(s): {', '.join(dirs)}")
    return tuple(sorted(files))


@lru_cache(maxsize=64)
def _read_image(path: str) -> np.ndarray | None:
    from lumenocr.errors import InputError
    from lumenocr.io.sources import load_image

    try:
        img = load_image(path)
    except InputError:  # an unreadable background is skipped, not fatal
        return None
    if min(img.shape[:2]) < 8:
        return None
    # Large photos are shrunk once: crops get resized anyway and memory stays small per worker.
    s = 1024 / max(img.shape[:2])
    return cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else img


def random_color(rng: np.random.Generator, lum: float, saturation: float) -> np.ndarray:
    """A BGR colour near luminance ``lum`` with chroma up to ``saturation`` (0..1)."""
    hue = rng.normal(0, 1, 3).astype(np.float32)
    hue -= hue @ _LUMA  # zero luminance change before clipping
    c = lum + hue / (np.abs(hue).max() + 1e-6) * saturation * 90
    return np.clip(c, 0, 255).astype(np.float32)


def background(
    rng: np.random.Generator, h: int, w: int, cfg: EffectsConfig, dark_prob: float = 0.15
) -> np.ndarray:
    """A BGR uint8 background: solid, gradient, noise texture or a crop of a user image."""
    kinds = sorted(k for k, v in cfg.background.items() if v > 0 and (k != "image" or cfg.background_dirs))
    if not kinds:
        kinds = ["solid"]
    weights = np.array([cfg.background[k] for k in kinds], float)
    kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
    dark = rng.random() < dark_prob
    base_lum = rng.uniform(10, 90) if dark else rng.uniform(170, 255)
    sat = rng.random() ** 3
    if kind == "image":
        img = _image_crop(rng, h, w, cfg)
        if img is not None:
            return img
        kind = "gradient"
    c1 = random_color(rng, base_lum, sat)
    if kind == "solid":
        return np.broadcast_to(c1, (h, w, 3)).astype(np.uint8)
    if kind == "gradient":
        c2 = random_color(rng, np.clip(base_lum + rng.uniform(-50, 50), 0, 255), sat)
        ang = rng.uniform(0, 2 * np.pi)
        # A linear ramp is smooth: compute it on a coarse grid, let bilinear resizing fill in.
        gh, gw = max(2, h // 8), max(2, w // 8)
        ys, xs = np.linspace(0, h, gh, dtype=np.float32), np.linspace(0, w, gw, dtype=np.float32)
        t = np.add.outer(ys * np.sin(ang), xs * np.cos(ang))
        t = (t - t.min()) / max(float(t.max() - t.min()), 1.0)
        small = (c1 + (c2 - c1) * t[..., None]).clip(0, 255).astype(np.uint8)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    # noise: low-frequency blotches plus grain, like paper or a wall
    small = rng.normal(0, 1, (max(2, h // 16), max(2, w // 16))).astype(np.float32)
    blotch = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    grain = rng.standard_normal((h, w), dtype=np.float32)
    field = blotch * np.float32(rng.uniform(5, 25)) + grain * np.float32(rng.uniform(2, 10))
    return (c1 + field[..., None]).clip(0, 255).astype(np.uint8)


def _image_crop(rng: np.random.Generator, h: int, w: int, cfg: EffectsConfig) -> np.ndarray | None:
    files = list_images(tuple(cfg.background_dirs))
    if not files:
        return None
    img = _read_image(files[int(rng.integers(len(files)))])
    if img is None:
        return None
    ih, iw = img.shape[:2]
    scale = max(h / ih, w / iw) * rng.uniform(1.0, 2.0)
    ch, cw = min(ih, int(np.ceil(h / scale))), min(iw, int(np.ceil(w / scale)))
    y, x = int(rng.integers(ih - ch + 1)), int(rng.integers(iw - cw + 1))
    crop = cv2.resize(img[y : y + ch, x : x + cw], (w, h), interpolation=cv2.INTER_LINEAR)
    # Busy photos hide text: pull strong textures towards their mean.
    std = float(crop.std())
    if std > 40:
        mean = crop.reshape(-1, 3).mean(0)
        crop = (mean + (crop - mean) * (40 / std)).clip(0, 255).astype(np.uint8)
    return crop


def text_color(rng: np.random.Generator, bg_lum: float, min_contrast: float) -> np.ndarray:
    """A BGR text colour at least ``min_contrast`` luminance levels away from ``bg_lum``."""
    lo_ok, hi_ok = bg_lum - min_contrast >= 0, bg_lum + min_contrast <= 255
    if lo_ok and (not hi_ok or bg_lum >= 128 or rng.random() < 0.1):
        lum = rng.uniform(0, bg_lum - min_contrast)
    elif hi_ok:
        lum = rng.uniform(bg_lum + min_contrast, 255)
    else:  # cannot reach the contrast: go to the farther extreme
        lum = 0.0 if bg_lum >= 128 else 255.0
    c = random_color(rng, lum, rng.random() ** 2)
    # Keep the luminance exact after clipping: shift all channels together.
    c = np.clip(c + (lum - float(c @ _LUMA)), 0, 255)
    return c.astype(np.float32)


def composite(image: np.ndarray, alpha: np.ndarray, color: np.ndarray, x: int = 0, y: int = 0) -> None:
    """Blend ``color`` into ``image`` (in place) through ``alpha`` (uint8) placed at (x, y)."""
    h, w = alpha.shape
    H, W = image.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    if x1 <= x0 or y1 <= y0:
        return
    a = alpha[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float32)[..., None] * (1 / 255)
    region = image[y0:y1, x0:x1].astype(np.float32)
    image[y0:y1, x0:x1] = (region + (color - region) * a + 0.5).astype(np.uint8)


def text_shadow(
    rng: np.random.Generator, alpha: np.ndarray, line_height: float
) -> tuple[np.ndarray, int, int]:
    """A soft drop-shadow alpha of the text and its (dx, dy) offset."""
    d = max(1, int(line_height * rng.uniform(0.04, 0.1)))
    dx, dy = int(rng.choice([-d, d])), d
    k = 2 * max(1, int(line_height * 0.05)) + 1
    shade = cv2.GaussianBlur(alpha, (k, k), 0)
    return (shade.astype(np.float32) * rng.uniform(0.4, 0.8)).astype(np.uint8), dx, dy


def degrade(
    rng: np.random.Generator, image: np.ndarray, cfg: EffectsConfig, scale: float = 1.0
) -> np.ndarray:
    """Lighting shadow, blur, motion blur, noise and JPEG artefacts, each with its probability.

    ``scale`` is the text height relative to 32 px, so blur looks alike at every size.
    """
    img: np.ndarray = image
    h, w = img.shape[:2]
    if rng.random() < cfg.shadow_prob:
        img = _lighting_shadow(rng, img)
    if rng.random() < cfg.blur_prob:
        s = rng.uniform(cfg.blur[0], cfg.blur[1]) * scale
        img = cv2.GaussianBlur(img, (0, 0), sigmaX=s, sigmaY=s)
    if rng.random() < cfg.motion_blur_prob:
        k = max(3, int(rng.uniform(3, 7) * scale) | 1)
        kern: np.ndarray = np.zeros((k, k), np.float32)
        kern[k // 2, :] = 1.0 / k
        rot = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), rng.uniform(0, 180), 1.0)
        kern = cv2.warpAffine(kern, rot, (k, k))
        img = cv2.filter2D(img, -1, (kern / max(float(kern.sum()), 1e-6)).astype(np.float32))
    if rng.random() < cfg.noise_prob:
        noise = rng.standard_normal((h, w, 1), dtype=np.float32) * np.float32(
            rng.uniform(cfg.noise[0], cfg.noise[1])
        )
        img = (img.astype(np.float32) + noise).clip(0, 255).astype(np.uint8)
    if rng.random() < cfg.jpeg_prob:
        q = int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1))
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
        decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
        if decoded is not None:
            img = decoded
    return img


def _lighting_shadow(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """Darken one side of a random soft edge, like a hand or a page fold over the paper."""
    h, w = img.shape[:2]
    ang = rng.uniform(0, 2 * np.pi)
    cx, cy = w * rng.uniform(0.2, 0.8), h * rng.uniform(0.2, 0.8)
    soft = max(2.0, rng.uniform(0.02, 0.2) * max(h, w))
    depth = rng.uniform(0.2, 0.5)
    # The shading is smooth (its edge is at least 2 % of the image wide): coarse grid, then resize.
    gh, gw = max(2, h // 4), max(2, w // 4)
    ys, xs = np.linspace(0, h, gh, dtype=np.float32), np.linspace(0, w, gw, dtype=np.float32)
    d = np.add.outer((ys - cy) * np.sin(ang), (xs - cx) * np.cos(ang))
    factor = (1 - depth / (1 + np.exp(-d / soft))).astype(np.float32)
    factor = cv2.resize(factor, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.multiply(img, cv2.merge([factor] * 3), dtype=cv2.CV_8U)
