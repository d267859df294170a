"""Score fine-tuned PP-OCRv6 small models against the shipped ones (the issue 9 figures).

Every figure is `lumenocr eval` on an ONNX file written by `lumenocr export`, i.e. what a user
gets with `lumenocr ocr --det-model/--rec-model`. Detection post-processing thresholds are
chosen on held-out *training* images (lumenocr.train.tune) and written into the exported
file's metadata; the test set is only scored.

    python benchmarks/bench_finetune.py \
        --det-run output/ft_det_ppocrv6_small --rec-run output/ft_rec_ppocrv6_small \
        --funsd-crops output/data/funsd_rec/label.txt --xfund-crops output/data/xfund_rec/label.txt

The detector's thresholds come from its checkpoint (``eval.tune_thresholds`` chose them on the
held-out training images) or, with ``--det-val``, are chosen here. Every ``lumenocr eval`` result
is cached as ``WORK/eval_<tag>.json``: long evaluations can run in parallel beforehand with the
same commands, and this script then only writes the table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


def lumenocr(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "lumenocr.cli.main", *args], check=True, cwd=REPO)


def evaluate(task: str, gt: str, work: Path, tag: str, *extra: str) -> dict:
    out = work / f"eval_{tag}.json"
    if not out.is_file():
        lumenocr("eval", task, "--gt", gt, "--json", str(out), "--quiet", *extra)
    return json.loads(out.read_text())["metrics"]


def tuned_det(
    onnx_path: Path,
    val: str,
    work: Path,
    tag: str,
    words: bool,
    sizes: list[int],
    grid: dict[str, list[float]],
) -> dict:
    """Pick thresholds (and with ``sizes``, the detection resolution) on ``val`` and write them
    into ``onnx``'s metadata; returns the best row.

    ``words``: score each setting on the pipeline's word boxes (shipped recognizer), the figure
    the table reports, instead of on the detector's own boxes. ``grid``: the values of
    ``thresh``, ``box_thresh`` and ``unclip_ratio`` to search (empty: the trainer's)."""
    import onnx

    from lumenocr import OCR
    from lumenocr.pipeline.det import TextDetector
    from lumenocr.runtime.metadata import ModelMeta, write_onnx_metadata
    from lumenocr.train.tune import tune_db_thresholds

    grid = {k: v for k, v in grid.items() if v}
    grid_tag = "".join(f"_{k}{'-'.join(map(str, v))}" for k, v in grid.items())
    cache = work / f"tune_{tag}{'_words' if words else ''}{''.join(f'_{n}' for n in sizes)}{grid_tag}.json"
    if cache.is_file():
        return json.loads(cache.read_text())[0]
    reader = OCR(words=True, threads=1) if words else None
    rows = tune_db_thresholds(
        TextDetector.from_onnx(str(onnx_path)), val, reader=reader, limit_side_len=sizes, **grid
    )
    best = rows[0]
    props = {p.key: p.value for p in onnx.load(str(onnx_path), load_external_data=False).metadata_props}
    meta = ModelMeta.from_metadata(props, str(onnx_path))
    assert meta is not None
    meta.postprocess.update(thresh=best.thresh, box_thresh=best.box_thresh, unclip_ratio=best.unclip_ratio)
    meta.preprocess.update(limit_side_len=best.limit_side_len)
    write_onnx_metadata(str(onnx_path), meta)
    cache.write_text(json.dumps([r.__dict__ for r in rows], indent=1))
    return best.__dict__


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--det-run")
    ap.add_argument("--rec-run")
    ap.add_argument("--dictext-run")
    ap.add_argument("--checkpoint", default="best.pt", help="checkpoint of each run to score")
    ap.add_argument("--det-val", help="held-out training images (det label file) for threshold choice")
    ap.add_argument(
        "--det-val-words",
        action="store_true",
        help="choose the thresholds by word-level hmean on --det-val (whole pipeline, shipped recognizer)",
    )
    ap.add_argument(
        "--det-sizes",
        default="",
        help="also choose the detection resolution (limit_side_len) on --det-val among these, e.g. 960,1280",
    )
    for name, what in (
        ("thresh", "DB binarisation"),
        ("box-thresh", "box score"),
        ("unclip", "unclip ratio"),
    ):
        ap.add_argument(
            f"--{name}",
            default="",
            help=f"{what} values to search on --det-val, e.g. 0.3,0.4,0.5 (default: the trainer's grid)",
        )
    ap.add_argument("--funsd-crops", help="rec label file of FUNSD word crops (lumenocr data crops)")
    ap.add_argument("--xfund-crops", help="rec label file of XFUND segment crops (lumenocr data crops)")
    ap.add_argument("--dictext-test", help="held-out generated lines with the new characters")
    ap.add_argument("--work", default="output/bench_finetune")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "finetune_icdar15.md"))
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    ic15, ic15rec = str(DATA / "icdar2015_test"), str(DATA / "icdar2015_rec_test")
    out = ["# Fine-tuning PP-OCRv6 small on ICDAR 2015", "", f"Command: `python {' '.join(sys.argv)}`", ""]
    files: dict[str, Path] = {}
    for kind, run in (("det", args.det_run), ("rec", args.rec_run), ("dictext", args.dictext_run)):
        if run:
            files[kind] = work / f"{kind}.onnx"
            if not files[kind].is_file():  # reused: it may carry thresholds chosen by an earlier run
                lumenocr("export", str(Path(run) / args.checkpoint), "-o", str(files[kind]))

    def pr(m: dict) -> str:
        return f"{m['hmean']:.3f} (P {m['precision']:.3f} R {m['recall']:.3f})"

    table = ["| model | data | metric | shipped | fine-tuned |", "|---|---|---|---|---|"]
    zoo = ["--model", "ppocrv6-small"]
    if "det" in files:
        if args.det_val:
            sizes = [int(n) for n in args.det_sizes.split(",") if n]
            grid = {
                key: [float(v) for v in value.split(",") if v]
                for key, value in (
                    ("thresh", args.thresh),
                    ("box_thresh", args.box_thresh),
                    ("unclip_ratio", args.unclip),
                )
            }
            f = tuned_det(files["det"], args.det_val, work, "finetuned", args.det_val_words, sizes, grid)
            out += [f"Fine-tuned detector's thresholds, chosen on {args.det_val}: {f}", ""]
        s_raw = evaluate("det", ic15, work, "det_shipped", *zoo)
        f_raw = evaluate("det", ic15, work, "det_finetuned", "--det-model", str(files["det"]))
        # One OCR pass per detector (shipped recognizer): its word boxes give `eval det --words`.
        s_e2e = evaluate("e2e", ic15, work, "e2e_shipped", *zoo, "--words", "--normalize", "icdar")
        f_e2e = evaluate(
            "e2e",
            ic15,
            work,
            "e2e_ftdet",
            "--det-model",
            str(files["det"]),
            "--words",
            "--normalize",
            "icdar",
        )
        s_w, f_w = ({k: m[f"det_{k}"] for k in ("hmean", "precision", "recall")} for m in (s_e2e, f_e2e))
        table += [
            f"| det | icdar2015_test | **word-level hmean** (`lumenocr eval det --words`: the pipeline's word "
            f"boxes, shipped recognizer) | {pr(s_w)} | **{pr(f_w)}** |",
            f"| det | icdar2015_test | raw-box hmean (`lumenocr eval det`: the detector's own boxes) "
            f"| {pr(s_raw)} | {pr(f_raw)} |",
            f"| det (+ shipped rec) | icdar2015_test | e2e hmean (`eval e2e --words --normalize icdar`) "
            f"| {pr(s_e2e)} | {pr(f_e2e)} |",
        ]
    if "rec" in files:
        sets = [("icdar2015_rec_test (2077; fine-tuning target)", ic15rec, "ic15")]
        if args.funsd_crops:
            sets.append(("FUNSD word crops (not trained on)", args.funsd_crops, "funsd"))
        if args.xfund_crops:
            sets.append(("XFUND zh segment crops (not trained on)", args.xfund_crops, "xfund"))
        for name, gt, tag in sets:
            s = evaluate("rec", gt, work, f"rec_{tag}_shipped", *zoo, "--normalize", "icdar")
            f = evaluate(
                "rec",
                gt,
                work,
                f"rec_{tag}_finetuned",
                "--rec-model",
                str(files["rec"]),
                "--normalize",
                "icdar",
            )
            table.append(
                f"| rec | {name}, {s['total']} crops | accuracy, case-insensitive alphanumeric | "
                f"{s['accuracy']:.4f} | **{f['accuracy']:.4f}** ({f['accuracy'] - s['accuracy']:+.4f}) |"
            )
    if "det" in files and "rec" in files:
        s = evaluate("e2e", ic15, work, "e2e_shipped", *zoo, "--words", "--normalize", "icdar")
        extra = [x for k in ("det", "rec") for x in (f"--{k}-model", str(files[k]))]
        f = evaluate("e2e", ic15, work, "e2e_finetuned", *extra, "--words", "--normalize", "icdar")
        fw = {k: f[f"det_{k}"] for k in ("hmean", "precision", "recall")}
        table += [
            f"| det + rec | icdar2015_test | **e2e hmean** (`eval e2e --words --normalize icdar`) "
            f"| {pr(s)} | **{pr(f)}** (both fine-tuned) |",
            f"| det + rec | icdar2015_test | word-level det hmean of that pass (words split by the "
            f"fine-tuned recognizer) | | {pr(fw)} |",
        ]
    if "dictext" in files:
        if args.dictext_test:
            f = evaluate("rec", args.dictext_test, work, "dictext_new", "--rec-model", str(files["dictext"]))
            table.append(
                f"| rec + new characters | held-out generated lines with them | accuracy, exact | 0 (cannot) "
                f"| **{f['accuracy']:.4f}** |"
            )
        s = evaluate("rec", ic15rec, work, "rec_ic15_shipped", *zoo, "--normalize", "icdar")
        f = evaluate(
            "rec", ic15rec, work, "dictext_ic15", "--rec-model", str(files["dictext"]), "--normalize", "icdar"
        )
        table.append(
            f"| rec + new characters | icdar2015_rec_test | accuracy, icdar | {s['accuracy']:.4f} | {f['accuracy']:.4f} |"
        )
    out += table + [""]
    out += [f"Benchmark time: {(time.time() - t0) / 60:.0f} min.", ""]
    Path(args.out).write_text("\n".join(out), encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
