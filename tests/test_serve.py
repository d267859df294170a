"""The HTTP service on real uvicorn over loopback: every route, every error path, the
PaddleOCR / rapidocr_api compatibility routes, URL-fetch refusals, auth, overload, timeouts,
concurrency and graceful shutdown."""

from __future__ import annotations

import base64
import http.server
import io
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import cv2
import numpy as np
import pytest
from data_helpers import need

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("prometheus_client")

from serve_helpers import LiveServer, free_port  # noqa: E402

from lumenocr.errors import ConfigError  # noqa: E402
from lumenocr.serve.app import create_app  # noqa: E402
from lumenocr.serve.config import ServeConfig  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def text_image(lines: list[str], width: int = 640) -> np.ndarray:
    """A white image with black text lines (Hershey font: no font files needed)."""
    img = np.full((60 + 60 * len(lines), width, 3), 255, np.uint8)
    for i, line in enumerate(lines):
        cv2.putText(img, line, (20, 60 + 60 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.3, (0, 0, 0), 3, cv2.LINE_AA)
    return img


def png(img: np.ndarray) -> bytes:
    return cv2.imencode(".png", img)[1].tobytes()


def pdf_bytes(pages: list[np.ndarray]) -> bytes:
    from PIL import Image

    ims = [Image.fromarray(cv2.cvtColor(p, cv2.COLOR_BGR2RGB)) for p in pages]
    buf = io.BytesIO()
    ims[0].save(buf, "PDF", save_all=True, append_images=ims[1:], resolution=100)
    return buf.getvalue()


def texts(record: dict) -> list[str]:
    return [b["text"] for b in record["boxes"]]


def without_time(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in ("seconds", "image")} for r in records]


@pytest.fixture(scope="module")
def ocr():
    from lumenocr import OCR

    return OCR()


@pytest.fixture(scope="module")
def servers(ocr):
    """Several real servers sharing one set of models, each with different settings."""
    configs = {
        "base": ServeConfig(warmup=False, max_concurrency=4, max_queue=32),
        "keyed": ServeConfig(warmup=False, api_keys=("s3cret", "other-key")),
        "urls": ServeConfig(warmup=False, allow_urls=True),
        "urls_local": ServeConfig(
            warmup=False, allow_urls=True, url_allow_networks=("127.0.0.0/8",), url_max_bytes=200_000
        ),
        "small": ServeConfig(
            warmup=False, max_upload_bytes=300_000, max_pixels=2_000_000, max_pages=2, max_crops=3
        ),
        "tight": ServeConfig(warmup=False, max_concurrency=1, max_queue=0, retry_after=7),
        "hasty": ServeConfig(warmup=False, request_timeout=0.05),
    }
    with ExitStack() as stack:
        out = {}
        for name, cfg in configs.items():
            live = stack.enter_context(LiveServer(create_app(cfg, ocr=ocr)))
            out[name] = live
        yield out


@pytest.fixture(scope="module")
def base(servers):
    with httpx.Client(base_url=servers["base"].url, timeout=120) as c:
        yield c


SAMPLE = text_image(["HELLO WORLD", "lumenocr 2026"])


