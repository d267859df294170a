"""CPU time per image of the zoo models, interleaved image by image in one process.

CPU time (not wall time), so other load on the machine does not bias the comparison; one
ONNX Runtime thread each. Writes benchmarks/results/models_cpu.md.

    python benchmarks/bench_models_cpu.py [--icdar 20] [--funsd 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))

MODELS = ("ppocrv6-small", "ppocrv5-mobile", "ppocrv4-mobile")


def main() -> None:
    from lumenocr import OCR

    ap = argparse.ArgumentParser()
    ap.add_argument("--icdar", type=int, default=20)
    ap.add_argument("--funsd", type=int, default=5)
    args = ap.parse_args()
    sets = {
        "icdar2015_test": sorted((DATA / "icdar2015_test/images").iterdir())[: args.icdar],
        "funsd_train": sorted((DATA / "funsd_train/images").iterdir())[: args.funsd],
    }
    ocrs = {m: OCR(model=m, threads=1) for m in MODELS}
    first = str(next(iter(sets.values()))[0])
    for o in ocrs.values():  # warm-up
        o(first)
    rows = ["| data set | " + " | ".join(MODELS) + " |", "|---|" + "---|" * len(MODELS)]
    for name, paths in sets.items():
        cpu: dict[str, list[float]] = {m: [] for m in MODELS}
        for p in paths:
            for m in MODELS:
                t = time.process_time()
                ocrs[m](str(p))
                cpu[m].append(time.process_time() - t)
        rows.append(
            f"| {name} ({len(paths)}) | "
            + " | ".join(f"{1000 * statistics.median(cpu[m]):.0f}" for m in MODELS)
            + " |"
        )
    text = (
        "# Median CPU ms per image, zoo models interleaved\n\nCommand: `python benchmarks/bench_models_cpu.py`\n\n"
        + "\n".join(rows)
        + "\n"
    )
    out = REPO / "benchmarks" / "results" / "models_cpu.md"
    out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
