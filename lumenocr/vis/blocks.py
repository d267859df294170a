"""Draw document blocks (type and reading-order number) and table cells onto a picture."""

from __future__ import annotations

import cv2
import numpy as np

from lumenocr.results import OCRResult

#: BGR colour per block type (others grey).
BLOCK_COLORS = {
    "text": (200, 120, 0),
    "title": (0, 0, 220),
    "table": (0, 160, 0),
    "figure": (160, 0, 160),
    "figure_caption": (160, 80, 160),
    "table_caption": (0, 120, 80),
    "header": (0, 140, 220),
    "footer": (0, 140, 220),
    "reference": (120, 120, 0),
    "equation": (80, 0, 160),
}


def draw_blocks(image: np.ndarray, result: OCRResult, thickness: int = 1) -> None:
    """Outline each block (in place) with its ``order: type`` label, and each table cell."""
    h, w = image.shape[:2]
    scale = max(0.4, min(h, w) / 1400)
    for b in result.blocks:
        color = BLOCK_COLORS.get(b.kind, (128, 128, 128))
        poly = np.round(np.asarray(b.points, np.float32).reshape(-1, 2)).astype(np.int32)
        cv2.polylines(image, [poly], True, color, thickness + 1, cv2.LINE_AA)
        if b.table is not None:
            for cell in b.table.cells:
                cp = np.round(np.asarray(cell.points, np.float32).reshape(-1, 2)).astype(np.int32)
                if len(cp) >= 3:
                    cv2.polylines(image, [cp], True, color, max(1, thickness), cv2.LINE_AA)
        label = f"{b.order}: {b.kind}"
        x, y = int(poly[:, 0].min()), int(poly[:, 1].min())
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        y = max(y, th + base + 1)
        cv2.rectangle(image, (x, y - th - base - 1), (x + tw + 2, y), color, -1)
        cv2.putText(
            image, label, (x + 1, y - base), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA
        )
