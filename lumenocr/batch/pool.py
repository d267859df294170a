"""Worker processes, each with its own OCR built once, reading inputs in input order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from lumenocr.batch.engine import process
from lumenocr.batch.job import BatchJob, Outcome

# One OCR per worker process, built by the pool initializer: models load once per worker, not
# once per input. Module-global because that is how a process pool hands state to its tasks.
_WORKER_OCR = None


def _worker_init(ocr_kwargs: dict) -> None:
    global _WORKER_OCR
    from lumenocr.pipeline.system import OCR

    _WORKER_OCR = OCR(**ocr_kwargs)


def _worker_run(job_and_item: tuple[BatchJob, tuple[str, str | None]]) -> list[Outcome]:
    job, item = job_and_item
    return list(process(_WORKER_OCR, job, [item]))


def run_parallel(
    ocr_kwargs: dict, job: BatchJob, items: Sequence[tuple[str, str | None]], workers: int
) -> Iterator[list[Outcome]]:
    """Outcomes per input, in input order, from ``workers`` processes each with its own OCR."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: a forked child would inherit ONNX Runtime's thread pools in an undefined state.
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_worker_init, initargs=(ocr_kwargs,)
    ) as pool:
        yield from pool.map(_worker_run, [(job, it) for it in items])
