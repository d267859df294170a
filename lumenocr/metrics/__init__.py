"""Evaluation metrics for detection, recognition, end-to-end OCR and page text.

Pure numpy/shapely/rapidfuzz code (no ONNX Runtime, no torch), shared by ``lumenocr eval``,
the trainer's evaluation and the benchmark scripts.
"""

from lumenocr.metrics.det import DetMetrics, ImageDetMetrics, evaluate_detection
from lumenocr.metrics.e2e import E2EMetrics, ImageE2EMetrics, evaluate_end_to_end
from lumenocr.metrics.geometry import match_polygons
from lumenocr.metrics.page import PageMetrics, evaluate_page_text, evaluate_pages, page_text, reading_order
from lumenocr.metrics.rec import RecMetrics, evaluate_recognition
from lumenocr.metrics.text import MODES, edit_distance, normalize_text, normalized_edit_distance, texts_match

__all__ = [
    "MODES",
    "DetMetrics",
    "E2EMetrics",
    "ImageDetMetrics",
    "ImageE2EMetrics",
    "PageMetrics",
    "RecMetrics",
    "edit_distance",
    "evaluate_detection",
    "evaluate_end_to_end",
    "evaluate_page_text",
    "evaluate_pages",
    "evaluate_recognition",
    "match_polygons",
    "normalize_text",
    "normalized_edit_distance",
    "page_text",
    "reading_order",
    "texts_match",
]
