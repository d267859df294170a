"""Image decoding: bytes, numpy arrays and PIL images to one C-contiguous BGR uint8 array.

Every image that enters lumenocr passes through here, so the rules live in one place:

* Format by content (magic bytes), never by extension alone.
* Fast path: JPEG/PNG/BMP/WebP are decoded by ``cv2.imdecode``; Pillow only reads the header
  first (size for the pixel limit, EXIF orientation), which costs microseconds and guards
  against decompression bombs before any pixel is allocated.
* Pillow path: TIFF (multi-page, odd modes), GIF (first frame), any JPEG/PNG/BMP/WebP whose
  end marker is missing (to tell a truncated file from one with trailing bytes), and any file
  OpenCV cannot decode (Pillow reads the variant or says what is wrong).
* Truncated or corrupt images are errors, never a silently half-grey image. (Damage inside
  JPEG entropy-coded data that leaves the file's structure intact cannot be detected by
  either library: it decodes with visible artefacts.)
* Animated GIF/WebP/APNG: the first frame. A 32-bit BMP whose alpha is zero everywhere is
  read as opaque (the Windows convention).
* EXIF orientation is applied. Grayscale becomes 3 channels. Transparency is flattened onto
  white, or onto black when the visible pixels are light (white text on a transparent PNG
  would vanish on white). 16-bit and other wide data is scaled to 8 bits by ``value * 255 / max(peak, 255)``
  where ``peak`` is the image's maximum colour value: full-range 16-bit data comes out as
  ``value >> 8`` would, 12-bit data stored in 16 bits uses the full 8-bit range, and data
  that already fits in 0..255 is kept as is (never amplified).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from lumenocr.errors import (
    ImageDecodeError,
    ImageTooLargeError,
    InputError,
    UnsupportedFormatError,
)

# Their home is lumenocr.io.options (no OpenCV there); re-exported for the readers here and callers.
from lumenocr.io.options import LoadOptions as LoadOptions
from lumenocr.io.options import missing_pages
from lumenocr.io.options import parse_page_spec as parse_page_spec

#: Formats lumenocr reads, as returned by :func:`sniff_format`.
IMAGE_FORMATS = ("jpeg", "png", "bmp", "webp", "tiff", "gif")
ALL_FORMATS = (*IMAGE_FORMATS, "pdf")

#: File extensions a folder or glob expands to (explicitly named files are tried whatever their name).
SUPPORTED_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".bmp", ".dib", ".webp", ".tif", ".tiff", ".gif", ".pdf"}
)

# Formats cv2.imdecode handles on the fast path; the value is Pillow's name for the header read.
_FAST_FORMATS = {"jpeg": ("JPEG",), "png": ("PNG",), "bmp": ("BMP",), "webp": ("WEBP",)}
_PIL_FORMATS = {"tiff": ("TIFF",), "gif": ("GIF",)}

# Bytes read from a file to recognise its format (PDF allows junk before "%PDF-" within 1 KiB).
SNIFF_BYTES = 1024


@dataclass(frozen=True, eq=False)
class Page:
    """One image ready for OCR.

    ``image`` is H x W x 3, uint8, BGR, C-contiguous. ``source`` is the input as the user gave
    it (path string, URL, ``"<bytes>"``, ``"<array>"``, ``"<PIL image>"``). ``page`` is the
    0-based page index for PDFs and multi-page TIFFs, else ``None``.
    """

    image: np.ndarray
    source: str
    page: int | None = None


@dataclass(frozen=True)
class LoadFailure:
    """An input (or one page of it) that could not be read, reported instead of raised.

    ``page`` is the 0-based page that failed in a multi-page input, ``None`` when the whole
    input failed.
    """

    source: str
    page: int | None
    error: InputError

    def __str__(self) -> str:
        return str(self.error)


# --- format sniffing ---------------------------------------------------------------------
def sniff_format(head: bytes) -> str | None:
    """Return the format of data starting with ``head`` (one of :data:`ALL_FORMATS`) or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"BM") and len(head) >= 26:
        return "bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if b"%PDF-" in head[:SNIFF_BYTES]:
        return "pdf"
    return None


