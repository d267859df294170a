"""Run a torch module behind the inference :class:`~lumenocr.runtime.engine.Engine` protocol.

Training-time evaluation wraps the model being trained in a :class:`TorchEngine` and builds the
pipeline's own ``TextDetector`` / ``TextRecognizer`` / ``TextClassifier`` on it, so the metric
measures exactly the pre/post-processing users run on the exported ONNX file.
"""

from __future__ import annotations

import threading

import numpy as np
import torch

from lumenocr.runtime.metadata import ModelMeta


class TorchEngine:
    """``engine(batch_nchw_float32) -> numpy output`` of ``module`` in eval mode, no gradients."""

    def __init__(
        self, module: torch.nn.Module, device: str | torch.device = "cpu", meta: ModelMeta | None = None
    ):
        self.module = module
        self.device = torch.device(device)
        self.meta = meta
        self.name = f"torch:{type(module).__name__}"
        self._lock = threading.Lock()  # the train/eval mode switch is module state

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)).to(self.device)
        with self._lock, torch.inference_mode():
            was_training = self.module.training
            self.module.eval()
            try:
                out = self.module(x)
            finally:
                self.module.train(was_training)
        return out.float().cpu().numpy()
