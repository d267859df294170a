"""The tiny inference-engine abstraction the predictors run on.

A predictor (detector, classifier, recognizer) owns pre- and post-processing and calls an
:class:`Engine` for the network itself. ONNX Runtime is the engine for inference; the trainer
wraps its torch module in an engine too, so training-time evaluation runs exactly the
predictor code that users run.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from lumenocr.runtime.metadata import ModelMeta


@runtime_checkable
class Engine(Protocol):
    """Maps one float32 NCHW batch to the model's first output. Must be thread-safe."""

    #: What the model file says about itself (task, pre/post-processing, dictionary), if anything.
    meta: ModelMeta | None
    #: Human-readable origin, used in error messages.
    name: str

    def __call__(self, batch: np.ndarray) -> np.ndarray: ...
