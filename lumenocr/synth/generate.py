"""Parallel dataset generation with output that depends on the seed only.

Sample ``i`` is drawn from ``numpy.random.default_rng([seed, i, kind])`` and its text plan from
:meth:`TextSampler.plan`, so 1 worker or 16 write byte-identical files. Workers render and
encode; the parent writes in index order.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing as mp
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lumenocr.errors import ConfigError
from lumenocr.synth.config import DetSynthConfig, RecSynthConfig
from lumenocr.synth.writers import FolderWriter, LmdbWriter, prepare_out_dir

_REC, _DET = 1, 2  # mixed into sample seeds so rec line i and det page i differ
_STATE: dict = {}


@dataclass
class GenerateReport:
    """What a generation run produced."""

    kind: str
    count: int
    out_dir: str
    fmt: str
    workers: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float("inf")


def encode(image: np.ndarray, fmt: str, quality: int) -> bytes:
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if fmt == "jpg" else [cv2.IMWRITE_PNG_COMPRESSION, 3]
    ok, buf = cv2.imencode(f".{fmt}", image, params)
    if not ok:
        raise RuntimeError(f"could not encode a {image.shape} image as {fmt}")
    return buf.tobytes()


def _init(kind: str, config, seed: int, synth=None) -> None:
    cv2.setNumThreads(1)  # one process per core already; threads inside would oversubscribe
    if synth is not None:
        _STATE["synth"] = synth
    elif kind == "rec":
        from lumenocr.synth.line import RecSynth

        _STATE["synth"] = RecSynth(config, seed=seed)
    else:
        from lumenocr.synth.page import PageSynth

        _STATE["synth"] = PageSynth(config, seed=seed)
    _STATE.update(kind=kind, config=config, seed=seed)


def _rec_task(plans) -> list[tuple[int, bytes, str, None]]:
    synth, cfg, seed = _STATE["synth"], _STATE["config"], _STATE["seed"]
    out = []
    for plan in plans:
        s = synth.render(np.random.default_rng([seed, plan.index, _REC]), plan)
        out.append((plan.index, encode(s.image, cfg.image_format, cfg.image_quality), s.text, None))
    return out


def _det_task(indices) -> list[tuple[int, bytes, str, str | None]]:
    synth, cfg, seed = _STATE["synth"], _STATE["config"], _STATE["seed"]
    out = []
    for i in indices:
        page = synth.render(np.random.default_rng([seed, i, _DET]))
        label = json.dumps(page.annotations(cfg.label_level), ensure_ascii=False)
        words = json.dumps(page.annotations("word"), ensure_ascii=False) if cfg.write_word_labels else None
        out.append((i, encode(page.image, cfg.image_format, cfg.image_quality), label, words))
    return out


def _run(kind, config, synth, tasks, task_fn, count, out_dir, seed, workers, fmt, progress, overwrite, words):
    from tqdm import tqdm

    workers = max(1, int(workers or os.cpu_count() or 1))
    out = prepare_out_dir(out_dir, fmt, overwrite)
    writer = LmdbWriter(out) if fmt == "lmdb" else FolderWriter(out, config.image_format, words=words)
    t0 = time.perf_counter()
    bar = tqdm(
        total=count, unit="line" if kind == "rec" else "page", disable=not progress, desc=f"synth {kind}"
    )
    pool = None
    try:
        if workers == 1:
            threads = cv2.getNumThreads()
            _init(kind, config, seed, synth)
            cv2.setNumThreads(threads)  # in-process: leave the caller's OpenCV settings alone
            results = map(task_fn, tasks)
        else:
            # spawn, not fork: a forked child inherits the parent's thread pools (OpenCV, torch)
            # in whatever state they were and can deadlock on its first parallel call.
            pool = mp.get_context("spawn").Pool(workers, initializer=_init, initargs=(kind, config, seed))
            results = pool.imap(task_fn, tasks)
        for batch in results:
            for index, image, label, word_label in batch:
                writer.add(index, image, label, word_label)
            bar.update(len(batch))
        if pool is not None:
            pool.close()
            pool.join()
            pool = None
    finally:
        bar.close()
        writer.close()
        _STATE.clear()  # in-process runs: release fonts and caches
        if pool is not None:
            pool.terminate()
    return GenerateReport(kind, count, str(out), fmt, workers, time.perf_counter() - t0)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    """Lists of ``size`` consecutive items, lazily (a pool pulls tasks as it goes)."""
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def generate_rec(
    config: RecSynthConfig | None = None,
    count: int = 1000,
    out_dir: str | Path = "synth_rec",
    seed: int = 0,
    workers: int | None = None,
    fmt: str = "folder",
    progress: bool = True,
    overwrite: bool = False,
) -> GenerateReport:
    """Write ``count`` recognition lines to ``out_dir`` (``fmt``: folder | lmdb)."""
    from lumenocr.synth.line import RecSynth

    config = config or RecSynthConfig()
    if count < 1:
        raise ConfigError(f"count must be at least 1, got {count}")
    # Built here first: config errors (fonts, dictionary, folders) surface as clear errors
    # before any worker starts (an exception in a pool initializer would hang the pool).
    synth = RecSynth(config, seed=seed)
    plans = synth.sampler.iter_plans(seed, 0, count)
    return _run(
        "rec",
        config,
        synth,
        _chunks(plans, 64),
        _rec_task,
        count,
        out_dir,
        seed,
        workers,
        fmt,
        progress,
        overwrite,
        False,
    )


def generate_det(
    config: DetSynthConfig | None = None,
    count: int = 100,
    out_dir: str | Path = "synth_det",
    seed: int = 0,
    workers: int | None = None,
    fmt: str = "folder",
    progress: bool = True,
    overwrite: bool = False,
) -> GenerateReport:
    """Write ``count`` detection pages to ``out_dir`` with line (and word) polygons."""
    from lumenocr.synth.page import PageSynth

    config = config or DetSynthConfig()
    if count < 1:
        raise ConfigError(f"count must be at least 1, got {count}")
    synth = PageSynth(config, seed=seed)  # fail early on config errors, see generate_rec
    return _run(
        "det",
        config,
        synth,
        _chunks(range(count), 2),
        _det_task,
        count,
        out_dir,
        seed,
        workers,
        fmt,
        progress,
        overwrite,
        config.write_word_labels,
    )
