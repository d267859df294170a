"""The service's own routes: ``/v1/ocr``, ``/v1/det``, ``/v1/rec``, ``/v1/cls`` and health.

Responses are the CLI's JSON (``lumenocr ocr --format json``): a list with one record per image
or PDF page, built by the same serializer (:mod:`lumenocr.io.writers`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from lumenocr.serve.auth import require_key
from lumenocr.serve.errors import APIError
from lumenocr.serve.inputs import read_request
from lumenocr.serve.options import CropOptions, DetOptions, OCROptions
from lumenocr.serve.service import Item, OCRService


def validate_options(model: type[BaseModel], raw: dict[str, Any]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        parts = []
        for err in e.errors():
            loc = ".".join(str(p) for p in err.get("loc", ())) or "options"
            msg = "unknown option" if err.get("type") == "extra_forbidden" else err.get("msg", "invalid")
            parts.append(f"{loc}: {msg}")
        raise APIError(422, "invalid_option", "; ".join(parts)) from None


def inline_schema(model: type[BaseModel]) -> dict:
    """The model's JSON schema with nested models written inline (no ``$defs`` to register)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.rsplit("/", 1)[1]])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)


def service_of(request: Request) -> OCRService:
    service: OCRService = request.app.state.service
    if not service.ready.is_set():
        why = (
            f"loading the models failed: {service.load_error}"
            if service.load_error
            else "the models are loading"
        )
        raise APIError(503, "not_ready", why, {"Retry-After": str(request.app.state.config.retry_after)})
    return service


async def run(request: Request, method: str, options_model: type[BaseModel], *, many: bool) -> Any:
    """Read the request, admit it, and run ``OCRService.<method>`` on the thread pool."""
    service = service_of(request)
    cfg = request.app.state.config
    items, raw = await read_request(
        request, many=many, max_parts=cfg.max_crops if many else 1, max_part_bytes=cfg.max_upload_bytes
    )
    options = validate_options(options_model, raw)
    metrics = request.app.state.metrics
    metrics.images.inc(len(items))
    return await request.app.state.admission.run(getattr(service, method), items, options)


def _body_schema(model: type[BaseModel], many: bool) -> dict:
    """OpenAPI request body: the options plus the input fields, as JSON and as multipart."""
    schema = inline_schema(model)
    props = dict(schema.get("properties", {}))
    json_props: dict[str, dict[str, Any]] = {
        "file": {
            "type": "string",
            "description": "the image or PDF, base64 (or a data: URL, or an http(s) URL)",
        },
        "url": {
            "type": "string",
            "description": "fetch the input from this http(s) URL (when the server allows it)",
        },
        "name": {"type": "string", "description": "a name for the input in the results"},
    }
    if many:
        json_props["files"] = {
            "type": "array",
            "items": {"type": "string"},
            "description": "several crops, base64",
        }
    file_part: dict = {"type": "string", "format": "binary"}
    form_file = {"type": "array", "items": file_part} if many else file_part
    return {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": form_file, **props}, "required": ["file"]}
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {**json_props, **props},
                    "additionalProperties": False,
                }
            },
        },
    }


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {
        "description": desc,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for code, desc in (
        (400, "bad input"),
        (401, "API key missing"),
        (403, "API key wrong"),
        (413, "too large"),
        (415, "unsupported format"),
        (422, "invalid options"),
        (503, "overloaded or not ready (see Retry-After)"),
        (504, "past the time limit"),
    )
}

RECORDS = {
    "description": "one record per image or page, as `lumenocr ocr --format json` prints them",
    "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}},
}

router = APIRouter(dependencies=[Depends(require_key)])


@router.post(
    "/v1/ocr",
    tags=["ocr"],
    summary="Detect and read text (the whole system)",
    openapi_extra={"requestBody": _body_schema(OCROptions, False)},
    responses={200: RECORDS, **_ERRORS},
)
async def ocr_route(request: Request) -> JSONResponse:
    return JSONResponse(await run(request, "run_ocr", OCROptions, many=False))


@router.post(
    "/v1/det",
    tags=["ocr"],
    summary="Detect text boxes only",
    openapi_extra={"requestBody": _body_schema(DetOptions, False)},
    responses={200: RECORDS, **_ERRORS},
)
async def det_route(request: Request) -> JSONResponse:
    return JSONResponse(await run(request, "run_det", DetOptions, many=False))


@router.post(
    "/v1/rec",
    tags=["ocr"],
    summary="Read text-line crops (one or many)",
    openapi_extra={"requestBody": _body_schema(CropOptions, True)},
    responses={200: RECORDS, **_ERRORS},
)
async def rec_route(request: Request) -> JSONResponse:
    return JSONResponse(await run(request, "run_rec", CropOptions, many=True))


@router.post(
    "/v1/cls",
    tags=["ocr"],
    summary="Classify text-line crops as upright (0) or upside down (180)",
    openapi_extra={"requestBody": _body_schema(CropOptions, True)},
    responses={200: RECORDS, **_ERRORS},
)
async def cls_route(request: Request) -> JSONResponse:
    return JSONResponse(await run(request, "run_cls", CropOptions, many=True))


health = APIRouter(tags=["operations"])


@health.get("/healthz", summary="The process is up")
async def healthz() -> dict:
    return {"status": "ok"}


@health.get("/readyz", summary="Models loaded and warmed up", responses={503: _ERRORS[503]})
async def readyz(request: Request) -> JSONResponse:
    service: OCRService = request.app.state.service
    if service.ready.is_set():
        # What providers / precision "auto" resolved to on this machine, e.g. "openvino bf16".
        engines = getattr(service.ocr, "engines", None)
        return JSONResponse({"status": "ready", **({"engines": engines()} if engines else {})})
    why = (
        f"loading the models failed: {service.load_error}" if service.load_error else "the models are loading"
    )
    return JSONResponse(
        {"error": {"code": "not_ready", "message": why}},
        status_code=503,
        headers={"Retry-After": str(request.app.state.config.retry_after)},
    )


@health.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
async def metrics(request: Request) -> Response:
    body, ctype = request.app.state.metrics.render()
    return Response(body, media_type=ctype)


__all__ = ["Item", "health", "router", "run", "validate_options"]
