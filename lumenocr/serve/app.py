"""The FastAPI application: :func:`create_app` builds it from a :class:`ServeConfig`.

Start-up loads and warms the models in a background thread, so ``/healthz`` answers at once
and ``/readyz`` turns 200 when the models are ready (load balancers route only then). Shutdown
(SIGTERM/SIGINT, handled by uvicorn) stops accepting connections, lets in-flight requests
finish, then drains the worker threads.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from lumenocr import __version__
from lumenocr.serve.config import ServeConfig
from lumenocr.serve.errors import install_handlers
from lumenocr.serve.limits import Admission, BodyLimitMiddleware
from lumenocr.serve.metrics import Metrics, MetricsMiddleware
from lumenocr.serve.service import OCRService

STATIC_DIR = files("lumenocr.serve") / "static"

DESCRIPTION = """\
OCR over HTTP: the lumenocr pipeline (DB detection, direction classifier, CTC recognition,
reading order). Responses of `/v1/*` are exactly the records of `lumenocr ocr --format json`.
`POST /ocr` speaks PaddleOCR's basic-serving JSON and rapidocr_api's form protocol.
Errors are `{"error": {"code": "...", "message": "..."}}` with a 4xx status.
"""


def create_app(config: ServeConfig | None = None, ocr=None) -> FastAPI:
    """A ready-to-run app. ``ocr``: an already built :class:`lumenocr.OCR` to serve (tests, or
    embedding in your own process); by default the models named in ``config`` are loaded."""
    config = config or ServeConfig()
    metrics = Metrics()
    service = OCRService(config, ocr, on_pages=metrics.pages.inc)
    admission = Admission(
        config.max_concurrency, config.max_queue, config.request_timeout, config.retry_after, metrics
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loader = None
        if not service.ready.is_set():
            loader = threading.Thread(target=service.load, name="lumenocr-load", daemon=True)
            loader.start()
        yield
        if loader is not None:
            loader.join()
        admission.shutdown()

    app = FastAPI(title="lumenocr", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.config = config
    app.state.metrics = metrics
    app.state.service = service
    app.state.admission = admission
    install_handlers(app)

    from lumenocr.serve import compat, routes

    app.include_router(routes.health)
    app.include_router(routes.router)
    app.include_router(compat.router)
    app.openapi_schema = None
    _add_error_schema(app)

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(str(STATIC_DIR / "index.html"), media_type="text/html")

    # Outermost first: metrics see every answer, including the body-size refusals.
    app.add_middleware(BodyLimitMiddleware, max_bytes=config.max_upload_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def _add_error_schema(app: FastAPI) -> None:
    """Register the ``Error`` schema the routes' 4xx responses refer to."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                    }
                },
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app_from_env() -> FastAPI:
    """App factory for uvicorn worker processes (``lumenocr serve --workers N``)."""
    return create_app(ServeConfig.from_env())
