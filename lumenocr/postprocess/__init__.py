"""Model output decoding and layout: pure numpy/OpenCV, shared by inference, training-time
evaluation and the metrics. Submodules are imported on use (``order`` needs numpy only)."""

__all__ = ["CTCDecoder", "DBPostProcess"]


def __getattr__(name):
    if name == "CTCDecoder":
        from lumenocr.postprocess.ctc import CTCDecoder

        return CTCDecoder
    if name == "DBPostProcess":
        from lumenocr.postprocess.db import DBPostProcess

        return DBPostProcess
    raise AttributeError(name)
