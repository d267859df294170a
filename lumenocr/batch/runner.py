"""Drive a batch: inputs -> tasks -> outcomes (this process or a worker pool) -> a sink."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from lumenocr.batch.engine import picture_stems, run_task
from lumenocr.batch.job import BatchJob, Outcome
from lumenocr.batch.plan import Key, Task, Unit, group_tasks, plan_units, remaining

if TYPE_CHECKING:
    from lumenocr.batch.pool import WorkerPool


class Sink(Protocol):
    """Where records go, in the order they are given (a :class:`~lumenocr.io.writers.ResultWriter`)."""

    def write(self, record: dict, text: str) -> None: ...


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs (what it does to each input is the :class:`BatchJob`).

    ``workers``: processes, each with its own OCR (1: in this process). ``ordered``: records in
    input order; otherwise as they finish, each with its input ``"index"``. ``recycle``: replace
    a worker process after this many tasks. ``window``: most tasks queued or waiting to be
    written at once (default 4 per worker). ``split_pages``: read the pages of PDFs and
    multi-page TIFFs as separate tasks, so workers share a long document.
    """

    workers: int = 1
    ordered: bool = True
    recycle: int | None = None
    window: int | None = None
    split_pages: bool = True


@dataclass
class BatchSummary:
    """What a batch did. ``inputs``: inputs given; ``done``: read completely in this run;
    ``skipped``: already complete in the output (a resumed run); ``failed``: inputs with at
    least one failed page, in the order seen; ``written``: records; ``pages``: pages (or
    failures) handled; ``seconds``: wall time."""

    inputs: int = 0
    done: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    written: int = 0
    pages: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        """One line for people."""
        rate = self.pages / self.seconds if self.seconds > 0 else 0.0
        return (
            f"{self.inputs} input(s): {self.done} done, {self.skipped} skipped (already done), "
            f"{len(self.failed)} failed; {self.written} record(s) in {self.seconds:.1f} s "
            f"({rate:.2f} pages/s)"
        )


def run_batch(
    files: Sequence[str],
    job: BatchJob,
    ocr_kwargs: dict,
    sink: Sink,
    *,
    options: BatchOptions | None = None,
    ocr=None,
    done: Collection[Key] = frozenset(),
    report: Callable[[str], None] | None = None,
    advance: Callable[[int], None] | None = None,
    pool: WorkerPool | None = None,
) -> BatchSummary:
    """OCR ``files`` (paths or URLs as given) and hand each record to ``sink``.

    With ``options.workers > 1`` each worker process builds ``OCR(**ocr_kwargs)`` once;
    otherwise ``ocr`` (or a new ``OCR(**ocr_kwargs)``) runs here; ``pool``: worker processes
    already started with :class:`~lumenocr.batch.pool.WorkerPool` (used whatever the number of
    tasks; the caller closes it). Pages whose ``(input, page)``
    key is in ``done`` are skipped (see :mod:`lumenocr.batch.resume`). Every input error is
    passed to ``report`` as ``"<input>[ (page N)]: <reason>"`` and counted; the other inputs
    are processed. ``advance(n)`` reports progress in pages. Model and configuration errors
    raise :class:`~lumenocr.errors.LumenOCRError`; records written before one stay written.
    """
    options = options or BatchOptions()
    tally = Tally(files, job, done, report, advance, ordered=options.ordered)
    tasks = tally.tasks(options.split_pages)
    for task, outcomes in _outcomes(tasks, job, ocr_kwargs, options, ocr, pool):
        tally.add(task.units, outcomes, sink)
    return tally.finish()


class Tally:
    """Plans the units of a batch and counts what comes back (shared by the local and the Ray
    paths, so both write and count alike)."""

    def __init__(self, files, job: BatchJob, done, report, advance, ordered: bool = True):
        self.started = time.perf_counter()
        self.files, self.job, self.done = files, job, done
        self.report, self.advance, self.ordered = report, advance, ordered
        self.summary = BatchSummary(inputs=len(files))
        self.left: dict[int, int] = {}  # input index -> units still to finish
        self.failed_inputs: set[int] = set()

    def units(self, split_pages: bool = True) -> list[Unit]:
        """The units still to do (those in ``done`` are counted as skipped inputs)."""
        stems: list[str | None] = (
            list(picture_stems(self.files)) if self.job.vis_dir else [None] * len(self.files)
        )
        units = plan_units(self.files, stems, split_pages=split_pages, pages=self.job.load.pages)
        todo = remaining(units, self.done)
        for u in todo:
            self.left[u.index] = self.left.get(u.index, 0) + 1
        self.summary.skipped = len(self.files) - len(self.left)
        return todo

    def tasks(self, split_pages: bool = True) -> list[Task]:
        chunk = self.job.rec_chunk if self.job.mode == "rec" else 1
        return group_tasks(self.units(split_pages), chunk)

    def add(self, units: Sequence[Unit], outcomes: list[Outcome], sink: Sink) -> None:
        """Write and count the outcomes of ``units`` (all of them finished)."""
        summary = self.summary
        index_of = {u.source: u.index for u in units}
        for outcome in outcomes:
            index = index_of.get(outcome.image, units[0].index)
            if not self.ordered:
                for record in _records(outcome):
                    record["index"] = index
            if outcome.records is not None:
                _write_block(sink, outcome.records)
                summary.written += len(outcome.records)
            elif outcome.record is not None:
                sink.write(outcome.record, outcome.text)
                summary.written += 1
            if outcome.error is not None:
                page = "" if outcome.page is None else f" (page {outcome.page})"
                if self.report is not None:
                    self.report(f"{outcome.image}{page}: {outcome.error}")
                if index not in self.failed_inputs:
                    self.failed_inputs.add(index)
                    summary.failed.append(outcome.image)
            summary.pages += 1
            if self.advance is not None:
                self.advance(1)
        for u in units:
            self.left[u.index] -= 1
            if self.left[u.index] == 0 and u.index not in self.failed_inputs:
                summary.done += 1

    def finish(self) -> BatchSummary:
        self.summary.seconds = time.perf_counter() - self.started
        return self.summary


def _records(outcome: Outcome) -> list[dict]:
    if outcome.records is not None:
        return outcome.records
    return [outcome.record] if outcome.record is not None else []


def _write_block(sink: Sink, records: list[dict]) -> None:
    block = getattr(sink, "write_block", None)
    if block is not None:
        block(records)  # one piece: a killed run leaves all of these or none
    else:
        for record in records:
            sink.write(record, record.get("text", ""))


def _outcomes(
    tasks: list[Task], job: BatchJob, ocr_kwargs: dict, options: BatchOptions, ocr, pool
) -> Iterator[tuple[Task, list[Outcome]]]:
    if pool is not None or (options.workers > 1 and len(tasks) > 1):
        from lumenocr.batch.pool import run_pool

        yield from run_pool(
            ocr_kwargs,
            job,
            tasks,
            pool.workers if pool is not None else options.workers,
            ordered=options.ordered,
            recycle=options.recycle,
            window=options.window,
            pool=pool,
        )
        return
    if ocr is None:
        from lumenocr.pipeline.system import OCR

        ocr = OCR(**ocr_kwargs)
    for task in tasks:
        yield task, run_task(ocr, job, task)


__all__ = ["BatchOptions", "BatchSummary", "Sink", "Tally", "run_batch"]