_KNOWN_OTHERS = (
    (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image"),
    (b"\xff\x4f\xff\x51", "a JPEG 2000 codestream"),
    (b"8BPS", "a Photoshop (PSD) file"),
    (b"\x00\x00\x01\x00", "an ICO icon"),
    (b"PK\x03\x04", "a ZIP archive (or DOCX/XLSX/ODT)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7z archive"),
    (b"Rar!", "a RAR archive"),
    (b"%!PS", "a PostScript file"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"qoif", "a QOI image"),
    (b"\x76\x2f\x31\x01", "an OpenEXR image"),
)


def describe_content(head: bytes) -> str:
    """Say in words what unsupported data looks like, for error messages."""
    if not head:
        return "empty"
    if head[4:8] == b"ftyp":
        brand = head[8:12].decode("ascii", "replace").strip()
        if brand in ("heic", "heix", "hevc", "heim", "heis", "mif1", "msf1"):
            return f"a HEIC/HEIF image (brand {brand!r}); convert it to JPEG or PNG"
        if brand in ("avif", "avis"):
            return "an AVIF image; convert it to JPEG or PNG"
        return f"an ISO media file (brand {brand!r}, e.g. MP4/MOV)"
    for magic, what in _KNOWN_OTHERS:
        if head.startswith(magic):
            return what
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "an SVG vector image (rasterise it first)"
    if text.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if text.startswith(b"<?xml"):
        return "an XML file"
    if head[:2] in (b"P1", b"P2", b"P3", b"P4", b"P5", b"P6"):
        return "a Netpbm (PPM/PGM) image; convert it to PNG"
    try:
        sample = head.decode("utf-8")
    except UnicodeDecodeError:
        sample = None
    if sample is not None and all(c.isprintable() or c in "\r\n\t" for c in sample):
        return "a text file"
    return f"unrecognised binary data (starts with {head[:8].hex(' ')})"


def unsupported(source: str, head: bytes) -> UnsupportedFormatError:
    """The error for data that is not one of :data:`ALL_FORMATS`."""
    return UnsupportedFormatError(
        f"{source}: unsupported format: looks like {describe_content(head)}; "
        f"lumenocr reads JPEG, PNG, BMP, WebP, TIFF, GIF and PDF"
    )


# --- numpy normalisation -----------------------------------------------------------------
def _to_uint8(values: np.ndarray, what: str, source: str) -> np.ndarray:
    """Scale colour values (any numeric dtype) to uint8; see the module docstring for the rule."""
    if values.dtype == np.uint8:
        return values
    if values.dtype == np.bool_:
        return values.astype(np.uint8) * 255
    if np.issubdtype(values.dtype, np.floating):
        lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise InputError(f"{source}: {what} contains NaN or infinite values")
        if lo < 0.0 or hi > 1.0:
            raise InputError(
                f"{source}: float {what} must hold values in [0, 1], got [{lo:.4g}, {hi:.4g}]; "
                "pass uint8 (0..255) or scale it to [0, 1]"
            )
        return np.rint(values * 255.0).astype(np.uint8)
    if np.issubdtype(values.dtype, np.integer):
        lo, hi = (int(values.min()), int(values.max())) if values.size else (0, 0)
        if lo < 0:
            raise InputError(
                f"{source}: {what} has negative values (min {lo}); expected unsigned pixel values"
            )
        if hi <= 255:
            return values.astype(np.uint8)
        scaled = values.astype(np.float32) * np.float32(255.0 / hi)
        return np.rint(scaled).astype(np.uint8)
    raise InputError(
        f"{source}: unsupported {what} dtype {values.dtype}; use uint8, uint16 or float in [0, 1]"
    )


def _alpha_fraction(alpha: np.ndarray) -> np.ndarray | None:
    """Alpha as float32 in [0, 1], or None when fully opaque.

    Alpha is absolute (a fraction of its dtype's range), unlike colour, which is range-scaled.
    """
    if alpha.dtype == np.uint8:
        if int(alpha.min()) == 255:
            return None
        return alpha.astype(np.float32) * np.float32(1.0 / 255.0)
    if np.issubdtype(alpha.dtype, np.floating):
        a = np.clip(alpha.astype(np.float32), 0.0, 1.0)
    elif alpha.dtype == np.bool_:
        a = alpha.astype(np.float32)
    else:
        top = 65535 if alpha.dtype == np.uint16 or int(alpha.max()) > 255 else 255
        a = np.clip(alpha.astype(np.float32) / np.float32(top), 0.0, 1.0)
    return None if float(a.min()) >= 1.0 else a


def _luminance(color_u8: np.ndarray) -> np.ndarray:
    """Per-pixel luma (BT.601) of an H x W x 3 BGR or H x W grey uint8 image, as float32."""
    if color_u8.ndim == 2:
        return color_u8.astype(np.float32)
    b, g, r = (color_u8[..., i].astype(np.float32) for i in range(3))
    return np.float32(0.114) * b + np.float32(0.587) * g + np.float32(0.299) * r


def alpha_background(color_u8: np.ndarray, alpha: np.ndarray) -> int:
    """The grey level (0 or 255) to put behind transparent parts of an image.

    Transparency carries no colour, yet the text must stay readable once the image is
    flattened: light or white text on a transparent PNG (a logo, a caption overlay) vanishes
    on white, dark text on black. So the background is the one that contrasts with what is
    drawn: black when the visible pixels are light on average (alpha-weighted luma above
    mid-grey), white otherwise, and white when nothing is visible.
    """
    weight = float(alpha.sum())
    if weight < 1.0:
        return 255
    mean = float((_luminance(color_u8) * alpha).sum()) / weight
    return 0 if mean > 127.5 else 255


def _flatten_alpha(color_u8: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """Composite over :func:`alpha_background` (white or black, whichever contrasts)."""
    if alpha is None:
        return color_u8
    bg = np.float32(alpha_background(color_u8, alpha))
    a = alpha[..., None] if color_u8.ndim == 3 else alpha
    out = color_u8.astype(np.float32) * a + bg * (np.float32(1.0) - a)
    return np.rint(out).astype(np.uint8)


def check_pixels(height: int, width: int, source: str, max_pixels: int) -> None:
    """Raise :class:`ImageTooLargeError` when ``height * width`` exceeds ``max_pixels``."""
    if height * width > max_pixels:
        raise ImageTooLargeError(
            f"{source}: image is {width} x {height} = {height * width:,} pixels, over the limit of "
            f"{max_pixels:,}; raise it with --max-pixels (LoadOptions.max_pixels in Python) if the image is wanted"
        )


def array_to_bgr(array: Any, source: str = "<array>", max_pixels: int | None = None) -> np.ndarray:
    """Convert a numpy image to H x W x 3 uint8 BGR, C-contiguous.

    Accepts H x W (grey), H x W x 1, H x W x 2 (grey + alpha), H x W x 3 (**BGR**, OpenCV
    order) and H x W x 4 (BGRA); the same channel-first (C x H x W, as torch and some readers
    give) and with a leading batch axis of 1. Transparency is flattened onto white or black,
    whichever contrasts with the visible pixels (:func:`alpha_background`). Dtypes: uint8,
    uint16 (and other unsigned-valued integers, scaled by the module rule), bool and float in
    [0, 1]. An array that is already uint8 BGR C-contiguous is returned as is (no copy): treat
    it as read-only.
    """
    if not isinstance(array, np.ndarray):
        raise InputError(f"{source}: expected a numpy array, got {type(array).__name__}")
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]  # a batch of one
    if array.ndim == 3 and array.shape[2] not in (1, 2, 3, 4) and array.shape[0] in (1, 2, 3, 4):
        array = array.transpose(1, 2, 0)  # channels first: unambiguous when the last axis is wider than 4
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (2, 3, 4)):
        raise InputError(
            f"{source}: image array must be H x W (grey), H x W x 1, H x W x 2 (grey + alpha), "
            f"H x W x 3 (BGR) or H x W x 4 (BGRA), or the same channels-first; got shape {array.shape}"
        )
    h, w = array.shape[:2]
    if h == 0 or w == 0:
        raise InputError(f"{source}: image array is empty (shape {array.shape})")
    if max_pixels is not None:
        check_pixels(h, w, source, max_pixels)
    if array.ndim == 2:
        return np.ascontiguousarray(cv2.cvtColor(_to_uint8(array, "image", source), cv2.COLOR_GRAY2BGR))
    if array.shape[2] == 3:
        return np.ascontiguousarray(_to_uint8(array, "image", source))
    if array.shape[2] == 2:
        gray = _to_uint8(np.ascontiguousarray(array[:, :, 0]), "image", source)
        flat = _flatten_alpha(gray, _alpha_fraction(array[:, :, 1]))
        return np.ascontiguousarray(cv2.cvtColor(flat, cv2.COLOR_GRAY2BGR))
    color = _to_uint8(array[:, :, :3], "image", source)
    return np.ascontiguousarray(_flatten_alpha(color, _alpha_fraction(array[:, :, 3])))


