"""Run tasks in worker processes, each with its own OCR built once, with a bounded window.

* Every core: ``workers`` processes (spawned, so no ONNX Runtime thread pool is inherited in an
  undefined state), each decoding, detecting and recognising its own task while the others do
  theirs, so decoding of one image overlaps inference on another.
* Bounded: at most ``window`` tasks are queued or running, and in ordered mode a finished task
  waits for the ones before it in a reorder buffer that the same bound limits; memory stays flat
  however long the input list.
* Worker recycling: with ``recycle=N`` the worker processes are replaced after N tasks each
  on average (a memory safety valve against slow growth in a native library): the pool is
  drained and started afresh. (``ProcessPoolExecutor(max_tasks_per_child=...)`` would be the
  finer tool, but it can deadlock on Python 3.11.)
* A worker that dies (out of memory, a crash in a native decoder) costs only the input it was
  reading: the pool is rebuilt, the tasks that were in flight are retried one at a time, and the
  one that kills its worker again is reported as failed.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from lumenocr.batch.engine import run_task
from lumenocr.batch.job import BatchJob, Outcome
from lumenocr.batch.plan import Task, Unit

# One OCR per worker process, built by the pool initializer: models load once per worker, not
# once per input. Module-global because that is how a process pool hands state to its tasks.
_WORKER_OCR = None
# What building it raised (a model or option error): every task of the worker re-raises it.
# An initializer that raises only breaks the pool, which would read as a crash of every input.
_WORKER_ERROR: Exception | None = None


def _worker_init(ocr_kwargs: dict) -> None:
    global _WORKER_OCR, _WORKER_ERROR
    _die_with_parent()
    try:
        from lumenocr.pipeline.system import OCR

        # Workers run the same engine as one process would ("auto": OpenVINO when installed):
        # each has fewer threads than the machine has CPUs, so the engine leaves thread
        # placement to the OS (see runtime/openvino.py); a pool of OpenVINO workers, measured,
        # beat ONNX Runtime workers by 14% on 100 mixed images (docs/batch.md).
        _WORKER_OCR = OCR(**ocr_kwargs)
    except Exception as e:  # noqa: BLE001 - handed to the parent with the first task (see above)
        _WORKER_ERROR = e


def _worker_ready() -> None:
    """Raise what building this worker's OCR raised, if anything."""
    if _WORKER_ERROR is not None:
        raise _WORKER_ERROR


def _die_with_parent() -> None:
    """Linux: end this worker when the batch process dies, even by SIGKILL (a pool worker would
    otherwise wait for work forever)."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _worker_run(job: BatchJob, task: Task) -> list[Outcome]:
    _worker_ready()
    return run_task(_WORKER_OCR, job, task)


class WorkerPool:
    """``workers`` spawned processes, each building ``OCR(**ocr_kwargs)`` as it starts.

    Starting one costs no time of its own: the workers load their models while the caller
    goes on (a command need not build a model of its own to check the options first; see
    :meth:`ready`). Give it to :func:`run_pool` / :func:`~lumenocr.batch.run_batch`; the
    caller closes it (``with WorkerPool(...) as pool:``).
    """

    def __init__(self, ocr_kwargs: dict, workers: int):
        self.args = (ocr_kwargs, workers)
        self.workers = workers
        self.executor = self._new()

    def ready(self) -> None:
        """Wait until a worker has built its OCR; raise the model or option error it met
        (every worker builds the same one)."""
        done, _ = wait(self._started, return_when=FIRST_COMPLETED)
        next(iter(done)).result()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _new(self) -> ProcessPoolExecutor:
        ocr_kwargs, workers = self.args
        executor = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(ocr_kwargs,),
        )
        # A spawning pool starts a process per submitted call while none is idle: one call per
        # worker starts them all now, so they load their models side by side.
        self._started = [executor.submit(_worker_ready) for _ in range(workers)]
        return executor

    def restart(self, wait: bool = False) -> None:
        self.executor.shutdown(wait=wait, cancel_futures=True)
        self.executor = self._new()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def run_pool(
    ocr_kwargs: dict,
    job: BatchJob,
    tasks: Sequence[Task],
    workers: int,
    *,
    ordered: bool = True,
    recycle: int | None = None,
    window: int | None = None,
    pool: WorkerPool | None = None,
) -> Iterator[tuple[Task, list[Outcome]]]:
    """Yield ``(task, outcomes)`` for every task: in task order, or as they finish when not
    ``ordered``. Configuration and model errors raised in a worker (building its OCR
    included) propagate. ``pool``: workers already started (the caller closes them);
    otherwise ``workers`` are started here and closed at the end."""
    window = window or 4 * workers
    todo = deque(enumerate(tasks))
    retry: deque[tuple[int, Task]] = deque()  # in flight when a worker died: rerun one at a time
    pending: dict[Future, tuple[int, Task, bool]] = {}  # future -> (position, task, ran alone)
    finished_early: dict[int, tuple[Task, list[Outcome]]] = {}  # reorder buffer (ordered mode)
    emit = 0  # position of the next task to yield in ordered mode
    own = pool is None
    if pool is None:
        pool = WorkerPool(ocr_kwargs, workers)
    generation = 0  # tasks given to the current worker processes
    try:
        while todo or retry or pending:
            if recycle and generation >= recycle * workers and not pending:
                pool.restart(wait=True)  # drained: fresh processes
                generation = 0
            if retry:
                if not pending:
                    pos, task = retry.popleft()
                    pending[pool.executor.submit(_worker_run, job, task)] = (pos, task, True)
                    generation += 1
            else:
                while (
                    todo
                    and len(pending) < window
                    and (not ordered or todo[0][0] - emit < window)
                    and not (recycle and generation >= recycle * workers)
                ):
                    pos, task = todo.popleft()
                    pending[pool.executor.submit(_worker_run, job, task)] = (pos, task, False)
                    generation += 1
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            broken = False
            ready: list[tuple[int, Task, list[Outcome]]] = []
            for fut in finished:
                pos, task, alone = pending.pop(fut)
                try:
                    ready.append((pos, task, fut.result()))
                except BrokenProcessPool:
                    if alone:  # it killed its worker when run on its own: it is the culprit
                        ready.append((pos, task, [_died(u) for u in task.units]))
                    else:
                        retry.append((pos, task))
                    broken = True
            if broken:
                retry.extend((pos, task) for pos, task, _ in pending.values())
                retry = deque(sorted(retry, key=lambda item: item[0]))
                pending.clear()
                pool.restart()
                generation = 0
            for pos, task, outcomes in sorted(ready, key=lambda item: item[0]):
                if ordered:
                    finished_early[pos] = (task, outcomes)
                else:
                    yield task, outcomes
            while emit in finished_early:
                yield finished_early.pop(emit)
                emit += 1
    finally:
        if own:
            pool.close()


def _died(unit: Unit) -> Outcome:
    return Outcome(
        unit.source,
        unit.page,
        error="the worker process died while reading this input (out of memory, or a crash in a "
        "native decoder); the rest of the batch went on",
    )
