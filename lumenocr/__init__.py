"""lumenocr: fast, accurate OCR on ONNX Runtime, with training, evaluation and serving."""

__version__ = "0.1.0"

from lumenocr.errors import LumenOCRError  # noqa: E402
from lumenocr.results import OCRResult, RecResult, TextLine, Word  # noqa: E402


def __getattr__(name):
    # The pipeline imports onnxruntime; load it on first use so `import lumenocr` stays light.
    if name in ("OCR", "TextDetector", "TextRecognizer", "TextClassifier"):
        from lumenocr import pipeline

        return getattr(pipeline, name)
    raise AttributeError(name)


__all__ = [
    "OCR",
    "LumenOCRError",
    "OCRResult",
    "RecResult",
    "TextClassifier",
    "TextDetector",
    "TextLine",
    "TextRecognizer",
    "Word",
]
