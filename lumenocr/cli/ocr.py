"""``lumenocr ocr``: read the text in images, folders, globs, URLs and PDFs.

Writes one JSON object per image or PDF page (JSONL, the default), a JSON array, or plain text
in reading order; optionally a picture of each result (``--vis DIR``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lumenocr.errors import ConfigError, InputError, InputNotFoundError, LumenOCRError

EPILOG = """\
output (JSONL, one object per image or PDF page; "page" is 0-based, null for single images):
  {"image": "<input as given>", "page": null, "seconds": 0.31,
   "boxes": [{"points": [[x, y], ...], "text": "...", "score": 0.98}, ...]}
  --words: "boxes" are word boxes; --nested-words: line boxes each with a "words" list
  --det-only: "text" is "" and "score" is the detection score
  --rec-only: each input is one text crop: {"image", "text", "score", "seconds"}
  "seconds" is the wall time of reading and OCR-ing that image in this process.

exit codes:
  0  every input was read
  1  some inputs (or PDF pages) failed or matched nothing; all the others were written
  2  nothing to do (no input matched anything), or a usage, model or configuration error

examples:
  lumenocr ocr page.png
  lumenocr ocr scans/ --output results.jsonl --vis pictures/
  lumenocr ocr report.pdf --format txt --pdf-dpi 300
  lumenocr ocr crops/*.png --rec-only --output rec.jsonl
"""

# CLI option -> detection knob (TextDetector.with_options / OCR(**knobs)).
DET_OPTIONS = (
    "limit_side_len",
    "limit_type",
    "thresh",
    "box_thresh",
    "unclip_ratio",
    "max_candidates",
    "score_mode",
    "use_dilation",
    "box_type",
)


REC_BATCH = 4  # text lines per recognizer batch unless --rec-batch says otherwise


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "ocr",
        help="read text in images, folders, globs, URLs and PDFs",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="image or PDF files, folders (searched recursively), glob patterns, http(s) URLs",
    )

    out = p.add_argument_group("output")
    out.add_argument("-o", "--output", metavar="FILE", help="write results here (default: standard output)")
    out.add_argument(
        "--format",
        choices=("jsonl", "json", "txt"),
        help="default: from --output's extension (.jsonl/.json/.txt), else jsonl",
    )
    words = out.add_mutually_exclusive_group()
    words.add_argument(
        "--words",
        action="store_true",
        help='"boxes" are word boxes (ICDAR/FUNSD granularity) instead of line boxes',
    )
    words.add_argument("--nested-words", action="store_true", help="line boxes, each with its word boxes")
    out.add_argument("--vis", metavar="DIR", help="draw each result (boxes beside their text) into DIR")
    out.add_argument("--font", metavar="FILE", help="font for --vis (default: a CJK-capable system font)")
    out.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary line")

    stages = p.add_argument_group("pipeline")
    only = stages.add_mutually_exclusive_group()
    only.add_argument("--det-only", action="store_true", help="detect text boxes, do not read them")
    only.add_argument(
        "--rec-only",
        action="store_true",
        help="each input is one cropped text line: recognise it whole (no detection, no direction)",
    )
    stages.add_argument("--no-cls", action="store_true", help="skip the 0/180 degree direction classifier")
    stages.add_argument(
        "--text-score",
        type=float,
        metavar="S",
        help="drop lines whose recognition score is below S (default 0.5)",
    )

    models = p.add_argument_group("models")
    models.add_argument(
        "--model", metavar="NAME", help="zoo model (see `lumenocr models`; default ppocrv6-small)"
    )
    models.add_argument("--det-model", metavar="PATH_OR_NAME", help="detection model: ONNX file or zoo name")
    models.add_argument(
        "--rec-model", metavar="PATH_OR_NAME", help="recognition model: ONNX file or zoo name"
    )
    models.add_argument("--cls-model", metavar="PATH_OR_NAME", help="direction model: ONNX file or zoo name")
    models.add_argument(
        "--dict", metavar="FILE", help="character dictionary for a recognizer that carries none"
    )

    det = p.add_argument_group("detection (defaults come from the model)")
    det.add_argument(
        "--limit-side-len", type=int, metavar="PX", help="resize so the limited side is PX (960)"
    )
    det.add_argument(
        "--limit-type",
        choices=("max", "min"),
        help="max: shrink the longer side to PX; min: enlarge the shorter side to PX",
    )
    det.add_argument("--thresh", type=float, metavar="P", help="pixel threshold on the probability map (0.3)")
    det.add_argument(
        "--box-thresh", type=float, metavar="P", help="minimum mean probability inside a box (0.6)"
    )
    det.add_argument(
        "--unclip-ratio", type=float, metavar="R", help="how far boxes are grown from the text kernel (1.5)"
    )
    det.add_argument("--max-candidates", type=int, metavar="N", help="most boxes considered per image (1000)")
    det.add_argument(
        "--score-mode", choices=("fast", "slow"), help="box score over its rectangle or its contour"
    )
    det.add_argument(
        "--use-dilation",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="dilate the text map (joins broken strokes)",
    )
    det.add_argument(
        "--box-type", choices=("quad", "poly"), help="quadrilaterals, or polygons for curved text"
    )

    rec = p.add_argument_group("recognition")
    rec.add_argument("--beam", type=int, metavar="N", help="CTC beam search width (0: greedy)")
    rec.add_argument("--rec-batch", type=int, metavar="N", help="text lines per recognizer batch (4)")
    rec.add_argument(
        "--cls-thresh", type=float, metavar="P", help="flip a line when P(180) exceeds this (0.9)"
    )

    perf = p.add_argument_group("input and performance")
    perf.add_argument(
        "--pdf-dpi", type=int, default=200, metavar="DPI", help="PDF rendering resolution (200)"
    )
    perf.add_argument(
        "--threads", type=int, metavar="N", help="ONNX Runtime threads per process (default: all cores)"
    )
    perf.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="OCR N files at once in N processes (each uses --threads threads, default 1)",
    )
    perf.add_argument(
        "--providers",
        default="cpu",
        metavar="LIST",
        help="ONNX Runtime execution providers in order of preference, e.g. cuda,cpu",
    )
    p.set_defaults(func=run)


# --- arguments -> pipeline ------------------------------------------------------------------------
def mode_of(args) -> str:
    """``full``, ``det`` (boxes only) or ``rec`` (each input is one text line)."""
    return "det" if args.det_only else "rec" if args.rec_only else "full"


def box_mode_of(args) -> str:
    return "words" if args.words else "nested" if args.nested_words else "lines"


def ocr_kwargs(args, threads: int | None = None) -> dict:
    """Keyword arguments of :class:`lumenocr.OCR` for these command-line options."""
    mode = mode_of(args)
    kw: dict = {
        "det_model": args.det_model,
        "rec_model": args.rec_model,
        "cls_model": args.cls_model,
        "dictionary": args.dict,
        "use_det": mode != "rec",
        "use_rec": mode != "det",
        "use_cls": mode == "full" and not args.no_cls,
        "words": box_mode_of(args) != "lines",
        "threads": threads if threads is not None else args.threads,
        "providers": tuple(s.strip() for s in args.providers.split(",") if s.strip()),
        "rec_batch_size": args.rec_batch or REC_BATCH,
        "beam_width": args.beam or 0,
        "cls_thresh": args.cls_thresh,
    }
    if args.model:
        kw["model"] = args.model
    if args.text_score is not None:
        kw["text_score"] = args.text_score
    if mode != "rec":
        kw.update({k: getattr(args, k) for k in DET_OPTIONS if getattr(args, k) is not None})
    return kw


# Options that would be silently ignored in a mode: refused instead.
_UNUSED_IN_MODE = {
    "rec": (
        "det_model",
        "cls_model",
        "no_cls",
        "text_score",
        "words",
        "nested_words",
        "cls_thresh",
        *DET_OPTIONS,
    ),
    "det": (
        "rec_model",
        "cls_model",
        "dict",
        "no_cls",
        "text_score",
        "words",
        "nested_words",
        "cls_thresh",
        "beam",
        "rec_batch",
    ),
}


def _check_args(args) -> None:
    mode = mode_of(args)
    unused = [n for n in _UNUSED_IN_MODE.get(mode, ()) if getattr(args, n) not in (None, False)]
    if unused:
        flags = ", ".join("--" + n.replace("_", "-") for n in unused)
        verb = "has" if len(unused) == 1 else "have"
        raise ConfigError(
            f"{flags} {verb} no effect with --{mode}-only; drop {'it' if len(unused) == 1 else 'them'}"
        )
    for name, least in (("workers", 1), ("rec_batch", 1), ("threads", 1), ("beam", 0)):
        value = getattr(args, name)
        if value is not None and value < least:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least {least}, got {value}")


# --- processing -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    """What to do with every input (picklable: it travels to worker processes)."""

    mode: str  # full | det | rec
    boxes: str  # lines | words | nested
    load: object  # LoadOptions
    vis_dir: str | None = None
    font: str | None = None
    rec_chunk: int = 8


@dataclass
class Outcome:
    """The result of one image or page: a record to write, an error to report, or both
    (a record whose picture could not be saved)."""

    image: str
    page: int | None
    record: dict | None = None
    text: str = ""
    error: str | None = None


def process(ocr, job: Job, items: list[tuple[str, str]]) -> Iterator[Outcome]:
    """OCR each ``(path, picture_stem)`` in order, one :class:`Outcome` per page or failure.

    Input errors become outcomes; model and configuration errors propagate (they would fail
    every input alike). In ``rec`` mode pages are recognised ``job.rec_chunk`` at a time.
    """
    from lumenocr.io.image import LoadFailure
    from lumenocr.io.sources import load_all

    stems = dict(items)
    pending: list = []
    pages = load_all([path for path, _ in items], job.load)
    while True:
        t0 = time.perf_counter()
        item = next(pages, None)
        if item is None:
            break
        load_s = time.perf_counter() - t0
        if isinstance(item, LoadFailure):
            yield from _recognise(ocr, job, pending, stems)
            pending = []
            yield Outcome(item.source, item.page, error=_message(item.error, item.source))
        elif job.mode == "rec":
            pending.append((item, load_s))
            if len(pending) >= job.rec_chunk:
                yield from _recognise(ocr, job, pending, stems)
                pending = []
        else:
            yield _ocr_page(ocr, job, item, load_s, stems.get(item.source))
    yield from _recognise(ocr, job, pending, stems)


def _message(error: Exception, source: str) -> str:
    """The error text without a repeated ``<source>:`` prefix (the reporter adds it)."""
    msg = str(error)
    return msg[len(source) + 2 :] if msg.startswith(f"{source}: ") else msg


def _ocr_page(ocr, job: Job, page, load_s: float, stem: str | None) -> Outcome:
    from lumenocr.io.writers import ocr_record

    t0 = time.perf_counter()
    try:
        result = ocr.ocr_image(page.image, source=page.source, page=page.page)
    except Exception as e:  # noqa: BLE001 - a bug on one odd image must not stop a batch of thousands
        if _is_config_error(e):
            raise
        return Outcome(page.source, page.page, error=_failure(e, page.source))
    result.seconds = load_s + time.perf_counter() - t0
    outcome = Outcome(
        page.source, page.page, ocr_record(result, job.boxes, det_only=job.mode == "det"), result.text
    )
    if job.vis_dir and stem is not None:
        outcome.error = _save_picture(job, page, result, stem)
    return outcome


def _failure(e: Exception, source: str) -> str:
    """What to report for an input that failed during OCR."""
    if isinstance(e, InputError):
        return _message(e, source)
    return f"internal error ({type(e).__name__}: {e}); please report it"


def _is_config_error(e: Exception) -> bool:
    return isinstance(e, LumenOCRError) and not isinstance(e, InputError)


def _recognise(ocr, job: Job, chunk: list, stems: dict) -> Iterator[Outcome]:
    """Recognise whole images as text lines, a chunk per batch (one at a time if a batch fails)."""
    from lumenocr.io.writers import rec_record

    if not chunk:
        return
    t0 = time.perf_counter()
    try:
        recs = ocr.recognize_crops([page.image for page, _ in chunk])
        share = (time.perf_counter() - t0) / len(chunk)  # each crop's part of its batch's time
    except Exception as e:  # noqa: BLE001
        if _is_config_error(e):
            raise
        if len(chunk) > 1:
            for one in chunk:  # find the bad one; the others still get read
                yield from _recognise(ocr, job, [one], stems)
            return
        page = chunk[0][0]
        yield Outcome(page.source, page.page, error=_failure(e, page.source))
        return
    for (page, load_s), rec in zip(chunk, recs):
        out = Outcome(
            page.source, page.page, rec_record(page.source, rec, load_s + share, page.page), rec.text
        )
        stem = stems.get(page.source)
        if job.vis_dir and stem is not None:
            from lumenocr.results import OCRResult, TextLine

            h, w = page.image.shape[:2]
            box = [[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]]
            result = OCRResult(
                [TextLine(box, rec.text, rec.score)], (h, w), source=page.source, page=page.page
            )
            out.error = _save_picture(job, page, result, stem)
        yield out


def _save_picture(job: Job, page, result, stem: str) -> str | None:
    from lumenocr.vis import draw_result, save_picture

    name = stem if page.page is None else f"{stem}_p{page.page}"
    ext = ".jpg" if Path(page.source).suffix.lower() in (".jpg", ".jpeg") else ".png"
    try:
        picture = draw_result(page.image, result, job.font, words=job.boxes == "words")
        save_picture(Path(job.vis_dir) / (name + ext), picture)
    except OSError as e:
        return f"result written, but its picture could not be saved: {e.strerror or e}"
    return None


def picture_stems(files: list[str]) -> list[str]:
    """A distinct file stem per input for ``--vis`` (``a/x.png`` and ``b/x.png`` -> ``x``, ``x-2``)."""
    used: set[str] = set()
    out = []
    for f in files:
        base = Path(f.split("?")[0].rstrip("/")).stem or "image"
        stem, n = base, 1
        while stem.lower() in used:
            n += 1
            stem = f"{base}-{n}"
        used.add(stem.lower())
        out.append(stem)
    return out


# --- worker processes ------------------------------------------------------------------------------
_WORKER_OCR = None


def _worker_init(kwargs: dict) -> None:
    global _WORKER_OCR
    from lumenocr.pipeline.system import OCR

    _WORKER_OCR = OCR(**kwargs)


def _worker_run(job_and_item: tuple[Job, tuple[str, str]]) -> list[Outcome]:
    job, item = job_and_item
    return list(process(_WORKER_OCR, job, [item]))


def _parallel(kwargs: dict, job: Job, items: list[tuple[str, str]], workers: int) -> Iterator[list[Outcome]]:
    """Outcomes per input, in input order, from ``workers`` processes each with its own OCR."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: a forked child would inherit ONNX Runtime's thread pools in an undefined state.
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init, initargs=(kwargs,)) as pool:
        yield from pool.map(_worker_run, [(job, it) for it in items])


# --- the command ----------------------------------------------------------------------------------
class _Reporter:
    """Error lines on stderr that do not break the progress bar."""

    def __init__(self):
        self.bar = None

    def __call__(self, message: str) -> None:
        line = f"lumenocr ocr: {message}"
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)


def _count_pages(files: list[str]) -> int:
    """Pages to process, for the progress bar (PDF page counts are cheap; TIFFs count as 1)."""
    from lumenocr.io.pdf import pdf_page_count

    total = 0
    for f in files:
        n = 1
        if f.lower().endswith(".pdf") and os.path.isfile(f):
            try:
                n = pdf_page_count(f, f)
            except InputError:
                n = 1
        total += n
    return total


def run(args) -> int:
    from concurrent.futures.process import BrokenProcessPool

    from tqdm import tqdm

    from lumenocr.io.image import LoadOptions
    from lumenocr.io.sources import expand_inputs
    from lumenocr.io.writers import open_writer

    _check_args(args)
    started = time.perf_counter()
    report = _Reporter()
    expanded = expand_inputs(args.inputs)
    for problem in expanded.problems():
        report(problem)
    if expanded.skipped and not args.quiet:
        report(
            f"skipped {len(expanded.skipped)} file(s) that are not images or PDFs, e.g. {expanded.skipped[0]}"
        )
    files = expanded.files
    if not files:
        raise InputNotFoundError("nothing to read: no input matched an image or PDF")
    n_inputs = len(files) + len(expanded.missing)

    job = Job(
        mode_of(args),
        box_mode_of(args),
        LoadOptions(pdf_dpi=args.pdf_dpi),
        args.vis,
        args.font,
        (args.rec_batch or REC_BATCH) if args.workers == 1 else 1,
    )
    if args.font:
        from lumenocr.vis.fonts import get_font

        get_font(12, args.font)  # a bad --font is a usage error, found before any work
    workers = min(args.workers, len(files))
    threads = args.threads if workers == 1 else (args.threads or 1)
    kwargs = ocr_kwargs(args, threads)

    from lumenocr.pipeline.system import OCR

    ocr = OCR(**kwargs)  # model and option errors surface here, before any output is created
    if args.vis:
        Path(args.vis).mkdir(parents=True, exist_ok=True)
    items = list(zip(files, picture_stems(files)))
    show_bar = (
        not args.quiet
        and sys.stderr.isatty()
        and (len(files) > 1 or files[0].lower().endswith((".pdf", ".tif", ".tiff")))
    )

    failed: set[str] = {*expanded.missing}
    with open_writer(args.output, args.format, headers=len(files) > 1) as writer:
        bar = tqdm(
            total=_count_pages(files) if show_bar else 0,
            disable=not show_bar,
            unit="page",
            file=sys.stderr,
            dynamic_ncols=True,
        )
        report.bar = bar if show_bar else None
        try:
            if workers > 1:
                ocr = None  # it only checked the options; each worker builds its own
                batches: Iterable[list[Outcome]] = _parallel(kwargs, job, items, workers)
            else:
                batches = ([o] for o in process(ocr, job, items))
            written = _emit(batches, writer, report, bar, failed)
        except BrokenPipeError:  # e.g. `lumenocr ocr scans/ | head`: the reader has gone, stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        except BrokenProcessPool as e:
            raise LumenOCRError(f"a worker process died ({e}); results so far were written") from None
        finally:
            bar.close()
            report.bar = None
    if failed:
        report(f"{len(failed)} of {n_inputs} inputs failed")
    elif not args.quiet and args.output not in (None, "-"):
        report(f"{written} result(s) written to {args.output} in {time.perf_counter() - started:.1f} s")
    return 1 if failed else 0


def _emit(batches: Iterable[list[Outcome]], writer, report: _Reporter, bar, failed: set[str]) -> int:
    """Write records and report errors as outcomes arrive; returns the number of records written."""
    written = 0
    for batch in batches:
        for outcome in batch:
            if outcome.record is not None:
                writer.write(outcome.record, outcome.text)
                written += 1
            if outcome.error is not None:
                page = "" if outcome.page is None else f" (page {outcome.page})"
                report(f"{outcome.image}{page}: {outcome.error}")
                failed.add(outcome.image)
            if bar.total is not None and bar.n >= bar.total:
                bar.total = bar.n + 1  # a multi-page TIFF holds more pages than counted
            bar.update(1)
    return written
