"""The tiny inference-engine abstraction the predictors run on.

A predictor (detector, classifier, recognizer) owns pre- and post-processing and calls an
:class:`Engine` for the network itself. ONNX Runtime and OpenVINO are the engines for inference
(runtime/factory.py picks one); the trainer
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


@runtime_checkable
class FileEngine(Engine, Protocol):
    """An engine that runs an ONNX file (ONNX Runtime or OpenVINO, see runtime/factory.py)."""

    #: What the file itself carries (for zoo models, ``meta`` comes from the registry instead).
    file_meta: ModelMeta | None
    #: Dimensions as ints, dynamic ones as names.
    input_shape: list
    output_shape: list
    #: Which engine runs the file (``"onnxruntime"`` or ``"openvino"``) and the precision it
    #: computes in (``"f32"`` or ``"bf16"``: what ``RuntimeOptions.precision`` resolved to).
    kind: str
    precision: str
