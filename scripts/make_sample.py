"""Write a sample image to try lumenocr on: English and Chinese lines, slightly rotated.

python scripts/make_sample.py              # writes out/sample.png (out/ is git-ignored)
lumenocr ocr out/sample.png --vis out/vis/
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

try:
    import lumenocr  # noqa: F401
except ModuleNotFoundError:  # run from a source checkout that is not pip-installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lumenocr.vis import save_picture  # noqa: E402
from lumenocr.vis.sample import SAMPLE_LINES, drawable_lines, render_lines  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "output", nargs="?", default="out/sample.png", help="where to write it (default out/sample.png)"
    )
    parser.add_argument("--angle", type=float, default=2.0, help="rotation in degrees (default 2)")
    parser.add_argument("--font", help="font file (default: a CJK-capable system font)")
    args = parser.parse_args(argv)
    lines = drawable_lines(SAMPLE_LINES, args.font)
    if len(lines) < len(SAMPLE_LINES):
        print(
            "note: no CJK-capable font found (install fonts-noto-cjk): the sample has Latin lines only",
            file=sys.stderr,
        )
    save_picture(args.output, render_lines(lines, font_size=34, angle=args.angle, font_path=args.font))
    print(f"wrote {args.output}: try `lumenocr ocr {args.output} --format txt`", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