def assert_error(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


# --- the main routes ------------------------------------------------------------------------
def test_ocr_upload_reads_text(base):
    r = base.post("/v1/ocr", files={"file": ("sample.png", png(SAMPLE))})
    assert r.status_code == 200, r.text
    (record,) = r.json()
    assert record["image"] == "sample.png" and record["page"] is None
    joined = " ".join(texts(record)).upper()
    assert "HELLO" in joined and "WORLD" in joined
    for box in record["boxes"]:
        assert len(box["points"]) == 4 and 0 <= box["score"] <= 1


@pytest.mark.data
def test_ocr_json_is_the_cli_contract(base, tmp_path):
    """Same image through `lumenocr ocr --format json` and POST /v1/ocr: identical records."""
    from lumenocr.cli.main import main

    image = sorted((need("icdar2015_test") / "images").iterdir())[3]
    for flag, boxes in (([], "lines"), (["--words"], "words"), (["--nested-words"], "nested")):
        out = tmp_path / f"cli-{boxes}.json"
        assert main(["ocr", str(image), "--format", "json", "-o", str(out), "-q", *flag]) == 0
        cli = json.loads(out.read_text(encoding="utf-8"))
        r = base.post("/v1/ocr", files={"file": (image.name, image.read_bytes())}, data={"boxes": boxes})
        assert r.status_code == 200, r.text
        assert without_time(r.json()) == without_time(cli)
        assert cli[0]["boxes"], "the comparison must not be vacuous"
    out = tmp_path / "cli-det.json"
    assert (
        main(["ocr", str(image), "--format", "json", "-o", str(out), "-q", "--det-only", "--thresh", "0.4"])
        == 0
    )
    r = base.post("/v1/det", files={"file": (image.name, image.read_bytes())}, data={"thresh": "0.4"})
    assert without_time(r.json()) == without_time(json.loads(out.read_text(encoding="utf-8")))


def test_json_base64_and_data_url_match_upload(base):
    up = base.post("/v1/ocr", files={"file": ("a.png", png(SAMPLE))}).json()
    b64 = base64.b64encode(png(SAMPLE)).decode()
    plain = base.post("/v1/ocr", json={"file": b64, "name": "a.png"}).json()
    data_url = base.post("/v1/ocr", json={"file": "data:image/png;base64," + b64, "name": "a.png"}).json()
    assert without_time(plain) == without_time(up) == without_time(data_url)
    assert plain[0]["image"] == "a.png"


def test_options_change_results(base):
    lines = base.post("/v1/ocr", files={"file": ("s.png", png(SAMPLE))}).json()[0]
    words = base.post("/v1/ocr", files={"file": ("s.png", png(SAMPLE))}, data={"boxes": "words"}).json()[0]
    nested = base.post(
        "/v1/ocr", json={"file": base64.b64encode(png(SAMPLE)).decode(), "boxes": "nested"}
    ).json()[0]
    assert len(words["boxes"]) > len(lines["boxes"])  # "HELLO WORLD" is one line, two words
    assert all("words" in b for b in nested["boxes"])
    strict = base.post("/v1/ocr", files={"file": ("s.png", png(SAMPLE))}, data={"text_score": "1"}).json()[0]
    assert strict["boxes"] == []  # no line reads with certainty 1.0


def test_det_route(base):
    r = base.post("/v1/det", files={"file": ("s.png", png(SAMPLE))})
    (record,) = r.json()
    assert len(record["boxes"]) >= 2 and all(b["text"] == "" for b in record["boxes"])


def test_rec_many_crops_match_library(base, ocr):
    crops = [text_image([w], 360)[20:100] for w in ("INVOICE", "TOTAL 42", "Paris")]
    r = base.post("/v1/rec", files=[("file", (f"c{i}.png", png(c))) for i, c in enumerate(crops)])
    assert r.status_code == 200, r.text
    got = r.json()
    want = ocr.recognize_crops(crops)
    assert [g["text"] for g in got] == [w.text for w in want]
    assert [g["image"] for g in got] == ["c0.png", "c1.png", "c2.png"]
    assert got[0]["text"] == "INVOICE"
    as_json = base.post("/v1/rec", json={"files": [base64.b64encode(png(c)).decode() for c in crops]}).json()
    assert [g["text"] for g in as_json] == [g["text"] for g in got]


def test_cls_route_flips(base):
    crop = text_image(["UPSIDE DOWN TEXT"], 480)[20:100]
    r = base.post(
        "/v1/cls", files=[("file", ("up.png", png(crop))), ("file", ("down.png", png(crop[::-1, ::-1])))]
    )
    assert r.status_code == 200, r.text
    up, down = r.json()
    assert up["angle"] == 0 and down["angle"] == 180
    assert down["label"] == "180" and 0.5 <= down["score"] <= 1


def test_pdf_pages_range_and_cap(base, servers):
    pages = [text_image([f"PAGE {w}"]) for w in ("ONE", "TWO", "THREE")]
    pdf = pdf_bytes(pages)
    r = base.post("/v1/ocr", files={"file": ("doc.pdf", pdf)}, data={"pages": "2-3", "pdf_dpi": "100"})
    assert r.status_code == 200, r.text
    recs = r.json()
    assert [rec["page"] for rec in recs] == [1, 2]
    assert "TWO" in " ".join(texts(recs[0])).upper() and "THREE" in " ".join(texts(recs[1])).upper()
    r = base.post("/v1/ocr", files={"file": ("doc.pdf", pdf)}, data={"pages": "1", "page_image": "true"})
    (rec,) = r.json()
    assert rec["page_image"].startswith("data:image/jpeg;base64,")
    with httpx.Client(base_url=servers["small"].url) as small:
        assert_error(small.post("/v1/ocr", files={"file": ("doc.pdf", pdf)}), 413, "too_many_pages")
        ok = small.post("/v1/ocr", files={"file": ("doc.pdf", pdf)}, data={"pages": "1,3", "pdf_dpi": "72"})
        assert [x["page"] for x in ok.json()] == [0, 2]
    assert_error(
        base.post("/v1/ocr", files={"file": ("doc.pdf", pdf)}, data={"pages": "7"}), 400, "bad_input"
    )


# --- errors: always 4xx JSON, and the server keeps serving ----------------------------------
def _png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 4096))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"files": {"file": ("x.png", png(SAMPLE)[:300])}}, 400, "bad_image"),  # truncated
        ({"files": {"file": ("x.bin", os.urandom(2000))}}, 415, "unsupported_format"),
        ({"files": {"file": ("x.png", b"")}}, 400, "bad_image"),
        ({"files": {"file": ("bomb.png", _png_bomb(60000, 60000))}}, 413, "too_large"),
        ({"data": {"boxes": "lines"}, "files": {"other": ("x.png", b"1")}}, 422, "invalid_request"),
        ({"data": {"boxes": "lines"}}, 422, "missing_input"),  # a form without a file
        ({"json": {"boxes": "lines"}}, 422, "missing_input"),
        ({"json": {"file": "@@not base64@@"}}, 400, "bad_base64"),
        ({"json": {"file": 12}}, 422, "invalid_request"),
        ({"json": [1, 2]}, 400, "bad_json"),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "bad_json"),
        ({"content": b"\x89PNG", "headers": {"content-type": "image/png"}}, 415, "unsupported_media_type"),
        ({"json": {"file": "aGVsbG8=", "thresh": 3}}, 422, "invalid_option"),
        ({"json": {"file": "aGVsbG8=", "limit_type": "sideways"}}, 422, "invalid_option"),
        ({"json": {"file": "aGVsbG8=", "trhesh": 0.3}}, 422, "invalid_option"),  # a typo is not ignored
        ({"json": {"file": "aGVsbG8=", "pages": "3-1"}}, 422, "invalid_option"),
        ({"json": {"url": "https://example.com/a.png"}}, 400, "url_disabled"),
    ],
)
def test_bad_requests_get_4xx_json(base, kwargs, status, code):
    if "data" in kwargs and "files" not in kwargs:
        r = base.post("/v1/ocr", data=kwargs["data"])
    else:
        r = base.post("/v1/ocr", **kwargs)
    assert_error(r, status, code)


