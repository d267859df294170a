"""The training loop: data, model, optimizer and schedule from a :class:`TrainConfig`.

Determinism and resuming: each epoch's sample order comes from ``(seed, epoch)`` and each
sample's augmentation from ``(seed, epoch, index)``, so a run resumed from a checkpoint at
step ``k`` sees exactly the batches, learning rates and weights the uninterrupted run had at
step ``k`` and continues its loss and LR curves where they stopped.

Stopping: SIGTERM or SIGINT (Ctrl-C) ends the step in progress, writes ``latest.pt`` for that
step and returns; a second signal stops at once. Resuming from that file loses no step.

Data-parallel training: start with ``torchrun --nproc_per_node N -m lumenocr.cli.main train ...``;
each process reads its own shard of every epoch's order (gloo on CPU, NCCL on CUDA), rank 0
evaluates, logs and saves.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import math
import os
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from lumenocr.errors import ConfigError, InputNotFoundError, ModelError
from lumenocr.io.dictionary import read_dictionary
from lumenocr.models import OCRModel, build_model
from lumenocr.preprocess import DetPreprocess
from lumenocr.train.config import TrainConfig, config_to_dict
from lumenocr.train.datasets import DetDataset, Dictionary, RecDataset
from lumenocr.train.engine import TorchEngine
from lumenocr.train.losses import LOSSES
from lumenocr.train.optim import build_optimizer, build_scheduler

log = logging.getLogger("lumenocr.train")

METRIC = {"det": "hmean", "rec": "accuracy", "cls": "accuracy"}


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"global.device is {name!r} but CUDA is not available (use 'cpu' or 'auto')")
    return torch.device(name)


@dataclass
class Distributed:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> Distributed:
        """Read torchrun's environment; initialise the process group when there are several processes."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        import torch.distributed as dist

        if not dist.is_initialized():
            backend = "nccl" if torch.cuda.is_available() else "gloo"
            dist.init_process_group(backend)
        return cls(dist.get_rank(), world, int(os.environ.get("LOCAL_RANK", "0")))


def epoch_order(n: int, seed: int, epoch: int, shuffle: bool, rank: int = 0, world: int = 1) -> list[int]:
    """This process's sample indices for ``epoch`` (same permutation on every process, sharded)."""
    order = np.random.default_rng([seed, epoch]).permutation(n).tolist() if shuffle else list(range(n))
    per = math.ceil(n / world)
    order += order[: per * world - n]  # pad so every process gets the same number of samples
    return order[rank::world]


def make_dictionary(cfg: TrainConfig) -> Dictionary | None:
    """The recognizer's dictionary (None for det/cls): ``global.character_dict``, or else the one
    the ``global.pretrained`` checkpoint carries."""
    if cfg.task != "rec":
        return None
    g = cfg.global_
    if g.character_dict:
        chars = read_dictionary(g.character_dict)
        where = str(g.character_dict)
    elif g.pretrained:
        chars = list(_load(g.pretrained).get("characters") or [])
        if not chars:
            raise ConfigError(
                f"global.character_dict is not set and {g.pretrained} carries no dictionary; set one"
            )
        where = f"{g.pretrained} (its dictionary)"
    else:
        raise ConfigError("global.character_dict is required for a recognizer (one character per line)")
    check_dictionary(chars, where, g.use_space_char)
    return Dictionary(list(chars), g.use_space_char)


def check_dictionary(chars: list[str], where: str, use_space_char: bool) -> None:
    """Duplicate or empty entries would make two classes read as one: refuse them up front."""
    if not chars:
        raise ConfigError(f"{where}: the dictionary is empty")
    seen: dict[str, int] = {}
    for line, c in enumerate(chars, 1):
        if c == "":
            raise ConfigError(f"{where}: line {line} is empty (one character per line, no blank lines)")
        if c in seen:
            raise ConfigError(
                f"{where}: {c!r} appears twice (lines {seen[c]} and {line}); each entry must be unique"
            )
        seen[c] = line
    if use_space_char and " " in seen:
        raise ConfigError(
            f"{where}: line {seen[' ']} is a space and global.use_space_char adds another; remove one"
        )


