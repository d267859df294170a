"""Data for the dictionary-extension recipe (configs/finetune/rec_ppocrv6_small_dict_extension.yml).

Writes into OUT_DIR: ``dict_ext.txt`` (the converted checkpoint's dictionary + the new characters),
``synth_charset.txt`` (what the generated lines may use), and three corpora of short random strings
mixing new characters with Latin letters and digits: ``corpus_train.txt`` and, from other
seeds, ``corpus_val.txt`` (to watch training by) and ``corpus_test.txt`` (scored once). Render them with ``lumenocr synth rec --corpus``.

    python benchmarks/finetune_dict_extension_data.py output/data/dictext \
        --checkpoint output/pretrained/ppocrv6_small_rec.pt --new бгджзилпфш
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import torch

# no l/I/O: easily confused with 1/0 in many fonts, and not what this experiment measures
LATIN = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def corpus(new: list[str], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        n = rng.randint(2, 8)
        s = [rng.choice(new) if rng.random() < 0.5 else rng.choice(LATIN) for _ in range(n)]
        if not any(c in new for c in s):
            s[rng.randrange(n)] = rng.choice(new)
        lines.append("".join(s))
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--checkpoint", default="output/pretrained/ppocrv6_small_rec.pt")
    ap.add_argument("--new", default="бгджзилпфш", help="characters to add")
    args = ap.parse_args()
    old = torch.load(args.checkpoint, map_location="cpu", weights_only=False)["characters"]
    new = [c for c in dict.fromkeys(args.new)]
    clash = [c for c in new if c in set(old)]
    if clash:
        raise SystemExit(f"already in the dictionary: {''.join(clash)}")
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "dict_ext.txt").write_text("\n".join(old + new) + "\n", encoding="utf-8")
    (out / "synth_charset.txt").write_text("\n".join(LATIN + "".join(new)) + "\n", encoding="utf-8")
    (out / "corpus_train.txt").write_text("\n".join(corpus(new, 20000, 1)) + "\n", encoding="utf-8")
    (out / "corpus_test.txt").write_text("\n".join(corpus(new, 2000, 2)) + "\n", encoding="utf-8")
    (out / "corpus_val.txt").write_text("\n".join(corpus(new, 2000, 3)) + "\n", encoding="utf-8")
    print(f"wrote {out}: {len(old)} + {len(new)} characters")


if __name__ == "__main__":
    main()
