"""Weight averaging of checkpoints from one training run (``lumenocr average``).

The uniform mean of the weights saved at several evaluation steps of one fine-tuning run
(the tail of a cosine schedule, say) lies nearer the centre of the flat region those steps
wander around than any one of them, and often generalises a little better than the best
single checkpoint (stochastic weight averaging, "model soups"). It costs no training.

Only checkpoints of one lineage make sense: same architecture, same dictionary, weights
that started from the same pretrained model. Batch-norm running statistics are averaged like
the weights, which is an approximation (SWA re-estimates them on data); the published detector
has its batch-norm folded into the convolutions, so there it is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from lumenocr.errors import ModelError

# Training state that belongs to one step and means nothing for a mean of several.
_STEP_STATE = ("optimizer", "scheduler", "scaler", "rng", "best")


def average_checkpoints(paths: Sequence[str | Path]) -> dict[str, Any]:
    """The checkpoint whose weights are the uniform mean of ``paths``' weights.

    Everything else (config, dictionary, pre/post-processing, step) comes from the last path,
    so list the checkpoints in training order. Floating-point tensors are summed in float64;
    integer buffers (batch-norm's step counters) are taken from the last checkpoint. The
    post-processing thresholds the last checkpoint carries were chosen for its own weights:
    choose them again for the average (``benchmarks/bench_finetune.py --det-val``).

    Raises :class:`ModelError` for fewer than two checkpoints, or for checkpoints of different
    tasks, architectures or dictionaries, or whose tensors differ (naming the first ones).
    """
    from lumenocr.train.trainer import _load, tensor_mismatches

    if len(paths) < 2:
        raise ModelError(f"averaging needs at least two checkpoints, got {len(paths)}")
    states = [_load(str(p)) for p in paths]
    for p, s in zip(paths, states, strict=True):
        if "model" not in s or "config" not in s:
            raise ModelError(f"{p}: not a lumenocr training checkpoint (no config/model)")
    first, last = states[0], states[-1]
    for p, s in zip(paths[1:], states[1:], strict=True):
        for key, what in (("task", "task"), ("characters", "dictionary")):
            if s.get(key) != first.get(key):
                raise ModelError(f"{p}: another {what} than {paths[0]}; average checkpoints of one run only")
        if s["config"].get("model") != first["config"].get("model"):
            raise ModelError(
                f"{p}: another architecture than {paths[0]} (config 'model' sections differ); "
                "average checkpoints of one run only"
            )
        problems = tensor_mismatches(first["model"], s["model"], "first", "this")
        if problems:
            raise ModelError(
                f"{p} does not match {paths[0]} ({len(problems)} mismatching tensors): "
                + "; ".join(problems[:3])
            )
    mean: dict[str, torch.Tensor] = {}
    for key, ref in last["model"].items():
        if ref.is_floating_point():
            total = torch.zeros(ref.shape, dtype=torch.float64)
            for s in states:
                total += s["model"][key].to(torch.float64)
            mean[key] = (total / len(states)).to(ref.dtype)
        else:
            mean[key] = ref.clone()
    out = {k: v for k, v in last.items() if k not in _STEP_STATE}
    out["model"] = mean
    out["averaged_from"] = [str(p) for p in paths]
    return out


def write_average(paths: Sequence[str | Path], output: str | Path) -> dict[str, Any]:
    """Average ``paths`` (:func:`average_checkpoints`) and save the result to ``output``."""
    state = average_checkpoints(paths)
    out = Path(output)
    tmp = out.with_name(out.name + ".tmp")
    torch.save(state, tmp)
    tmp.replace(out)  # never a half-written checkpoint under the final name
    return state
