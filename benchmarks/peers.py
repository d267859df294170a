"""The peer engines the benchmarks compare against, configured one way everywhere.

Benchmarks run as scripts, so their own folder is on ``sys.path`` and ``from peers import ...``
works from any of them (and from tests that put ``benchmarks/`` on the path).
"""

from __future__ import annotations

from typing import Any


def rapidocr_engine(threads: int, **params: Any) -> Any:
    """RapidOCR 3.10 at its defaults (the same PP-OCRv6 small weights lumenocr ships), quiet,
    with ``threads`` intra-op threads and one inter-op thread; ``params`` adds or overrides
    RapidOCR settings (its engine, word boxes, ...)."""
    from rapidocr import RapidOCR

    return RapidOCR(
        params={
            "Global.log_level": "critical",
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            **params,
        }
    )
