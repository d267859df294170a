"""lumenocr: fast, accurate OCR on ONNX Runtime, with training, evaluation and serving."""

__version__ = "0.1.0"
