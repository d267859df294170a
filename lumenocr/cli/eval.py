"""lumenocr eval det|rec|e2e: score predictions (or a model) against ground-truth labels.

Ground truth (--gt): a PaddleOCR label file, a dataset folder holding label.txt, or ICDAR
gt_img_N.txt files (one file or their folder). Predictions: a lumenocr JSONL file (--pred),
or --model NAME to run a zoo model over the dataset's images.

examples:
  lumenocr eval det --gt data/icdar2015_test --pred out.jsonl --words
  lumenocr eval e2e --gt data/icdar2015_test --model ppocrv6-small --words --normalize icdar
  lumenocr eval rec --gt data/icdar2015_rec_test/label.txt --model ppocrv6-small --json rec.json
  lumenocr eval e2e --gt data/funsd_train --pred out.jsonl --page-text
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from lumenocr.errors import InputError

if TYPE_CHECKING:
    from lumenocr.metrics.det import DetMetrics
    from lumenocr.metrics.e2e import E2EMetrics

TASKS = ("det", "rec", "e2e")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="evaluate detection, recognition or end-to-end results against ground truth",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "task", choices=TASKS, help="det: boxes only; rec: text crops; e2e: boxes and their text"
    )
    parser.add_argument(
        "--gt", required=True, help="label file, dataset folder with label.txt, or ICDAR gt folder/file"
    )
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--pred", help="predictions JSONL written by `lumenocr ocr --format jsonl`")
    src.add_argument(
        "--model", help="run this zoo model over the ground-truth images instead of reading --pred"
    )
    for part in ("det", "rec", "cls"):
        parser.add_argument(
            f"--{part}-model",
            metavar="ONNX",
            help=f"run this {part} ONNX file (e.g. from `lumenocr export`) instead of the zoo model's",
        )
    parser.add_argument("--images", help="image folder (needed with --model when --gt is ICDAR txt files)")
    parser.add_argument(
        "--words", action="store_true", help="score the word boxes of each line, not the lines"
    )
    parser.add_argument(
        "--iou", type=float, default=0.5, help="IoU needed to match boxes (default %(default)s)"
    )
    parser.add_argument(
        "--normalize",
        default="exact",
        choices=("exact", "nfkc", "icdar", "icdar2015"),
        help="text comparison: exact (default), nfkc, icdar (case-insensitive alphanumerics), "
        "icdar2015 (official end-to-end rule)",
    )
    parser.add_argument(
        "--page-text", action="store_true", help="e2e: also report page-text CER/WER in reading order"
    )
    parser.add_argument(
        "--official-order",
        action="store_true",
        help="discard predictions inside don't-care regions before matching, as the ICDAR 2015 script does",
    )
    parser.add_argument(
        "--json", metavar="PATH", help="write all figures (with per-image breakdown) as JSON; - for stdout"
    )
    parser.add_argument(
        "--save-pred", metavar="PATH", help="with --model: also write the predictions as JSONL"
    )
    parser.add_argument("--limit", type=int, help="evaluate only the first N ground-truth items")
    parser.add_argument(
        "--only-predicted",
        action="store_true",
        help="with --pred: score only the ground-truth images that have a prediction (default: missing = empty)",
    )
    parser.add_argument(
        "--confusions", type=int, default=10, help="rec: character confusions to list (default 10)"
    )
    parser.add_argument(
        "--worst", type=int, default=0, metavar="N", help="det/e2e: list the N images with the lowest hmean"
    )
    parser.add_argument("--threads", type=int, help="with --model: ONNX Runtime threads")
    from lumenocr.pipeline.profiles import DEFAULT_PROFILE, PROFILES
    from lumenocr.runtime.onnx import PRECISIONS, RuntimeOptions

    parser.add_argument(
        "--precision",
        default=None,
        choices=PRECISIONS,
        help=f"with --model: inference precision, as for `lumenocr ocr` (default: {RuntimeOptions.precision}, "
        "or the profile's)",
    )
    parser.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        choices=tuple(PROFILES),
        help="with --model: settings profile, as for `lumenocr ocr` (default: %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


# --- ground truth -------------------------------------------------------------------------------


def _load_gt(args):
    """``(samples, root, kind)``; ``root`` is the folder label image paths are relative to."""
    from lumenocr.io.labels import detect_label_kind, read_det_labels, read_icdar_gt, read_rec_labels

    gt = Path(args.gt)
    if not gt.exists():
        raise InputError(f"ground truth not found: {gt}")
    kind = detect_label_kind(gt)
    label_file = gt / "label.txt" if gt.is_dir() and kind != "icdar" else gt
    if args.task == "rec":
        if kind != "rec":
            raise InputError(
                f"{gt} holds {kind} labels; `eval rec` needs a recognition label file (path<TAB>text)"
            )
        samples = read_rec_labels(label_file)
    elif kind == "rec":
        raise InputError(f"{gt} is a recognition label file; `eval {args.task}` needs detection labels")
    elif kind == "icdar":
        samples = read_icdar_gt(gt)
    else:
        samples = read_det_labels(label_file)
    if args.limit is not None:
        if args.limit < 1:
            raise InputError(f"--limit must be at least 1, got {args.limit}")
        samples = samples[: args.limit]
    if not samples:
        raise InputError(f"{gt}: no ground-truth items")
    root = gt if gt.is_dir() else gt.parent
    return samples, root, kind


def _image_path(args, sample, root: Path, kind: str) -> Path:
    from lumenocr.errors import InputNotFoundError
    from lumenocr.io.image import SUPPORTED_EXTENSIONS
    from lumenocr.io.labels import resolve_image

    if kind != "icdar":
        return resolve_image(root, sample.image_path)
    if not args.images:
        raise InputError("ICDAR txt ground truth does not name its images: pass --images FOLDER with --model")
    folder = Path(args.images)
    for p in sorted(folder.glob(sample.image_path + ".*")):
        if p.suffix.lower() in SUPPORTED_EXTENSIONS:
            return p
    raise InputNotFoundError(f"no image named {sample.image_path}.* in {folder}")


# --- predictions --------------------------------------------------------------------------------


def _warn(msg: str) -> None:
    print(f"lumenocr eval: warning: {msg}", file=sys.stderr)


def _align(args, samples, root: Path, preds, what: str) -> tuple[list, list]:
    """``(samples, preds)`` paired by image; with --only-predicted, images without a prediction are dropped."""
    from lumenocr.metrics.predictions import align_predictions

    al = align_predictions([s.image_path for s in samples], root, preds)
    if len(al.missing) == len(samples):
        example = preds[0].image if preds else "(file is empty)"
        raise InputError(
            f"no prediction matches any ground-truth image (e.g. prediction {example!r} vs label "
            f"{samples[0].image_path!r}); are --gt and --pred for the same dataset?"
        )
    if al.missing and args.only_predicted:
        _warn(
            f"--only-predicted: scoring {len(samples) - len(al.missing)} of {len(samples)} ground-truth images"
        )
        keep = [i for i, p in enumerate(al.preds) if p is not None]
        return [samples[i] for i in keep], [al.preds[i] for i in keep]
    if al.missing:
        shown = ", ".join(al.missing[:5]) + (" ..." if len(al.missing) > 5 else "")
        _warn(
            f"{len(al.missing)} ground-truth image(s) have no prediction and count as {what} "
            f"(--only-predicted scores just the others): {shown}"
        )
    if al.unmatched:
        shown = ", ".join(al.unmatched[:5]) + (" ..." if len(al.unmatched) > 5 else "")
        _warn(f"{len(al.unmatched)} prediction(s) name no ground-truth image and are not scored: {shown}")
    return samples, al.preds


def _progress(items, args, desc: str):
    from tqdm import tqdm

    # A bar only on a terminal: redirected to a log it is thousands of carriage-return updates.
    return tqdm(items, desc=desc, unit="img", disable=args.quiet or not sys.stderr.isatty(), file=sys.stderr)


def _build_ocr(args, task: str):
    from lumenocr import OCR

    kw: dict = {"threads": args.threads} if args.threads else {}
    kw["precision"] = args.precision
    kw["profile"] = args.profile
    for part in ("det", "rec", "cls"):
        if getattr(args, f"{part}_model", None):
            kw[f"{part}_model"] = getattr(args, f"{part}_model")
    if task == "rec":
        return OCR(model=args.model, use_det=False, use_cls=False, **kw)
    if task == "det" and not args.words:
        return OCR(model=args.model, use_cls=False, use_rec=False, **kw)
    return OCR(model=args.model, words=args.words, **kw)


def _load_image(path: Path):
    from lumenocr.io.sources import load_image

    return load_image(path)


def _run_model_boxes(args, samples, root: Path, kind: str) -> list:
    """Run the model over the images; returns PredSample per sample (and writes --save-pred)."""
    paths = [_image_path(args, s, root, kind) for s in samples]  # fail before loading the model
    ocr = _build_ocr(args, args.task)
    preds = []
    with _saver(args.save_pred) as save:
        for sample, path in _progress(
            list(zip(samples, paths, strict=True)), args, f"{args.model} {args.task}"
        ):
            result = _ocr_one(ocr, _load_image(path))
            result.source = sample.image_path
            record = result.to_dict(boxes="nested" if args.words else "lines")
            save(record)
            preds.append(_to_pred(sample.image_path, result, record, args.words))
    return preds


def _ocr_one(ocr, image):
    from lumenocr.results import OCRResult, TextLine

    if ocr.recognizer is not None:
        return ocr.ocr_image(image)
    det = ocr.detector(image)  # detection only: no crops, no recognition
    return OCRResult(
        [TextLine(p.tolist(), "", 0.0, s) for p, s in zip(det.polygons, det.scores, strict=True)]
    )


def _to_pred(name: str, result, record: dict, words: bool):
    """The PredSample of an OCRResult, exactly as read_predictions() would read its JSONL record."""
    from lumenocr.metrics.predictions import PredSample

    pred = PredSample(name, seconds=result.seconds)
    for b in result.word_boxes() if words else record["boxes"]:
        pred.polygons.append(b["points"])
        pred.texts.append(b["text"])
        pred.scores.append(b["score"])
    pred.line_fallbacks = sum(1 for ln in result.lines if words and not ln.words)
    return pred


def _run_model_rec(args, samples, root: Path) -> list[str]:
    paths = [_image_path(args, s, root, "rec") for s in samples]  # fail before loading the model
    ocr = _build_ocr(args, "rec")
    texts = []
    from lumenocr.metrics.rec import EVAL_CHUNK

    batch = EVAL_CHUNK
    with _saver(args.save_pred) as save:
        for start in _progress(range(0, len(samples), batch), args, f"{args.model} rec (x{batch})"):
            chunk = samples[start : start + batch]
            crops = [_load_image(p) for p in paths[start : start + batch]]
            for s, r in zip(chunk, ocr.recognize_crops(crops), strict=True):
                texts.append(r.text)
                save({"image": s.image_path, "text": r.text, "score": round(float(r.score), 5)})
    return texts


@contextmanager
def _saver(path: str | None):
    """A function writing prediction records as JSONL while the model runs (an interrupted run keeps its work)."""
    if not path:
        yield lambda record: None
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with Path(path).open("w", encoding="utf-8") as f:

        def write(record: dict) -> None:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()

        yield write


# --- output -------------------------------------------------------------------------------------


def _table(title: str, rows: list[tuple[str, object]]) -> str:
    width = max(len(k) for k, _ in rows)
    lines = [title]
    for k, v in rows:
        lines.append(f"  {k:<{width}}  {v:.4f}" if isinstance(v, float) else f"  {k:<{width}}  {v}")
    return "\n".join(lines)


def _worst(per_image, n: int) -> str:
    """The ``n`` images with the lowest hmean (most missed boxes first among ties)."""

    def hits(r) -> int:  # end-to-end rows count boxes read right, detection rows boxes found
        return getattr(r, "correct", r.matched)

    ranked = sorted(per_image, key=lambda r: (r.hmean, hits(r) - r.gt, r.image))[:n]
    width = max(len(r.image) for r in ranked)
    what = "correct" if ranked and hasattr(ranked[0], "correct") else "matched"
    lines = [f"  worst {len(ranked)} image(s):"]
    for r in ranked:
        lines.append(
            f"    {r.image:<{width}}  hmean {r.hmean:.3f}  gt {r.gt}  pred {r.pred}  {what} {hits(r)}"
        )
    return "\n".join(lines)


#: How each --normalize mode compares text, for the headline (published figures differ by rule).
TEXT_RULES = {
    "exact": "exact, case-sensitive (the ICDAR 2015 protocol ignores case: --normalize icdar)",
    "nfkc": "NFKC-normalised, case-sensitive (the ICDAR 2015 protocol ignores case: --normalize icdar)",
    "icdar": "case-insensitive alphanumerics (ICDAR style)",
    "icdar2015": "the official ICDAR 2015 end-to-end rule",
}


def _header(args, n: int) -> str:
    files = [
        f"{p}={getattr(args, p + '_model')}"
        for p in ("det", "rec", "cls")
        if getattr(args, p + "_model", None)
    ]
    what = args.pred or " ".join([args.model, *files])
    head = f"lumenocr eval {args.task}: {args.gt} vs {what} ({n} items)"
    if args.task in ("e2e", "rec"):
        head += f"\n  text match: {TEXT_RULES.get(args.normalize, args.normalize)}"
    return head


def _char(c: str) -> str:
    return repr(c) if c else "-"


def _write_json(args, payload: dict) -> None:
    if not args.json:
        return
    text = json.dumps(payload, ensure_ascii=False, indent=1)
    if args.json == "-":
        print(text)
    else:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(text + "\n", encoding="utf-8")


def _check_args(args) -> None:
    files = [getattr(args, f"{p}_model", None) for p in ("det", "rec", "cls")]
    if any(files):
        if args.pred:
            raise InputError("--det-model/--rec-model/--cls-model run a model; they do not go with --pred")
        if not args.model:
            from lumenocr.zoo import DEFAULT_MODEL

            args.model = DEFAULT_MODEL  # the zoo model supplies the parts not given as files
    if not args.model and not args.pred:
        raise InputError(
            "give --pred PREDICTIONS.jsonl, or --model NAME / --det-model / --rec-model to run one"
        )
    if not 0.0 < args.iou <= 1.0:
        raise InputError(f"--iou must be in (0, 1], got {args.iou}")
    for option, value, least in (
        ("--threads", args.threads, 1),
        ("--worst", args.worst, 0),
        ("--confusions", args.confusions, 0),
    ):
        if value is not None and value < least:
            raise InputError(f"{option} must be at least {least}, got {value}")
    if args.save_pred and not args.model:
        raise InputError("--save-pred needs --model (with --pred the predictions are already on disk)")
    # Outputs are checked before the model runs: a run is not lost to a path it cannot write.
    from lumenocr.io.writers import prepare_output_file

    if args.json and args.json != "-":
        prepare_output_file(args.json, "--json")
    if args.save_pred:
        prepare_output_file(args.save_pred, "--save-pred")
    if args.page_text and args.task != "e2e":
        raise InputError("--page-text applies to `eval e2e`")
    if args.words and args.task == "rec":
        raise InputError("--words applies to `eval det` and `eval e2e`")


def run(args) -> int:
    from lumenocr.metrics import evaluate_detection, evaluate_end_to_end, evaluate_pages, evaluate_recognition
    from lumenocr.metrics.predictions import read_predictions, read_rec_predictions

    _check_args(args)
    samples, root, kind = _load_gt(args)
    out = sys.stdout if args.json != "-" else sys.stderr  # keep stdout clean for `--json -`
    payload: dict = {"task": args.task, "gt": str(args.gt), "pred": args.pred, "model": args.model}

    if args.task == "rec":
        if args.model:
            pred_texts = _run_model_rec(args, samples, root)
        else:
            samples, aligned = _align(
                args, samples, root, read_rec_predictions(args.pred), "wrong (empty text)"
            )
            pred_texts = [p.text if p is not None else "" for p in aligned]
        rm = evaluate_recognition([s.text for s in samples], pred_texts, args.normalize, args.confusions)
        rows = [
            ("accuracy", rm.accuracy),
            ("correct / total", f"{rm.correct} / {rm.total}"),
            ("1 - mean NED", 1.0 - rm.mean_ned),
            ("CER", rm.cer),
            ("normalize", rm.mode),
        ]
        print(_header(args, len(samples)), file=out)
        print(_table("recognition", rows), file=out)
        if rm.confusions:
            shown = ", ".join(f"{_char(g)}->{_char(p)} {n}" for g, p, n in rm.confusions)
            print(f"  top confusions (gt->pred count; - = no character): {shown}", file=out)
        payload["metrics"] = rm.to_dict()
        payload["wrong_examples"] = [
            {"image": samples[i].image_path, "gt": samples[i].text, "pred": pred_texts[i]} for i in rm.wrong
        ]
        _write_json(args, payload)
        return 0

    if args.model:
        preds = _run_model_boxes(args, samples, root, kind)
    else:
        samples, preds = _align(args, samples, root, read_predictions(args.pred, words=args.words), "empty")
    fallbacks = sum(p.line_fallbacks for p in preds if p is not None)
    if args.words and fallbacks:
        _warn(f"{fallbacks} line box(es) carry no word boxes and are scored as whole lines")
    print(_header(args, len(samples)), file=out)
    m: DetMetrics | E2EMetrics
    if args.task == "det":
        m = evaluate_detection(samples, preds, iou=args.iou, dontcare_first=args.official_order)
        rows = [
            ("precision", m.precision),
            ("recall", m.recall),
            ("hmean", m.hmean),
            ("matched / gt / pred", f"{m.matched} / {m.gt} / {m.pred}"),
            ("mean IoU of matches", m.mean_iou),
            ("don't-care gt / discarded pred", f"{m.ignored_gt} / {m.ignored_pred}"),
        ]
        print(_table(f"detection (IoU >= {args.iou})", rows), file=out)
    else:
        m = evaluate_end_to_end(
            samples, preds, args.normalize, iou=args.iou, dontcare_first=args.official_order
        )
        rows = [
            ("precision", m.precision),
            ("recall", m.recall),
            ("hmean", m.hmean),
            ("correct / gt / pred", f"{m.correct} / {m.gt} / {m.pred}"),
            ("det precision", m.det_precision),
            ("det recall", m.det_recall),
            ("det hmean", m.det_hmean),
            ("normalize", m.mode),
        ]
        print(_table(f"end-to-end (IoU >= {args.iou}, text must match)", rows), file=out)
    payload["metrics"] = m.to_dict()
    if args.worst > 0:
        print(_worst(m.per_image, args.worst), file=out)
    if args.page_text:
        pm = evaluate_pages(samples, preds, args.normalize)
        rows = [
            ("CER", pm.cer),
            ("WER", pm.wer),
            ("CER without spaces", pm.cer_nospace),
            ("word-bag precision", pm.bag_precision),
            ("word-bag recall", pm.bag_recall),
            ("word-bag F1", pm.bag_f1),
        ]
        print(_table("page text (reading order, don't-care regions left out)", rows), file=out)
        payload["page_text"] = pm.to_dict()
    if args.model:
        secs = [p.seconds for p in preds]
        payload["seconds_per_image"] = sum(secs) / len(secs)
    _write_json(args, payload)
    return 0
