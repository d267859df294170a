"""Drive a batch: inputs -> outcomes (one process or a pool) -> a result sink, with progress."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from lumenocr.batch.engine import picture_stems, process
from lumenocr.batch.job import BatchJob, Outcome
from lumenocr.batch.pool import run_parallel
from lumenocr.errors import LumenOCRError

#: Receives each record and its page text, in order (e.g. a :class:`~lumenocr.io.writers.ResultWriter`'s ``write``).
Sink = Callable[[dict, str], None]


@dataclass
class BatchSummary:
    """What a batch did: ``written`` records, the ``failed`` inputs (each once, in the order
    their failure was seen) and the wall time in ``seconds``."""

    written: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def fail(self, image: str) -> None:
        if image not in self.failed:
            self.failed.append(image)


def run_batch(
    files: Sequence[str],
    job: BatchJob,
    ocr_kwargs: dict,
    sink: Sink,
    *,
    workers: int = 1,
    ocr=None,
    report: Callable[[str], None] | None = None,
    advance: Callable[[int], None] | None = None,
) -> BatchSummary:
    """OCR ``files`` (paths or URLs) and hand each record to ``sink`` in input order.

    With ``workers > 1`` each worker process builds ``OCR(**ocr_kwargs)`` once; otherwise
    ``ocr`` (or a new ``OCR(**ocr_kwargs)``) runs in this process. Every input error is passed
    to ``report`` as ``"<input>[ (page N)]: <reason>"`` and counted in the summary; the other
    inputs are processed. ``advance(1)`` is called once per page or failure (progress).
    Model and configuration errors raise :class:`~lumenocr.errors.LumenOCRError`; records
    written before one stay written.
    """
    from concurrent.futures.process import BrokenProcessPool

    started = time.perf_counter()
    summary = BatchSummary()
    stems: list[str | None] = list(picture_stems(files)) if job.vis_dir else [None] * len(files)
    items = list(zip(files, stems))
    batches: Iterable[list[Outcome]]
    if workers > 1:
        batches = run_parallel(ocr_kwargs, job, items, workers)
    else:
        if ocr is None:
            from lumenocr.pipeline.system import OCR

            ocr = OCR(**ocr_kwargs)
        batches = ([o] for o in process(ocr, job, items))
    try:
        for batch in batches:
            for outcome in batch:
                if outcome.record is not None:
                    sink(outcome.record, outcome.text)
                    summary.written += 1
                if outcome.error is not None:
                    page = "" if outcome.page is None else f" (page {outcome.page})"
                    if report is not None:
                        report(f"{outcome.image}{page}: {outcome.error}")
                    summary.fail(outcome.image)
                if advance is not None:
                    advance(1)
    except BrokenProcessPool as e:
        raise LumenOCRError(f"a worker process died ({e}); results so far were written") from None
    summary.seconds = time.perf_counter() - started
    return summary