def test_more_error_paths(base, servers):
    assert_error(base.get("/v1/nothing"), 404, "not_found")
    assert_error(base.get("/v1/ocr"), 405, "method_not_allowed")
    two = [("file", ("a.png", png(SAMPLE))), ("file", ("b.png", png(SAMPLE)))]
    assert_error(base.post("/v1/ocr", files=two), 413, "too_many_inputs")
    with httpx.Client(base_url=servers["small"].url) as small:
        big = os.urandom(400_000)
        assert_error(small.post("/v1/ocr", files={"file": ("big.png", big)}), 413, "too_large")

        def chunked():  # no Content-Length: counted while streaming
            for _ in range(10):
                yield b"x" * 50_000

        r = small.post("/v1/ocr", content=chunked(), headers={"content-type": "application/json"})
        assert_error(r, 413, "too_large")
        crop = png(text_image(["A"], 100))
        assert_error(
            small.post("/v1/rec", files=[("file", (f"{i}.png", crop)) for i in range(4)]),
            413,
            "too_many_inputs",
        )
        pixels = png(np.full((1500, 1500, 3), 255, np.uint8))  # 2.25 MP > 2 MP
        assert_error(small.post("/v1/ocr", files={"file": ("p.png", pixels)}), 413, "too_large")
    # still serving after all of that
    assert base.post("/v1/ocr", files={"file": ("s.png", png(SAMPLE))}).status_code == 200


