"""CTC text recognizer: batches crops by aspect ratio and decodes with positions."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import cast

import numpy as np

from lumenocr.config_utils import from_dict
from lumenocr.errors import ConfigError, DictionaryNotFoundError, ModelError
from lumenocr.io.dictionary import read_dictionary
from lumenocr.pipeline.crop import upright
from lumenocr.pipeline.long_lines import join_windows, plan_windows
from lumenocr.postprocess.ctc import CTCDecoder
from lumenocr.postprocess.registry import build_decoder
from lumenocr.preprocess.rec import RecPreprocess
from lumenocr.results import RecResult
from lumenocr.runtime.engine import Engine

#: Text lines per batch. CPU time per crop was flat from 1 to 8 (252 ICDAR/FUNSD crops,
#: PP-OCRv6 small), and small batches give the worker threads more to share.
DEFAULT_BATCH_SIZE = 4


#: Batches a small set of crops is split into at least (see TextRecognizer.recognize).
MIN_BATCHES = 4


@dataclass
class RecGeometry:
    """Where a crop sat in its batch: needed to map CTC columns back to crop pixels."""

    resized_width: int
    batch_width: int


class TextRecognizer:
    """Reads text crops. Crops are sorted by aspect ratio and batched so each batch is
    padded only to its own widest member; results come back in input order.

    :meth:`recognize` reads crops the pipeline cut; :meth:`recognize_crops` reads crops cut by
    anyone else (tall ones turned as vertical text). Settings come from the engine's metadata
    unless given.
    """

    def __init__(
        self,
        engine: Engine,
        preprocess: RecPreprocess | None = None,
        decoder: CTCDecoder | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        beam_width: int = 0,
        workers: int = 1,
    ):
        meta = getattr(engine, "meta", None)
        if meta is not None and meta.task != "rec":
            raise ModelError(f"{engine.name} is a {meta.task!r} model, not a recognizer")
        self.engine = engine
        self.preprocess = preprocess or from_dict(RecPreprocess, meta.preprocess if meta else {}, engine.name)
        num_classes = _num_classes(engine)
        if decoder is None:
            if meta is None or meta.characters is None:
                raise DictionaryNotFoundError(
                    f"{engine.name} carries no character dictionary in its metadata: pass one with --dict / dictionary="
                )
            decoder = build_decoder(
                meta.postprocess, meta.characters, num_classes, f"dictionary in {engine.name}"
            )
        elif num_classes is not None:
            decoder.check(num_classes, engine.name)
        self.decoder = decoder
        if batch_size < 1:
            raise ConfigError(f"rec batch_size must be >= 1, got {batch_size}")
        self.batch_size = batch_size
        self.beam_width = beam_width
        if workers < 1:
            raise ConfigError(f"rec workers must be >= 1, got {workers}")
        self.workers = workers
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

    @classmethod
    def from_onnx(
        cls, path, dictionary: str | Sequence[str] | None = None, runtime=None, **kw
    ) -> TextRecognizer:
        """Load a recognition ONNX file; the dictionary comes from its metadata unless given
        (a path to a PaddleOCR-style keys file, or a list of characters)."""
        from lumenocr.runtime.factory import create_engine

        engine = create_engine(path, runtime)
        decoder = None
        if dictionary is not None:
            chars = read_dictionary(dictionary) if isinstance(dictionary, str) else list(dictionary)
            src = dictionary if isinstance(dictionary, str) else "dictionary"
            decoder = CTCDecoder.for_model(chars, _num_classes(engine), src)
        return cls(engine, decoder=decoder, **kw)

    def __call__(self, crops: Sequence[np.ndarray]) -> list[RecResult]:
        """Recognise BGR uint8 crops (one text line each)."""
        return [r for r, _ in self.recognize(crops)]

    def recognize_crops(self, crops: Sequence[np.ndarray]) -> list[RecResult]:
        """Read text-line images that a user (or a data set) already cut out: tall ones are read
        as vertical text, as in the pipeline, unless they read better as they are (one tall
        character). Tight crops need no margin: the text may run on into the padding, which is
        decoded (see :meth:`RecPreprocess.decode_width`)."""
        turned = [upright(c) for c in crops]
        reads = self.recognize([t.image for t in turned])
        # A tall crop is a vertical line or one tall glyph ("1", "/", "√" cut out of a form),
        # which turned reads as something else: it is read as it is too, and keeps the reading
        # the recognizer is surer of. Only tall crops are read twice.
        tall = [i for i, t in enumerate(turned) if t.vertical]
        keep_surer(self.recognize, reads, tall, [crops[i] for i in tall])
        return [r for r, _ in reads]

    def recognize(
        self, crops: Sequence[np.ndarray], preprocess: RecPreprocess | None = None
    ) -> list[tuple[RecResult, RecGeometry]]:
        """Like ``__call__`` but also returns each crop's batch geometry (for word boxes).

        Lines wider than the model's widest input (``max_width`` at ``image_height``) are
        read in overlapping windows and joined (see :mod:`lumenocr.pipeline.long_lines`)
        instead of being squashed.
        """
        pre = preprocess or self.preprocess
        max_ratio = pre.max_width / pre.image_height - pre.pad_right
        plans = [plan_windows(c.shape[1], c.shape[0], max_ratio) for c in crops]
        if all(len(p) == 1 for p in plans):
            return self._recognize_fitting(crops, pre)
        pieces: list[np.ndarray] = []
        for crop, plan in zip(crops, plans):
            pieces += [crop if len(plan) == 1 else crop[:, w.x0 : w.x1] for w in plan]
        done = iter(self._recognize_fitting(pieces, pre))
        out = []
        for crop, plan in zip(crops, plans):
            if len(plan) == 1:
                out.append(next(done))
                continue
            parts = []
            for win in plan:
                rec, geo = next(done)
                px = geo.batch_width / max(rec.grid_width, 1) * (win.x1 - win.x0) / max(geo.resized_width, 1)
                parts.append((win, rec, px))
            width = crop.shape[1]
            out.append((join_windows(parts, width), RecGeometry(width, width)))
        return out

    def _recognize_fitting(
        self, crops: Sequence[np.ndarray], pre: RecPreprocess
    ) -> list[tuple[RecResult, RecGeometry]]:
        n = len(crops)
        if n == 0:
            return []
        ratios = [pre.aspect(c) for c in crops]
        order = sorted(range(n), key=lambda i: ratios[i])
        # The plan depends on the crops alone, never on ``workers``: results must not change
        # with the thread count (padding width changes scores in the last decimals).
        # A few lines are still split into up to MIN_BATCHES batches, so that a scene photo with
        # three words keeps two workers busy instead of one (CPU time per crop is flat in the
        # batch size, so nothing is lost single-threaded).
        size = min(self.batch_size, max(1, math.ceil(n / MIN_BATCHES)))
        batches = self._plan_batches(order, ratios, size, pre)
        if self.workers > 1 and len(batches) > 1:
            # Independent batches on single-threaded sessions in parallel: measured to use
            # ~30% less CPU than one batch at a time on a multi-threaded session (no
            # intra-op synchronisation), and ORT releases the GIL while it runs.
            done = self._run_parallel(crops, ratios, batches, pre)
        else:
            done = [self._run_batch(crops, ratios, b, pre) for b in batches]
        out: list[tuple[RecResult, RecGeometry] | None] = [None] * n
        for idx, results in zip(batches, done):
            for i, r in zip(idx, results):
                out[i] = r
        return cast(list[tuple[RecResult, RecGeometry]], out)  # every index was filled above

    def _run_parallel(self, crops, ratios, batches: list[list[int]], pre: RecPreprocess) -> list:
        """Run batches on the calling thread plus ``workers - 1`` pool threads, each taking
        the next batch when it is free (batches differ in width, so static splits idle)."""
        done: list = [None] * len(batches)
        order = iter(range(len(batches)))
        lock = threading.Lock()

        def drain() -> None:
            while True:
                with lock:
                    k = next(order, None)
                if k is None:
                    return
                done[k] = self._run_batch(crops, ratios, batches[k], pre)

        helpers = [self._pool().submit(drain) for _ in range(min(self.workers, len(batches)) - 1)]
        drain()
        for f in helpers:
            f.result()  # re-raises a helper's error
        return done

    def _pool(self) -> ThreadPoolExecutor:
        # One long-lived pool per recognizer, and the caller works too: every extra thread
        # gets its own glibc malloc arena, and fresh threads per call measured 540 MB peak
        # RSS on 40 ICDAR 2015 images against 374 MB this way (348 MB single-threaded).
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.workers - 1, thread_name_prefix="lumenocr-rec")
            return self._executor

    def _plan_batches(
        self, order: list[int], ratios: list[float], size: int, pre: RecPreprocess | None = None
    ) -> list[list[int]]:
        """Group crops (sorted by aspect ratio) into batches of at most ``size`` whose padded
        area stays within ``batch_size * min_width`` columns: wide lines go in smaller
        batches, which bounds peak memory (the (N, T, classes) output alone is ~24 MB for
        8 x 320 px with an 18k-character dictionary) without slowing short lines down."""
        pre = pre or self.preprocess
        budget = self.batch_size * pre.min_width
        batches: list[list[int]] = []
        cur: list[int] = []
        for i in order:
            width = max(pre.min_width, min(pre.max_width, pre.image_height * ratios[i]))
            if cur and (len(cur) >= size or (len(cur) + 1) * width > budget):
                batches.append(cur)
                cur = []
            cur.append(i)
        if cur:
            batches.append(cur)
        return batches

    def _run_batch(
        self, crops, ratios, idx: list[int], pre: RecPreprocess
    ) -> list[tuple[RecResult, RecGeometry]]:
        batch = pre([crops[i] for i in idx])
        batch_w = batch.shape[3]
        probs = np.asarray(self.engine(batch))
        if probs.ndim != 3:
            raise ModelError(f"{self.engine.name}: expected (N, T, C) output, got {probs.shape}")
        grid = probs.shape[1]
        resized = [min(batch_w, max(1, math.ceil(pre.image_height * ratios[i]))) for i in idx]
        valid = [min(grid, math.ceil(pre.decode_width(r) / batch_w * grid)) for r in resized]
        if self.beam_width > 1:
            results = self.decoder.beam_decode(probs, self.beam_width, valid)
        else:
            results = self.decoder.decode(probs, valid)
        # Word boxes map grid columns onto the crop itself, so report the resized width
        # of the crop without the right margin.
        content = [
            rw * crops[i].shape[1] / max(ratios[i] * crops[i].shape[0], 1) for rw, i in zip(resized, idx)
        ]
        return [(res, RecGeometry(max(1, round(cw)), batch_w)) for res, cw in zip(results, content)]


def _num_classes(engine) -> int | None:
    shape = getattr(engine, "output_shape", None)
    if shape is None or len(shape) != 3:
        return None
    c = shape[2]
    return c if isinstance(c, int) else None


def keep_surer(
    recognize: Callable[[Sequence[np.ndarray]], list[tuple[RecResult, RecGeometry]]],
    reads: list[tuple[RecResult, RecGeometry]],
    indices: Sequence[int],
    alternatives: Sequence[np.ndarray],
) -> list[int]:
    """Read ``alternatives[k]``, another view of crop ``indices[k]`` (turned, or not), with
    ``recognize`` (:meth:`TextRecognizer.recognize`) and put its reading into ``reads`` where
    the recognizer is surer of it; returns the indices that took their alternative."""
    taken = []
    for i, alt in zip(indices, recognize(alternatives), strict=True):
        if alt[0].score > reads[i][0].score:
            reads[i] = alt
            taken.append(i)
    return taken
