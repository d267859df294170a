"""Batch OCR: many inputs, one process or a pool of worker processes, every error isolated.

The library home of what ``lumenocr ocr`` does with a folder of 10,000 files, usable by a
server, a Ray job or a script::

    from lumenocr.batch import BatchJob, run_batch
    from lumenocr.io.writers import open_writer

    with open_writer("out.jsonl") as writer:
        summary = run_batch(files, BatchJob(), {"threads": 1}, writer.write, workers=2, report=print)
    print(summary.written, summary.failed)
"""

from lumenocr.batch.engine import picture_stems, process
from lumenocr.batch.job import MODES, REC_CHUNK, BatchJob, Outcome
from lumenocr.batch.progress import Progress, count_pages
from lumenocr.batch.runner import BatchSummary, run_batch

__all__ = [
    "MODES",
    "REC_CHUNK",
    "BatchJob",
    "BatchSummary",
    "Outcome",
    "Progress",
    "count_pages",
    "picture_stems",
    "process",
    "run_batch",
]
