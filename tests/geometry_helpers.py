"""Shapes shared by the geometry, crop and reading-order tests."""

import math

import numpy as np


def rotated_rect(cx, cy, w, h, degrees):
    """tl, tr, br, bl of a w x h box centred at (cx, cy), turned ``degrees`` clockwise on screen (y down)."""
    t = math.radians(degrees)
    u = np.array([math.cos(t), math.sin(t)])
    v = np.array([-math.sin(t), math.cos(t)])
    c = np.array([cx, cy])
    return np.array(
        [
            c - w / 2 * u - h / 2 * v,
            c + w / 2 * u - h / 2 * v,
            c + w / 2 * u + h / 2 * v,
            c - w / 2 * u + h / 2 * v,
        ],
        np.float32,
    )