def make_dataset(cfg: TrainConfig, data, train: bool, dictionary: Dictionary | None):
    """The train (augmented) or eval dataset described by ``data``."""
    g = cfg.global_
    ds: DetDataset | RecDataset
    if cfg.task == "det":
        pre = cfg.preprocess()
        assert isinstance(pre, DetPreprocess)  # the det task's pre-processing
        ds = DetDataset(
            data.label_files,
            augment=cfg.det_augment(data, train),
            targets=cfg.det_targets(data),
            normalize=pre,
            ratio_list=data.ratio_list,
            seed=g.seed,
        )
    else:
        ds = RecDataset(
            data.label_files,
            data.lmdb,
            dictionary,
            cfg.train.image_shape,
            g.max_text_length,
            data.ratio_list,
            cfg.rec_augment(data) if train else None,
            g.seed,
            task=cfg.task,
            role="training" if train else "evaluation",  # the two sets' warnings must not read alike
            crop_margin=train_crop_margin(cfg, data) if train and cfg.task == "rec" else 0.0,
            read_padding=cfg.task == "rec" and bool(getattr(cfg.preprocess(), "read_padding", False)),
        )
    if data.limit is not None:
        ds.items = ds.items[: data.limit]
    return ds


def train_crop_margin(cfg: TrainConfig, data) -> float:
    """``train.crop_margin``, by default the right margin the exported model asks for when it
    reads a crop (``inference.preprocess.pad_right``): train on crops laid out as they are read."""
    if data.crop_margin is not None:
        return float(data.crop_margin)
    pre = cfg.preprocess()
    return float(getattr(pre, "pad_right", 0.0))


class CSVLog:
    """Append-only CSV with a fixed header; on resume, rows after the resumed step are dropped."""

    def __init__(self, path: Path, fields: list[str], resume_step: int | None):
        self.path, self.fields = path, fields
        if resume_step is not None and path.is_file():
            with path.open(newline="") as f:
                rows = [r for r in csv.DictReader(f) if int(r["step"]) <= resume_step]
            self._write(rows, "w")
        elif resume_step is None or not path.is_file():
            self._write([], "w")

    def _write(self, rows: list[dict], mode: str) -> None:
        with self.path.open(mode, newline="") as f:
            w = csv.DictWriter(f, self.fields, extrasaction="ignore")
            if mode == "w":
                w.writeheader()
            w.writerows(rows)

    def add(self, row: dict) -> None:
        self._write([row], "a")


