"""Model input preparation shared by inference, training-time evaluation and export.

These functions are the single source of truth for how an image becomes a model input;
the pipeline and the trainer both call them, so results cannot drift between the two.
"""

from lumenocr.preprocess.cls import ClsPreprocess
from lumenocr.preprocess.det import DetPreprocess, DetResized
from lumenocr.preprocess.rec import RecPreprocess

__all__ = ["ClsPreprocess", "DetPreprocess", "DetResized", "RecPreprocess"]
