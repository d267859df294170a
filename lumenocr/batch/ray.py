"""Batch OCR on a Ray cluster with Ray Data (the ``[ray]`` extra).

The inputs are planned exactly as for a local run (a page of a PDF, an image, a video per
unit), turned into a dataset with ``ray.data.from_items`` and mapped with ``map_batches`` over
a pool of actors, each of which builds its :class:`~lumenocr.OCR` once and reserves
``threads`` CPUs. Results stream back to the driver in input order and are written and counted
by the same code as a local run, so the two give the same records.

Inputs are read by the actors, so on a multi-node cluster paths must be visible on every node
(a shared file system) or be http(s) URLs. See docs/batch.md for a cluster recipe.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import warnings
from collections.abc import Callable, Collection, Sequence

from lumenocr.batch.job import BatchJob, Outcome
from lumenocr.batch.plan import Key, Task, Unit
from lumenocr.batch.runner import BatchSummary, Sink, Tally
from lumenocr.errors import ConfigError


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401 - Ray Data is a separate part of the ray wheel
    except ImportError:
        raise ConfigError("--ray needs Ray: pip install 'lumenocr[ray]'") from None
    return ray


def init(address: str | None = None, **kwargs) -> None:
    """Connect to the Ray cluster at ``address`` (``None``: ``RAY_ADDRESS``, a cluster started
    on this machine with ``ray start``, else a new local instance) unless already connected."""
    ray = _import_ray()
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    if not ray.is_initialized():
        if address is None and not os.environ.get("RAY_ADDRESS"):
            stale = _stale_cluster_file()
            if stale:
                # Ray would keep trying to reach it (minutes, no error): start a local instance.
                warnings.warn(
                    f"{stale[0]} names a Ray cluster at {stale[1]} that does not answer (stopped "
                    "without `ray stop`?); starting a local Ray instance instead",
                    stacklevel=2,
                )
                address = "local"
        try:
            kwargs.setdefault("logging_level", logging.WARNING)
            ray.init(address=address, log_to_driver=False, **kwargs)
        except ConnectionError as e:
            raise ConfigError(
                f"cannot connect to the Ray cluster at {address}: {e}{_auth_hint(address)}"
            ) from None


def _stale_cluster_file() -> tuple[str, str] | None:
    """``(file, address)`` when the file in which ``ray start`` records the cluster it started
    on this machine (Ray's temp folder: ``RAY_TMPDIR``, else ``TMPDIR``, else /tmp, then
    ``ray/ray_current_cluster``) names an address where nothing accepts a connection any more:
    a cluster ended without ``ray stop`` (killed, crashed) leaves it behind, and ``ray.init()``
    without an address then tries to join it for minutes instead of starting a local instance.
    ``None`` when there is no such file, it cannot be read, or the address answers."""
    temp = os.environ.get("RAY_TMPDIR") or os.environ.get("TMPDIR") or "/tmp"
    path = os.path.join(temp, "ray", "ray_current_cluster")
    try:
        with open(path, encoding="utf-8") as f:
            recorded = f.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
    host, sep, port = recorded.rpartition(":")
    if not sep or not host or not port.isdigit():
        return None
    try:
        with socket.create_connection((host, int(port)), timeout=2.0):
            return None
    except OSError:
        return path, recorded


def _auth_hint(address: str | None) -> str:
    """Why joining a cluster by its address may fail with Ray's token authentication.

    Ray (2.5x+) turns token mode on by itself only for a cluster it finds without an address; a
    driver given one (``--ray HOST:PORT`` or ``RAY_ADDRESS``) joins without a token unless
    ``RAY_AUTH_MODE=token`` is set, and a head started with authentication refuses it.
    """
    given = address if address is not None else os.environ.get("RAY_ADDRESS")
    if not given or given == "auto" or os.environ.get("RAY_AUTH_MODE", "").lower() == "token":
        return ""
    return (
        "; if the cluster uses token authentication (`ray start --head` turns it on where a token "
        "exists, and says so), set RAY_AUTH_MODE=token and make the cluster's token available "
        "(~/.ray/auth_token, RAY_AUTH_TOKEN_PATH or RAY_AUTH_TOKEN); see docs/batch.md"
    )


class OCRActor:
    """A Ray Data actor: one OCR per actor, reused for every batch it is given."""

    def __init__(self, job: BatchJob, ocr_kwargs: dict):
        from lumenocr.pipeline.system import OCR

        self.job = job
        self.ocr = OCR(**ocr_kwargs)

    def __call__(self, batch: dict) -> dict:
        from lumenocr.batch.engine import run_task

        units = [
            Unit(int(i), str(s), None if int(p) < 0 else int(p), str(st) or None, bool(v))
            for i, s, p, st, v in zip(
                batch["index"], batch["source"], batch["page"], batch["stem"], batch["video"]
            )
        ]
        positions = [int(p) for p in batch["pos"]]
        out: dict[str, list] = {"pos": [], "outcomes": []}
        # In rec mode the whole inputs of a batch are read as one recognizer batch; otherwise
        # each unit is its own task (as in the local engine).
        if self.job.mode == "rec" and all(u.page is None and not u.video for u in units):
            outcomes = run_task(self.ocr, self.job, Task(0, tuple(units)))
            by_source: dict[str, list[Outcome]] = {}
            for o in outcomes:
                by_source.setdefault(o.image, []).append(o)
            for pos, u in zip(positions, units):
                out["pos"].append(pos)
                out["outcomes"].append(_dump(by_source.get(u.source, [])))
        else:
            for pos, u in zip(positions, units):
                out["pos"].append(pos)
                out["outcomes"].append(_dump(run_task(self.ocr, self.job, Task(0, (u,)))))
        return out


def _dump(outcomes: list[Outcome]) -> str:
    # Plain JSON crosses Ray's object store (Arrow) as one string column, whatever the records hold.
    return json.dumps(
        [
            {
                "image": o.image,
                "page": o.page,
                "record": o.record,
                "text": o.text,
                "error": o.error,
                "records": o.records,
            }
            for o in outcomes
        ],
        ensure_ascii=False,
    )


def _load(text: str) -> list[Outcome]:
    return [Outcome(**d) for d in json.loads(text)]


def run_ray(
    files: Sequence[str],
    job: BatchJob,
    ocr_kwargs: dict,
    sink: Sink,
    *,
    address: str | None = None,
    threads: int | None = 1,
    actors: int | None = None,
    done: Collection[Key] = frozenset(),
    ordered: bool = True,
    report: Callable[[str], None] | None = None,
    advance: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Like :func:`lumenocr.batch.run_batch`, on Ray: ``actors`` OCR actors (default: the
    cluster's CPUs divided by ``threads``), each reserving ``threads`` CPUs."""
    ray = _import_ray()
    init(None if address in (None, "", "auto") else address)
    threads = threads or 1
    kwargs = {**ocr_kwargs, "threads": threads}
    tally = Tally(files, job, done, report, advance, ordered=ordered)
    units = tally.units()
    if units:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        actors = actors or max(1, cpus // threads)
        rows = [
            {
                "pos": pos,
                "index": u.index,
                "source": u.source,
                "page": -1 if u.page is None else u.page,
                "stem": u.stem or "",
                "video": u.video,
            }
            for pos, u in enumerate(units)
        ]
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = ordered
        ctx.enable_progress_bars = False  # lumenocr shows its own progress
        ds = ray.data.from_items(rows, override_num_blocks=max(1, min(len(rows), 4 * actors)))
        ds = ds.map_batches(
            OCRActor,
            fn_constructor_kwargs={"job": job, "ocr_kwargs": kwargs},
            batch_size=job.rec_chunk if job.mode == "rec" else 1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=threads,
        )
        for row in ds.iter_rows():
            unit = units[int(row["pos"])]
            tally.add([unit], _load(row["outcomes"]), sink)
    return tally.finish()
