"""``POST /ocr``: drop-in for PaddleOCR's basic-serving OCR and RapidOCR's ``rapidocr_api``.

Both servers answer ``POST /ocr``; the request's content type tells them apart:

* ``application/json`` -> PaddleOCR (PaddleX) basic serving, general OCR pipeline::

    {"file": "<base64 or URL>", "fileType": 0 (PDF) | 1 (image) | null,
     "useTextLineOrientation": bool, "useDocOrientationClassify": null|false, "useDocUnwarping": null|false,
     "textDetLimitSideLen", "textDetLimitType", "textDetThresh", "textDetBoxThresh",
     "textDetUnclipRatio", "textRecScoreThresh"  (top level, or inside "inferenceParams")}
    -> {"logId", "errorCode": 0, "errorMsg": "Success",
        "result": {"ocrResults": [{"prunedResult": {"rec_texts", "rec_scores", "rec_polys", "rec_boxes",
                   "dt_polys", "textline_orientation_angles", "text_rec_score_thresh", ...},
                   "ocrImage": null, ...}], "dataInfo": {...}}}
    errors: the HTTP status and {"logId", "errorCode": <status>, "errorMsg"}.

* ``multipart/form-data`` or ``application/x-www-form-urlencoded`` -> ``rapidocr_api``::

    image_file=<upload> | image_data=<base64>, use_det, use_cls, use_rec (booleans)
    -> {"0": {"rec_txt": str, "dt_boxes": [[x, y] x 4], "score": float}, ...}  ({} when nothing is found)

Not honoured (see README): PaddleOCR's ``visualize`` (no ``ocrImage`` is drawn: it is null) and
document unwarping / whole-page orientation (``true`` is refused with 422, not ignored).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile

from lumenocr.io.image import sniff_format
from lumenocr.serve.auth import require_key
from lumenocr.serve.errors import APIError, from_library
from lumenocr.serve.inputs import decode_base64
from lumenocr.serve.routes import inline_schema, service_of, validate_options
from lumenocr.serve.service import Item, OCRService, view

router = APIRouter(tags=["compatibility"])


class PaddleInferenceParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    textDetLimitSideLen: int | None = Field(None, ge=32, le=4000)
    textDetLimitType: Literal["min", "max"] | None = None
    textDetThresh: float | None = Field(None, ge=0, le=1)
    textDetBoxThresh: float | None = Field(None, ge=0, le=1)
    textDetUnclipRatio: float | None = Field(None, gt=0, le=10)
    textRecScoreThresh: float | None = Field(None, ge=0, le=1)


class PaddleRequest(PaddleInferenceParams):
    """PaddleOCR basic-serving OCR request (unknown fields are ignored, as PaddleX does)."""

    file: str
    fileType: Literal[0, 1] | None = None
    useDocOrientationClassify: bool | None = None
    useDocUnwarping: bool | None = None
    useTextLineOrientation: bool | None = False
    inferenceParams: PaddleInferenceParams | None = None
    visualize: bool | None = None


_PADDLE_KNOBS = {
    "textDetLimitSideLen": "limit_side_len",
    "textDetLimitType": "limit_type",
    "textDetThresh": "thresh",
    "textDetBoxThresh": "box_thresh",
    "textDetUnclipRatio": "unclip_ratio",
}


def _box(points: Sequence[Sequence[float]]) -> list[int]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return [int(min(xs)), int(min(ys)), int(round(max(xs))), int(round(max(ys)))]


def _paddle_work(service: OCRService, req: PaddleRequest, item: Item, deadline: float) -> dict:
    params = req.model_dump(include=set(PaddleInferenceParams.model_fields))
    if req.inferenceParams is not None:  # nested values win, as in PaddleX
        params.update({k: v for k, v in req.inferenceParams.model_dump().items() if v is not None})
    knobs = {_PADDLE_KNOBS[k]: v for k, v in params.items() if k in _PADDLE_KNOBS and v is not None}
    use_cls = bool(req.useTextLineOrientation)
    ocr = view(service.ocr, det_knobs=knobs, use_cls=use_cls, text_score=params.get("textRecScoreThresh"))
    data = service._bytes(item)
    fmt = sniff_format(data[:1024]) if data else None
    if req.fileType is not None and fmt is not None and (fmt == "pdf") != (req.fileType == 0):
        raise APIError(
            422,
            "invalid_request",
            f"fileType is {req.fileType} ({'PDF' if req.fileType == 0 else 'image'}) but the file is {fmt}",
        )
    ocr_results = []
    pages_info = []
    for page in service.pages(Item(item.name, data), service._load_options(), deadline):
        res = ocr.ocr_image(page.image, source=page.source, page=page.page)
        polys = [[[int(round(x)), int(round(y))] for x, y in ln.points] for ln in res.lines]
        h, w = res.image_size
        pages_info.append({"width": w, "height": h})
        ocr_results.append(
            {
                "prunedResult": {
                    "model_settings": {"use_doc_preprocessor": False, "use_textline_orientation": use_cls},
                    "dt_polys": polys,
                    "text_det_params": {k: v for k, v in knobs.items()},
                    "text_type": "general",
                    "textline_orientation_angles": [ln.angle // 180 if use_cls else -1 for ln in res.lines],
                    "text_rec_score_thresh": ocr.options.text_score,
                    "rec_texts": [ln.text for ln in res.lines],
                    "rec_scores": [round(float(ln.score), 5) for ln in res.lines],
                    "rec_polys": polys,
                    "rec_boxes": [_box(p) for p in polys],
                },
                "ocrImage": None,
                "docPreprocessingImage": None,
                "inputImage": None,
            }
        )
    if fmt == "pdf":
        data_info: dict[str, Any] = {"type": "pdf", "numPages": len(pages_info), "pages": pages_info}
    else:
        data_info = {"type": "image", **(pages_info[0] if pages_info else {"width": 0, "height": 0})}
    return {"ocrResults": ocr_results, "dataInfo": data_info}


def _paddle_error(log_id: str, status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(
        {"logId": log_id, "errorCode": status, "errorMsg": message}, status_code=status, headers=headers
    )


async def _paddle(request: Request) -> JSONResponse:
    log_id = str(uuid.uuid4())
    try:
        service = service_of(request)
        try:
            body = await request.json()
        except ValueError:
            raise APIError(400, "bad_json", "the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise APIError(400, "bad_json", "the JSON body must be an object")
        req = validate_options(PaddleRequest, body)
        for flag in ("useDocOrientationClassify", "useDocUnwarping"):
            if getattr(req, flag):
                raise APIError(
                    422,
                    "unsupported_option",
                    f"{flag}=true is not supported by lumenocr; send false or omit it",
                )
        item = (
            Item(req.file, url=req.file)
            if req.file[:8].lower().startswith(("http://", "https://"))
            else Item("file", decode_base64(req.file, "file"))
        )
        request.app.state.metrics.images.inc()
        result = await request.app.state.admission.run(_paddle_work, service, req, item)
    except APIError as e:
        return _paddle_error(log_id, e.status, e.message, e.headers)
    except Exception as e:  # library errors -> their 4xx, in PaddleOCR's error shape
        from lumenocr.errors import LumenOCRError

        if not isinstance(e, LumenOCRError):
            raise
        err = from_library(e)
        return _paddle_error(log_id, err.status, err.message)
    return JSONResponse({"logId": log_id, "errorCode": 0, "errorMsg": "Success", "result": result})


def _parse_bool(name: str, value: Any) -> bool | None:
    if value is None or value == "":
        return None
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise APIError(422, "invalid_option", f"{name}: expected a boolean, got {value!r}")


def _rapid_work(service: OCRService, item: Item, flags: dict, deadline: float) -> dict:
    use_det = flags["use_det"] is not False
    use_rec = flags["use_rec"] is not False
    use_cls = flags["use_cls"] is not False
    pages = service.pages(item, service._load_options(pages="1"), deadline)  # rapidocr_api reads one image
    page = next(pages)
    pages.close()
    out: dict[str, dict] = {}
    if not use_det:  # the whole image is one text line
        if not use_rec:
            return {}
        rec = service.ocr.recognize_crops([page.image])[0]
        h, w = page.image.shape[:2]
        if rec.text:
            out["0"] = {
                "rec_txt": rec.text,
                "dt_boxes": [[0, 0], [w, 0], [w, h], [0, h]],
                "score": round(float(rec.score), 5),
            }
        return out
    ocr = view(service.ocr, use_cls=use_cls, use_rec=use_rec)
    res = ocr.ocr_image(page.image, source=page.source)
    for i, ln in enumerate(res.lines):
        out[str(i)] = {
            "rec_txt": ln.text,
            "dt_boxes": [[round(float(x), 1), round(float(y), 1)] for x, y in ln.points],
            "score": round(float(ln.score if use_rec else ln.det_score), 5),
        }
    return out


async def _rapid(request: Request) -> JSONResponse:
    service = service_of(request)
    cfg = request.app.state.config
    form = await request.form(max_files=1, max_fields=16, max_part_size=cfg.max_upload_bytes)
    upload = form.get("image_file")
    data_field = form.get("image_data")
    if isinstance(upload, UploadFile):
        item = Item(upload.filename or "image_file", await upload.read())
    elif isinstance(data_field, str) and data_field:
        item = Item("image_data", decode_base64(data_field, "image_data"))
    else:
        raise APIError(422, "missing_input", "send an 'image_file' upload or 'image_data' (base64)")
    flags = {k: _parse_bool(k, form.get(k)) for k in ("use_det", "use_cls", "use_rec")}
    request.app.state.metrics.images.inc()
    return JSONResponse(await request.app.state.admission.run(_rapid_work, service, item, flags))


@router.post(
    "/ocr",
    summary="PaddleOCR basic-serving (JSON) and rapidocr_api (form) compatible OCR",
    dependencies=[Depends(require_key)],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": inline_schema(PaddleRequest)},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "image_file": {"type": "string", "format": "binary"},
                            "image_data": {"type": "string"},
                            "use_det": {"type": "boolean"},
                            "use_cls": {"type": "boolean"},
                            "use_rec": {"type": "boolean"},
                        },
                    }
                },
            },
        }
    },
)
async def compat_ocr(request: Request) -> JSONResponse:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        return await _paddle(request)
    if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return await _rapid(request)
    raise APIError(
        415,
        "unsupported_media_type",
        "POST /ocr takes JSON (PaddleOCR serving) or a form (rapidocr_api), not " + repr(ctype or "nothing"),
    )
