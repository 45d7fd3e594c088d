"""gzip for HTTP answers, with the expensive part compressed once per cached value.

An answer of the fast path is `{"success":true,"data":<data>,...per-request fields...}`: the data
of a cached value is the same on every request, the envelope's tail (timestamp, response_time_ms,
cache age) is not. `gzip_envelope` deflates the data once (raw deflate, ending on a byte boundary
with a sync flush, so pieces compressed apart can stand one after another in one stream), keeps it
in a small LRU keyed by the data's bytes, and per request compresses only the short head and tail
around it, then closes the gzip member (CRC-32 and length of the whole text). The result is one
ordinary gzip member any client decodes.
"""

from __future__ import annotations

import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable

LEVEL = 6  # the user guide's compression_level
_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # gzip, deflate, no name, no mtime, unknown OS
_CACHE_BYTES = 64 * 1024 * 1024  # compressed pieces kept per process
_lock = threading.Lock()
_pieces: OrderedDict[int, tuple[bytes, bytes]] = OrderedDict()  # hash(data) -> (data, deflated)
_held = 0


def _deflate(data: bytes, *, final: bool) -> bytes:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)


def _piece(data: bytes) -> bytes:
    """`data` deflated (non-final blocks), from the LRU when this very data was compressed before."""
    global _held
    key = hash(data)
    with _lock:
        found = _pieces.get(key)
        if found is not None and found[0] == data:
            _pieces.move_to_end(key)
            return found[1]
    deflated = _deflate(data, final=False)
    with _lock:
        _pieces[key] = (data, deflated)
        _held += len(data) + len(deflated)
        while _held > _CACHE_BYTES and _pieces:
            _, (old, old_deflated) = _pieces.popitem(last=False)
            _held -= len(old) + len(old_deflated)
    return deflated


def gzip_parts(parts: Iterable[bytes], cached: int) -> bytes:
    """One gzip member of b"".join(parts); the part at index `cached` is compressed once per content."""
    items = list(parts)
    out = [_HEADER]
    crc = 0
    size = 0
    pending = b""
    for index, part in enumerate(items):
        crc = zlib.crc32(part, crc)
        size += len(part)
        if index == cached:
            if pending:
                out.append(_deflate(pending, final=False))
                pending = b""
            out.append(_piece(part))
        else:
            pending += part
    out.append(_deflate(pending, final=True))
    out.append(struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))
    return b"".join(out)


def accepts_gzip(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether Accept-Encoding lists gzip (without q=0)."""
    for name, value in headers:
        if name.lower() != b"accept-encoding":
            continue
        for item in value.decode("latin-1").lower().split(","):
            coding, _, params = item.strip().partition(";")
            if coding.strip() in ("gzip", "*") and params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00"):
                return True
    return False
