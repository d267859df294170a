"""The web page in real headless Chromium (Debian's ``chromium``, driven by Playwright): upload
a real image, wait for the result, check the drawn boxes, the text, hover, the line/word switch,
the JSON download and an error message. Set ``LUMENOCR_UPDATE_SCREENSHOT=1`` to rewrite
``docs/web-page.png``."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")

from serve_helpers import LiveServer  # noqa: E402

from lumenocr.serve.app import create_app  # noqa: E402
from lumenocr.serve.config import ServeConfig  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# No network, no first-run work: the browser only talks to the loopback server.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (scripts/install.sh installs it as root)"
)


def gt_words(folder: Path, image: Path) -> set[str]:
    for line in (folder / "label.txt").read_text(encoding="utf-8").splitlines():
        path, _, boxes = line.partition("\t")
        if Path(path).name == image.name:
            return {b["transcription"] for b in json.loads(boxes) if b["transcription"] != "###"}
    raise AssertionError(f"{image.name} not in the labels")


@pytest.fixture(scope="module")
def server():
    from lumenocr import OCR

    with LiveServer(create_app(ServeConfig(warmup=False), ocr=OCR())) as live:
        yield live


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.mark.data
def test_upload_real_image_draws_boxes_and_text(server, browser, tmp_path):
    folder = DATA / "funsd_train"
    if not (folder / "label.txt").is_file():
        pytest.skip(f"real data not found: {folder}")
    image = sorted((folder / "images").iterdir())[0]
    api = httpx.post(
        f"{server.url}/v1/ocr",
        files={"file": (image.name, image.read_bytes())},
        data={"boxes": "nested"},
        timeout=300,
    ).json()[0]
    expected = [b["text"] for b in api["boxes"]]
    truth = gt_words(folder, image)
    assert len(expected) > 10

    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto(server.url + "/")
    page.set_input_files("#file", str(image))
    page.wait_for_selector("#lines li", timeout=240_000)
    assert "line(s)" in page.inner_text("#status")

    # Every line is listed, in the API's reading order, with a polygon drawn for each.
    shown = page.eval_on_selector_all("#lines li", "els => els.map(e => e.firstChild.textContent)")
    assert shown == expected
    assert page.locator("#overlay polygon").count() == len(expected)
    # The expected text appears: words of the human ground truth are on the page.
    page_words = set(" ".join(shown).split())
    assert len(page_words & truth) >= 0.5 * len(truth & set(" ".join(expected).split()))
    assert len(page_words & truth) > 20
    # Boxes are drawn on the picture: the SVG spans the image in its own pixel coordinates.
    w, h = page.eval_on_selector("#picture", "i => [i.naturalWidth, i.naturalHeight]")
    assert page.get_attribute("#overlay", "viewBox") == f"0 0 {w} {h}"
    box = page.locator("#overlay polygon").first.bounding_box()
    assert box is not None and box["width"] > 2 and box["height"] > 2

    # Hovering a line highlights its box.
    page.hover("#lines li >> nth=3")
    assert page.get_attribute("#overlay polygon >> nth=3", "class") == "hi"

    # Word boxes: more, smaller boxes from the same answer.
    page.check('input[name="boxes"][value="words"]')
    n_words = sum(len(b["words"]) or 1 for b in api["boxes"])
    assert page.locator("#overlay polygon").count() == n_words > len(expected)

    # The downloaded JSON is the API's records (without the embedded picture).
    with page.expect_download() as dl:
        page.click("#download")
    saved = tmp_path / "download.json"
    dl.value.save_as(saved)
    (record,) = json.loads(saved.read_text(encoding="utf-8"))
    assert "page_image" not in record
    assert [b["text"] for b in record["boxes"]] == expected
    page.close()


def test_error_is_shown_and_screenshot(server, browser, tmp_path):
    from lumenocr.vis import save_picture
    from lumenocr.vis.sample import SAMPLE_LINES, drawable_lines, render_lines

    page = browser.new_page(viewport={"width": 1200, "height": 760})
    page.goto(server.url + "/")
    bad = tmp_path / "notes.txt"
    bad.write_text("not an image")
    page.set_input_files("#file", str(bad))
    page.wait_for_selector("#status.error", timeout=60_000)
    assert "unsupported_format" in page.inner_text("#status")

    sample = tmp_path / "sample.png"
    save_picture(str(sample), render_lines(drawable_lines(SAMPLE_LINES), font_size=34, angle=2.0))
    page.set_input_files("#file", str(sample))
    page.wait_for_selector("#lines li", timeout=120_000)
    assert page.locator("#overlay polygon").count() == page.locator("#lines li").count() >= 3
    page.hover("#lines li >> nth=1")
    target = (
        REPO / "docs" / "web-page.png"
        if os.environ.get("LUMENOCR_UPDATE_SCREENSHOT")
        else tmp_path / "web.png"
    )
    page.screenshot(path=str(target), full_page=False)
    assert 0 < target.stat().st_size < 300_000
    page.close()
