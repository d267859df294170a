"""Input expansion (folders, globs, URLs), batch loading that survives bad files, and URL downloads."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest

from lumenocr.errors import ImageDecodeError, ImageTooLargeError, InputError, InputNotFoundError
from lumenocr.io import (
    LoadFailure,
    LoadOptions,
    Page,
    expand_inputs,
    fetch_url,
    iter_pages,
    load_all,
    load_image,
    source_label,
)
from lumenocr.io.sources import natural_key

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def png_bytes(value: int = 0, h: int = 8, w: int = 12) -> bytes:
    img = np.full((h, w, 3), value, np.uint8)
    img[0, 0] = (1, 2, 3)
    ok, buf = cv2.imencode(".png", img)
    assert ok
    return buf.tobytes()


def touch(path: Path, data: bytes = b"") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --- expand_inputs -------------------------------------------------------------------------------------
def test_natural_order():
    names = ["img_10.jpg", "img_2.jpg", "IMG_1.jpg", "img_2b.jpg"]
    assert sorted(names, key=natural_key) == ["IMG_1.jpg", "img_2.jpg", "img_2b.jpg", "img_10.jpg"]


def test_folder_expands_recursively_in_natural_order_and_reports_skipped(tmp_path):
    for name in (
        "img_10.jpg",
        "img_2.PNG",
        "img_1.jpg",
        "sub/a.pdf",
        "sub/deeper/b.tif",
        "notes.txt",
        "sub/c.svg",
    ):
        touch(tmp_path / name)
    touch(tmp_path / ".hidden.jpg")
    touch(tmp_path / ".git" / "x.png")
    result = expand_inputs([str(tmp_path)])
    rel = [os.path.relpath(f, tmp_path) for f in result.files]
    assert rel == ["img_1.jpg", "img_2.PNG", "img_10.jpg", "sub/a.pdf", "sub/deeper/b.tif"]
    assert sorted(os.path.relpath(f, tmp_path) for f in result.skipped) == ["notes.txt", "sub/c.svg"]
    assert result.missing == [] and result.ok
    flat = expand_inputs([str(tmp_path)], recursive=False)
    assert [os.path.relpath(f, tmp_path) for f in flat.files] == ["img_1.jpg", "img_2.PNG", "img_10.jpg"]


def test_glob_url_and_explicit_files(tmp_path):
    for name in ("a1.png", "a2.png", "a10.png", "b.png", "a3.txt"):
        touch(tmp_path / name)
    explicit = touch(tmp_path / "scan.dat")  # named explicitly: kept whatever the extension
    url = "https://example.com/x.png"
    result = expand_inputs([str(tmp_path / "a*"), url, str(explicit)])
    assert [os.path.basename(f) if f != url else f for f in result.files] == [
        "a1.png",
        "a2.png",
        "a10.png",
        url,
        "scan.dat",
    ]
    assert [os.path.basename(f) for f in result.skipped] == ["a3.txt"]
    recursive = expand_inputs([str(tmp_path / "**" / "b.png")])
    assert [os.path.basename(f) for f in recursive.files] == ["b.png"]


def test_inputs_that_match_nothing_are_missing_with_a_reason(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    only_text = tmp_path / "texts"
    touch(only_text / "a.txt")
    ghost = str(tmp_path / "ghost.png")
    pattern = str(tmp_path / "*.webp")
    result = expand_inputs([str(empty), str(only_text), ghost, pattern])
    assert result.files == []
    assert result.missing == [str(empty), str(only_text), ghost, pattern]
    assert not result.ok
    problems = "\n".join(result.problems())
    assert "folder has no supported image or PDF (0 other file(s) skipped)" in problems
    assert "(1 other file(s) skipped)" in problems
    assert "no such file or folder" in problems
    assert "pattern matched no file" in problems
    # Another URL scheme is not a missing file: it says what is read instead.
    (why,) = expand_inputs(["ftp://example.com/scan.png"]).problems()
    assert why == "ftp://example.com/scan.png: only http:// and https:// URLs are read (or a local path)"


def test_symlinked_folders_are_followed_without_looping(tmp_path):
    root = tmp_path / "root"
    touch(root / "a.png")
    outside = tmp_path / "outside"
    touch(outside / "b.png")
    try:
        (root / "link").symlink_to(outside, target_is_directory=True)
        (outside / "back").symlink_to(root, target_is_directory=True)  # a loop
    except OSError:
        pytest.skip("symlinks not available")
    result = expand_inputs([str(root)])
    assert [os.path.relpath(f, root) for f in result.files] == ["a.png", os.path.join("link", "b.png")]


def test_duplicates_are_kept_once(tmp_path):
    f = touch(tmp_path / "a.png")
    result = expand_inputs([str(f), str(tmp_path), str(tmp_path / "*.png")])
    assert result.files == [str(f)]
    # The folder and the pattern matched a file given already: nothing is missing.
    assert result.missing == [] and result.ok


# --- load_all: one bad file is reported, the others read --------------------------------------------------
def test_one_bad_file_in_a_folder_is_reported_and_the_rest_processed(tmp_path):
    for i in range(10):
        touch(tmp_path / f"img_{i}.png", png_bytes(i * 10))
    (tmp_path / "img_4.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)  # corrupt
    files = expand_inputs([str(tmp_path)]).files
    items = list(load_all(files))
    pages = [i for i in items if isinstance(i, Page)]
    failures = [i for i in items if isinstance(i, LoadFailure)]
    assert len(pages) == 9 and len(failures) == 1
    assert failures[0].source == str(tmp_path / "img_4.png")
    assert isinstance(failures[0].error, ImageDecodeError)
    assert "img_4.png" in str(failures[0])
    assert [p.image[1, 1, 0] for p in pages] == [v * 10 for v in range(10) if v != 4]  # order kept


def test_load_all_reports_every_kind_of_failure(tmp_path):
    items = list(load_all([str(tmp_path / "nope.png"), b"", b"plain text", np.zeros((6, 2, 7)), png_bytes()]))
    assert [type(i) for i in items] == [LoadFailure, LoadFailure, LoadFailure, LoadFailure, Page]
    assert isinstance(items[0].error, InputNotFoundError)
    assert "empty" in str(items[1]) and "text file" in str(items[2]) and "shape" in str(items[3])


def test_source_labels():
    assert source_label("a/b.png") == "a/b.png"
    assert source_label(Path("a/b.png")) == os.path.join("a", "b.png")
    assert source_label(b"x") == "<bytes>"
    assert source_label(np.zeros(1)) == "<array>"
    page = next(iter_pages(png_bytes()))
    assert (page.source, page.page) == ("<bytes>", None)


def test_in_memory_inputs_can_be_named():
    pages = list(iter_pages(png_bytes(), name="upload.png"))
    assert pages[0].source == "upload.png"
    with pytest.raises(ImageDecodeError, match=r"^scan\.jpg: file is empty"):
        load_image(b"", name="scan.jpg")


# --- URLs (a local server on 127.0.0.1; every wait is bounded) ---------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    release = threading.Event()
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output clean
        pass

    def _write(self, data: bytes) -> bool:
        """Write to a client that may already have gone (it stops reading past its size limit
        or deadline, which is what these tests check): a closed connection is expected here,
        not an error for the server to report."""
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return False
        return True

    def _send(self, body: bytes, length: int | None = None, status: int = 200) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.send_header("Connection", "close")
            self.end_headers()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return
        self._write(body)

    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.path == "/image.png":
            self._send(png_bytes(77))
        elif self.path == "/declared-big":
            self._send(b"x" * 10, length=10_000_000)
        elif self.path == "/undeclared-big":
            # No Content-Length: the size cap must hold while streaming.
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            # Far more than any socket buffer holds: the client's early close always reaches
            # the server while it is still writing (the race that used to print tracebacks).
            for _ in range(400):
                if not self._write(b"y" * 10_000):
                    break
        elif self.path == "/slow":
            self.release.wait(3)
            self._send(png_bytes())
        elif self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(100):
                if self.release.wait(0.05):
                    break
                try:
                    self.wfile.write(b"z")
                    self.wfile.flush()
                except OSError:
                    break
        elif self.path == "/empty":
            self._send(b"")
        elif self.path == "/to-ftp":
            self.send_response(302)
            self.send_header("Location", "ftp://127.0.0.1/x.png")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/error":
            self.send_error(500, "boom")
        else:
            self.send_error(404)


class _QuietServer(ThreadingHTTPServer):
    """Keeps what a handler raised instead of printing "Exception occurred during processing of
    request" at some later moment; closing waits for every handler, so the check is final."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.errors: list[BaseException] = []

    def handle_error(self, request, client_address) -> None:
        self.errors.append(sys.exc_info()[1])


