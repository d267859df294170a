"""The real benchmark sets in ../shared/data, for the integration tests (skipped without them)."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def need(folder: str) -> Path:
    """``DATA / folder``, or skip the test when that set is not there."""
    d = DATA / folder
    if not (d / "label.txt").is_file():
        pytest.skip(f"real data not found: {d} (see the data README; tests needing it are skipped)")
    return d
