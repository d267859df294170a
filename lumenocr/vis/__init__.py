"""Pictures of OCR results."""

from lumenocr.vis.draw import draw_result, save_picture

__all__ = ["draw_result", "save_picture"]
