"""Prometheus metrics (``GET /metrics``, text exposition format).

Each app gets its own registry, so several apps in one process (tests) do not collide. With
several uvicorn worker processes, ``lumenocr serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` and the
endpoint aggregates every worker's figures through prometheus-client's multiprocess collector.
"""

from __future__ import annotations

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# OCR latencies span ~20 ms (one crop) to tens of seconds (a PDF).
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class Metrics:
    """The service's metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "lumenocr_http_requests_total",
            "HTTP requests by route and status",
            ("method", "route", "status"),
            registry=r,
        )
        self.latency = Histogram(
            "lumenocr_http_request_duration_seconds",
            "HTTP request latency by route",
            ("route",),
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "lumenocr_http_requests_in_flight",
            "HTTP requests being handled",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.queue_depth = Gauge(
            "lumenocr_queue_depth",
            "OCR requests admitted and waiting for a worker thread",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.rejected = Counter(
            "lumenocr_rejected_total", "requests refused with 503 because the queue was full", registry=r
        )
        self.images = Counter("lumenocr_images_total", "images and PDF files read", registry=r)
        self.pages = Counter("lumenocr_pages_total", "pages (single images count one) read", registry=r)

    def render(self) -> tuple[bytes, str]:
        if multiprocess():
            from prometheus_client import multiprocess as mp

            registry = CollectorRegistry()
            mp.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Counts requests by route template (never by raw path: unbounded label values) and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        t0 = time.perf_counter()
        self.metrics.in_flight.inc()

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        finally:
            self.metrics.in_flight.dec()
            route = scope.get("route")
            label = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(scope.get("method", ""), label, str(status)).inc()
            self.metrics.latency.labels(label).observe(time.perf_counter() - t0)
