"""Accuracy and speed of lumenocr against its peers on ../shared/data, in one run.

Each system runs in its own worker process (so peak RSS is its own) and the images are fed
to the workers in turn, image by image, so background load hits every system alike.
Latency is the wall time of one call on an image path (decode included), after one
warm-up call. Accuracy uses lumenocr.metrics on the same images for every system.

    python benchmarks/bench_ocr.py                      # everything (about 30-40 min on 2 cores)
    python benchmarks/bench_ocr.py --limit 50 --systems lumenocr,rapidocr

Writes benchmarks/results/ocr_benchmark.md (the table) and .json (all figures).
RapidOCR is the peer with the same PP-OCRv6 small weights; Tesseract 5 (Debian packages
tesseract-ocr, -eng, -chi-sim) is the classical baseline. Systems: lumenocr (defaults),
lumenocr-ort, lumenocr-openvino, lumenocr-f32 (OpenVINO in exact f32), lumenocr-bf16 (OpenVINO in bfloat16),
lumenocr-bf16-det / -rec / -clsrec / -detrec (bf16 in those models only), lumenocr-fast (the
speed profile, ``OCR(profile="fast")``),
lumenocr-int8 / lumenocr-int8-ort (with --int8-dir from `lumenocr quantize`), rapidocr (ONNX Runtime),
rapidocr-openvino, tesseract. The results say which engine and precision each lumenocr system
resolved to (its default precision "auto" is bf16 on OpenVINO where the CPU computes it natively).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results"
sys.path.insert(0, str(REPO))

DET_SETS = {"icdar2015_test": "en", "funsd_train": "en", "xfund_zh_train_30": "zh"}
REC_SET = "icdar2015_rec_test"


# ----------------------------------------------------------------------------- workers
class LumenWorker:
    """lumenocr at its defaults (``providers`` "auto": OpenVINO when installed; ``precision``
    "auto": bf16 there when the CPU computes it natively)."""

    options: dict = {}

    def __init__(self, threads: int, model: str, int8_dir: str = ""):
        from lumenocr import OCR

        self.ocr = OCR(model=model, threads=threads, **self.options_for(int8_dir))

    def options_for(self, int8_dir: str) -> dict:
        return dict(self.options)

    def page(self, path: str, lang: str) -> dict:
        r = self.ocr(path)
        return {
            "lines": [(ln.points, ln.text) for ln in r.lines],
            "words": [(w["points"], w["text"]) for w in r.word_boxes()],
        }

    def rec(self, path: str) -> str:
        import cv2

        return self.ocr.recognize_crops([cv2.imread(path)])[0].text

    def engines(self) -> str:
        """What ran: ``openvino bf16`` when every model runs the same, else per model."""
        engines = self.ocr.engines()
        if len(set(engines.values())) == 1:
            return next(iter(engines.values()))
        return "; ".join(f"{part} {e}" for part, e in engines.items())


class LumenOrtWorker(LumenWorker):
    """lumenocr on ONNX Runtime (fp32)."""

    options = {"providers": ("cpu",)}


class LumenOpenVinoWorker(LumenWorker):
    """lumenocr on OpenVINO, asked for by name (precision "auto")."""

    options = {"providers": ("openvino",)}


class LumenF32Worker(LumenWorker):
    """lumenocr on OpenVINO in exact f32 (``precision="f32"``: ONNX Runtime's maps and text)."""

    options = {"providers": ("openvino",), "precision": "f32"}


class LumenBf16Worker(LumenWorker):
    """lumenocr on OpenVINO computing in bfloat16 (``precision="bf16"``), as RapidOCR's
    OpenVINO engine does by default on CPUs with bf16 instructions."""

    options = {"precision": "bf16"}


class LumenFastWorker(LumenWorker):
    """lumenocr with its speed profile (``profile="fast"``, lumenocr/pipeline/profiles.py)."""

    options = {"profile": "fast"}


class LumenMixedWorker(LumenWorker):
    """lumenocr on OpenVINO in f32 with the models in ``bf16_parts`` computing in bf16 (their
    engines taken from a bf16 build): which model's bf16 error costs accuracy."""

    options = {"providers": ("openvino",), "precision": "f32"}
    bf16_parts: tuple[str, ...] = ()

    def __init__(self, threads: int, model: str, int8_dir: str = ""):
        super().__init__(threads, model, int8_dir)
        from lumenocr import OCR

        bf16 = OCR(model=model, threads=threads, providers=("openvino",), precision="bf16")
        for part in self.bf16_parts:
            getattr(self.ocr, part).engine = getattr(bf16, part).engine


def _mixed(*parts: str) -> type[LumenMixedWorker]:
    return type("LumenMixedWorker_" + "_".join(parts), (LumenMixedWorker,), {"bf16_parts": parts})


class LumenInt8Worker(LumenWorker):
    """lumenocr with the int8 files of `lumenocr quantize` (--int8-dir), on the default engine."""

    def options_for(self, int8_dir: str) -> dict:
        d = Path(int8_dir)
        if not (d / "det_int8.onnx").is_file():
            raise SystemExit(
                f"lumenocr-int8 needs --int8-dir with det_int8.onnx / rec_int8.onnx (from `lumenocr quantize`), got {d}"
            )
        return {"det_model": str(d / "det_int8.onnx"), "rec_model": str(d / "rec_int8.onnx")}


class LumenInt8OrtWorker(LumenInt8Worker):
    """The int8 files on ONNX Runtime."""

    def options_for(self, int8_dir: str) -> dict:
        return {**super().options_for(int8_dir), "providers": ("cpu",)}


class RapidWorker:
    """RapidOCR 3.10 at its defaults (PP-OCRv6 small det/rec, v2 cls, ONNX Runtime), word boxes on."""

    engine_params: dict = {}

    def __init__(self, threads: int, model: str, int8_dir: str = ""):
        from peers import rapidocr_engine

        self.engine = rapidocr_engine(threads, **{"Global.return_word_box": True, **self.params(threads)})

    def params(self, threads: int) -> dict:
        return {}

    def page(self, path: str, lang: str) -> dict:
        out = self.engine(path)
        if out.boxes is None:
            return {"lines": [], "words": []}
        lines = [(b.tolist(), t) for b, t in zip(out.boxes, out.txts)]
        words = []
        for line_words in out.word_results or ():
            for text, _score, box in line_words:
                if box is not None and text.strip():
                    words.append((box, text))
        return {"lines": lines, "words": words}

    def rec(self, path: str) -> str:
        out = self.engine(path, use_det=False, use_cls=False, use_rec=True)
        return "".join(out.txts or ())


class RapidOpenVinoWorker(RapidWorker):
    """RapidOCR 3.10 on its OpenVINO engine (its fastest CPU engine here), the same ONNX files
    as its default engine, OpenVINO's default precision for this CPU."""

    def params(self, threads: int) -> dict:
        import rapidocr
        from rapidocr import EngineType

        models = Path(rapidocr.__file__).parent / "models"
        files = {
            "Det": "PP-OCRv6_det_small.onnx",
            "Rec": "PP-OCRv6_rec_small.onnx",
            "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
        }
        out: dict = {"EngineConfig.openvino.inference_num_threads": threads}
        for part, name in files.items():
            out[f"{part}.engine_type"] = EngineType.OPENVINO
            out[f"{part}.model_path"] = str(models / name)
        return out


class TesseractWorker:
    """Tesseract 5 CLI, TSV output; OMP_THREAD_LIMIT caps its threads."""

    def __init__(self, threads: int, model: str, int8_dir: str = ""):
        self.env = dict(os.environ, OMP_THREAD_LIMIT=str(threads))

    def _tsv(self, path: str, lang: str, psm: int) -> list[list[str]]:
        langs = {"en": "eng", "zh": "chi_sim+eng"}[lang]
        out = subprocess.run(
            ["tesseract", path, "stdout", "-l", langs, "--psm", str(psm), "tsv"],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=300,
        )
        rows = [r.split("\t") for r in out.stdout.splitlines()[1:]]
        return [r for r in rows if len(r) == 12]

    def page(self, path: str, lang: str) -> dict:
        words, lines = [], {}
        for r in self._tsv(path, lang, 3):
            if r[0] != "5" or not r[11].strip() or float(r[10]) < 0:
                continue
            x, y, w, h = map(int, r[6:10])
            quad = [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]
            words.append((quad, r[11]))
            key = tuple(r[1:5])
            lines.setdefault(key, []).append((quad, r[11]))
        sep = "" if lang == "zh" else " "
        line_items = []
        for ws in lines.values():
            xs = [p[0] for q, _ in ws for p in q]
            ys = [p[1] for q, _ in ws for p in q]
            box = [[min(xs), min(ys)], [max(xs), min(ys)], [max(xs), max(ys)], [min(xs), max(ys)]]
            line_items.append((box, sep.join(t for _, t in ws)))
        return {"lines": line_items, "words": words}

    def rec(self, path: str) -> str:
        return " ".join(r[11] for r in self._tsv(path, "en", 7) if r[0] == "5" and r[11].strip())


WORKERS = {
    "lumenocr": LumenWorker,
    "lumenocr-ort": LumenOrtWorker,
    "lumenocr-openvino": LumenOpenVinoWorker,
    "lumenocr-f32": LumenF32Worker,
    # bf16 in some models only (the others f32):
    "lumenocr-bf16-det": _mixed("detector"),
    "lumenocr-bf16-rec": _mixed("recognizer"),
    "lumenocr-bf16-clsrec": _mixed("classifier", "recognizer"),
    "lumenocr-bf16-detrec": _mixed("detector", "recognizer"),
    "lumenocr-bf16": LumenBf16Worker,
    "lumenocr-fast": LumenFastWorker,
    "lumenocr-int8": LumenInt8Worker,
    "lumenocr-int8-ort": LumenInt8OrtWorker,
    "rapidocr": RapidWorker,
    "rapidocr-openvino": RapidOpenVinoWorker,
    "tesseract": TesseractWorker,
}


def worker_main(system: str, threads: int, model: str, int8_dir: str) -> None:
    """Serve requests on stdin: {"kind": "page"|"rec", "path", "lang"} -> result + seconds."""
    w = WORKERS[system](threads, model, int8_dir)
    for raw in sys.stdin:
        req = json.loads(raw)
        if req["kind"] == "engines":
            engines = getattr(w, "engines", None)
            print(json.dumps({"engines": engines() if engines else None}), flush=True)
            continue
        if req["kind"] == "rss":
            self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            print(json.dumps({"rss_mb": max(self_kb, child_kb) / 1024}), flush=True)
            continue
        t0 = time.perf_counter()
        try:
            res = w.page(req["path"], req["lang"]) if req["kind"] == "page" else {"text": w.rec(req["path"])}
            res["error"] = None
        except Exception as e:  # a peer failing on one image must not stop the benchmark
            res = {"error": f"{type(e).__name__}: {e}", "lines": [], "words": [], "text": ""}
        res["seconds"] = time.perf_counter() - t0
        print(json.dumps(res, ensure_ascii=False), flush=True)


class WorkerDied(RuntimeError):
    """A worker process ended (killed by the OOM killer, crashed) before it answered."""


class Worker:
    def __init__(
        self, system: str, threads: int, model: str, int8_dir: str = "", cpus: set[int] | None = None
    ):
        self.system = system
        #: Set when the worker died: its exit status and peak RSS (from os.wait4).
        self.death: dict | None = None
        self.proc = subprocess.Popen(
            # ``cpus``: pin the worker (and its threads) to these cores, as a machine with fewer cores.
            [
                sys.executable,
                __file__,
                "--worker",
                system,
                "--threads",
                str(threads),
                "--model",
                model,
                "--int8-dir",
                int8_dir,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )

    def ask(self, **req) -> dict:
        """One request; :class:`WorkerDied` (with the exit status and peak RSS) when the
        process is gone."""
        if self.death is not None:
            raise WorkerDied(self.death["error"])
        try:
            self.proc.stdin.write(json.dumps(req, ensure_ascii=False) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, ConnectionResetError):
            line = ""
        if not line:
            self._reap()
            raise WorkerDied(self.death["error"])
        return json.loads(line)

    def _reap(self) -> None:
        """Collect the dead process with os.wait4: its exit status and peak RSS."""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            _, status, usage = os.wait4(self.proc.pid, 0)
            code = os.waitstatus_to_exitcode(status)
            self.proc.returncode = code
            rss = usage.ru_maxrss / 1024
        except ChildProcessError:  # already collected
            code, rss = self.proc.returncode, None
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        if code == -9:
            how += " (SIGKILL: the kernel's OOM killer, when memory ran out)"
        self.death = {"error": f"{self.system} worker died ({how})", "exit": code, "peak_rss_mb": rss}

    def close(self) -> None:
        if self.death is not None:
            return
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


# ----------------------------------------------------------------------------- evaluation
def _pred_sample(image: str, items):
    import numpy as np

    from lumenocr.metrics.predictions import PredSample

    return PredSample(
        image=image,
        polygons=[np.asarray(p, dtype=np.float32).reshape(-1, 2) for p, _ in items],
        texts=[t for _, t in items],
    )


def evaluate_det_set(name: str, samples, outputs: dict[str, list[dict]]) -> dict[str, dict]:
    from lumenocr.metrics import evaluate_detection, evaluate_end_to_end
    from lumenocr.metrics.page import evaluate_pages

    out = {}
    for system, results in outputs.items():
        row = {}
        if name != "xfund_zh_train_30":  # word-level ground truth
            preds = [_pred_sample(s.image_path, r["words"]) for s, r in zip(samples, results)]
            det = evaluate_detection(samples, preds)
            e2e = evaluate_end_to_end(samples, preds, normalize="icdar")
            row.update(
                det_hmean=det.hmean, det_precision=det.precision, det_recall=det.recall, e2e_hmean=e2e.hmean
            )
        # Page text from line boxes, ordered by the same code for every system; text read
        # inside don't-care regions is left out of both sides.
        page = evaluate_pages(
            samples, [_pred_sample(s.image_path, r["lines"]) for s, r in zip(samples, results)]
        )
        row.update(page_cer=page.cer, page_cer_nospace=page.cer_nospace, page_wer=page.wer)
        secs = [r["seconds"] for r in results]
        row.update(
            median_ms=1000 * statistics.median(secs),
            images_per_s=len(secs) / sum(secs),
            errors=sum(1 for r in results if r.get("error")),
        )
        out[system] = row
    return out


def set_limits(args) -> dict[str, int]:
    """``--set-limits icdar2015_test=100,funsd_train=30`` as a dict (overrides --limit per set)."""
    out = {}
    for item in filter(None, (args.set_limits or "").split(",")):
        name, _, n = item.partition("=")
        out[name.strip()] = int(n)
    return out


def _ask_or_record(name: str, worker: Worker, done: list, failed: dict[str, dict], **req) -> dict | None:
    """``worker.ask(**req)``, or None when the worker has died: then its failure is recorded in
    ``failed`` (a worker that dies, OOM-killed or crashed, costs that system this set, not the run)."""
    try:
        return worker.ask(**req)
    except WorkerDied as e:
        death = worker.death or {}
        failed[worker.system] = {
            "failed": str(e),
            "images_done": len(done),
            "peak_rss_mb": death.get("peak_rss_mb"),
        }
        print(f"{name}: {e} after {len(done)} images; going on without it", file=sys.stderr)
        return None


def run(args, on_set_done=None) -> dict:
    from lumenocr.io.labels import read_det_labels, read_rec_labels, resolve_image

    systems = args.systems.split(",")
    report: dict = {"sets": {}, "rss_mb": {}, "engines": {}}
    workers: dict[str, Worker] = {}
    try:
        for name in args.datasets.split(","):
            label = DATA / name / "label.txt"
            if not label.is_file():
                print(f"skip {name}: {label} not found", file=sys.stderr)
                continue
            if name == REC_SET:
                samples = read_rec_labels(label)[: args.rec_limit or None]
                lang = "en"
            else:
                samples = read_det_labels(label)[: set_limits(args).get(name, args.limit) or None]
                lang = DET_SETS.get(name, "en")
            kind = "rec" if name == REC_SET else "page"
            paths = [str(resolve_image(label, s.image_path)) for s in samples]
            # Fresh workers per data set, so each set's peak RSS is its own.
            for w in workers.values():
                w.close()
            workers = {s: Worker(s, args.threads, args.model, args.int8_dir) for s in systems}
            outputs: dict[str, list[dict]] = {s: [] for s in systems}
            failed: dict[str, dict] = {}  # system -> why it stopped on this set

            for s in systems:  # warm-up, not timed
                _ask_or_record(name, workers[s], outputs[s], failed, kind=kind, path=paths[0], lang=lang)
                if s not in failed and s not in report["engines"]:
                    reply = _ask_or_record(name, workers[s], outputs[s], failed, kind="engines")
                    if reply is not None and reply.get("engines"):
                        report["engines"][s] = reply["engines"]
            t0 = time.time()
            for i, path in enumerate(paths):
                order = systems[i % len(systems) :] + systems[: i % len(systems)]  # rotate who goes first
                for s in order:
                    if s in failed:
                        continue
                    out = _ask_or_record(
                        name, workers[s], outputs[s], failed, kind=kind, path=path, lang=lang
                    )
                    if out is not None:
                        outputs[s].append(out)
                if (i + 1) % 50 == 0:
                    print(f"{name}: {i + 1}/{len(paths)} ({time.time() - t0:.0f}s)", file=sys.stderr)
            done = [s for s in systems if s not in failed]
            if kind == "rec":
                from lumenocr.metrics import evaluate_recognition

                res = {}
                for s in done:
                    m = evaluate_recognition(
                        [x.text for x in samples], [r["text"] for r in outputs[s]], normalize="icdar"
                    )
                    secs = [r["seconds"] for r in outputs[s]]
                    res[s] = {
                        "rec_accuracy": m.accuracy,
                        "rec_ned": m.mean_ned,
                        "median_ms": 1000 * statistics.median(secs),
                        "images_per_s": len(secs) / sum(secs),
                    }
            else:
                res = evaluate_det_set(name, samples, {s: outputs[s] for s in done})
            for s in done:  # this set's peak
                reply = _ask_or_record(name, workers[s], outputs[s], failed, kind="rss")
                if reply is not None:
                    res[s]["peak_rss_mb"] = reply["rss_mb"]
            for s in failed:  # after the others: a system that died has no figures on this set
                res[s] = failed[s]
            for s in systems:
                if res[s].get("peak_rss_mb") is not None:
                    report["rss_mb"][s] = max(report["rss_mb"].get(s, 0.0), res[s]["peak_rss_mb"])
            report["sets"][name] = {"images": len(paths), "results": res}
            print(json.dumps({name: res}, indent=1), file=sys.stderr)
            if on_set_done is not None:  # write partial results: a long run stays useful if cut short
                on_set_done(report)
    finally:
        for w in workers.values():
            w.close()
    return report


def machine() -> str:
    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def versions() -> str:
    from importlib import metadata

    out = []
    for d in ("lumenocr", "rapidocr", "onnxruntime"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out.append(f"{d} {metadata.version(d)}")
    try:
        tv = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        out.append(tv)
    except OSError:
        pass
    return ", ".join(out)


def fmt(v, pct=False):
    if v is None:
        return "-"
    return f"{100 * v:.1f}" if pct else f"{v:.3f}" if isinstance(v, float) and v < 10 else f"{v:.0f}"


def write_markdown(report: dict, args, path: Path) -> None:
    lines = [
        "# OCR benchmark",
        "",
        f"Command: `python benchmarks/bench_ocr.py {' '.join(sys.argv[1:])}`  ",
        f"Machine: {machine()}  ",
        f"Versions: {versions()}  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; threads per system: {args.threads}; "
        f"lumenocr model: {args.model}",
        "",
        "Det/E2E hmean: word boxes vs word-level ground truth, IoU >= 0.5, `###` ignored; E2E text match is "
        "case-insensitive alphanumeric. Page CER/WER: page text in reading order (the same ordering code for "
        "every system) vs ground truth. Rec accuracy: case-insensitive alphanumeric, official word crops. "
        "Latency: median wall time per image of one call on the image path (decoding included), systems "
        "interleaved image by image. Peak RSS: the worker process (for Tesseract, its largest child).",
        "",
        "| data set | system | det hmean | e2e hmean | page CER % | CER no spaces % | page WER % | rec acc % | median ms | img/s | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, block in report["sets"].items():
        for system, r in block["results"].items():
            if "failed" in r:
                lines.append(
                    f"| {name} ({block['images']}) | {system} | failed after {r['images_done']} images: "
                    f"{r['failed']} |  |  |  |  |  |  |  | {fmt(r.get('peak_rss_mb'))} |"
                )
                continue
            lines.append(
                f"| {name} ({block['images']}) | {system} | {fmt(r.get('det_hmean'))} | {fmt(r.get('e2e_hmean'))} | "
                f"{fmt(r.get('page_cer'), True)} | {fmt(r.get('page_cer_nospace'), True)} | {fmt(r.get('page_wer'), True)} | {fmt(r.get('rec_accuracy'), True)} | "
                f"{r['median_ms']:.0f} | {r['images_per_s']:.2f} | {fmt(r.get('peak_rss_mb'))} |"
            )
    lines += ["", "| system | engine, precision (as resolved) | peak RSS MB (all sets) |", "|---|---|---|"]
    lines += [
        f"| {s} | {report.get('engines', {}).get(s, '-')} | {v:.0f} |" for s, v in report["rss_mb"].items()
    ]
    # Every lumenocr configuration against every RapidOCR one, from the same interleaved run.
    ours = [s for s in report["rss_mb"] if s.startswith("lumenocr")]
    peers = [s for s in report["rss_mb"] if s.startswith("rapidocr")]
    if ours and peers:
        pairs = [(a, b) for b in peers for a in ours]
        lines += [
            "",
            "| data set | " + " | ".join(f"{a} / {b}" for a, b in pairs) + " |",
            "|---|" + "---|" * len(pairs),
        ]
        for name, block in report["sets"].items():
            r = block["results"]
            cells = [
                f"{r[a]['median_ms'] / r[b]['median_ms']:.2f}"
                if "median_ms" in r.get(a, {}) and "median_ms" in r.get(b, {})
                else "-"
                for a, b in pairs
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
        lines.append("Median latency ratios (lower: lumenocr faster).")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--systems", default="lumenocr,rapidocr,tesseract")
    ap.add_argument("--datasets", default="icdar2015_test,funsd_train,xfund_zh_train_30,icdar2015_rec_test")
    ap.add_argument("--limit", type=int, default=0, help="images per detection set (0: all)")
    ap.add_argument(
        "--set-limits", default="", help="per-set image limits, e.g. icdar2015_test=100,funsd_train=30"
    )
    ap.add_argument("--rec-limit", type=int, default=0, help="crops of the recognition set (0: all)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", default="ppocrv6-small", help="lumenocr zoo model")
    ap.add_argument(
        "--int8-dir", default="", help="folder of `lumenocr quantize` output (lumenocr-int8 systems)"
    )
    ap.add_argument("--out", default=str(RESULTS / "ocr_benchmark"))
    args = ap.parse_args()
    if args.worker:
        worker_main(args.worker, args.threads, args.model, args.int8_dir)
        return
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    def save(report: dict) -> None:
        report["args"] = vars(args)
        out.with_suffix(".json").write_text(json.dumps(report, indent=1), encoding="utf-8")
        write_markdown(report, args, out.with_suffix(".md"))

    save(run(args, on_set_done=save))
    print(out.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