# --- PIL normalisation -------------------------------------------------------------------
_PIL_16BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")


def pil_to_bgr(img: Image.Image, source: str = "<PIL image>", max_pixels: int | None = None) -> np.ndarray:
    """Convert a PIL image of any common mode to H x W x 3 uint8 BGR (EXIF orientation applied).

    RGB/RGBA/LA/L/1/P (with or without transparency)/I;16/I/F/CMYK/YCbCr/LAB/HSV are handled;
    transparency is flattened onto a contrasting background (see :func:`alpha_background`) and
    wide modes are scaled like arrays.
    """
    if not isinstance(img, Image.Image):
        raise InputError(f"{source}: expected a PIL image, got {type(img).__name__}")
    w, h = img.size
    if w == 0 or h == 0:
        raise InputError(f"{source}: image is empty ({w} x {h})")
    if max_pixels is not None:
        check_pixels(h, w, source, max_pixels)
    _load_pil_frame(img, source, img.format or "PIL")  # a lazily opened, truncated file fails here, clearly
    return apply_orientation(_pil_pixels_to_bgr(img, source), _exif_orientation(img))


def _pil_pixels_to_bgr(img: Image.Image, source: str) -> np.ndarray:
    mode = img.mode
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif mode == "PA":
        img = img.convert("RGBA")
    elif mode == "1":
        img = img.convert("L")
    elif mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        img = img.convert("RGB")
    elif mode == "RGBa":  # premultiplied alpha
        img = img.convert("RGBA")
    elif mode == "La":
        img = img.convert("LA")
    mode = img.mode
    if mode in _PIL_16BIT_MODES:
        return array_to_bgr(np.asarray(img) if mode != "I" else np.asarray(img).clip(0), source)
    if mode == "F":
        # Pillow float images usually hold 0..255 (not 0..1 like float arrays): accept either.
        values = np.nan_to_num(np.asarray(img, dtype=np.float32)).clip(0.0, None)
        peak = float(values.max(initial=0.0))
        scale = 255.0 if peak <= 1.0 else 255.0 / max(peak, 255.0)
        return array_to_bgr(np.rint(values * scale).astype(np.uint8), source)
    arr = np.asarray(img)
    if mode == "L":
        return array_to_bgr(arr, source)
    if mode == "LA":
        return array_to_bgr(arr, source)
    if mode == "RGB":
        return cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)
    if mode == "RGBA":
        return array_to_bgr(cv2.cvtColor(arr, cv2.COLOR_RGBA2BGRA), source)
    try:
        return cv2.cvtColor(np.asarray(img.convert("RGB")), cv2.COLOR_RGB2BGR)
    except Exception as exc:  # noqa: BLE001
        raise UnsupportedFormatError(f"{source}: unsupported PIL image mode {mode!r}") from exc


