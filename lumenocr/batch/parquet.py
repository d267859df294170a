"""Parquet output (needs pyarrow, which the ``[ray]`` extra brings): one row per record with
``image``, ``page``, ``text`` and the whole JSON ``record``, written in row groups as results
arrive."""

from __future__ import annotations

import os

from lumenocr.errors import ConfigError
from lumenocr.io.writers import json_text


class ParquetSink:
    """Same interface as the JSONL writers; rows are flushed every ``rows_per_group`` records."""

    def __init__(self, path: str, rows_per_group: int = 1000):
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ConfigError(
                "Parquet output needs pyarrow: pip install 'lumenocr[ray]' (or pyarrow)"
            ) from None
        self._pa = pa
        self.schema = pa.schema(
            [("image", pa.string()), ("page", pa.int32()), ("text", pa.string()), ("record", pa.string())]
        )
        if os.path.isdir(path):
            raise ConfigError(f"--output {path}: is a folder; give a file name")
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self._writer = pq.ParquetWriter(path, self.schema)
        except OSError as e:
            raise ConfigError(f"cannot write {path}: {e.strerror or e}") from None
        self.rows: list[dict] = []
        self.rows_per_group = rows_per_group
        self.count = 0

    def write(self, record: dict, text: str = "") -> None:
        if not text and "boxes" in record:
            text = " ".join(b.get("text", "") for b in record["boxes"])
        self.rows.append(
            {
                "image": _utf8(record.get("image")),
                "page": record.get("page"),
                "text": text or record.get("text", ""),
                "record": json_text(record),
            }
        )
        self.count += 1
        if len(self.rows) >= self.rows_per_group:
            self._flush()

    def write_block(self, records: list[dict]) -> None:
        for r in records:
            self.write(r, r.get("text", ""))

    def _flush(self) -> None:
        if self.rows:
            self._writer.write_table(self._pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _utf8(name: str | None) -> str | None:
    """A file name Parquet can store: one that is not UTF-8 (lone surrogates in Python) shows
    its bytes as ``\\xNN``; the ``record`` column keeps the exact name (JSON escapes)."""
    if name is None:
        return None
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return name
