"""Server settings: one frozen dataclass, the single home of every serving default.

The CLI (``lumenocr serve``) builds it from its options; worker processes receive it as JSON in
an environment variable (:meth:`ServeConfig.to_env` / :meth:`ServeConfig.from_env`), so every
uvicorn worker runs with exactly the settings the command was given.
"""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass

from lumenocr.config_utils import from_dict, to_dict
from lumenocr.errors import ConfigError
from lumenocr.io.options import LoadOptions
from lumenocr.pipeline.profiles import DEFAULT_PROFILE
from lumenocr.runtime.onnx import PRECISIONS

#: Environment variable that carries the JSON settings to uvicorn worker processes.
ENV_VAR = "LUMENOCR_SERVE_CONFIG"
#: Environment variable with comma-separated API keys (keeps keys out of ``ps`` output).
API_KEYS_ENV = "LUMENOCR_API_KEYS"


@dataclass(frozen=True)
class ServeConfig:
    """How the HTTP service runs.

    Concurrency: each worker process holds one shared :class:`lumenocr.OCR` and runs at most
    ``max_concurrency`` requests at once on a thread pool; up to ``max_queue`` more wait, and
    anything beyond is answered 503 with ``Retry-After`` instead of piling up.
    ``threads`` is the ONNX Runtime thread count per request (default: the cores divided among
    the concurrent requests, so N requests do not oversubscribe the CPU).
    """

    model: str | None = None  # zoo name; None: the zoo default
    det_model: str | None = None
    rec_model: str | None = None
    cls_model: str | None = None
    dictionary: str | None = None
    providers: tuple[str, ...] | None = None  # None: the library default (RuntimeOptions)
    precision: str | None = None  # None: the library default (RuntimeOptions)
    profile: str = DEFAULT_PROFILE  # lumenocr/pipeline/profiles.py; explicit settings above win
    threads: int | None = None
    # Document stages, as ``lumenocr ocr --orientation/--layout/--tables`` (None: the library default).
    orientation: bool | None = None
    layout: str = "off"  # off | model | columns
    tables: bool = False
    max_concurrency: int = 2
    max_queue: int = 16
    request_timeout: float = 60.0  # seconds from admission to answer
    retry_after: int = 2  # seconds suggested to clients told 503
    max_upload_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_pages: int = 20  # PDF/TIFF pages per request
    max_crops: int = 256  # crops per /v1/rec or /v1/cls request
    pdf_dpi: int = LoadOptions.pdf_dpi  # the library's default rendering resolution
    allow_urls: bool = False
    url_allow_networks: tuple[str, ...] = ()  # CIDRs let through the private-address guard
    url_max_bytes: int = 20 * 1024 * 1024
    url_timeout: float = 10.0
    url_max_redirects: int = 3
    api_keys: tuple[str, ...] = ()
    warmup: bool = True

    def __post_init__(self) -> None:
        positive = (
            "max_concurrency",
            "max_upload_bytes",
            "max_pixels",
            "max_pages",
            "max_crops",
            "url_max_bytes",
            "pdf_dpi",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.max_queue < 0:
            raise ConfigError(f"max_queue must be >= 0, got {self.max_queue}")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"threads must be at least 1, got {self.threads}")
        for name in ("request_timeout", "url_timeout"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)}")
        if self.layout not in ("off", "model", "columns"):
            raise ConfigError(f"layout must be off, model or columns, got {self.layout!r}")
        if self.url_max_redirects < 0 or self.retry_after < 0:
            raise ConfigError("url_max_redirects and retry_after must be >= 0")
        for net in self.url_allow_networks:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ConfigError(
                    f"url_allow_networks: {net!r} is not an IP network like 10.0.0.0/8"
                ) from None
        if self.precision is not None and self.precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        from lumenocr.pipeline.profiles import get_profile

        get_profile(self.profile)  # a ConfigError naming the known profiles
        if any(not k for k in self.api_keys):
            raise ConfigError("API keys must not be empty")

    def ocr_kwargs(self, cores: int) -> dict:
        """Keyword arguments of :class:`lumenocr.OCR` for this server."""
        kw: dict = {
            "det_model": self.det_model,
            "rec_model": self.rec_model,
            "cls_model": self.cls_model,
            "dictionary": self.dictionary,
            "threads": self.threads or max(1, cores // self.max_concurrency),
            "orientation": self.orientation,
            "layout": self.layout,
            "tables": self.tables,
        }
        if self.model:
            kw["model"] = self.model
        if self.providers:
            kw["providers"] = self.providers
        if self.precision:
            kw["precision"] = self.precision
        if self.profile != DEFAULT_PROFILE:
            kw["profile"] = self.profile
        return kw

    def to_env(self) -> str:
        data = to_dict(self)
        data["api_keys"] = []  # keys travel in API_KEYS_ENV, see from_env
        return json.dumps(data)

    @classmethod
    def from_env(cls) -> ServeConfig:
        """The settings a worker process was started with (defaults when none were set)."""
        data = json.loads(os.environ.get(ENV_VAR) or "{}")
        keys = [k.strip() for k in os.environ.get(API_KEYS_ENV, "").split(",") if k.strip()]
        if keys:
            data["api_keys"] = keys
        return from_dict(cls, data, ENV_VAR)
