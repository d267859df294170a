"""HTTP OCR service (``lumenocr serve``, ``[serve]`` extra): FastAPI app, web page and client.

>>> from lumenocr.serve import ServeConfig, create_app    # doctest: +SKIP
>>> app = create_app(ServeConfig(max_concurrency=2))     # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

__all__ = ["Client", "ServeConfig", "create_app"]


def __getattr__(name: str) -> Any:
    # FastAPI is an optional dependency: import it only when the app is asked for.
    if name == "create_app":
        from lumenocr.serve.app import create_app

        return create_app
    if name == "ServeConfig":
        from lumenocr.serve.config import ServeConfig

        return ServeConfig
    if name == "Client":
        from lumenocr.serve.client import Client

        return Client
    raise AttributeError(name)
