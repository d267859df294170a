"""Where a page's time goes, lumenocr against RapidOCR 3.10 on OpenVINO, stage by stage.

Both systems run in this one process on the same images, interleaved image by image (which
goes first alternates), each with ``--threads`` threads and the same precision on the same
PP-OCRv6 small files. Every model call of both is timed through a thin wrapper around its
engine, which also records the input shapes; the pipeline's own stage timers
(``OCRResult.timings``) and RapidOCR's ``elapse_list`` give the wall time per stage.

Per page and system it reports:

* wall time of the call (from an image already decoded, so decoding is out of both);
* the detector: passes, input pixels, inference time, and the rest of the detection stage
  (resize, normalisation, DB post-processing);
* the direction classifier: crops, inference time;
* the recognizer: crops, batches, input columns (and how many are padding), inference time
  summed over the threads that ran it, the stage's wall time;
* what is left: cropping, word boxes, reading order, page orientation.

    python benchmarks/bench_stage_breakdown.py --limits icdar2015_test=8,funsd_train=4,xfund_zh_train_30=3 \
        --precision bf16 --out benchmarks/results/stage_breakdown

A diagnostic, not a headline: one process holds both systems (their engines share the
machine's cores in turn, never at once), and the headline ratio comes from bench_ocr.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))


class Timed:
    """An engine (any callable on one array) whose calls are timed and whose input shapes are
    kept; thread-safe, so the recognizer's parallel workers add up their time."""

    def __init__(self, inner):
        self.inner = inner
        self.lock = threading.Lock()
        self.reset()

    @classmethod
    def wrap(cls, owner, attr: str) -> Timed:
        """Put a timed wrapper in place of ``owner.<attr>`` and return it."""
        timed = cls(getattr(owner, attr))
        setattr(owner, attr, timed)
        return timed

    def reset(self) -> None:
        self.seconds = 0.0
        self.shapes: list[tuple[int, ...]] = []

    def __call__(self, x, *a, **kw):
        t0 = time.perf_counter()
        out = self.inner(x, *a, **kw)
        dt = time.perf_counter() - t0
        with self.lock:
            self.seconds += dt
            self.shapes.append(tuple(np.asarray(x).shape))
        return out

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _rec_stats(shapes: list[tuple[int, ...]]) -> dict:
    crops = sum(s[0] for s in shapes)
    cols = sum(s[0] * s[3] for s in shapes)
    return {"crops": crops, "batches": len(shapes), "columns": cols, "widths": sorted({s[3] for s in shapes})}


class Lumen:
    name = "lumenocr"

    def __init__(self, threads: int, precision: str, **options):
        from lumenocr import OCR

        self.ocr = OCR(threads=threads, precision=precision, **options)
        self.det = Timed.wrap(self.ocr.detector, "engine")
        self.cls = Timed.wrap(self.ocr.classifier, "engine")
        self.rec = Timed.wrap(self.ocr.recognizer, "engine")
        post = self.ocr.detector.postprocess
        self.post_s = 0.0

        def timed_post(*a, _post=post, **kw):
            t0 = time.perf_counter()
            out = _post(*a, **kw)
            self.post_s += time.perf_counter() - t0
            return out

        self.ocr.detector.postprocess = timed_post
        orient = next((s for s in self.ocr.stages if s.name == "orient"), None)
        self.orient = Timed.wrap(orient.orienter, "engine") if orient is not None else None
        self.columns = 0  # recognizer columns the crops' own content fills (resized widths)

    def engines(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.ocr.engines().items())

    def page(self, image: np.ndarray) -> dict:
        for t in (self.det, self.cls, self.rec, self.orient):
            if t is not None:
                t.reset()
        self.post_s = 0.0
        t0 = time.perf_counter()
        res = self.ocr.ocr_image(image)
        wall = time.perf_counter() - t0
        tm = res.timings
        det_px = [s[2] * s[3] for s in self.det.shapes]
        return {
            "wall": wall,
            "lines": len(res.lines),
            "orient": tm.get("orient", 0.0),
            "orient_infer": self.orient.seconds if self.orient else 0.0,
            "det": tm.get("detect", 0.0),
            "det_infer": self.det.seconds,
            "det_post": self.post_s,
            "det_passes": len(det_px),
            "det_mpx": sum(det_px) / 1e6,
            "det_shapes": [s[2:] for s in self.det.shapes],
            "cls_infer": self.cls.seconds,
            "cls_crops": sum(s[0] for s in self.cls.shapes),
            "rec_stage": tm.get("recognize", 0.0),
            "rec_infer_sum": self.rec.seconds,
            **{f"rec_{k}": v for k, v in _rec_stats(self.rec.shapes).items()},
            "other": tm.get("order", 0.0),
        }


