"""Draw the sample pictures of docs/synth/: recognition lines and detection pages with polygons.

Usage: PYTHONPATH=. python benchmarks/make_synth_grid.py [--seed 0] [--out docs/synth]

Lines come from the default config (mixed Latin / Chinese) and configs/synth/rec_en.yml;
pages from the default det config, with line polygons in red and word polygons in blue.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from lumenocr.synth.config import DetSynthConfig, RecSynthConfig, load_config
from lumenocr.synth.generate import _DET, _REC
from lumenocr.synth.line import RecSynth
from lumenocr.synth.page import PageSynth

ROOT = Path(__file__).resolve().parents[1]
MAX_BYTES = 490_000


def rec_grid(seed: int, n: int = 24, row_h: int = 40, width: int = 1200) -> np.ndarray:
    """``n`` lines in two columns, each scaled to ``row_h`` px high, with its label under it."""
    from PIL import Image, ImageDraw

    from lumenocr.synth.fonts import FontCache

    synths = [
        RecSynth(RecSynthConfig(), seed),
        RecSynth(load_config(ROOT / "configs/synth/rec_en.yml", "rec"), seed),
    ]
    cjk = next(f for f in synths[0].sampler.faces if "中" in f.coverage and "Sans" in f.name)
    label_font = FontCache().get(cjk, 14)
    col_w = width // 2
    cell_h = row_h + 20
    canvas = Image.new("RGB", (width, cell_h * (n // 2)), "white")
    draw = ImageDraw.Draw(canvas)
    for i in range(n):
        synth = synths[0] if i % 3 else synths[1]
        plan = synth.sampler.plan(seed, i, i + 1)[0]
        s = synth.render(np.random.default_rng([seed, i, _REC]), plan)
        img = s.image
        w = max(1, int(img.shape[1] * row_h / img.shape[0]))
        img = cv2.resize(img, (min(w, col_w - 10), row_h), interpolation=cv2.INTER_AREA)
        x, y = (i % 2) * col_w + 5, (i // 2) * cell_h + 2
        canvas.paste(Image.fromarray(img[:, :, ::-1]), (x, y))
        draw.text((x, y + row_h + 1), s.text, font=label_font, fill=(200, 0, 0))
    return np.asarray(canvas)[:, :, ::-1]


def det_grid(seed: int, n: int = 4, tile: int = 600) -> np.ndarray:
    synth = PageSynth(DetSynthConfig(), seed)
    tiles = []
    for i in range(n):
        page = synth.render(np.random.default_rng([seed, i, _DET]))
        img = page.image.copy()
        for ln in page.lines:
            for _, wp in ln.words:
                cv2.polylines(img, [np.round(wp).astype(np.int32)], True, (255, 80, 0), 1, cv2.LINE_AA)
            cv2.polylines(img, [np.round(ln.polygon).astype(np.int32)], True, (0, 0, 255), 2, cv2.LINE_AA)
        s = tile / max(img.shape[:2])
        img = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        pad = np.full((tile, tile, 3), 255, np.uint8)
        pad[: img.shape[0], : img.shape[1]] = img
        tiles.append(pad)
    rows = [np.concatenate(tiles[i : i + 2], 1) for i in range(0, n, 2)]
    return np.concatenate(rows, 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "docs" / "synth"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, img in (("rec_samples.png", rec_grid(args.seed)), ("det_samples.png", det_grid(args.seed))):
        from PIL import Image

        path = out / name
        # A 256-colour palette keeps the pictures small enough to live in the repository;
        # busy noise backgrounds can still exceed 500 KB, then the picture is shrunk a little.
        while True:
            pal = Image.fromarray(img[:, :, ::-1]).quantize(256, method=Image.Quantize.MEDIANCUT)
            pal.save(path, optimize=True)
            if path.stat().st_size < MAX_BYTES:
                break
            img = cv2.resize(img, None, fx=0.9, fy=0.9, interpolation=cv2.INTER_AREA)
        print(f"{path}: {img.shape[1]}x{img.shape[0]}, {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
