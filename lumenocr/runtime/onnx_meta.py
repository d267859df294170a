"""Read an ONNX file's ``metadata_props`` without parsing its graph.

OpenVINO loads a cached compiled model straight from its file path, which skips the ONNX
graph; the metadata lumenocr needs (task, settings, the dictionary) would then cost a full
``read_model`` (0.1-0.4 s for a recognizer). The metadata are top-level field 14 of the
``ModelProto`` message, so a walk over the top-level fields that skips the others by their
length prefix finds them in about a millisecond.
"""

from __future__ import annotations

import mmap
import os

_METADATA_PROPS = 14  # ModelProto.metadata_props: repeated StringStringEntryProto {1: key, 2: value}


class OnnxFormatError(ValueError):
    """The bytes are not a well-formed ONNX (protobuf) message."""


def _varint(buf, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise OnnxFormatError("truncated varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise OnnxFormatError("varint too long")


def _fields(buf, start: int, end: int):
    """(field number, wire type, value or (start, end) of a length-delimited payload)."""
    pos = start
    while pos < end:
        tag, pos = _varint(buf, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            yield number, wire, value
        elif wire == 1:
            pos += 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if pos + length > end:
                raise OnnxFormatError("field runs past the end of the message")
            yield number, wire, (pos, pos + length)
            pos += length
        elif wire == 5:
            pos += 4
        else:
            raise OnnxFormatError(f"unsupported wire type {wire}")
    if pos != end:
        raise OnnxFormatError("message ends inside a field")


def read_metadata(path: str | os.PathLike) -> dict[str, str]:
    """``{key: value}`` of the ONNX file's ``metadata_props``."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise OnnxFormatError("empty file")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            out: dict[str, str] = {}
            for number, wire, span in _fields(buf, 0, size):
                if number != _METADATA_PROPS or wire != 2:
                    continue
                assert isinstance(span, tuple)
                key = value = ""
                for sub, sub_wire, payload in _fields(buf, *span):
                    if sub_wire == 2 and sub in (1, 2):
                        a, b = payload
                        text = bytes(buf[a:b]).decode("utf-8", errors="replace")
                        key, value = (text, value) if sub == 1 else (key, text)
                out[key] = value
            return out