class Rapid:
    name = "rapidocr-openvino"

    def __init__(self, threads: int, precision: str):
        from bench_ocr import RapidOpenVinoWorker
        from peers import rapidocr_engine

        # RapidOCR has no precision setting: it runs OpenVINO's CPU default (bf16 on this CPU).
        params = RapidOpenVinoWorker.params(None, threads)  # type: ignore[arg-type]
        self.engine = rapidocr_engine(threads, **{"Global.return_word_box": True, **params})
        warm = np.full((64, 64, 3), 255, np.uint8)
        cv2.putText(warm, "ab", (5, 40), cv2.FONT_HERSHEY_SIMPLEX, 1, (0, 0, 0), 2)
        self.engine(warm)  # loads the lazily built models
        self.det = Timed.wrap(self.engine.text_det, "session")
        self.cls = Timed.wrap(self.engine.text_cls, "session")
        self.rec = Timed.wrap(self.engine.text_rec, "session")

    def engines(self) -> str:
        req = self.det.inner.session
        return "openvino " + str(req.get_compiled_model().get_property("INFERENCE_PRECISION_HINT"))

    def page(self, image: np.ndarray) -> dict:
        for t in (self.det, self.cls, self.rec):
            t.reset()
        t0 = time.perf_counter()
        out = self.engine(image)
        wall = time.perf_counter() - t0
        el = list(out.elapse_list or []) + [0.0, 0.0, 0.0]
        det_px = [s[2] * s[3] for s in self.det.shapes]
        det_s, cls_s, rec_s = (float(v or 0.0) for v in el[:3])
        return {
            "wall": wall,
            "lines": 0 if out.txts is None else len(out.txts),
            "orient": 0.0,
            "orient_infer": 0.0,
            "det": det_s,
            "det_infer": self.det.seconds,
            "det_post": float("nan"),
            "det_passes": len(det_px),
            "det_mpx": sum(det_px) / 1e6,
            "det_shapes": [s[2:] for s in self.det.shapes],
            "cls_infer": self.cls.seconds,
            "cls_crops": sum(s[0] for s in self.cls.shapes),
            "rec_stage": cls_s + rec_s,
            "rec_infer_sum": self.rec.seconds,
            **{f"rec_{k}": v for k, v in _rec_stats(self.rec.shapes).items()},
            "other": wall - det_s - cls_s - rec_s,
        }


