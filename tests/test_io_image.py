"""Image decoding: formats, modes, EXIF orientation, and a clear error for each kind of bad image."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps, UnidentifiedImageError

from lumenocr.config_utils import from_dict
from lumenocr.errors import (
    ConfigError,
    ImageDecodeError,
    ImageTooLargeError,
    InputError,
    InputNotFoundError,
    UnsupportedFormatError,
)
from lumenocr.io import (
    LoadOptions,
    array_to_bgr,
    iter_pages,
    load_image,
    parse_page_spec,
    pil_to_bgr,
    sniff_format,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


# --- helpers: every test image is generated here ---------------------------------------------
def pattern(h: int = 60, w: int = 90) -> np.ndarray:
    """An asymmetric BGR image (distinct corners) so flips and rotations are detectable."""
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), ((x + 2 * y) % 256)], axis=2)
    img = img.astype(np.uint8)
    img[:10, :10] = (0, 0, 255)  # red top-left marker
    return img


def encode(img: np.ndarray, ext: str, *params: int) -> bytes:
    ok, buf = cv2.imencode(ext, img, list(params))
    assert ok
    return buf.tobytes()


def pil_bytes(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (a decompression bomb's header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def rgb_pil(bgr: np.ndarray) -> Image.Image:
    return Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


# --- format sniffing ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ext", "fmt"), [(".jpg", "jpeg"), (".png", "png"), (".bmp", "bmp"), (".webp", "webp"), (".tiff", "tiff")]
)
def test_sniff_format_by_content(ext, fmt):
    assert sniff_format(encode(pattern(), ext)[:1024]) == fmt


def test_sniff_format_gif_pdf_and_unknown():
    assert sniff_format(pil_bytes(rgb_pil(pattern()), "GIF")) == "gif"
    assert sniff_format(b"junk\n%PDF-1.7\n") == "pdf"
    assert sniff_format(b"hello world") is None


# --- correct decoding -----------------------------------------------------------------------------
@pytest.mark.parametrize("ext", [".png", ".bmp", ".tiff"])
def test_lossless_formats_round_trip_exactly(ext):
    img = pattern()
    out = load_image(encode(img, ext))
    assert out.dtype == np.uint8 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, img)


def test_webp_lossless_round_trip():
    img = pattern()
    np.testing.assert_array_equal(load_image(encode(img, ".webp", cv2.IMWRITE_WEBP_QUALITY, 101)), img)


def test_jpeg_close_to_original():
    img = pattern()
    out = load_image(encode(img, ".jpg", cv2.IMWRITE_JPEG_QUALITY, 95))
    assert out.shape == img.shape
    assert np.abs(out.astype(int) - img).mean() < 4


def test_gif_first_frame():
    frames = [rgb_pil(np.full((20, 30, 3), c, np.uint8)).convert("P") for c in (0, 255)]
    data = pil_bytes(frames[0], "GIF", save_all=True, append_images=frames[1:])
    out = load_image(data)
    assert out.shape == (20, 30, 3)
    assert out.max() == 0  # the first (black) frame


def test_bytes_and_path_give_the_same_array(tmp_path):
    for ext in (".jpg", ".png", ".tiff"):
        data = encode(pattern(), ext)
        path = tmp_path / f"x{ext}"
        path.write_bytes(data)
        np.testing.assert_array_equal(load_image(path), load_image(data))
        np.testing.assert_array_equal(load_image(str(path)), load_image(bytearray(data)))
        np.testing.assert_array_equal(load_image(memoryview(data)), load_image(data))


def test_trailing_bytes_after_end_marker_are_tolerated():
    img = pattern()
    jpg = encode(img, ".jpg", cv2.IMWRITE_JPEG_QUALITY, 95)
    png = encode(img, ".png")
    np.testing.assert_array_equal(load_image(jpg + b"\x00" * 5000), load_image(jpg))
    np.testing.assert_array_equal(load_image(png + b"appended data" * 50), img)


def test_gray_png_becomes_three_equal_channels():
    gray = pattern()[:, :, 1]
    out = load_image(encode(gray, ".png"))
    assert out.shape == (*gray.shape, 3)
    for c in range(3):
        np.testing.assert_array_equal(out[:, :, c], gray)


def test_16bit_png_scaled_by_peak():
    # 12-bit data stored in 16 bits: its peak maps to 255, so the image is not left dark.
    ramp = (np.arange(4096, dtype=np.uint16).reshape(64, 64) % 4096).astype(np.uint16)
    out = load_image(encode(ramp, ".png"))
    assert out.shape == (64, 64, 3)
    assert out.max() == 255 and out.min() == 0
    np.testing.assert_array_equal(
        out[:, :, 0], np.rint(ramp.astype(np.float64) * 255 / 4095).astype(np.uint8)
    )
    # full-range 16-bit colour comes out like value >> 8 (within rounding)
    full = (pattern().astype(np.uint16) * 257).astype(np.uint16)
    full[0, 0] = (65535, 65535, 65535)
    out = load_image(encode(full, ".png"))
    assert np.abs(out.astype(int) - (full >> 8).astype(int)).max() <= 1


def test_16bit_tiff_via_pillow():
    gray16 = (np.arange(50 * 40, dtype=np.uint32).reshape(50, 40) * 30).astype(np.uint16)
    data = pil_bytes(Image.fromarray(gray16), "TIFF")
    out = load_image(data)
    expected = np.rint(gray16.astype(np.float64) * 255 / int(gray16.max())).astype(np.uint8)
    np.testing.assert_array_equal(out[:, :, 2], expected)


def _float_tiff(pages: list[np.ndarray], tmp_path: Path) -> bytes:
    path = tmp_path / "float.tif"
    assert cv2.imwritemulti(str(path), pages)
    return path.read_bytes()


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # Pillow, on the broken file at the end
def test_floating_point_rgb_tiff_via_opencv(tmp_path):
    # Pillow has no mode for 32-bit float RGB samples and called such a valid file
    # "corrupt TIFF image: invalid header"; OpenCV's libtiff reads it.
    rng = np.random.default_rng(3)
    first = rng.random((30, 40, 3), dtype=np.float32)
    second = rng.random((20, 25, 3), dtype=np.float32)
    data = _float_tiff([first, second], tmp_path)
    with pytest.raises(UnidentifiedImageError):
        Image.open(io.BytesIO(data))
    pages = list(iter_pages(data))
    assert [p.page for p in pages] == [0, 1]
    np.testing.assert_array_equal(pages[1].image, np.rint(second * 255).astype(np.uint8))
    path = tmp_path / "float.tif"  # from a path as well, and one page of it
    (page,) = iter_pages(path, LoadOptions(pages=[0]))
    np.testing.assert_array_equal(page.image, np.rint(first * 255).astype(np.uint8))
    with pytest.raises(InputError, match=r"requested page 3 \(index 2\)"):
        list(iter_pages(data, LoadOptions(pages=[2])))
    with pytest.raises(ImageTooLargeError, match="page 0"):  # sizes are checked before decoding
        list(iter_pages(data, LoadOptions(max_pixels=1000)))
    with pytest.raises(ImageDecodeError, match="corrupt TIFF"):  # a broken one is still corrupt
        list(iter_pages(data[:8] + b"\x00" * 64))


def test_rgba_png_composited_on_white():
    bgra = np.zeros((10, 30, 4), np.uint8)
    bgra[:, :, :3] = (200, 100, 0)
    bgra[:, :10, 3] = 0  # transparent -> white
    bgra[:, 10:20, 3] = 255  # opaque -> colour
    bgra[:, 20:, 3] = 128  # half -> blend
    out = load_image(encode(bgra, ".png"))
    np.testing.assert_array_equal(out[:, :10], 255)
    np.testing.assert_array_equal(out[0, 15], (200, 100, 0))
    a = 128 / 255
    np.testing.assert_allclose(out[0, 25], np.array([200, 100, 0]) * a + 255 * (1 - a), atol=1)


def test_palette_with_transparency_and_la_composited_on_white():
    p = Image.new("P", (8, 4))
    p.putpalette([0, 0, 0, 10, 20, 30] + [0] * (254 * 3))
    p.paste(1, (4, 0, 8, 4))  # right half colour 1, left half colour 0 (transparent)
    data = pil_bytes(p, "PNG", transparency=0)
    out = load_image(data)
    np.testing.assert_array_equal(out[:, :4], 255)
    np.testing.assert_array_equal(out[0, 6], (30, 20, 10))  # BGR
    la = Image.new("LA", (4, 2), (0, 0))
    la.putpixel((3, 1), (50, 255))
    out = load_image(pil_bytes(la, "PNG"))
    assert out[0, 0].tolist() == [255, 255, 255] and out[1, 3].tolist() == [50, 50, 50]


# --- EXIF orientation ------------------------------------------------------------------------------
def with_orientation(img: Image.Image, fmt: str, orientation: int, **kw) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return pil_bytes(img, fmt, exif=exif.tobytes(), **kw)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow_exactly(orientation):
    data = with_orientation(rgb_pil(pattern()), "PNG", orientation)  # lossless, so exact
    expected = cv2.cvtColor(
        np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data)))), cv2.COLOR_RGB2BGR
    )
    np.testing.assert_array_equal(load_image(data), expected)


@pytest.mark.parametrize(
    ("orientation", "turn"), [(6, cv2.ROTATE_90_CLOCKWISE), (8, cv2.ROTATE_90_COUNTERCLOCKWISE)]
)
def test_exif_orientation_jpeg_is_upright(orientation, turn):
    img = pattern()
    data = with_orientation(rgb_pil(img), "JPEG", orientation, quality=95)
    out = load_image(data)
    expected = cv2.rotate(img, turn)
    assert out.shape == expected.shape == (90, 60, 3)
    assert np.abs(out.astype(int) - expected).mean() < 4


def test_exif_orientation_on_pil_input_applied_once():
    pil = Image.open(io.BytesIO(with_orientation(rgb_pil(pattern()), "PNG", 6)))
    assert load_image(pil).shape == (90, 60, 3)
    upright = ImageOps.exif_transpose(pil)  # already turned by the user: the tag is gone, no double turn
    assert load_image(upright).shape == (90, 60, 3)


def test_fast_path_reads_only_headers_with_pillow(monkeypatch):
    # Decoding is on the hot path: OpenCV decodes the pixels, Pillow must never decode them too.
    from PIL import ImageFile

    img = pattern()
    inputs = [
        encode(img, ".png"),
        encode(img, ".jpg"),
        encode(img, ".webp"),
        encode(img, ".bmp"),
        with_orientation(rgb_pil(img), "PNG", 6),
        with_orientation(rgb_pil(img), "JPEG", 6),
    ]

    calls = []
    original = ImageFile.ImageFile.load

    def counting_load(self):
        calls.append(self.format)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    for data in inputs:
        assert load_image(data).shape in ((60, 90, 3), (90, 60, 3))
    assert calls == []


# --- numpy and PIL inputs ------------------------------------------------------------------------------
def test_numpy_inputs():
    img = pattern()
    assert array_to_bgr(img) is img  # already BGR uint8 contiguous: no copy
    np.testing.assert_array_equal(load_image(img), img)
    gray = img[:, :, 0]
    np.testing.assert_array_equal(load_image(gray)[:, :, 2], gray)
    np.testing.assert_array_equal(load_image(gray[:, :, None])[:, :, 1], gray)
    np.testing.assert_array_equal(load_image(img.astype(np.float32) / 255.0), img)
    np.testing.assert_array_equal(load_image(img.astype(np.uint16) * 257), img)
    np.testing.assert_array_equal(load_image(np.ones((3, 4), bool))[0, 0], (255, 255, 255))
    bgra = np.dstack([img, np.zeros(img.shape[:2], np.uint8)])
    np.testing.assert_array_equal(load_image(bgra), 255)
    strided = img[:, ::2]
    out = load_image(strided)
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(out, strided)


@pytest.mark.parametrize(
    ("array", "match"),
    [
        (np.zeros((0, 10, 3), np.uint8), "empty"),
        (np.zeros((5, 20, 30), np.uint8), "channels-first"),
        (np.zeros((6, 4, 5), np.uint8), "shape"),
        (np.zeros((2, 4, 4, 3), np.uint8), "shape"),
        (np.zeros(10, np.uint8), "shape"),
        (np.full((4, 4), 2.0, np.float32), r"\[0, 1\]"),
        (np.full((4, 4), np.nan, np.float32), "NaN"),
        (np.full((4, 4), -3, np.int16), "negative"),
        (np.zeros((4, 4), np.complex64), "dtype"),
    ],
)
def test_bad_numpy_arrays(array, match):
    with pytest.raises(InputError, match=match):
        load_image(array)


def test_pil_modes():
    img = pattern()
    rgb = rgb_pil(img)
    np.testing.assert_array_equal(load_image(rgb), img)
    np.testing.assert_array_equal(pil_to_bgr(rgb.convert("L"))[:, :, 0], np.asarray(rgb.convert("L")))
    rgba = rgb.convert("RGBA")
    rgba.putalpha(0)
    np.testing.assert_array_equal(load_image(rgba), 255)
    np.testing.assert_array_equal(
        load_image(rgb.convert("1"))[0, 0], (0, 0, 0) if img[0, 0].mean() < 128 else 255
    )
    i16 = Image.fromarray((np.arange(100, dtype=np.uint16).reshape(10, 10) * 600).astype(np.uint16))
    assert load_image(i16).max() == 255
    cmyk = Image.new("CMYK", (5, 5), (0, 255, 255, 0))  # pure red
    np.testing.assert_array_equal(load_image(cmyk)[0, 0], (0, 0, 255))
    gray = rgb.convert("L")
    np.testing.assert_array_equal(load_image(gray.convert("F"))[:, :, 0], np.asarray(gray))  # 0..255 floats
    unit = Image.fromarray(np.asarray(gray, np.float32) / 255.0, "F")
    np.testing.assert_array_equal(load_image(unit)[:, :, 0], np.asarray(gray))  # 0..1 floats
    ycc = rgb.convert("YCbCr")
    assert np.abs(load_image(ycc).astype(int) - img).mean() < 3


# --- bad input: each kind gets its clear, specific error ------------------------------------------------
def test_empty_bytes_and_empty_file(tmp_path):
    with pytest.raises(ImageDecodeError, match="empty"):
        load_image(b"")
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(ImageDecodeError, match=r"empty\.jpg: file is empty"):
        load_image(path)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_corrupt_bytes_with_image_magic():
    rng = np.random.default_rng(1)
    junk = bytes(rng.integers(0, 256, 3000, dtype=np.uint8))
    for magic in (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x10\x00\x00\x00WEBPVP8 ", b"II*\x00"):
        with pytest.raises(ImageDecodeError, match="corrupt"):
            load_image(magic + junk)


def test_corrupt_png_data_crc():
    png = bytearray(encode(pattern(), ".png"))
    png[60:90] = bytes(30)  # inside IDAT
    with pytest.raises(ImageDecodeError, match="corrupt|truncated"):
        load_image(bytes(png))


def test_truncated_jpeg():
    jpg = encode(pattern(200, 300), ".jpg", cv2.IMWRITE_JPEG_QUALITY, 95)
    with pytest.raises(ImageDecodeError, match="truncated JPEG"):
        load_image(jpg[: len(jpg) * 2 // 3])


def test_truncated_png(tmp_path):
    png = encode(pattern(200, 300), ".png")
    path = tmp_path / "cut.png"
    path.write_bytes(png[: len(png) // 2])
    with pytest.raises(ImageDecodeError, match=r"cut\.png: truncated PNG"):
        load_image(path)


def test_truncated_webp_and_bmp():
    webp = encode(pattern(200, 300), ".webp", cv2.IMWRITE_WEBP_QUALITY, 101)
    with pytest.raises(ImageDecodeError):
        load_image(webp[: len(webp) // 2])
    bmp = encode(pattern(200, 300), ".bmp")
    with pytest.raises(ImageDecodeError):
        load_image(bmp[: len(bmp) // 2])


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_truncated_multipage_tiff():
    pages = [rgb_pil(pattern(100, 100)) for _ in range(3)]
    data = pil_bytes(pages[0], "TIFF", save_all=True, append_images=pages[1:])
    with pytest.raises(ImageDecodeError):
        list(iter_pages(data[: len(data) // 2]))


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"Just some notes, not a picture.\n", "text file"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC"),
        (b"PK\x03\x04" + bytes(40), "ZIP"),
        (b"\x01\x02\x03\x04\x05\x06\x07\x08\x09", "binary"),
    ],
)
def test_unsupported_formats_say_what_they_look_like(tmp_path, content, match):
    path = tmp_path / "photo.jpg"  # the extension lies: content decides
    path.write_bytes(content)
    with pytest.raises(UnsupportedFormatError, match=match) as info:
        load_image(path)
    assert "photo.jpg" in str(info.value)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_huge_image_rejected_before_decoding():
    # Header claims 100,000 x 100,000 (10 GP): refused from the header, nothing allocated.
    with pytest.raises(ImageTooLargeError):
        load_image(png_claiming_size(100_000, 100_000))
    # 12,000 x 10,000 = 120 MP is over the default 100 MP limit (and under Pillow's own bomb limit).
    with pytest.raises(ImageTooLargeError, match="120,000,000 pixels"):
        load_image(png_claiming_size(12_000, 10_000))


def test_max_pixels_option_applies_to_every_kind_of_input():
    img = pattern(100, 100)
    small = LoadOptions(max_pixels=5_000)
    for source in (encode(img, ".jpg"), encode(img, ".png"), encode(img, ".tiff"), img, rgb_pil(img)):
        with pytest.raises(ImageTooLargeError, match="10,000 pixels"):
            list(iter_pages(source, small))
    assert load_image(img, LoadOptions(max_pixels=10_000)).shape == (100, 100, 3)


def test_missing_path(tmp_path):
    with pytest.raises(InputNotFoundError, match="no such file"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(InputNotFoundError, match="only http"):
        load_image("ftp://example.com/a.png")


def test_folder_given_as_image(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        load_image(tmp_path)


def test_truncated_file_opened_by_the_user_with_pillow():
    png = encode(pattern(200, 300), ".png")
    lazy = Image.open(io.BytesIO(png[: len(png) // 2]))  # Pillow reads only the header here
    with pytest.raises(ImageDecodeError, match="<PIL image>: truncated PNG"):
        load_image(lazy)


def test_unsupported_input_type():
    with pytest.raises(InputError, match="unsupported input type int"):
        load_image(42)


# --- multi-page TIFF -------------------------------------------------------------------------------------
def three_page_tiff() -> bytes:
    pages = [Image.new("RGB", (40, 30), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    return pil_bytes(pages[0], "TIFF", save_all=True, append_images=pages[1:])


def test_multipage_tiff_yields_every_page(tmp_path):
    path = tmp_path / "scan.tif"
    path.write_bytes(three_page_tiff())
    pages = list(iter_pages(path))
    assert [p.page for p in pages] == [0, 1, 2]
    assert [p.source for p in pages] == [str(path)] * 3
    assert [tuple(p.image[0, 0]) for p in pages] == [(0, 0, 255), (0, 255, 0), (255, 0, 0)]  # BGR


def test_multipage_tiff_page_selection_and_single_image_loading():
    data = three_page_tiff()
    pages = list(iter_pages(data, LoadOptions(pages=[2, 0])))
    assert [p.page for p in pages] == [2, 0]
    assert tuple(pages[0].image[0, 0]) == (255, 0, 0)
    with pytest.raises(InputError, match=r"3 page\(s\); requested page 6 \(index 5\) does not exist"):
        list(iter_pages(data, LoadOptions(pages=[5])))
    with pytest.raises(InputError, match="several pages"):
        load_image(data)
    assert tuple(load_image(data, LoadOptions(pages=[1]))[0, 0]) == (0, 255, 0)


# --- real data --------------------------------------------------------------------------------------------
@pytest.mark.data
def test_real_jpegs_match_opencv():
    folder = DATA / "icdar2015_test" / "images"
    if not folder.is_dir():
        pytest.skip(f"real data not found at {folder}")
    for path in sorted(folder.glob("*.jpg"))[:5]:
        np.testing.assert_array_equal(load_image(path), cv2.imread(str(path), cv2.IMREAD_COLOR))


def test_bmp_with_all_zero_alpha_is_opaque_but_real_alpha_is_kept():
    img = pattern()
    zero_alpha = encode(np.dstack([img, np.zeros(img.shape[:2], np.uint8)]), ".bmp")
    np.testing.assert_array_equal(load_image(zero_alpha), img)
    half = np.dstack([img, np.zeros(img.shape[:2], np.uint8)])
    half[:, :45, 3] = 255
    out = load_image(encode(half, ".bmp"))
    np.testing.assert_array_equal(out[:, :45], img[:, :45])
    np.testing.assert_array_equal(out[:, 45:], 255)


def test_cmyk_jpeg():
    img = pattern()
    out = load_image(pil_bytes(rgb_pil(img).convert("CMYK"), "JPEG", quality=95))
    assert out.shape == img.shape
    assert np.abs(out.astype(int) - img).mean() < 6


# --- options ---------------------------------------------------------------------------------------------
def test_parse_page_spec():
    assert parse_page_spec("1-3,5") == [0, 1, 2, 4]
    assert parse_page_spec(" 2 ") == [1]
    for bad in ("0", "3-1", "a", "1-", ""):
        with pytest.raises(ConfigError):
            parse_page_spec(bad)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"pdf_dpi": 0},
        {"max_pixels": 0},
        {"timeout": 0},
        {"pages": [-1]},
        {"pages": "1-3"},
        {"pages": [1.5]},
    ],
)
def test_bad_load_options(kwargs):
    with pytest.raises(ConfigError):
        LoadOptions(**kwargs)


def test_load_options_from_user_dict():
    assert from_dict(LoadOptions, {"pdf_dpi": 300, "pages": [0, 2]}).pages == (0, 2)
    with pytest.raises(ConfigError, match="dpi"):
        from_dict(LoadOptions, {"dpi": 300})


# --- layouts and transparency that users send ---------------------------------------------------
def test_gray_alpha_and_channel_first_arrays():
    """(H, W, 2) grey + alpha, (H, W, 1), channels-first and a batch of one all read."""
    img = pattern()
    gray = img[:, :, 1]
    ga = np.dstack([gray, np.full(gray.shape, 255, np.uint8)])
    np.testing.assert_array_equal(load_image(ga)[:, :, 0], gray)
    np.testing.assert_array_equal(load_image(gray[:, :, None])[:, :, 2], gray)
    np.testing.assert_array_equal(load_image(np.ascontiguousarray(img.transpose(2, 0, 1))), img)
    np.testing.assert_array_equal(load_image(gray[None]), load_image(gray))
    np.testing.assert_array_equal(load_image(img[None]), img)


def _text_on_transparent(fg: int, hidden: int) -> np.ndarray:
    """Grey ``fg`` strokes on a fully transparent background whose hidden colour is ``hidden``."""
    ga = np.zeros((20, 40, 2), np.uint8)
    ga[..., 0] = hidden
    ga[5:15, 5:35, 0] = fg
    ga[5:15, 5:35, 1] = 255
    return ga


@pytest.mark.parametrize("hidden", [0, 255])
def test_light_text_on_transparent_background_stays_visible(hidden):
    """White text on a transparent PNG is flattened onto black (on white it would vanish);
    dark text still goes onto white."""
    light = load_image(_text_on_transparent(255, hidden))
    assert light[0, 0].tolist() == [0, 0, 0] and light[10, 20].tolist() == [255, 255, 255]
    dark = load_image(_text_on_transparent(10, hidden))
    assert dark[0, 0].tolist() == [255, 255, 255] and dark[10, 20].tolist() == [10, 10, 10]
    # The same through a PNG file with colour text (yellow) and through PIL's LA/RGBA modes.
    rgba = np.zeros((20, 40, 4), np.uint8)
    rgba[5:15, 5:35] = (60, 220, 250, 255)  # BGRA yellow
    out = load_image(encode(rgba, ".png"))
    assert out[0, 0].tolist() == [0, 0, 0] and out[10, 20].tolist() == [60, 220, 250]
    la = Image.fromarray(_text_on_transparent(255, hidden), "LA")
    assert load_image(la)[0, 0].tolist() == [0, 0, 0]
    assert load_image(la.convert("RGBA"))[0, 0].tolist() == [0, 0, 0]
