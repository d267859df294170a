"""Optional API-key authentication: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.

No key configured: every request passes. Keys configured: a request without one gets 401, a
request with a wrong one 403. Keys are compared in constant time.
"""

from __future__ import annotations

import hmac

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from lumenocr.serve.errors import APIError

_bearer = HTTPBearer(auto_error=False, description="an API key given to `lumenocr serve --api-key`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="the same key, as a header")


async def require_key(
    request: Request,
    bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
    header_key: str | None = Depends(_header),
) -> None:
    keys: tuple[str, ...] = request.app.state.config.api_keys
    if not keys:
        return
    given = header_key or (bearer.credentials if bearer else None)
    if not given:
        raise APIError(
            401,
            "unauthorized",
            "an API key is required (Authorization: Bearer <key> or X-API-Key)",
            {"WWW-Authenticate": "Bearer"},
        )
    if not any(hmac.compare_digest(given.encode(), k.encode()) for k in keys):
        raise APIError(403, "forbidden", "the API key is not valid")
