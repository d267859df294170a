"""Model output decoding: pure numpy/OpenCV, shared by inference and training-time evaluation."""

from lumenocr.postprocess.ctc import CTCDecoder
from lumenocr.postprocess.db import DBPostProcess

__all__ = ["CTCDecoder", "DBPostProcess"]
