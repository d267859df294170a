"""``lumenocr serve``: the HTTP OCR service and its web page (needs the ``[serve]`` extra)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

from lumenocr.errors import ConfigError

EPILOG = """\
routes: POST /v1/ocr /v1/det /v1/rec /v1/cls, POST /ocr (PaddleOCR serving / rapidocr_api),
        GET / (web page), /docs (OpenAPI), /healthz, /readyz, /metrics (Prometheus)

examples:
  lumenocr serve                                    # http://127.0.0.1:8000/
  lumenocr serve --host 0.0.0.0 --workers 2 --max-concurrency 1
  LUMENOCR_API_KEYS=key1,key2 lumenocr serve --allow-urls
  curl -F file=@page.png http://127.0.0.1:8000/v1/ocr
"""


def register(subparsers) -> None:
    from lumenocr.pipeline.profiles import DEFAULT_PROFILE, PROFILES
    from lumenocr.runtime.onnx import PRECISIONS
    from lumenocr.serve.config import ServeConfig

    d = ServeConfig()
    p = subparsers.add_parser(
        "serve",
        help="run the HTTP OCR service and web page",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    net = p.add_argument_group("network")
    net.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    net.add_argument("--port", type=int, default=8000, help="port (8000)")
    net.add_argument(
        "--workers", type=int, default=1, metavar="N", help="worker processes, each with its own models (1)"
    )
    net.add_argument(
        "--api-key",
        action="append",
        metavar="KEY",
        help="require this API key (repeatable; or LUMENOCR_API_KEYS=k1,k2)",
    )
    net.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))

    models = p.add_argument_group("models")
    models.add_argument("--model", metavar="NAME", help="zoo model (see `lumenocr models`)")
    models.add_argument("--det-model", metavar="PATH_OR_NAME")
    models.add_argument("--rec-model", metavar="PATH_OR_NAME")
    models.add_argument("--cls-model", metavar="PATH_OR_NAME")
    models.add_argument(
        "--dict", metavar="FILE", help="character dictionary for a recognizer that carries none"
    )
    models.add_argument(
        "--providers",
        metavar="LIST",
        help="engine / execution providers in order of preference, as for `lumenocr ocr` (default: auto)",
    )
    models.add_argument(
        "--precision",
        choices=PRECISIONS,
        help="inference precision, as for `lumenocr ocr` (default: f32; /readyz says what runs)",
    )
    models.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        choices=tuple(PROFILES),
        help="settings profile, as for `lumenocr ocr` (default: %(default)s)",
    )
    models.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="ONNX Runtime threads per request (default: cores / --max-concurrency)",
    )
    models.add_argument(
        "--orientation",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="turn pages lying at 90/180/270 degrees upright (default: on when its model is installed)",
    )
    models.add_argument(
        "--layout",
        nargs="?",
        const="model",
        choices=("model", "columns"),
        help="answer layout blocks in reading order ('model' regions, or 'columns' from white space)",
    )
    models.add_argument("--tables", action="store_true", help="read table structure (implies --layout)")
    models.add_argument("--no-warmup", action="store_true", help="ready as soon as the models are loaded")

    lim = p.add_argument_group("limits (per worker process)")
    lim.add_argument(
        "--max-concurrency",
        type=int,
        default=d.max_concurrency,
        metavar="N",
        help=f"requests processed at once ({d.max_concurrency})",
    )
    lim.add_argument(
        "--max-queue",
        type=int,
        default=d.max_queue,
        metavar="N",
        help=f"requests waiting beyond those; more get 503 + Retry-After ({d.max_queue})",
    )
    lim.add_argument(
        "--timeout",
        type=float,
        default=d.request_timeout,
        metavar="S",
        help=f"per-request time limit, 504 past it ({d.request_timeout:g})",
    )
    lim.add_argument(
        "--max-upload-mb",
        type=float,
        default=d.max_upload_bytes / 2**20,
        metavar="MB",
        help=f"largest request body ({d.max_upload_bytes / 2**20:g})",
    )
    lim.add_argument(
        "--max-pixels",
        type=int,
        default=d.max_pixels,
        metavar="N",
        help=f"largest decoded image, width x height ({d.max_pixels:,})",
    )
    lim.add_argument(
        "--max-pages",
        type=int,
        default=d.max_pages,
        metavar="N",
        help=f"PDF/TIFF pages per request ({d.max_pages})",
    )
    lim.add_argument(
        "--pdf-dpi", type=int, default=d.pdf_dpi, metavar="DPI", help=f"PDF rendering ({d.pdf_dpi})"
    )

    url = p.add_argument_group("URL inputs (off by default)")
    url.add_argument("--allow-urls", action="store_true", help="let clients name inputs by http(s) URL")
    url.add_argument(
        "--url-allow-network",
        action="append",
        default=[],
        metavar="CIDR",
        help="let URLs reach this private network too (e.g. 10.1.0.0/16; repeatable)",
    )
    url.add_argument(
        "--url-max-mb",
        type=float,
        default=d.url_max_bytes / 2**20,
        metavar="MB",
        help=f"largest download ({d.url_max_bytes / 2**20:g})",
    )
    url.add_argument(
        "--url-timeout",
        type=float,
        default=d.url_timeout,
        metavar="S",
        help=f"download time limit ({d.url_timeout:g})",
    )
    p.set_defaults(func=run)


def config_from_args(args):
    from lumenocr.serve.config import API_KEYS_ENV, ServeConfig

    keys = list(args.api_key or []) + [
        k.strip() for k in os.environ.get(API_KEYS_ENV, "").split(",") if k.strip()
    ]
    return ServeConfig(
        model=args.model,
        det_model=args.det_model,
        rec_model=args.rec_model,
        cls_model=args.cls_model,
        dictionary=args.dict,
        providers=tuple(s.strip() for s in args.providers.split(",") if s.strip())
        if args.providers
        else None,
        precision=args.precision,
        profile=args.profile,
        threads=args.threads,
        orientation=args.orientation,
        layout=args.layout or ("model" if args.tables else "off"),
        tables=args.tables,
        max_concurrency=args.max_concurrency,
        max_queue=args.max_queue,
        request_timeout=args.timeout,
        max_upload_bytes=int(args.max_upload_mb * 2**20),
        max_pixels=args.max_pixels,
        max_pages=args.max_pages,
        pdf_dpi=args.pdf_dpi,
        allow_urls=args.allow_urls,
        url_allow_networks=tuple(args.url_allow_network),
        url_max_bytes=int(args.url_max_mb * 2**20),
        url_timeout=args.url_timeout,
        api_keys=tuple(keys),
        warmup=not args.no_warmup,
    )


def run(args) -> int:
    try:
        import uvicorn
    except ModuleNotFoundError:
        raise ConfigError("lumenocr serve needs the [serve] extra: pip install 'lumenocr[serve]'") from None
    from lumenocr.serve.config import API_KEYS_ENV, ENV_VAR

    if args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {args.workers}")
    if not 0 < args.port < 65536:
        raise ConfigError(f"--port must be in 1..65535, got {args.port}")
    config = config_from_args(args)
    # Catch a bad model name now, with a one-line error, instead of in every worker.
    from lumenocr.zoo import get_spec

    if config.model:
        get_spec(config.model)
    os.environ[ENV_VAR] = config.to_env()
    if config.api_keys:
        os.environ[API_KEYS_ENV] = ",".join(config.api_keys)
    metrics_dir = None
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # One /metrics view over all workers (prometheus-client multiprocess mode).
        metrics_dir = tempfile.mkdtemp(prefix="lumenocr-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    print(f"lumenocr serve: http://{args.host}:{args.port}/ (API docs at /docs)", file=sys.stderr, flush=True)
    try:
        uvicorn.run(
            "lumenocr.serve.app:create_app_from_env",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
            timeout_graceful_shutdown=int(config.request_timeout),
            # uvicorn's supervisor kills a worker that does not answer its ping within 5 s by
            # default; a worker whose threads saturate a busy CPU can miss that and be killed with
            # its in-flight requests (seen in the load test: resets and 504s). Only a truly hung
            # worker should be replaced.
            timeout_worker_healthcheck=max(60, int(config.request_timeout)),
            proxy_headers=True,
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0