# --- EXIF orientation on numpy -------------------------------------------------------------
def apply_orientation(image: np.ndarray, orientation: int | None) -> np.ndarray:
    """Turn a decoded image upright according to an EXIF orientation value (1..8)."""
    if orientation == 2:
        return cv2.flip(image, 1)
    if orientation == 3:
        return cv2.rotate(image, cv2.ROTATE_180)
    if orientation == 4:
        return cv2.flip(image, 0)
    if orientation == 5:
        return np.ascontiguousarray(image.transpose(1, 0, *range(2, image.ndim)))
    if orientation == 6:
        return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    if orientation == 7:
        return cv2.rotate(cv2.flip(image, 1), cv2.ROTATE_90_CLOCKWISE)
    if orientation == 8:
        return cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return image


# --- decoding ------------------------------------------------------------------------------
def _open_pil(fp: Any, formats: tuple[str, ...], source: str, max_pixels: int) -> Image.Image:
    """Open (header only) with Pillow, mapping its errors to ours and checking the pixel limit."""
    try:
        # Pillow warns above ~89 MP and refuses above ~179 MP; our own limit is checked just below.
        # (Its warning is not silenced: warnings.catch_warnings is not thread-safe.)
        img = Image.open(fp, formats=list(formats))
    except Image.DecompressionBombError as exc:
        raise _bomb_error(exc, source, max_pixels) from None
    except UnidentifiedImageError as exc:
        raise ImageDecodeError(f"{source}: corrupt {formats[0]} image: invalid header") from exc
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types on bad headers
        raise ImageDecodeError(f"{source}: corrupt {formats[0]} image: {exc or type(exc).__name__}") from exc
    w, h = img.size
    if w == 0 or h == 0:
        raise ImageDecodeError(f"{source}: corrupt {formats[0]} image: size {w} x {h}")
    check_pixels(h, w, source, max_pixels)
    return img