# --- URL inputs ------------------------------------------------------------------------------
class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict, bytes]] = {}

    def do_GET(self):  # noqa: N802 - http.server's name
        status, headers, body = self.routes.get(self.path, (404, {}, b"no"))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def origin():
    """A local HTTP server playing the part of a remote image host."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = srv.server_address[1]
    _Handler.routes = {
        "/sample.png": (200, {"Content-Type": "image/png"}, png(SAMPLE)),
        "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/to-sample": (302, {"Location": f"http://127.0.0.1:{port}/sample.png"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/big.png": (200, {"Content-Type": "image/png"}, b"\x89PNG" + b"\0" * 300_000),
    }
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    srv.shutdown()


def test_url_fetch_refusals(servers, origin):
    port = origin.rsplit(":", 1)[1]
    with httpx.Client(base_url=servers["urls"].url, timeout=60) as c:
        for url in (
            f"{origin}/sample.png",
            f"http://localhost:{port}/sample.png",
            f"http://[::1]:{port}/x.png",
            "http://10.1.2.3/x.png",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:127.0.0.1]/x.png",
            "http://0.0.0.0/x.png",
            "http://2130706433/x.png",
        ):
            err = assert_error(c.post("/v1/ocr", json={"url": url}), 400)
            assert err["code"] in ("url_refused", "url_unresolvable"), (url, err)
        assert_error(c.post("/v1/ocr", json={"url": "ftp://example.com/a.png"}), 422 if False else 400)
        assert_error(c.post("/v1/ocr", json={"url": "http://user:pw@example.com/a.png"}), 400, "url_refused")
    with httpx.Client(base_url=servers["urls_local"].url, timeout=60) as c:
        ok = c.post("/v1/ocr", json={"url": f"{origin}/sample.png"})
        assert ok.status_code == 200, ok.text
        assert "HELLO" in " ".join(texts(ok.json()[0])).upper()
        assert ok.json()[0]["image"] == f"{origin}/sample.png"
        form = c.post("/v1/ocr", data={"url": f"{origin}/to-sample"}, files={"x": ("", b"")})
        assert form.status_code in (200, 422)  # an empty extra part is refused; the JSON form is the contract
        assert c.post("/v1/ocr", json={"url": f"{origin}/to-sample"}).status_code == 200  # allowed redirect
        assert_error(c.post("/v1/ocr", json={"url": f"{origin}/to-metadata"}), 400, "url_refused")
        assert_error(c.post("/v1/ocr", json={"url": f"{origin}/loop"}), 400, "url_refused")
        assert_error(c.post("/v1/ocr", json={"url": f"{origin}/big.png"}), 413, "too_large")
        assert_error(c.post("/v1/ocr", json={"url": f"{origin}/missing.png"}), 400, "url_failed")


def test_url_guard_checks_every_resolved_address(monkeypatch):
    import socket

    from lumenocr.serve import urlfetch
    from lumenocr.serve.errors import APIError

    answers = {
        "public.test": ["93.184.215.14"],
        "mixed.test": ["93.184.215.14", "10.0.0.5"],
        "inner.test": ["fd00::1"],
    }

    def fake_getaddrinfo(host, port, *a, **kw):
        if host not in answers:
            raise socket.gaierror("unknown")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answers[host]]

    monkeypatch.setattr(urlfetch.socket, "getaddrinfo", fake_getaddrinfo)
    policy = urlfetch.URLPolicy(enabled=True)
    target = urlfetch.plan("https://public.test/a.png?x=1", policy)
    assert target.url == "https://93.184.215.14:443/a.png?x=1"  # connects to the address it checked
    assert target.host_header == "public.test" and target.sni == "public.test"
    for url in ("http://mixed.test/a.png", "http://inner.test/a.png"):
        with pytest.raises(APIError) as e:
            urlfetch.plan(url, policy)
        assert e.value.code == "url_refused"
    with pytest.raises(APIError) as e:
        urlfetch.plan("http://nowhere.test/", policy)
    assert e.value.code == "url_unresolvable"
    allowed = urlfetch.URLPolicy(enabled=True, allow_networks=("10.0.0.0/8",))
    assert urlfetch.plan("http://mixed.test/a.png", allowed).url.startswith("http://93.184.215.14:80/")


# --- auth, overload, timeout, readiness -----------------------------------------------------
def test_api_key_auth(servers):
    url = servers["keyed"].url
    body = {"file": base64.b64encode(png(SAMPLE)).decode()}
    err = assert_error(httpx.post(f"{url}/v1/ocr", json=body), 401, "unauthorized")
    assert "key" in err["message"]
    assert httpx.post(f"{url}/v1/ocr", json=body).headers["www-authenticate"] == "Bearer"
    assert_error(
        httpx.post(f"{url}/v1/ocr", json=body, headers={"Authorization": "Bearer nope"}), 403, "forbidden"
    )
    assert_error(httpx.post(f"{url}/v1/rec", json=body, headers={"X-API-Key": "nope"}), 403, "forbidden")
    assert_error(httpx.post(f"{url}/ocr", json=body), 401)
    ok = httpx.post(f"{url}/v1/ocr", json=body, headers={"Authorization": "Bearer s3cret"}, timeout=60)
    assert ok.status_code == 200 and ok.json()[0]["boxes"]
    assert (
        httpx.post(f"{url}/v1/det", json=body, headers={"X-API-Key": "other-key"}, timeout=60).status_code
        == 200
    )
    assert httpx.get(f"{url}/healthz").status_code == 200  # probes need no key
    assert httpx.get(f"{url}/readyz").status_code == 200


def test_overload_gets_503_with_retry_after(servers):
    live = servers["tight"]
    admission = live.app.state.admission
    big = png(cv2.resize(SAMPLE, None, fx=3, fy=3))  # slow enough to hold the only slot
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(
            httpx.post,
            f"{live.url}/v1/ocr",
            files={"file": ("big.png", big)},
            data={"limit_side_len": "1600"},
            timeout=120,
        )
        deadline = time.monotonic() + 30
        while admission.admitted == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert admission.admitted == 1
        r = httpx.post(f"{live.url}/v1/ocr", files={"file": ("s.png", png(SAMPLE))}, timeout=60)
        assert_error(r, 503, "overloaded")
        assert r.headers["retry-after"] == "7"
        assert first.result().status_code == 200
    assert (
        httpx.post(f"{live.url}/v1/ocr", files={"file": ("s.png", png(SAMPLE))}, timeout=60).status_code
        == 200
    )


def test_timeout_gets_504(servers):
    r = httpx.post(
        f"{servers['hasty'].url}/v1/ocr",
        files={"file": ("s.png", png(cv2.resize(SAMPLE, None, fx=3, fy=3)))},
        timeout=60,
    )
    assert_error(r, 504, "timeout")


def test_not_ready_until_models_load():
    app = create_app(ServeConfig(det_model="no/such/det.onnx"))
    with LiveServer(app) as live:
        deadline = time.monotonic() + 60
        while app.state.service.load_error is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert httpx.get(f"{live.url}/healthz").status_code == 200
        r = httpx.get(f"{live.url}/readyz")
        err = assert_error(r, 503, "not_ready")
        assert "det.onnx" in err["message"] and "retry-after" in r.headers
        assert_error(
            httpx.post(f"{live.url}/v1/ocr", files={"file": ("s.png", png(SAMPLE))}), 503, "not_ready"
        )


# --- compatibility routes ---------------------------------------------------------------------
def test_paddleocr_basic_serving_shape(base):
    # The request a PaddleOCR 3.x basic-serving client sends for the OCR pipeline.
    request = {
        "file": base64.b64encode(png(SAMPLE)).decode(),
        "fileType": 1,
        "useDocOrientationClassify": False,
        "useDocUnwarping": False,
        "useTextLineOrientation": False,
        "textDetLimitSideLen": 960,
        "textDetLimitType": "max",
        "textDetThresh": 0.3,
        "textDetBoxThresh": 0.6,
        "textDetUnclipRatio": 1.5,
        "textRecScoreThresh": 0.0,
        "visualize": False,
    }
    r = base.post("/ocr", json=request)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["errorCode"] == 0 and body["errorMsg"] == "Success" and body["logId"]
    (page,) = body["result"]["ocrResults"]
    pruned = page["prunedResult"]
    ours = base.post(
        "/v1/ocr", files={"file": ("s.png", png(SAMPLE))}, data={"cls": "false", "text_score": "0"}
    ).json()[0]
    assert pruned["rec_texts"] == texts(ours)
    assert (
        len(pruned["rec_scores"])
        == len(pruned["rec_polys"])
        == len(pruned["rec_boxes"])
        == len(ours["boxes"])
    )
    x1, y1, x2, y2 = pruned["rec_boxes"][0]
    assert x1 < x2 and y1 < y2
    assert body["result"]["dataInfo"] == {
        "type": "image",
        "width": SAMPLE.shape[1],
        "height": SAMPLE.shape[0],
    }
    nested = base.post(
        "/ocr", json={"file": request["file"], "inferenceParams": {"textRecScoreThresh": 1.0}}
    ).json()
    assert nested["result"]["ocrResults"][0]["prunedResult"]["rec_texts"] == []
    pdf = base.post(
        "/ocr", json={"file": base64.b64encode(pdf_bytes([SAMPLE, SAMPLE])).decode(), "fileType": 0}
    ).json()
    assert pdf["result"]["dataInfo"]["numPages"] == 2 and len(pdf["result"]["ocrResults"]) == 2
    for bad, status in (
        ({"file": "!!"}, 400),
        ({"fileType": 1}, 422),
        ({"file": request["file"], "fileType": 0}, 422),
        ({"file": request["file"], "useDocUnwarping": True}, 422),
    ):
        r = base.post("/ocr", json=bad)
        assert r.status_code == status, r.text
        err = r.json()
        assert err["errorCode"] == status and err["errorMsg"] and err["logId"] and "result" not in err


def test_rapidocr_api_shape(base):
    # rapidocr_api's two documented calls: files={'image_file': ...} and data={'image_data': b64}.
    up = base.post("/ocr", files={"image_file": ("s.png", png(SAMPLE), "image/png")})
    assert up.status_code == 200, up.text
    got = up.json()
    assert list(got) == [str(i) for i in range(len(got))] and got
    assert set(got["0"]) == {"rec_txt", "dt_boxes", "score"} and len(got["0"]["dt_boxes"]) == 4
    b64 = base.post("/ocr", data={"image_data": base64.b64encode(png(SAMPLE)).decode()}).json()
    assert b64 == got
    ours = base.post("/v1/ocr", files={"file": ("s.png", png(SAMPLE))}).json()[0]
    assert [v["rec_txt"] for v in got.values()] == texts(ours)
    crop = text_image(["INVOICE"], 360)[20:100]
    line = base.post("/ocr", files={"image_file": ("c.png", png(crop))}, data={"use_det": "false"}).json()
    assert line["0"]["rec_txt"] == "INVOICE"
    det = base.post("/ocr", files={"image_file": ("s.png", png(SAMPLE))}, data={"use_rec": "false"}).json()
    assert det and all(v["rec_txt"] == "" for v in det.values())
    blank = base.post(
        "/ocr", files={"image_file": ("b.png", png(np.full((64, 64, 3), 255, np.uint8)))}
    ).json()
    assert blank == {}
    assert_error(base.post("/ocr", data={"use_det": "true"}), 422, "missing_input")
    assert_error(
        base.post("/ocr", data={"image_data": "aGVsbG8=", "use_cls": "maybe"}), 422, "invalid_option"
    )
    assert_error(base.post("/ocr", content=b"x", headers={"content-type": "text/plain"}), 415)


# --- operations -------------------------------------------------------------------------------
def test_health_docs_and_metrics(base, ocr):
    assert base.get("/healthz").json() == {"status": "ok"}
    # /readyz says what providers / precision resolved to: the engines the shared OCR runs.
    ready = base.get("/readyz").json()
    assert ready == {"status": "ready", "engines": ocr.engines()}
    assert set(ready["engines"]) == {"det", "cls", "rec"}
    assert ServeConfig(precision="bf16").ocr_kwargs(2)["precision"] == "bf16"
    assert "precision" not in ServeConfig().ocr_kwargs(2)  # the library default
    with pytest.raises(ConfigError, match="precision must be one of"):
        ServeConfig(precision="fp16")
    assert "swagger" in base.get("/docs").text.lower()
    spec = base.get("/openapi.json").json()
    for path in ("/v1/ocr", "/v1/det", "/v1/rec", "/v1/cls", "/ocr", "/healthz", "/readyz", "/metrics"):
        assert path in spec["paths"], path
    assert "multipart/form-data" in spec["paths"]["/v1/ocr"]["post"]["requestBody"]["content"]
    page = base.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    before = base.get("/metrics").text
    base.post("/v1/ocr", files={"file": ("s.png", png(SAMPLE))})
    base.post("/v1/ocr", json={"file": "!!"})
    text = base.get("/metrics").text
    assert 'lumenocr_http_requests_total{method="POST",route="/v1/ocr",status="200"}' in text
    assert 'lumenocr_http_requests_total{method="POST",route="/v1/ocr",status="400"}' in text
    assert 'lumenocr_http_request_duration_seconds_bucket{le="0.5",route="/v1/ocr"}' in text
    for name in (
        "lumenocr_http_requests_in_flight",
        "lumenocr_queue_depth",
        "lumenocr_images_total",
        "lumenocr_pages_total",
        "lumenocr_rejected_total",
    ):
        assert name in text

    def value(body: str, name: str) -> float:
        return float(next(ln.split()[-1] for ln in body.splitlines() if ln.startswith(name + " ")))

    assert value(text, "lumenocr_pages_total") == value(before, "lumenocr_pages_total") + 1


def test_python_client(servers):
    from lumenocr.serve.client import Client, ServerError

    with Client(servers["keyed"].url, api_key="s3cret") as c:
        assert c.ready()
        (rec,) = c.ocr(png(SAMPLE), boxes="words", cls=False)
        assert "HELLO" in [b["text"].upper() for b in rec["boxes"]]
        assert c.det(png(SAMPLE))[0]["boxes"]
        assert c.rec([png(text_image(["INVOICE"], 360)[20:100])])[0]["text"] == "INVOICE"
        assert [x["angle"] for x in c.cls([png(SAMPLE[::-1, ::-1])])] == [180]
        with pytest.raises(ServerError) as e:
            c.ocr(b"not an image")
        assert e.value.status == 415 and e.value.code == "unsupported_format"
    with Client(servers["keyed"].url, api_key="wrong") as c, pytest.raises(ServerError) as e:
        c.ocr(png(SAMPLE))
    assert e.value.status == 403


@pytest.mark.data
def test_parallel_clients_match_sequential(servers):
    """16 clients at once, each on its own image, get exactly what one-at-a-time requests get."""
    images = sorted((need("icdar2015_test") / "images").iterdir())[:16]
    url = servers["base"].url

    def call(path: Path) -> list[dict]:
        r = httpx.post(
            f"{url}/v1/ocr",
            files={"file": (path.name, path.read_bytes())},
            data={"boxes": "nested"},
            timeout=300,
        )
        assert r.status_code == 200, r.text
        return without_time(r.json())

    sequential = [call(p) for p in images]
    with ThreadPoolExecutor(16) as pool:
        parallel = list(pool.map(call, images))
    assert parallel == sequential
    assert sum(len(r[0]["boxes"]) for r in sequential) > 16


@pytest.mark.slow
def test_cli_serve_graceful_shutdown(tmp_path):
    """`lumenocr serve` in its own process: SIGTERM lets an in-flight request finish, then exits."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "LUMENOCR_API_KEYS": "k1",
    }
    log = open(tmp_path / "serve.log", "w+")  # noqa: SIM115 - read after the process ends
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lumenocr.cli.main",
            "serve",
            "--port",
            str(port),
            "--max-concurrency",
            "1",
            "--log-level",
            "warning",
        ],
        stdout=log,
        stderr=log,
        env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        big = png(cv2.resize(SAMPLE, None, fx=4, fy=4))
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(
                httpx.post,
                f"{url}/v1/ocr",
                files={"file": ("big.png", big)},
                data={"limit_side_len": "2400"},
                headers={"X-API-Key": "k1"},
                timeout=120,
            )
            time.sleep(0.3)  # the request is in flight
            proc.send_signal(signal.SIGTERM)
            r = pending.result()
        assert r.status_code == 200, r.text
        assert "HELLO" in " ".join(texts(r.json()[0])).upper()
        # uvicorn re-raises the signal once it has shut down cleanly, so the exit is "by SIGTERM".
        assert proc.wait(60) in (0, -signal.SIGTERM)
        assert "Traceback" not in (tmp_path / "serve.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()


def test_document_stages_from_the_server_config(ocr):
    """`lumenocr serve --layout columns`: the records carry the layout blocks, as the library's."""
    from lumenocr import OCR

    app = create_app(ServeConfig(layout="columns", orientation=False, warmup=False))
    page = np.hstack(
        [text_image(["LEFT COLUMN", "first text"], 520), text_image(["RIGHT SIDE", "more words"], 520)]
    )
    with LiveServer(app) as live:
        deadline = time.monotonic() + 120
        while not app.state.service.ready.is_set() and time.monotonic() < deadline:
            assert app.state.service.load_error is None, app.state.service.load_error
            time.sleep(0.1)
        r = httpx.post(f"{live.url}/v1/ocr", files={"file": ("cols.png", png(page))}, timeout=120)
    assert r.status_code == 200, r.text
    (record,) = r.json()
    want = OCR(layout="columns", orientation=False).ocr_image(page, source="cols.png").to_dict()
    assert record["blocks"] and without_time([record]) == without_time([want])