class Trainer:
    """Builds everything from ``cfg``; :meth:`fit` trains and returns a summary dict."""

    def __init__(self, cfg: TrainConfig, dist: Distributed | None = None):
        self.cfg = cfg
        g = cfg.global_
        self.dist = dist or Distributed.from_env()
        self.device = resolve_device(g.device)
        if self.device.type == "cuda" and self.dist.world > 1:
            self.device = torch.device("cuda", self.dist.local_rank)
        seed_everything(g.seed)
        if g.threads:
            torch.set_num_threads(g.threads)
        self.out_dir = Path(g.output_dir)
        self.task = cfg.task
        self.dictionary = make_dictionary(cfg)
        num_classes = self.dictionary.num_classes if self.dictionary else None
        self.model: OCRModel = build_model(cfg.model, num_classes).to(self.device)
        loss_kw = {k: v for k, v in cfg.loss.items() if k != "name"}
        self.loss_fn = LOSSES[cfg.loss["name"]](**loss_kw)
        self.train_set = self._dataset(cfg.train, train=True)
        self.eval_set = self._dataset(cfg.eval, train=False) if cfg.eval else None
        per_step = cfg.train.batch_size * self.dist.world
        n = len(self.train_set)
        self.steps_per_epoch = max(1, n // per_step if cfg.train.drop_last else math.ceil(n / per_step))
        if cfg.train.drop_last and n < per_step:
            raise ConfigError(
                f"train set has {n} samples, fewer than one batch ({per_step}); lower batch_size"
            )
        self.total_steps = g.max_steps or g.epochs * self.steps_per_epoch
        self.optimizer = build_optimizer(self.model, cfg.optimizer)
        self.scheduler = build_scheduler(self.optimizer, cfg.schedule, self.total_steps, cfg.optimizer.lr)
        self.amp = g.amp and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)
        self.step = 0
        self.best: float | None = None
        self.stop_signal: int | None = None  # set by SIGTERM / SIGINT during fit()
        self._cpu_base = 0.0  # training CPU seconds before this process (from a resumed checkpoint)
        self._cpu_start = _cpu_seconds()
        if g.pretrained:
            self.load_pretrained(g.pretrained)
        self.resumed = False
        if g.checkpoint:
            self.resume(g.checkpoint)
        self.ddp_model: torch.nn.Module = self.model
        self._norm_layers = [
            m for m in self.model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
        ]
        if self.cfg.optimizer.freeze_norm_stats:
            log.info(
                "optimizer.freeze_norm_stats: %d batch-norm layers keep their statistics",
                len(self._norm_layers),
            )
        if self.dist.world > 1:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.ddp_model = DistributedDataParallel(self.model, device_ids=ids)

    # --- data ------------------------------------------------------------------------------------
    def _dataset(self, data, train: bool):
        return make_dataset(self.cfg, data, train, self.dictionary)

    def _loader(self, epoch: int, skip_batches: int) -> DataLoader:
        data = self.cfg.train
        self.train_set.set_epoch(epoch)
        order = epoch_order(
            len(self.train_set), self.cfg.global_.seed, epoch, data.shuffle, self.dist.rank, self.dist.world
        )
        order = order[skip_batches * data.batch_size :]
        return DataLoader(
            self.train_set,
            batch_size=data.batch_size,
            sampler=order,
            num_workers=data.num_workers,
            drop_last=data.drop_last,
            pin_memory=self.device.type == "cuda",
            # A signal to the process group must reach only the loop, which saves and shuts
            # the workers down; a worker killed by it would fail the batch in flight instead.
            worker_init_fn=_ignore_stop_signals if data.num_workers else None,
        )

    # --- weights ---------------------------------------------------------------------------------
    def load_pretrained(self, path: str) -> list[str]:
        """Load weights only (the schedule starts over).

        Every tensor must fit the config's model, except a recognizer head whose dictionary
        changed: its rows are matched by character (existing characters keep their weights,
        the blank keeps its row, new characters get fresh rows, removed ones are dropped).
        Returns the names of the tensors that were remapped.
        """
        ckpt = _load(path)
        state = ckpt.get("model")
        if state is None:
            raise ModelError(f"{path}: no model weights in this file")
        own = self.model.state_dict()
        remapped: list[str] = []
        old_chars = ckpt.get("characters")
        if (
            self.dictionary is not None
            and old_chars is not None
            and list(old_chars) != self.dictionary.characters
        ):
            old = Dictionary(list(old_chars), bool(ckpt_use_space(ckpt)))
            state = dict(state)
            for key, value in state.items():
                if key.startswith("head.") and key in own and value.shape[:1] == (old.num_classes,):
                    state[key] = remap_rows(value, own[key], old, self.dictionary)
                    remapped.append(key)
            added = [c for c in self.dictionary.characters if c not in old.index]
            log.info(
                "pretrained %s: dictionary %d -> %d characters (%d new: %s)",
                path,
                len(old.characters),
                len(self.dictionary.characters),
                len(added),
                "".join(added[:50]),
            )
        problems = tensor_mismatches(own, state, "model", "checkpoint")
        if problems:
            raise ModelError(
                f"global.pretrained {path} does not fit the config's model ({len(problems)} mismatching tensors; "
                f"is model: the architecture it was trained with?): " + "; ".join(problems[:3])
            )
        self.model.load_state_dict(state)
        return remapped

    def checkpoint_state(self) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "step": self.step,
            "best": self.best,
            "cpu_s": self.cpu_s(),
            "config": config_to_dict(self.cfg),
            "task": self.task,
            "characters": self.dictionary.characters if self.dictionary else None,
            "rng": {
                "torch": torch.get_rng_state(),
                "numpy": np.random.get_state(),
                "python": random.getstate(),
            },
        }

    def save(self, name: str, state: dict[str, Any] | None = None) -> Path:
        if not self.dist.main:
            return self.out_dir / name
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / name
        tmp = path.with_suffix(".tmp")
        torch.save(state or self.checkpoint_state(), tmp)
        os.replace(tmp, path)  # a crash mid-write never leaves a corrupt checkpoint
        return path

    def resume(self, path: str) -> None:
        state = _load(path)
        for key in ("model", "optimizer", "scheduler", "step"):
            if state.get(key) is None:
                raise ModelError(
                    f"{path}: not a resumable checkpoint (no {key!r} state; best.pt holds weights only): resume "
                    "from latest.pt, or start from these weights with global.pretrained"
                )
        try:
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
        except (RuntimeError, ValueError) as e:
            raise ModelError(
                f"{path}: checkpoint does not fit this model and optimizer (was the config changed? use "
                f"global.pretrained to start from its weights): {str(e).splitlines()[0]}"
            ) from None
        self.scheduler.load_state_dict(state["scheduler"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.step, self.best = int(state["step"]), state.get("best")
        self._cpu_base, self._cpu_start = float(state.get("cpu_s") or 0.0), _cpu_seconds()
        rng = state.get("rng") or {}
        if "torch" in rng:
            torch.set_rng_state(rng["torch"])
            np.random.set_state(rng["numpy"])
            random.setstate(rng["python"])
        self.resumed = True
        log.info("resumed from %s at step %d (best %s)", path, self.step, self.best)

    def cpu_s(self) -> float:
        """CPU seconds this run has used so far, over all its resumed parts (this process's
        threads and its finished DataLoader workers): a training-time figure that does not
        depend on how busy a shared machine was."""
        return self._cpu_base + _cpu_seconds() - self._cpu_start

    # --- evaluation ------------------------------------------------------------------------------
    def predictor(self):
        """The pipeline's predictor running the model being trained, built by the predictor
        factory from the metadata that :func:`~lumenocr.train.export.export_onnx` writes, so
        evaluation here runs exactly what the exported file will run."""
        from lumenocr.pipeline.build import (
            classifier_from_engine,
            detector_from_engine,
            recognizer_from_engine,
        )
        from lumenocr.train.export import model_meta

        engine = TorchEngine(self.model, self.device, meta=model_meta(self.cfg, self.dictionary))
        if self.task == "det":
            return detector_from_engine(engine)
        if self.task == "rec":
            return recognizer_from_engine(engine)
        return classifier_from_engine(engine)

    def evaluate(self) -> dict[str, float]:
        """Run the pipeline predictor on the eval set and score it with :mod:`lumenocr.metrics`."""
        if self.eval_set is None:
            return {}
        if self.task == "det" and self.cfg.eval is not None and self.cfg.eval.tune_thresholds:
            self.tune_thresholds()
        return evaluate_predictor(self.task, self.predictor(), self.eval_set, ds_normalize(self.cfg))

    def tune_thresholds(self) -> None:
        """Set ``inference.postprocess``'s DB thresholds to the best on the eval set.

        Fine-tuning changes how confident the probability map is (the shipped detector draws
        lines, ICDAR labels words), so thresholds fixed in advance would judge the checkpoints
        by their fit to those thresholds, not by their maps. The network runs once per image;
        the reported figure then comes from the ordinary evaluation with the chosen values.
        """
        from lumenocr.io.labels import resolve_image
        from lumenocr.io.sources import load_image
        from lumenocr.train.tune import tune_on_images

        assert self.eval_set is not None
        items = self.eval_set.items
        images = (load_image(resolve_image(lf, s.image_path, must_exist=False)) for lf, s in items)
        best = tune_on_images(self.predictor(), [s for _, s in items], images)[0]
        self.cfg.inference.postprocess.update(
            thresh=best.thresh, box_thresh=best.box_thresh, unclip_ratio=best.unclip_ratio
        )
        log.info(
            "step %d: DB thresholds chosen on the eval set: thresh %.2f box_thresh %.2f unclip_ratio %.2f",
            self.step,
            best.thresh,
            best.box_thresh,
            best.unclip_ratio,
        )

    # --- loop ------------------------------------------------------------------------------------
    def fit(self, on_step: Callable[[dict], None] | None = None) -> dict[str, Any]:
        """Train to ``total_steps`` (or ``global.max_minutes``); returns a summary.

        A SIGTERM / SIGINT stops after the step in progress with ``latest.pt`` saved for that
        step; the summary's ``stopped_by`` then names the signal (None when the run finished).
        """
        self.stop_signal = None
        with self._stop_on_signals():
            return self._fit(on_step)

    @contextlib.contextmanager
    def _stop_on_signals(self) -> Iterator[None]:
        """Turn SIGTERM / SIGINT into a request the loop honours at the next step boundary,
        where model, optimizer and schedule agree (a save mid-step would not resume exactly)."""
        if threading.current_thread() is not threading.main_thread():
            yield  # signal handlers can only be installed from the main thread
            return

        def request_stop(signum: int, frame: object) -> None:
            if self.stop_signal is not None:
                raise KeyboardInterrupt  # asked twice: stop now, without saving
            self.stop_signal = signum
            log.warning(
                "%s received: saving latest.pt after step %d (send it again to stop at once)",
                signal.Signals(signum).name,
                self.step + 1,
            )

        previous = {s: signal.signal(s, request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    def _stop_requested(self) -> bool:
        """Whether a stop signal arrived (on any process: all stop at the same step)."""
        flag = torch.tensor([self.stop_signal or 0], dtype=torch.int32)
        if self.dist.world > 1:
            import torch.distributed as dist

            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            if self.stop_signal is None and flag.item():
                self.stop_signal = int(flag.item())
        return bool(flag.item())

    def _fit(self, on_step: Callable[[dict], None] | None) -> dict[str, Any]:
        g = self.cfg.global_
        main = self.dist.main
        if main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            _dump_config(self.cfg, self.out_dir / "config.yml")
        resume_at = self.step if self.resumed else None
        loss_names = ["loss", "loss_prob", "loss_thresh", "loss_binary"] if self.task == "det" else ["loss"]
        train_log = (
            CSVLog(
                self.out_dir / "train_log.csv",
                ["step", "epoch", "lr", *loss_names, "samples_per_s", "cpu_s"],
                resume_at,
            )
            if main
            else None
        )
        eval_log = (
            CSVLog(self.out_dir / "eval_log.csv", ["step", "metric", "value", "best", "cpu_s"], resume_at)
            if main
            else None
        )
        metric = METRIC[self.task]
        eval_every = g.eval_every or self.steps_per_epoch
        save_every = g.save_every or eval_every
        bar = None
        if main and g.progress_bar:
            from tqdm import tqdm

            bar = tqdm(total=self.total_steps, initial=self.step, desc="train", dynamic_ncols=True)
        self.ddp_model.train()
        t0, seen, samples_total, time_total = time.perf_counter(), 0, 0, 0.0
        deadline = time.monotonic() + 60 * g.max_minutes if g.max_minutes else None
        last: dict[str, float] = {}
        is_last = False
        while self.step < self.total_steps:
            epoch, done = divmod(self.step, self.steps_per_epoch)
            with _stop_signals_blocked():  # workers start here: they must not die of a signal first
                batches = iter(self._loader(epoch, done))
            for batch in batches:
                last = self._train_step(batch)
                self.step += 1
                n = int(batch["image"].shape[0]) * self.dist.world
                seen += n
                if on_step is not None:
                    on_step({"step": self.step, **last})
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{last['loss']:.4f}", lr=f"{last['lr']:.2e}")
                is_last = self.step == self.total_steps or (deadline is not None and self._past(deadline))
                if main and (self.step % max(1, g.log_every) == 0 or is_last):
                    dt = time.perf_counter() - t0
                    samples_total, time_total = samples_total + seen, time_total + dt
                    row = {
                        "step": self.step,
                        "epoch": epoch,
                        **{k: f"{v:.6g}" for k, v in last.items()},
                        "samples_per_s": f"{seen / dt:.2f}",
                        "cpu_s": f"{self.cpu_s():.1f}",
                    }
                    if train_log is not None:  # rank 0 has one (``main``)
                        train_log.add(row)
                    if bar is None:
                        log.info(
                            "step %d/%d epoch %d lr %.3g loss %.4f (%.1f samples/s)",
                            self.step,
                            self.total_steps,
                            epoch,
                            last["lr"],
                            last["loss"],
                            seen / dt,
                        )
                    t0, seen = time.perf_counter(), 0
                stop = self._stop_requested()
                if self.step % eval_every == 0 or (is_last and not stop):
                    self._evaluate_and_save(metric, eval_log)
                elif self.step % save_every == 0 or stop:
                    self.save("latest.pt")
                if stop:
                    name = signal.Signals(self.stop_signal or signal.SIGTERM).name
                    log.warning(
                        "stopped by %s at step %d; latest.pt saved: resume with --resume %s",
                        name,
                        self.step,
                        self.out_dir / "latest.pt",
                    )
                    is_last = True
                if is_last:
                    break
            if is_last:
                break
        if bar is not None:
            bar.close()
        if self.dist.world > 1:
            import torch.distributed as dist

            dist.barrier()
        return {
            "step": self.step,
            "best": self.best,
            "metric": metric,
            "last": last,
            "samples_per_s": samples_total / time_total if time_total else None,
            "output_dir": str(self.out_dir),
            "stopped_by": signal.Signals(self.stop_signal).name if self.stop_signal else None,
        }

    def _past(self, deadline: float) -> bool:
        """Whether the time budget is spent (decided by rank 0, so all processes stop together)."""
        flag = torch.tensor([time.monotonic() > deadline], dtype=torch.int32)
        if self.dist.world > 1:
            import torch.distributed as dist

            dist.broadcast(flag, 0)
        if flag.item():
            log.info("time budget global.max_minutes reached at step %d", self.step)
        return bool(flag.item())

    def _evaluate_and_save(self, metric: str, eval_log: CSVLog | None) -> None:
        if self.dist.main:
            scores = self.evaluate()
            if scores:
                value = scores[metric]
                improved = self.best is None or value > self.best
                if improved:
                    self.best = value
                self.save("latest.pt")
                weights = {**self.checkpoint_state(), "optimizer": None, "scheduler": None, "scaler": None}
                if improved:
                    self.save("best.pt", weights)
                if self.cfg.global_.keep_eval_checkpoints:
                    self.save(f"step_{self.step}.pt", weights)
                if eval_log is not None:  # rank 0 has one
                    eval_log.add(
                        {
                            "step": self.step,
                            "metric": metric,
                            "value": f"{value:.6f}",
                            "best": f"{self.best:.6f}",
                            "cpu_s": f"{self.cpu_s():.1f}",
                        }
                    )
                log.info("step %d: eval %s", self.step, ", ".join(f"{k} {v:.4f}" for k, v in scores.items()))
            else:
                self.save("latest.pt")
        if self.dist.world > 1:
            import torch.distributed as dist

            dist.barrier()

    def _train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        batch = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
        if self.cfg.optimizer.freeze_norm_stats:  # every step: evaluation switches modes back
            for m in self._norm_layers:
                m.eval()
        with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.amp):
            out = self.ddp_model(batch["image"])
        losses = self.loss_fn(out.float(), batch)
        loss = losses["loss"]
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"loss became {loss.item()} at step {self.step}; lower optimizer.lr or enable clipping"
            )
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        clip = self.cfg.optimizer.clip_grad_norm
        if clip:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), clip)
        lr = self.optimizer.param_groups[0]["lr"] / _group_mult(self.optimizer, self.cfg.optimizer.lr)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        return {"lr": lr, **{k: float(v.detach()) for k, v in losses.items()}}


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its reaped children (DataLoader workers)."""
    try:
        import resource
    except ImportError:  # Windows: this process only
        return time.process_time()
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@contextlib.contextmanager
def _stop_signals_blocked() -> Iterator[None]:
    """Hold SIGTERM / SIGINT back while DataLoader workers are forked: a worker inherits the
    blocked mask until its init function ignores them; this process gets them right after."""
    block = getattr(signal, "pthread_sigmask", None)
    if block is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = block(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    try:
        yield
    finally:
        block(signal.SIG_SETMASK, previous)


def _ignore_stop_signals(worker_id: int) -> None:
    """DataLoader worker start-up: leave SIGTERM / SIGINT to the training loop."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def evaluate_predictor(task: str, predictor, ds, normalize: str = "exact") -> dict[str, float]:
    """Score ``predictor`` (built by :mod:`lumenocr.pipeline.build`) on eval dataset ``ds`` the
    way ``lumenocr eval`` scores a model file: the same image decoder, crop policy and metrics
    (``normalize``: the text comparison of ``lumenocr eval rec --normalize``)."""
    if task == "det":
        from lumenocr.io.labels import resolve_image
        from lumenocr.io.sources import load_image
        from lumenocr.metrics import evaluate_detection

        gts, preds = [], []
        for label_file, sample in ds.items:
            preds.append(
                predictor(load_image(resolve_image(label_file, sample.image_path, must_exist=False)))
            )
            gts.append(sample)
        m = evaluate_detection(gts, preds)
        return {"hmean": m.hmean, "precision": m.precision, "recall": m.recall}
    from lumenocr.metrics.rec import EVAL_CHUNK

    results: list = []
    texts: list[str] = []
    for start in range(0, len(ds), EVAL_CHUNK):
        crops, chunk_texts = zip(
            *(ds.load(i) for i in range(start, min(start + EVAL_CHUNK, len(ds)))), strict=True
        )
        texts += chunk_texts
        # Crops as `lumenocr eval rec --model` reads them (rec: a right margin, tall ones turned).
        results += predictor(list(crops)) if task == "cls" else predictor.recognize_crops(list(crops))
    if task == "cls":
        from lumenocr.train.datasets import CLS_LABELS

        gold = [t if t in CLS_LABELS else "0" for t in texts]
        acc = sum(r.label == t for r, t in zip(results, gold, strict=True)) / len(gold)
        return {"accuracy": acc}
    from lumenocr.metrics import evaluate_recognition

    rm = evaluate_recognition(texts, [r.text for r in results], normalize=normalize)
    return {"accuracy": rm.accuracy, "norm_edit_score": 1.0 - rm.mean_ned, "cer": rm.cer}


