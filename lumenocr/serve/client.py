"""A small Python client for ``lumenocr serve``.

>>> from lumenocr.serve.client import Client                       # doctest: +SKIP
>>> with Client("http://127.0.0.1:8000", api_key="...") as c:       # doctest: +SKIP
...     for record in c.ocr("scan.pdf", pages="1-2", boxes="words"):
...         print(record["page"], [b["text"] for b in record["boxes"]])

Every method returns the server's JSON records (the ``lumenocr ocr --format json`` contract)
and raises :class:`ServerError` (with ``status``, ``code`` and ``message``) on an error answer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx

from lumenocr.errors import LumenOCRError

Input = str | os.PathLike | bytes


class ServerError(LumenOCRError):
    """The server answered with an error (``{"error": {"code", "message"}}``)."""

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None):
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


class Client:
    """Talks to one lumenocr server; thread-safe (one connection pool), usable as a context manager."""

    def __init__(
        self, base_url: str = "http://127.0.0.1:8000", api_key: str | None = None, timeout: float = 120.0
    ):
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- routes ---------------------------------------------------------------------------------
    def ocr(self, source: Input, **options: Any) -> list[dict]:
        """OCR an image or PDF (path, bytes, or an http(s) URL the server fetches); ``options``
        are the route's fields: ``boxes``, ``cls``, ``text_score``, ``pages``, ``thresh``..."""
        return self._post("/v1/ocr", [source], options)

    def det(self, source: Input, **options: Any) -> list[dict]:
        """Text boxes only (``text`` is empty, ``score`` is the detection score)."""
        return self._post("/v1/det", [source], options)

    def rec(self, crops: list[Input]) -> list[dict]:
        """Read text-line crops: one ``{"image", "text", "score", "seconds"}`` per crop."""
        return self._post("/v1/rec", list(crops), {})

    def cls(self, crops: list[Input]) -> list[dict]:
        """Direction of text-line crops: ``{"image", "angle": 0|180, "label", "score"}`` each."""
        return self._post("/v1/cls", list(crops), {})

    def ready(self) -> bool:
        """True when the server has loaded and warmed up its models."""
        try:
            return self._http.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    # -- plumbing -------------------------------------------------------------------------------
    def _post(self, route: str, sources: list[Input], options: dict[str, Any]) -> list[dict]:
        urls = [
            s for s in sources if isinstance(s, str) and s[:8].lower().startswith(("http://", "https://"))
        ]
        if urls:
            if len(sources) != 1:
                raise ValueError("give one URL per request, or files/bytes only")
            body = {"url": urls[0], **{k: v for k, v in options.items() if v is not None}}
            return self._answer(self._http.post(route, json=body))
        files = []
        for i, src in enumerate(sources):
            if isinstance(src, (bytes, bytearray)):
                files.append(("file", (f"upload-{i}", bytes(src), "application/octet-stream")))
            else:
                path = Path(src)
                files.append(("file", (path.name, path.read_bytes(), "application/octet-stream")))
        data = {k: _form_value(v) for k, v in options.items() if v is not None}
        return self._answer(self._http.post(route, data=data, files=files))

    @staticmethod
    def _answer(response: httpx.Response) -> Any:
        if response.status_code == 200:
            return response.json()
        try:
            err = response.json()["error"]
            code, message = str(err["code"]), str(err["message"])
        except (ValueError, KeyError, TypeError):
            code, message = "http_error", response.text[:200]
        retry = response.headers.get("retry-after")
        raise ServerError(response.status_code, code, message, float(retry) if retry else None)


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
