"""Write PaddleOCR-style recognition LMDB folders (``num-samples``, ``image-%09d``, ``label-%09d``)."""

from __future__ import annotations

from pathlib import Path

from lumenocr.errors import InputNotFoundError
from lumenocr.io.labels import read_rec_labels, resolve_image


def write_rec_lmdb(label_file: str | Path, out_dir: str | Path, map_size: int = 1 << 34) -> int:
    """Pack every crop of ``label_file`` (encoded bytes as stored on disk) with its text."""
    import lmdb

    samples = read_rec_labels(label_file)
    if not samples:
        raise InputNotFoundError(f"{label_file} lists no samples")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    env = lmdb.open(str(out_dir), map_size=map_size)
    with env.begin(write=True) as txn:
        for i, s in enumerate(samples, start=1):
            txn.put(b"image-%09d" % i, resolve_image(label_file, s.image_path).read_bytes())
            txn.put(b"label-%09d" % i, s.text.encode("utf-8"))
        txn.put(b"num-samples", str(len(samples)).encode())
    env.close()
    return len(samples)
