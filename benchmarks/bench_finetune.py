"""Score fine-tuned PP-OCRv6 small models against the shipped ones (the issue 9 figures).

Every figure is `lumenocr eval` on an ONNX file written by `lumenocr export`, i.e. what a user
gets with `lumenocr ocr --det-model/--rec-model`. Detection post-processing thresholds are
chosen on held-out *training* images (lumenocr.train.tune) and written into the exported
file's metadata; the test set is only scored.

    python benchmarks/bench_finetune.py \
        --det-run output/ft_det_ppocrv6_small --rec-run output/ft_rec_ppocrv6_small \
        --dictext-run output/ft_rec_ppocrv6_small_dictext \
        --det-val output/data/ic15split/val.txt --funsd-crops output/data/funsd_rec/label.txt \
        --dictext-test output/data/dictext/synth_test/label.txt
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta
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


def curve(run: Path) -> list[tuple[int, float, float]]:
    """(step, wall minutes since the first step, held-out metric) from train.log."""
    pat_step = re.compile(r"^(\d\d:\d\d:\d\d) INFO step (\d+)/\d+ ")
    pat_eval = re.compile(r"^(\d\d:\d\d:\d\d) INFO step (\d+): eval (\w+) ([0-9.]+)")
    start, last, day, rows = None, None, 0, []
    for line in (run / "train.log").read_text(encoding="utf-8").splitlines():
        m = pat_step.match(line) or pat_eval.match(line)
        if not m:
            continue
        t = datetime.strptime(m.group(1), "%H:%M:%S") + timedelta(days=day)
        if last is not None and t < last:  # past midnight
            day += 1
            t += timedelta(days=1)
        last = t
        start = start or t
        if m.re is pat_eval:
            rows.append((int(m.group(2)), (t - start).total_seconds() / 60, float(m.group(4))))
    return rows


def seconds_per_step(run: Path) -> float | None:
    rows = list(csv.DictReader((run / "train_log.csv").open()))
    if not rows:
        return None
    rates = sorted(float(r["samples_per_s"]) for r in rows if float(r["samples_per_s"]) > 0)
    cfg = (run / "config.yml").read_text()
    batch = int(re.search(r"batch_size: (\d+)", cfg).group(1))  # type: ignore[union-attr]
    return batch / rates[len(rates) // 2]


def tuned_det(onnx_path: Path, val: str, work: Path, tag: str) -> dict:
    """Pick thresholds on ``val`` and write them into ``onnx``'s metadata; returns the best row."""
    import onnx

    from lumenocr.pipeline.det import TextDetector
    from lumenocr.runtime.metadata import ModelMeta, write_onnx_metadata
    from lumenocr.train.tune import tune_db_thresholds

    cache = work / f"tune_{tag}.json"
    if cache.is_file():
        return json.loads(cache.read_text())[0]
    rows = tune_db_thresholds(TextDetector.from_onnx(str(onnx_path)), val)
    best = rows[0]
    props = {p.key: p.value for p in onnx.load(str(onnx_path), load_external_data=False).metadata_props}
    meta = ModelMeta.from_metadata(props, str(onnx_path))
    assert meta is not None
    meta.postprocess.update(thresh=best.thresh, box_thresh=best.box_thresh, unclip_ratio=best.unclip_ratio)
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
    ap.add_argument("--funsd-crops", help="rec label file of FUNSD word crops (lumenocr data crops)")
    ap.add_argument("--funsd-limit", type=int, default=2000)
    ap.add_argument("--dictext-test", help="held-out generated lines with the new characters")
    ap.add_argument("--work", default="output/bench_finetune")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "finetune.md"))
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

    table = ["| model | data | metric | shipped | fine-tuned |", "|---|---|---|---|---|"]
    if "det" in files:
        shipped = evaluate("det", ic15, work, "det_shipped", "--model", "ppocrv6-small")
        table.append(
            f"| det | icdar2015_test, word boxes | hmean (shipped defaults) | {shipped['hmean']:.3f} | |"
        )
        if args.det_val:
            from lumenocr.train.convert import convert
            from lumenocr.train.export import export_onnx

            base = work / "det_shipped.onnx"
            if not base.is_file():
                convert("ppocrv6-small", work / "det_shipped.pt", "det")
                export_onnx(work / "det_shipped.pt", base)
            b = tuned_det(base, args.det_val, work, "shipped")
            f = tuned_det(files["det"], args.det_val, work, "finetuned")
            s2 = evaluate("det", ic15, work, "det_shipped_tuned", "--det-model", str(base))
            f2 = evaluate("det", ic15, work, "det_finetuned", "--det-model", str(files["det"]))
            table.append(
                f"| det | icdar2015_test, word boxes | hmean (thresholds chosen on held-out training images) "
                f"| {s2['hmean']:.3f} (P {s2['precision']:.3f} R {s2['recall']:.3f}) "
                f"| **{f2['hmean']:.3f}** (P {f2['precision']:.3f} R {f2['recall']:.3f}) |"
            )
            out += [f"Thresholds chosen on {args.det_val}: shipped {b}, fine-tuned {f}", ""]
    if "rec" in files:
        s = evaluate("rec", ic15rec, work, "rec_shipped", "--model", "ppocrv6-small", "--normalize", "icdar")
        f = evaluate(
            "rec", ic15rec, work, "rec_finetuned", "--rec-model", str(files["rec"]), "--normalize", "icdar"
        )
        table.append(
            f"| rec | icdar2015_rec_test (2077) | accuracy, icdar | {s['accuracy']:.4f} | **{f['accuracy']:.4f}** |"
        )
        if args.funsd_crops:
            lim = ["--limit", str(args.funsd_limit)]
            s = evaluate(
                "rec",
                args.funsd_crops,
                work,
                "funsd_shipped",
                "--model",
                "ppocrv6-small",
                "--normalize",
                "icdar",
                *lim,
            )
            f = evaluate(
                "rec",
                args.funsd_crops,
                work,
                "funsd_finetuned",
                "--rec-model",
                str(files["rec"]),
                "--normalize",
                "icdar",
                *lim,
            )
            table.append(
                f"| rec | FUNSD word crops (first {args.funsd_limit}; not trained on) | accuracy, icdar "
                f"| {s['accuracy']:.4f} | {f['accuracy']:.4f} |"
            )
    if "det" in files and "rec" in files:
        s = evaluate(
            "e2e", ic15, work, "e2e_shipped", "--model", "ppocrv6-small", "--words", "--normalize", "icdar"
        )
        extra = [x for k in ("det", "rec") for x in (f"--{k}-model", str(files[k]))]
        f = evaluate("e2e", ic15, work, "e2e_finetuned", *extra, "--words", "--normalize", "icdar")
        table.append(
            f"| det + rec | icdar2015_test | e2e hmean (word boxes, icdar) | {s['hmean']:.3f} | **{f['hmean']:.3f}** ({', '.join(sorted(k for k in files if k != 'dictext'))} fine-tuned) |"
        )
    if "dictext" in files:
        if args.dictext_test:
            f = evaluate("rec", args.dictext_test, work, "dictext_new", "--rec-model", str(files["dictext"]))
            table.append(
                f"| rec + 10 new characters | held-out generated lines with them (500) | accuracy, exact | 0 (cannot) | **{f['accuracy']:.4f}** |"
            )
        s = evaluate("rec", ic15rec, work, "rec_shipped", "--model", "ppocrv6-small", "--normalize", "icdar")
        f = evaluate(
            "rec", ic15rec, work, "dictext_ic15", "--rec-model", str(files["dictext"]), "--normalize", "icdar"
        )
        table.append(
            f"| rec + 10 new characters | icdar2015_rec_test | accuracy, icdar | {s['accuracy']:.4f} | {f['accuracy']:.4f} |"
        )
    out += table + [""]
    for kind, run in (("det", args.det_run), ("rec", args.rec_run), ("dictext", args.dictext_run)):
        if not run:
            continue
        spp = seconds_per_step(Path(run))
        out += [f"## {kind}: held-out metric against training time ({run})", ""]
        if spp:
            out += [
                f"Median {spp:.1f} s per step (wall clock, shared 2-core CPU under load from other jobs).",
                "",
            ]
        out += ["| step | wall minutes | held-out metric |", "|---|---|---|"]
        out += [f"| {s} | {m:.0f} | {v:.4f} |" for s, m, v in curve(Path(run))] + [""]
    out += [f"Benchmark time: {(time.time() - t0) / 60:.0f} min.", ""]
    Path(args.out).write_text("\n".join(out), encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
