"""PDF input: page count, DPI scaling, page selection, lazy rendering, corrupt and encrypted PDFs."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
from PIL import Image

import lumenocr.io.pdf as pdf_module
from lumenocr.errors import ImageDecodeError, InputError
from lumenocr.io import LoadFailure, LoadOptions, Page, iter_pages, load_all, load_image, pdf_page_count
from lumenocr.io.image import parse_page_spec

COLORS = ((255, 0, 0), (0, 255, 0), (0, 0, 255))  # RGB


def make_pdf(n_pages: int = 3, size: tuple[int, int] = (200, 100)) -> bytes:
    """A PDF of solid-colour pages, each ``size`` points (PIL writes 1 pixel = 1 point at 72 dpi)."""
    pages = [Image.new("RGB", size, COLORS[i % 3]) for i in range(n_pages)]
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", resolution=72.0, save_all=True, append_images=pages[1:])
    return buf.getvalue()


# --- a minimal encrypted PDF (standard security handler, revision 2, RC4 40-bit) -----------------------
_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def build_pdf(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """Serialise numbered objects (1..n, object 1 the catalog) with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R " % (len(objects) + 1) + trailer_extra + b">>\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def encrypted_pdf(user_password: str, owner_password: str = "owner") -> bytes:
    """A one-page blank PDF (100 x 50 pt) that needs ``user_password`` to open (PDF 1.4 spec, 3.5.2)."""

    def pad(pw: str) -> bytes:
        return (pw.encode("latin-1") + _PAD)[:32]

    doc_id = hashlib.md5(b"lumenocr-test").digest()
    perms = -4
    o_value = _rc4(hashlib.md5(pad(owner_password)).digest()[:5], pad(user_password))
    user_key = hashlib.md5(pad(user_password) + o_value + perms.to_bytes(4, "little", signed=True) + doc_id)
    u_value = _rc4(user_key.digest()[:5], _PAD)
    encrypt = b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>" % (
        o_value.hex().encode(),
        u_value.hex().encode(),
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 50] >>",
        encrypt,
    ]
    id_hex = doc_id.hex().encode()
    return build_pdf(objects, b"/Encrypt 4 0 R /ID [<%s> <%s>] " % (id_hex, id_hex))