def _bomb_error(exc: Exception, source: str, max_pixels: int) -> ImageTooLargeError:
    """Pillow's own decompression-bomb refusal, said in lumenocr's terms."""
    import re

    found = re.search(r"\((\d+) pixels\)", str(exc))
    pixels = int(found.group(1)) if found else None
    if pixels is not None and pixels > max_pixels:
        return ImageTooLargeError(
            f"{source}: image is {pixels:,} pixels, over the limit of {max_pixels:,}; raise it with "
            "--max-pixels (LoadOptions.max_pixels in Python) if the image is wanted"
        )
    limit = Image.MAX_IMAGE_PIXELS or 0
    return ImageTooLargeError(
        f"{source}: image is {f'{pixels:,} pixels' if pixels else 'too large'}, more than Pillow opens in "
        f"this process (twice PIL.Image.MAX_IMAGE_PIXELS = {2 * limit:,}); the lumenocr command line "
        "lifts that limit and applies --max-pixels instead"
    )


def allow_large_images() -> Callable[[], None]:
    """Let ``max_pixels`` alone decide (checked from each header before decoding), instead of
    Pillow's process-wide decompression-bomb limit, which warns above 89 MP and refuses above
    179 MP. For programs that own their process, like the ``lumenocr`` command line (a library
    call never changes Pillow's settings). Returns a function that restores the old limit."""
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None

    def restore() -> None:
        Image.MAX_IMAGE_PIXELS = previous

    return restore


def _load_pil_frame(img: Image.Image, source: str, label: str) -> None:
    try:
        img.load()
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types on bad data
        msg = str(exc) or type(exc).__name__
        kind = "truncated" if "truncat" in msg.lower() or isinstance(exc, EOFError) else "corrupt"
        raise ImageDecodeError(f"{source}: {kind} {label} image: {msg}") from exc


