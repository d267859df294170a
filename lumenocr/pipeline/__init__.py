"""Predictors (detector, classifier, recognizer) and the OCR system composing them.

The names below are imported on first use (PEP 562), so that importing a light module of this
package (``lumenocr.pipeline.profiles``, say, from the server's settings) does not load the
predictors and ONNX Runtime / OpenCV with them. ``from lumenocr.pipeline import OCR`` works as
before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "OCR": "lumenocr.pipeline.system",
    "DetResult": "lumenocr.pipeline.det",
    "TextClassifier": "lumenocr.pipeline.cls",
    "TextDetector": "lumenocr.pipeline.det",
    "TextRecognizer": "lumenocr.pipeline.rec",
}

__all__ = ["OCR", "DetResult", "TextClassifier", "TextDetector", "TextRecognizer"]

if TYPE_CHECKING:
    from lumenocr.pipeline.cls import TextClassifier
    from lumenocr.pipeline.det import DetResult, TextDetector
    from lumenocr.pipeline.rec import TextRecognizer
    from lumenocr.pipeline.system import OCR


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lumenocr.pipeline' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
