"""Back-pressure and limits: a bounded thread pool with a bounded queue, a per-request deadline,
and a cap on request bodies.

CPU work never runs on the event loop: it goes to a pool of ``max_concurrency`` threads. At most
``max_queue`` more requests may wait for a thread; beyond that the answer is 503 with
``Retry-After`` at once, so a burst cannot build an unbounded backlog (and unbounded memory).
A request that passes its deadline gets 504; its thread slot is only released when the work
really stops (work checks the deadline between pages), so the bound on CPU work holds.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lumenocr.serve.errors import APIError, error_body
from lumenocr.serve.metrics import Metrics

T = TypeVar("T")


class Admission:
    """Runs blocking work with bounded concurrency and a bounded queue."""

    def __init__(
        self, max_concurrency: int, max_queue: int, timeout: float, retry_after: int, metrics: Metrics
    ):
        self.executor = ThreadPoolExecutor(max_concurrency, thread_name_prefix="lumenocr-serve")
        self.capacity = max_concurrency + max_queue
        self.timeout = timeout
        self.retry_after = retry_after
        self.metrics = metrics
        self._lock = threading.Lock()
        self.admitted = 0  # queued + running; changed on the event loop and in done callbacks
        self.running = 0

    def _update_gauges(self) -> None:
        self.metrics.queue_depth.set(self.admitted - self.running)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args, deadline)`` on the pool; 503 when full, 504 past the deadline."""
        with self._lock:
            if self.admitted >= self.capacity:
                self.metrics.rejected.inc()
                raise APIError(
                    503,
                    "overloaded",
                    f"the server is busy ({self.capacity} requests running or queued); retry later",
                    {"Retry-After": str(self.retry_after)},
                )
            self.admitted += 1
            self._update_gauges()
        deadline = time.monotonic() + self.timeout

        def work() -> T:
            with self._lock:
                self.running += 1
                self._update_gauges()
            try:
                return fn(*args, deadline)
            finally:
                with self._lock:
                    self.running -= 1
                    self.admitted -= 1
                    self._update_gauges()

        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.executor, work)
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.timeout)
        except asyncio.TimeoutError:
            future.add_done_callback(_consume)
            raise APIError(504, "timeout", f"the request took longer than {self.timeout:g} s") from None
        except asyncio.CancelledError:  # the client went away: let the work finish quietly
            future.add_done_callback(_consume)
            raise

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True)


def _consume(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()  # retrieved, so asyncio does not log "exception was never retrieved"


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with 413, by Content-Length up front and by
    counting while streaming (chunked uploads declare no length)."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_413(send, self.max_bytes)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _send_413(send, self.max_bytes)


async def _send_413(send: Send, max_bytes: int) -> None:
    import json

    body = json.dumps(error_body("too_large", f"request body over the limit of {max_bytes:,} bytes")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