# --- correct reading -------------------------------------------------------------------------------------
def test_pdf_pages_count_order_and_content(tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(make_pdf(3))
    assert pdf_page_count(path, str(path)) == 3
    pages = list(iter_pages(path))
    assert [p.page for p in pages] == [0, 1, 2]
    assert all(p.source == str(path) for p in pages)
    for page, rgb in zip(pages, COLORS):
        assert page.image.dtype == np.uint8 and page.image.flags.c_contiguous
        center = page.image[page.image.shape[0] // 2, page.image.shape[1] // 2].astype(int)
        assert np.abs(center - np.array(rgb[::-1])).max() < 8  # BGR, JPEG-compressed inside the PDF


@pytest.mark.parametrize(("dpi", "shape"), [(72, (100, 200, 3)), (144, (200, 400, 3)), (36, (50, 100, 3))])
def test_pdf_dpi_scaling(dpi, shape):
    image = load_image(make_pdf(1), LoadOptions(pdf_dpi=dpi))
    assert image.shape == shape


def test_pdf_render_size_caps():
    data = make_pdf(1)
    assert load_image(data, LoadOptions(pdf_dpi=720, max_pdf_side=500)).shape == (250, 500, 3)
    capped = load_image(data, LoadOptions(pdf_dpi=720, max_pixels=20_000))
    assert capped.shape[0] * capped.shape[1] <= 20_000
    assert capped.shape[1] >= 190  # still close to the cap, not collapsed


def test_pdf_bytes_and_path_are_the_same(tmp_path):
    data = make_pdf(2)
    path = tmp_path / "d.pdf"
    path.write_bytes(data)
    for a, b in zip(iter_pages(path), iter_pages(data)):
        np.testing.assert_array_equal(a.image, b.image)
        assert (a.page, b.source) == (b.page, "<bytes>")


def test_pdf_page_selection():
    data = make_pdf(3)
    pages = list(iter_pages(data, LoadOptions(pages=range(1, 3))))
    assert [p.page for p in pages] == [1, 2]
    # Users count pages from 1 (--pages, the server's pages=): the error says page 8, index 7.
    with pytest.raises(InputError, match=r"has 3 page\(s\); requested page 8 \(index 7\) does not exist"):
        list(iter_pages(data, LoadOptions(pages=[0, 7])))
    with pytest.raises(InputError, match=r"requested pages 4 \(index 3\), 5 \(index 4\) do not exist"):
        list(iter_pages(data, LoadOptions(pages=parse_page_spec("1-5"))))
    with pytest.raises(InputError, match="several pages"):
        load_image(data)
    assert load_image(data, LoadOptions(pages=[2])).shape == (278, 556, 3)  # 200 dpi


def test_pdf_pages_render_lazily(monkeypatch):
    rendered = []
    original = pdf_module.render_page

    def counting(doc, index, source, options):
        rendered.append(index)
        return original(doc, index, source, options)

    monkeypatch.setattr(pdf_module, "render_page", counting)
    pages = iter_pages(make_pdf(5))
    first = next(pages)
    assert first.page == 0 and rendered == [0]
    pages.close()


def test_bad_pdf_page_is_reported_and_the_rest_read(monkeypatch):
    original = pdf_module.render_page

    def failing_on_1(doc, index, source, options):
        if index == 1:
            raise ImageDecodeError(f"{source}: cannot render PDF page 1: simulated")
        return original(doc, index, source, options)

    monkeypatch.setattr(pdf_module, "render_page", failing_on_1)
    items = list(load_all([make_pdf(3)]))
    assert [type(i) for i in items] == [Page, LoadFailure, Page]
    assert [i.page for i in items] == [0, 1, 2]
    assert "page 1" in str(items[1])


# --- bad PDFs ---------------------------------------------------------------------------------------------
def test_corrupt_pdf():
    with pytest.raises(ImageDecodeError, match="<bytes>: PDF"):
        list(iter_pages(b"%PDF-1.7\n" + b"\x00garbage" * 200))


def test_truncated_pdf_gives_an_input_error(tmp_path):
    data = make_pdf(3)
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[:200])
    # PDFium may refuse the file or repair it to zero pages; either way a clear error, never an empty result.
    with pytest.raises(InputError, match=r"cut\.pdf: PDF"):
        list(iter_pages(path))


def test_encrypted_pdf_needs_its_password():
    data = encrypted_pdf("secret")
    with pytest.raises(InputError, match="encrypted") as info:
        list(iter_pages(data))
    assert not isinstance(info.value, ImageDecodeError)
    with pytest.raises(InputError, match="password is wrong"):
        list(iter_pages(data, LoadOptions(pdf_password="nope")))
    pages = list(iter_pages(data, LoadOptions(pdf_password="secret", pdf_dpi=72)))
    assert len(pages) == 1 and pages[0].image.shape == (50, 100, 3)
    assert pages[0].image.min() == 255  # a blank white page


def test_encrypted_pdf_with_empty_user_password_opens():
    # Owner-password-only PDFs (the usual "protected" PDF) open without any password.
    pages = list(iter_pages(encrypted_pdf(""), LoadOptions(pdf_dpi=72)))
    assert len(pages) == 1 and pages[0].image.shape == (50, 100, 3)


def test_pdf_with_no_pages_is_an_error_not_an_empty_result():
    empty = build_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])
    # PDFium refuses a page-less document without an error code of its own; after a password
    # failure its stale "incorrect password" code must not be reported for this file.
    with pytest.raises(InputError, match="encrypted"):
        list(iter_pages(encrypted_pdf("secret")))
    with pytest.raises(InputError, match=r"<bytes>: PDF (file cannot be opened|has no pages)") as info:
        list(iter_pages(empty))
    assert "encrypted" not in str(info.value)


def test_pdf_rendering_from_several_threads():
    # PDFium is not thread-safe; the module lock must make concurrent use (a server) safe.
    from concurrent.futures import ThreadPoolExecutor

    data = make_pdf(3)
    expected = [p.image for p in iter_pages(data, LoadOptions(pdf_dpi=100))]

    def read(_):
        return [p.image for p in iter_pages(data, LoadOptions(pdf_dpi=100))]

    with ThreadPoolExecutor(4) as pool:
        for images in pool.map(read, range(8)):
            assert len(images) == 3
            for got, want in zip(images, expected):
                np.testing.assert_array_equal(got, want)