def _has_end_marker(data: bytes, fmt: str) -> bool:
    """Cheap completeness check: does the data end where a complete file of ``fmt`` ends?

    ``False`` does not mean broken (some writers append bytes after the end): the caller then
    decodes with Pillow, which tells truncation apart.
    """
    if fmt == "jpeg":
        return b"\xff\xd9" in data[-64:]
    if fmt == "png":
        return data[-8:-4] == b"IEND"
    if fmt == "webp":
        return int.from_bytes(data[4:8], "little") + 8 <= len(data)
    if fmt == "bmp":
        declared = int.from_bytes(data[2:6], "little")
        return declared == 0 or declared <= len(data)
    return True


def _exif_orientation(img: Image.Image) -> int | None:
    try:
        value = img.getexif().get(0x0112)
    except Exception:  # noqa: BLE001 - malformed EXIF: ignore orientation rather than fail the image
        return None
    return int(value) if isinstance(value, int) and 1 <= value <= 8 else None


def decode_image_bytes(
    data: bytes, source: str, options: LoadOptions, fmt: str | None = None
) -> Iterator[Page]:
    """Decode an image file's bytes into pages (several for a multi-page TIFF).

    PDF data is not handled here (see :mod:`lumenocr.io.pdf`). Raises ImageDecodeError (empty,
    corrupt, truncated), UnsupportedFormatError or ImageTooLargeError.
    """
    if len(data) == 0:
        raise ImageDecodeError(f"{source}: file is empty (0 bytes)")
    fmt = fmt or sniff_format(data[:SNIFF_BYTES])
    if fmt is None or fmt == "pdf":
        raise unsupported(source, data[:SNIFF_BYTES])
    if fmt in _FAST_FORMATS:
        yield Page(_decode_fast(data, fmt, source, options), source, None)
    else:
        yield from decode_with_pil(io.BytesIO(data), fmt, source, options)


def _decode_fast(data: bytes, fmt: str, source: str, options: LoadOptions) -> np.ndarray:
    pil_formats = _FAST_FORMATS[fmt]
    label = pil_formats[0]
    header = _open_pil(io.BytesIO(data), pil_formats, source, options.max_pixels)
    if not _has_end_marker(data, fmt):
        # Either truncated or followed by extra bytes: let Pillow decode and judge.
        return next(iter(_pil_pages(header, fmt, source, options))).image
    # Pillow's PNG getexif() decodes the whole image when no eXIf chunk precedes the pixels:
    # only ask when the file has one at all.
    has_exif = fmt in ("jpeg", "webp") or (fmt == "png" and b"eXIf" in data)
    orientation = _exif_orientation(header) if has_exif else None
    expected = header.size
    header.close()
    buf = np.frombuffer(data, dtype=np.uint8)
    try:
        decoded = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    except cv2.error:
        decoded = None
    if decoded is None:
        # OpenCV gives no reason; Pillow either reads a variant OpenCV lacks or says what is wrong.
        return next(iter(decode_with_pil(io.BytesIO(data), fmt, source, options))).image
    if (decoded.shape[1], decoded.shape[0]) != expected:
        raise ImageDecodeError(
            f"{source}: corrupt {label} image: header says {expected[0]} x {expected[1]}, "
            f"decoded {decoded.shape[1]} x {decoded.shape[0]}"
        )
    if fmt == "bmp" and decoded.ndim == 3 and decoded.shape[2] == 4 and int(decoded[:, :, 3].max()) == 0:
        # Windows convention: a 32-bit BMP whose alpha is zero everywhere has no real alpha.
        decoded = decoded[:, :, :3]
    image = array_to_bgr(decoded, source)
    return apply_orientation(image, orientation)


def decode_with_pil(fp: Any, fmt: str, source: str, options: LoadOptions) -> Iterator[Page]:
    """Decode with Pillow (TIFF pages, GIF first frame, or a JPEG/PNG that needs judging)."""
    formats = _PIL_FORMATS.get(fmt) or _FAST_FORMATS[fmt]
    try:
        img = _open_pil(fp, formats, source, options.max_pixels)
    except ImageDecodeError as exc:
        if fmt != "tiff" or not isinstance(exc.__cause__, UnidentifiedImageError):
            raise
        # A valid TIFF in a layout Pillow has no mode for (floating-point RGB samples, ...):
        # OpenCV's libtiff reads those; what it cannot read keeps Pillow's verdict.
        yield from _tiff_with_opencv(fp, source, options, exc)
        return
    yield from _pil_pages(img, fmt, source, options)


