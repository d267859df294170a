"""Predictors (detector, classifier, recognizer) and the OCR system composing them."""

from lumenocr.pipeline.cls import TextClassifier
from lumenocr.pipeline.det import DetResult, TextDetector
from lumenocr.pipeline.rec import TextRecognizer
from lumenocr.pipeline.system import OCR

__all__ = ["OCR", "DetResult", "TextClassifier", "TextDetector", "TextRecognizer"]