def ds_normalize(cfg: TrainConfig) -> str:
    return cfg.eval.normalize if cfg.eval else "exact"


def ckpt_use_space(ckpt: dict[str, Any]) -> bool:
    """``use_space_char`` of the config a checkpoint was saved with (True when unrecorded)."""
    return bool(((ckpt.get("config") or {}).get("global") or {}).get("use_space_char", True))


def remap_rows(
    old_value: torch.Tensor, fresh: torch.Tensor, old: Dictionary, new: Dictionary
) -> torch.Tensor:
    """Rows of a CTC head tensor for the ``new`` dictionary, taken by character from ``old``.

    New characters get the freshly initialised row scaled to the spread of the trained rows,
    and (for a bias) the median trained bias, so they start neither dominant nor impossible.
    """
    out = fresh.clone()
    trained = old_value[1:]
    if out.ndim > 1:
        scale = trained.std() / fresh.std().clamp_min(1e-12)
        out = out * scale
    else:
        out[:] = trained.median()
    out[0] = old_value[0]  # the blank
    new_chars = list(new.characters) + ([" "] if new.use_space_char else [])
    for j, c in enumerate(new_chars, 1):
        i = old.index.get(c)
        if i is not None:
            out[j] = old_value[i]
    return out


def _group_mult(optimizer: torch.optim.Optimizer, base_lr: float) -> float:
    group = optimizer.param_groups[0]
    return group["initial_lr"] / base_lr if "initial_lr" in group else 1.0


def tensor_mismatches(a: dict[str, Any], b: dict[str, Any], a_name: str, b_name: str) -> list[str]:
    """Every tensor of two state dicts that differs in shape or is in only one of them, one
    line each naming both sides (``a_name``, ``b_name``), shape differences first."""
    problems = [
        f"{k}: {a_name} {list(a[k].shape)} vs {b_name} {list(b[k].shape)}"
        for k in a
        if k in b and a[k].shape != b[k].shape
    ]
    problems += [f"{k}: in the {a_name}, not in the {b_name}" for k in a if k not in b]
    problems += [f"{k}: in the {b_name}, not in the {a_name}" for k in b if k not in a]
    return problems


def _load(path: str) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError(f"checkpoint not found: {p}")
    try:
        state = torch.load(p, map_location="cpu", weights_only=False)
    except Exception as e:  # torch raises many types for a bad file
        raise ModelError(f"{p}: cannot read checkpoint ({type(e).__name__}: {e})") from None
    if not isinstance(state, dict):
        raise ModelError(f"{p}: not a lumenocr checkpoint")
    return state


def _dump_config(cfg: TrainConfig, path: Path) -> None:
    import yaml

    path.write_text(
        yaml.safe_dump(config_to_dict(cfg), sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