FIELDS = [
    ("wall", "page ms", 1000),
    ("orient", "orient ms", 1000),
    ("det", "detect ms", 1000),
    ("det_infer", "det infer ms", 1000),
    ("det_passes", "det passes", 1),
    ("det_mpx", "det Mpx", 1),
    ("cls_infer", "cls infer ms", 1000),
    ("cls_crops", "cls crops", 1),
    ("rec_stage", "crop+cls+rec ms", 1000),
    ("rec_infer_sum", "rec infer ms (sum of threads)", 1000),
    ("rec_crops", "rec crops", 1),
    ("rec_batches", "rec batches", 1),
    ("rec_columns", "rec kcols", 0.001),
    ("other", "rest ms", 1000),
    ("lines", "lines out", 1),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limits", default="icdar2015_test=8,funsd_train=4,xfund_zh_train_30=3")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--precision", default="bf16", help="lumenocr's (RapidOCR runs OpenVINO's CPU default)")
    ap.add_argument("--lumen-options", default="{}", help="JSON of extra OCR(...) options for lumenocr")
    ap.add_argument("--reps", type=int, default=1, help="passes over the images (the median is kept)")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "stage_breakdown"))
    args = ap.parse_args()
    limits = {k: int(v) for k, v in (kv.split("=") for kv in args.limits.split(","))}
    systems = [
        Lumen(args.threads, args.precision, **json.loads(args.lumen_options)),
        Rapid(args.threads, args.precision),
    ]
    report: dict = {"engines": {s.name: s.engines() for s in systems}, "sets": {}}
    for ds, n in limits.items():
        rows = (DATA / ds / "label.txt").read_text(encoding="utf-8").splitlines()[:n]
        images = [cv2.imread(str(DATA / ds / r.split("\t", 1)[0])) for r in rows]
        for s in systems:  # warm-up: the first call of a shape prepares kernels
            s.page(images[0])
        per: dict[str, list[dict]] = defaultdict(list)
        for k, img in enumerate(images):
            reps: dict[str, list[dict]] = defaultdict(list)
            for r in range(args.reps):
                order = systems if (k + r) % 2 == 0 else systems[::-1]
                for s in order:
                    reps[s.name].append(s.page(img))
            for name, rs in reps.items():
                best = sorted(rs, key=lambda d: d["wall"])[len(rs) // 2]
                per[name].append(best)
            print(ds, k, {name: round(v[-1]["wall"] * 1000) for name, v in per.items()}, flush=True)
        report["sets"][ds] = {"images": len(images), "pages": per}
    write(report, args)


def _sum(pages: list[dict], key: str) -> float:
    return float(sum(p[key] for p in pages if isinstance(p[key], (int, float)) and p[key] == p[key]))


def write(report: dict, args) -> None:
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(report, indent=1, default=str))
    lines = [
        "# Where the time goes: lumenocr vs RapidOCR-OpenVINO, per stage",
        "",
        f"Command: `python benchmarks/bench_stage_breakdown.py --limits {args.limits} --threads {args.threads} "
        f"--precision {args.precision} --reps {args.reps}"
        + (f" --lumen-options '{args.lumen_options}'" if args.lumen_options != "{}" else "")
        + "` (under the benchmark lock). "
        f"Engines: {'; '.join(f'{k}: {v}' for k, v in report['engines'].items())}. "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "Sums over the images of each set (median of the passes per image), both systems in one process, "
        "interleaved; the image is already decoded. `crop+cls+rec` is lumenocr's recognize stage "
        "(crops, classifier, recognizer, word boxes) and RapidOCR's cls + rec elapse; `rec infer` adds "
        "up the time of every recognizer call over the threads that ran them (lumenocr: two "
        "single-threaded workers; RapidOCR: one 2-thread stream); `rest` is reading order (lumenocr) "
        "or everything outside det/cls/rec (RapidOCR: its own resize, cropping, word boxes, output).",
        "",
        "| data set | system | " + " | ".join(h for _, h, _ in FIELDS) + " |",
        "|---|---|" + "---|" * len(FIELDS),
    ]
    for ds, d in report["sets"].items():
        for name, pages in d["pages"].items():
            cells = []
            for key, _, scale in FIELDS:
                v = _sum(pages, key) * scale
                cells.append(
                    f"{v:.0f}" if abs(v) >= 10 or key.endswith(("passes", "crops", "batches")) else f"{v:.2f}"
                )
            lines.append(f"| {ds} ({d['images']}) | {name} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "Detection input sizes (first image of each set): "
        + "; ".join(
            f"{ds}: " + ", ".join(f"{n} {d['pages'][n][0]['det_shapes']}" for n in d["pages"])
            for ds, d in report["sets"].items()
        )
    )
    out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
