"""Batch OCR: many inputs on every core, error-isolated, resumable, shardable, on Ray.

The library home of what ``lumenocr ocr`` does with a folder of 100,000 files, usable by a
server, a Ray job or a script::

    from lumenocr.batch import BatchJob, BatchOptions, run_batch
    from lumenocr.batch.resume import AppendJsonlWriter, load_done

    done = load_done("out.jsonl")                      # resume: what an earlier run wrote
    with AppendJsonlWriter("out.jsonl", append=True) as sink:
        summary = run_batch(files, BatchJob(), {"threads": 1}, sink,
                            options=BatchOptions(workers=2), done=done, report=print)
    print(summary.line(), summary.failed)

* :mod:`~lumenocr.batch.plan`: inputs -> tasks (a page of a PDF, an image, a video), sharding,
  list files.
* :mod:`~lumenocr.batch.engine`: one OCR over tasks, each input's errors isolated.
* :mod:`~lumenocr.batch.pool`: worker processes, bounded window, ordering, recycling, crashes.
* :mod:`~lumenocr.batch.resume`: crash-safe JSONL and resuming from it.
* :mod:`~lumenocr.batch.ray`: the same on a Ray cluster (``[ray]`` extra).
"""

from lumenocr.batch.engine import picture_stems, process, run_task
from lumenocr.batch.job import MODES, REC_CHUNK, BatchJob, Outcome
from lumenocr.batch.progress import Progress, count_pages
from lumenocr.batch.runner import BatchOptions, BatchSummary, Sink, run_batch

__all__ = [
    "MODES",
    "REC_CHUNK",
    "BatchJob",
    "BatchOptions",
    "BatchSummary",
    "Outcome",
    "Progress",
    "Sink",
    "count_pages",
    "picture_stems",
    "process",
    "run_batch",
    "run_task",
]
