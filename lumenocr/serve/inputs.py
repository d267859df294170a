"""Reading a request's inputs: multipart uploads, base64 in JSON, or URLs.

* ``multipart/form-data``: one or more ``file`` parts (a ``url`` field instead, when the server
  fetches URLs); every other field is an option (``boxes=words``, ``thresh=0.4``...).
* ``application/json``: ``{"file": "<base64 or data: URL>"}`` (or ``"files": [...]`` for many
  crops, or ``"url": "https://..."``), options beside it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from lumenocr.serve.errors import APIError
from lumenocr.serve.service import Item

INPUT_FIELDS = ("file", "files", "url", "name")


def decode_base64(text: str, what: str = "file") -> bytes:
    """Standard or URL-safe base64, with or without a ``data:...;base64,`` prefix or line breaks."""
    if text.startswith("data:"):
        head, sep, text = text.partition(",")
        if not sep or ";base64" not in head:
            raise APIError(
                400, "bad_base64", f"{what}: a data: URL must be base64-encoded (data:<type>;base64,...)"
            )
    compact = "".join(text.split())
    if not compact:
        raise APIError(400, "bad_input", f"{what}: empty")
    compact += "=" * (-len(compact) % 4)
    try:
        if "-" in compact or "_" in compact:
            return base64.urlsafe_b64decode(compact)
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise APIError(400, "bad_base64", f"{what}: not valid base64") from None


def _is_url(text: str) -> bool:
    return text[:8].lower().startswith(("http://", "https://"))


async def read_request(
    request: Request, *, many: bool, max_parts: int, max_part_bytes: int
) -> tuple[list[Item], dict]:
    """The request's inputs and its options (still unvalidated)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data" or ctype == "application/x-www-form-urlencoded":
        return await _read_form(request, many=many, max_parts=max_parts, max_part_bytes=max_part_bytes)
    if ctype == "application/json" or ctype.endswith("+json"):
        return await _read_json(request, many=many)
    raise APIError(
        415,
        "unsupported_media_type",
        f"send multipart/form-data (a 'file' part) or application/json, not {ctype or 'no content type'!r}",
    )


async def _read_form(
    request: Request, *, many: bool, max_parts: int, max_part_bytes: int
) -> tuple[list[Item], dict]:
    try:
        form = await request.form(max_files=max_parts, max_fields=64, max_part_size=max_part_bytes)
    except HTTPException as e:  # python-multipart's limits and parse errors, as Starlette reports them
        if "too many files" in str(e.detail).lower():
            raise APIError(
                413, "too_many_inputs", f"at most {max_parts} file(s) per request on this route"
            ) from None
        raise APIError(400, "bad_multipart", f"malformed form data: {e.detail}") from None
    items: list[Item] = []
    options: dict[str, Any] = {}
    for key, value in form.multi_items():
        if key == "file":
            if isinstance(value, UploadFile):
                items.append(Item(value.filename or "upload", await value.read()))
            else:  # a text field named file: base64, or a URL
                items.append(_text_item(value, "file"))
        elif key == "url":
            items.append(Item(str(value), url=str(value)))
        elif isinstance(value, UploadFile):
            raise APIError(422, "invalid_request", f"unexpected file part {key!r}: upload files as 'file'")
        elif key in options:
            raise APIError(422, "invalid_request", f"option {key!r} given twice")
        else:
            options[key] = value
    return _checked(items, many), options


async def _read_json(request: Request, *, many: bool) -> tuple[list[Item], dict]:
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise APIError(400, "bad_json", f"the body is not valid JSON ({e})") from None
    if not isinstance(body, dict):
        raise APIError(400, "bad_json", "the JSON body must be an object")
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise APIError(422, "invalid_request", "name must be a string")
    items: list[Item] = []
    if "file" in body:
        items.append(_text_item(body["file"], "file", name))
    if "files" in body:
        files = body["files"]
        if not isinstance(files, list):
            raise APIError(422, "invalid_request", "files must be a list of base64 strings")
        items.extend(_text_item(f, f"files[{i}]", f"{name or 'upload'}[{i}]") for i, f in enumerate(files))
    if "url" in body:
        url = body["url"]
        if not isinstance(url, str):
            raise APIError(422, "invalid_request", "url must be a string")
        items.append(Item(url, url=url))
    options = {k: v for k, v in body.items() if k not in INPUT_FIELDS}
    return _checked(items, many), options


def _text_item(value: Any, what: str, name: str | None = None) -> Item:
    if not isinstance(value, str):
        raise APIError(422, "invalid_request", f"{what} must be a base64 string")
    if _is_url(value):
        return Item(value, url=value)
    return Item(name or "upload", decode_base64(value, what))


def _checked(items: list[Item], many: bool) -> list[Item]:
    if not items:
        raise APIError(422, "missing_input", "no input: send a 'file' (upload or base64) or a 'url'")
    if len(items) > 1 and not many:
        raise APIError(
            422, "invalid_request", "this route reads one input per request; send one 'file' or 'url'"
        )
    return items