def _tiff_with_opencv(
    fp: Any, source: str, options: LoadOptions, pil_error: ImageDecodeError
) -> Iterator[Page]:
    """The pages of a TIFF Pillow cannot open, decoded by OpenCV; every page's size is read
    from its header (Pillow's tag reader) and checked against ``max_pixels`` first."""
    from PIL import TiffImagePlugin

    if isinstance(fp, (str, os.PathLike)):
        with open(fp, "rb") as f:
            data = f.read()
    else:
        fp.seek(0)
        data = fp.read()
    sizes: list[tuple[int, int]] = []
    try:
        ifd = TiffImagePlugin.ImageFileDirectory_v2(data[:8])
        stream, offset = io.BytesIO(data), ifd.next
        while offset and len(sizes) < 100_000:
            stream.seek(offset)
            ifd = TiffImagePlugin.ImageFileDirectory_v2(data[:8])
            ifd.load(stream)
            sizes.append((int(ifd[256]), int(ifd[257])))  # ImageWidth, ImageLength
            offset = ifd.next
    except Exception:  # noqa: BLE001 - a header Pillow's tag reader rejects: Pillow's verdict stands
        raise pil_error from None
    if not sizes:
        raise pil_error
    multi = len(sizes) > 1
    for index, (w, h) in enumerate(sizes):
        check_pixels(h, w, f"{source} page {index}" if multi else source, options.max_pixels)
    try:
        ok, frames = cv2.imdecodemulti(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        ok, frames = False, []
    if not ok or len(frames) != len(sizes):
        raise pil_error
    wanted = list(options.pages) if options.pages is not None else list(range(len(frames)))
    bad = [p for p in wanted if p >= len(frames)]
    if bad:
        raise InputError(f"{source}: has {len(frames)} page(s); {missing_pages(bad)}")
    for index in wanted:
        yield Page(array_to_bgr(frames[index], source), source, index if multi else None)


def _pil_pages(img: Image.Image, fmt: str, source: str, options: LoadOptions) -> Iterator[Page]:
    label = (_PIL_FORMATS.get(fmt) or _FAST_FORMATS[fmt])[0]
    try:
        n_frames = getattr(img, "n_frames", 1) if fmt == "tiff" else 1
    except Exception as exc:  # noqa: BLE001 - counting pages walks every page header
        img.close()
        raise ImageDecodeError(f"{source}: corrupt {label} image: cannot read its page list: {exc}") from exc
    multi = n_frames > 1
    if options.pages is not None and fmt == "tiff":
        wanted = list(options.pages)
        bad = [p for p in wanted if p >= n_frames]
        if bad:
            raise InputError(f"{source}: has {n_frames} page(s); {missing_pages(bad)}")
    else:
        wanted = list(range(n_frames))
    try:
        for index in wanted:
            if index != img.tell():
                try:
                    img.seek(index)
                except Exception as exc:  # noqa: BLE001 - Pillow raises many types on bad pages
                    raise ImageDecodeError(
                        f"{source}: corrupt {label} image: cannot read page {index}: {exc}"
                    ) from exc
            w, h = img.size
            check_pixels(h, w, f"{source} page {index}" if multi else source, options.max_pixels)
            _load_pil_frame(img, source, label)
            bgr = pil_to_bgr(img, source)
            yield Page(bgr, source, index if multi else None)
    finally:
        img.close()


def is_url(text: str) -> bool:
    """True for ``http://`` and ``https://`` strings (the only URLs lumenocr downloads)."""
    return text[:8].lower().startswith(("http://", "https://"))


def describe_path_error(path: str | os.PathLike, exc: OSError) -> str:
    """One-line reason an existing path could not be read."""
    return f"{os.fspath(path)}: cannot read: {exc.strerror or exc}"
