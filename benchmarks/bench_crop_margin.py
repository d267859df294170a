"""Reading crops a user cut: lumenocr's crop rule against RapidOCR 3.10, on document, scene
and checking crop sets, with the rules that were measured on the way to it.

    python benchmarks/bench_crop_margin.py                 # every set, 800 crops each (~25 min)
    python benchmarks/bench_crop_margin.py --limit 200 --sets funsd_words,icdar2015_rec_test

Crop sets (a seeded random sample of ``--limit`` crops from each):

* ``funsd_words``: FUNSD word boxes from ../shared/data/funsd_train, cut as
  ``lumenocr data crops --mode box`` does (document words; exact match);
* ``icdar2015_rec_test``: the official ICDAR 2015 word crops (scene words; the usual
  case-insensitive alphanumeric match);
* checking sets, not used to decide the rule: ``xfund_lines`` (XFUND Chinese form segments,
  box crops; exact), ``icdar2015_train_words`` (box crops of the ICDAR 2015 training words;
  case-insensitive alphanumeric), ``synth_tight`` (``lumenocr.synth.kinds`` tight single lines,
  no margin at all, half Chinese; exact).

Systems: ``lumenocr`` (this checkout's ``recognize_crops``), ``rapidocr`` (RapidOCR 3.10
defaults, same PP-OCRv6 small recognizer, ``use_det=False, use_cls=False``), and variants of
lumenocr's crop rule. ``edge`` variants decode only the CTC columns of the crop itself (what
lumenocr did before); ``before`` is the earlier default exactly (edge cut + a right margin of
0.25 x height repeating the last column). Every variant turns tall crops as vertical text, as
lumenocr did before; ``lumenocr`` reads a tall crop both ways and keeps the surer reading. Accuracy: share of crops read exactly right under
the set's rule (both rules are in the JSON).

Writes benchmarks/results/crop_margin.md and .json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results"
sys.path.insert(0, str(REPO))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

#: set name -> (how it is made, match rule, role)
SETS = {
    "funsd_words": ("funsd_train", "exact", "decides"),
    "icdar2015_rec_test": ("icdar2015_rec_test", "icdar", "decides"),
    "xfund_lines": ("xfund_zh_train_30", "exact", "checks"),
    "icdar2015_train_words": ("icdar2015_train", "icdar", "checks"),
    "synth_tight": ("synth", "exact", "checks"),
}

SYSTEMS = ("before", "edge", "edge_bg_margin", "edge_margin_if_tight", "rapidocr", "lumenocr")
DESCRIPTIONS = {
    "before": "lumenocr before: crop columns only, right margin 0.25 x height repeating the last column",
    "edge": "crop columns only, no margin",
    "edge_bg_margin": "crop columns only, right margin 0.25 x height in the estimated background colour",
    "edge_margin_if_tight": "crop columns only, background margin only where ink reaches the last column",
    "rapidocr": "RapidOCR 3.10 defaults (same PP-OCRv6 small recognizer)",
    "lumenocr": "lumenocr now: no margin, the padding up to min_width decoded too; tall crops read both ways",
}


def load_set(name: str, limit: int, cache: Path) -> list[tuple[str, str, np.ndarray]]:
    """``limit`` (id, text, BGR crop) samples of a crop set, seeded."""
    source = SETS[name][0]
    if source == "synth":
        from lumenocr.synth.kinds import make_kind_samples

        return [(s.name, s.lines[0], s.image) for s in make_kind_samples("tight", limit, seed=7)]  # type: ignore[misc]
    if name == "icdar2015_rec_test":
        label = DATA / source / "label.txt"
    else:
        from lumenocr.train.crops import cut_word_crops

        label = cache / name / "label.txt"
        if not label.is_file():
            # the same crops as `lumenocr data crops --mode box`
            cut_word_crops(DATA / source / "label.txt", cache / name, "box")
    items = [ln.split("\t", 1) for ln in label.read_text(encoding="utf-8").splitlines() if "\t" in ln]
    random.Random(0).shuffle(items)
    out = []
    for path, text in items[:limit]:
        img = cv2.imread(str(label.parent / path), cv2.IMREAD_COLOR)
        if img is not None:
            out.append((path, text, img))
    return out


# ----------------------------------------------------------------------------- crop rules
def _ink(crop: np.ndarray) -> np.ndarray:
    """Ink mask: the minority side of an Otsu split of the grey crop."""
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    _, mask = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    fg = mask > 0
    return ~fg if fg.mean() > 0.5 else fg


def _bg_margin(crop: np.ndarray, only_if_tight: bool) -> np.ndarray:
    ink = _ink(crop)
    if only_if_tight and not ink[:, -1].any():
        return crop
    bg = crop[~ink] if (~ink).any() else crop.reshape(-1, 3)
    colour = [int(v) for v in np.median(bg, axis=0)]
    extra = int(round(0.25 * crop.shape[0]))
    return cv2.copyMakeBorder(crop, 0, 0, 0, extra, cv2.BORDER_CONSTANT, value=colour)


class Lumen:
    """lumenocr's recognizer with a crop rule (``system``) applied."""

    def __init__(self, system: str, threads: int):
        from lumenocr import OCR
        from lumenocr.pipeline.crop import upright
        from lumenocr.preprocess.rec import RecPreprocess

        class EdgeCut(RecPreprocess):
            def decode_width(self, resized_width: int) -> int:
                return resized_width  # the CTC columns of the crop itself, as before

        self.ocr = OCR(use_det=False, use_cls=False, threads=threads)
        rec = self.ocr.recognizer
        assert rec is not None
        fields = {f.name: getattr(rec.preprocess, f.name) for f in dataclasses.fields(rec.preprocess)}
        self.system = system
        self.edge = EdgeCut(**{**fields, "pad_right": 0.25 if system == "before" else 0.0})
        self.upright = upright
        self.fill: Callable[[np.ndarray], np.ndarray] = {
            "edge_bg_margin": lambda c: _bg_margin(c, False),
            "edge_margin_if_tight": lambda c: _bg_margin(c, True),
        }.get(system, lambda c: c)

    def __call__(self, crops: list[np.ndarray]) -> list[str]:
        if self.system == "lumenocr":
            return [r.text for r in self.ocr.recognize_crops(crops)]
        rec = self.ocr.recognizer
        assert rec is not None
        turned = [self.fill(self.upright(c).image) for c in crops]
        return [r.text for r, _ in rec.recognize(turned, self.edge)]


