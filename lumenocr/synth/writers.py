"""Dataset writers: PaddleOCR folder layout or LMDB.

Folder: images under ``DIR/images/`` and ``DIR/label.txt`` with one ``relative/path<TAB>label``
per line (rec: the text; det: a JSON list of ``{"transcription", "points"}``).

LMDB (PaddleOCR / deep-text-recognition-benchmark layout): ``num-samples`` -> count as ASCII,
``image-%09d`` -> encoded image bytes, ``label-%09d`` -> UTF-8 label (det: the JSON list),
indices 1-based. Det word-level labels, when written, go to ``wlabel-%09d``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from lumenocr.errors import ConfigError

FORMATS = ("folder", "lmdb")


def prepare_out_dir(out_dir: str | Path, fmt: str, overwrite: bool) -> Path:
    """Create ``out_dir``; refuse to mix with an earlier dataset unless ``overwrite``."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"output path {out} exists and is not a folder")
    ours = [out / "label.txt", out / "label_words.txt", out / "images", out / "data.mdb", out / "lock.mdb"]
    existing = [p for p in ours if p.exists()]
    if existing and not overwrite:
        raise ConfigError(
            f"{out} already holds a dataset ({existing[0].name}); pass --overwrite to replace it"
        )
    for p in existing:
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"cannot create the output folder {out}: {e.strerror or e}") from None
    return out


class FolderWriter:
    """Writes images and PaddleOCR label files (``label.txt``, optionally ``label_words.txt``)."""

    def __init__(self, out: Path, ext: str, words: bool = False):
        self.out = out
        self.ext = ext
        (out / "images").mkdir(exist_ok=True)
        self.labels = (out / "label.txt").open("w", encoding="utf-8", newline="\n")
        self.words = (out / "label_words.txt").open("w", encoding="utf-8", newline="\n") if words else None

    def add(self, index: int, image: bytes, label: str, word_label: str | None = None) -> None:
        rel = f"images/{index:08d}.{self.ext}"
        (self.out / rel).write_bytes(image)
        self.labels.write(f"{rel}\t{label}\n")
        if self.words is not None and word_label is not None:
            self.words.write(f"{rel}\t{word_label}\n")

    def close(self) -> None:
        self.labels.close()
        if self.words is not None:
            self.words.close()


class LmdbWriter:
    """Writes the common OCR LMDB layout (see module docstring), committing in batches."""

    def __init__(self, out: Path, batch: int = 500):
        import lmdb

        self._lmdb = lmdb
        self.env = lmdb.open(str(out), map_size=1 << 30, subdir=True)
        self.batch = batch
        self.pending: list[tuple[bytes, bytes]] = []
        self.count = 0

    def add(self, index: int, image: bytes, label: str, word_label: str | None = None) -> None:
        self.count += 1
        k = self.count  # 1-based, dense
        self.pending.append((b"image-%09d" % k, image))
        self.pending.append((b"label-%09d" % k, label.encode("utf-8")))
        if word_label is not None:
            self.pending.append((b"wlabel-%09d" % k, word_label.encode("utf-8")))
        if len(self.pending) >= 2 * self.batch:
            self._flush()

    def _flush(self, final: bool = False) -> None:
        items = list(self.pending)
        if final:
            items.append((b"num-samples", str(self.count).encode()))
        while True:
            try:
                with self.env.begin(write=True) as txn:
                    for k, v in items:
                        txn.put(k, v)
                break
            except self._lmdb.MapFullError:  # grow the map and retry the whole batch
                self.env.set_mapsize(self.env.info()["map_size"] * 2)
        self.pending.clear()

    def close(self) -> None:
        self._flush(final=True)
        self.env.sync()
        self.env.close()