@pytest.fixture(scope="module")
def server():
    _Handler.release = threading.Event()
    httpd = _QuietServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        _Handler.release.set()
        httpd.shutdown()
        httpd.server_close()  # joins the handler threads (block_on_close)
        thread.join(5)
    assert httpd.errors == [], f"the test server's handlers failed: {httpd.errors!r}"


def test_url_download(server):
    url = f"{server}/image.png"
    pages = list(iter_pages(url))
    assert len(pages) == 1 and pages[0].source == url and pages[0].page is None
    np.testing.assert_array_equal(pages[0].image, load_image(png_bytes(77)))


def test_url_404(server):
    with pytest.raises(InputNotFoundError, match=r"missing\.png: not found \(HTTP 404\)"):
        load_image(f"{server}/missing.png")


def test_url_server_error(server):
    with pytest.raises(InputError, match="HTTP 500"):
        fetch_url(f"{server}/error")


def test_url_too_large_by_header_and_while_streaming(server):
    small = LoadOptions(max_download_bytes=5_000)
    with pytest.raises(ImageTooLargeError, match="10,000,000 bytes"):
        fetch_url(f"{server}/declared-big", small)
    with pytest.raises(ImageTooLargeError, match="exceeds the limit of 5,000 bytes"):
        fetch_url(f"{server}/undeclared-big", small)


def test_url_timeout(server):
    start = time.monotonic()
    with pytest.raises(InputError, match="timed out after 0.3 s"):
        load_image(f"{server}/slow", LoadOptions(timeout=0.3))
    assert time.monotonic() - start < 2.5


def test_url_slow_drip_cannot_outlast_the_deadline(server):
    start = time.monotonic()
    with pytest.raises(InputError, match="timed out"):
        fetch_url(f"{server}/drip", LoadOptions(timeout=0.4))
    assert time.monotonic() - start < 2.5


def test_url_empty_body(server):
    with pytest.raises(ImageDecodeError, match="empty"):
        load_image(f"{server}/empty")


def test_url_redirect_to_non_http_is_refused(server):
    with pytest.raises(InputError, match="not an http"):
        fetch_url(f"{server}/to-ftp")


def test_url_connection_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(InputError, match="download failed"):
        fetch_url(f"http://127.0.0.1:{port}/x.png", LoadOptions(timeout=2))


# --- real data ------------------------------------------------------------------------------------------
@pytest.mark.data
def test_real_folder_expands_to_every_image():
    folder = DATA / "icdar2015_test" / "images"
    if not folder.is_dir():
        pytest.skip(f"real data not found at {folder}")
    result = expand_inputs([str(folder)])
    assert len(result.files) == 500 and result.skipped == [] and result.ok
    assert os.path.basename(result.files[1]) == "img_2.jpg"  # natural order