class Rapid:
    def __init__(self, threads: int):
        from peers import rapidocr_engine

        self.engine = rapidocr_engine(threads)

    def __call__(self, crops: list[np.ndarray]) -> list[str]:
        out = []
        for c in crops:
            r = self.engine(c, use_det=False, use_cls=False, use_rec=True)
            out.append("".join(r.txts or ()))
        return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default=",".join(SETS), help="comma-separated crop sets (default: all)")
    ap.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated systems (default: all)")
    ap.add_argument("--limit", type=int, default=800, help="crops per set (800)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=str(RESULTS / "crop_margin"), help="results path without extension")
    args = ap.parse_args()
    from lumenocr.metrics.text import texts_match

    sets = [s for s in args.sets.split(",") if s]
    systems = [s for s in args.systems.split(",") if s]
    for s in sets:
        if s not in SETS:
            raise SystemExit(f"unknown set {s!r}; sets: {', '.join(SETS)}")
    for s in systems:
        if s not in SYSTEMS:
            raise SystemExit(f"unknown system {s!r}; systems: {', '.join(SYSTEMS)}")
    results: dict = {}
    readers = {s: (Rapid(args.threads) if s == "rapidocr" else Lumen(s, args.threads)) for s in systems}
    with tempfile.TemporaryDirectory() as tmp:
        for name in sets:
            if SETS[name][0] != "synth" and not (DATA / SETS[name][0] / "label.txt").is_file():
                print(f"{name}: data not found under {DATA}; skipped", file=sys.stderr)
                continue
            data = load_set(name, args.limit, Path(tmp))
            mode = SETS[name][1]
            results[name] = {"crops": len(data), "match": mode, "role": SETS[name][2], "systems": {}}
            for sysname, reader in readers.items():
                t0 = time.perf_counter()
                preds = reader([img for _, _, img in data])
                row = {
                    m: sum(texts_match(t, p, m) for (_, t, _), p in zip(data, preds)) / max(len(data), 1)
                    for m in ("exact", "icdar")
                }
                row["seconds"] = round(time.perf_counter() - t0, 1)
                row["wrong"] = [
                    [i, t, p] for (i, t, _), p in zip(data, preds) if not texts_match(t, p, mode)
                ][:400]
                results[name]["systems"][sysname] = row
                print(f"{name} {sysname}: {100 * row[mode]:.2f}%", file=sys.stderr, flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": platform.processor() or platform.machine(),
        "limit": args.limit,
        "descriptions": {s: DESCRIPTIONS[s] for s in systems},
        "sets": results,
    }
    out.with_suffix(".json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    out.with_suffix(".md").write_text(table(doc, systems), encoding="utf-8")
    print(out.with_suffix(".md").read_text(encoding="utf-8"))
    return 0


def table(doc: dict, systems: list[str]) -> str:
    lines = [
        "# Reading user crops: lumenocr's crop rule vs RapidOCR 3.10 (same PP-OCRv6 small recognizer)",
        "",
        f"Generated by `benchmarks/bench_crop_margin.py` ({doc['date']}); a seeded sample of up to "
        f"{doc['limit']} crops per set. Accuracy: crops read exactly right, under the set's match rule "
        "(exact, or icdar = case-insensitive alphanumerics).",
        "",
        "| crop set | role | crops | match | " + " | ".join(systems) + " |",
        "|" + "---|" * (4 + len(systems)),
    ]
    for name, r in doc["sets"].items():
        cells = [name, r["role"], str(r["crops"]), r["match"]]
        cells += [f"{100 * r['systems'][s][r['match']]:.2f}%" for s in systems]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Systems:"]
    lines += [f"- `{s}`: {doc['descriptions'][s]}" for s in systems]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
