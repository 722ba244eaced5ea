"""ZIP packages (xlsx, xlsm, ods): opening, part lookup, bounded reads and streamed members.

A package's members are small XML parts read more than once (a DTD check of each part's
head, then the part itself): `Package` keeps the small parts it has read whole, so each is
inflated once. Every read is `zipfile`'s own, so every byte returned and every error raised
is the one `zipfile` gives.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO

from ketnghia_analysis.reading.cells.model import ReadError

__all__ = [
    "Package",
    "member_bytes",
    "member_head",
    "open_member",
    "open_package",
    "parse_iso",
    "read_small",
    "stream_utf8",
    "zip_lookup",
]

_CHUNK = 4 * 1024 * 1024
# A head of a member this small is cut from the whole member (kept for the reads after),
# within `_KEPT_BYTES` per package.
_WHOLE_HEAD = 64 * 1024
_KEPT_BYTES = 8 * 1024 * 1024


class Package(zipfile.ZipFile):
    """A ZIP container over a file's bytes that keeps the small members it has read.

    `member(info)` is `read(info)` and `head(info, n)` is `open(info).read(n)`, byte for
    byte and error for error: the head of a small member is cut from the whole member,
    read by `zipfile` and kept, so that a part is inflated once however often it is read;
    at most `_KEPT_BYTES` in all (a crafted package of ten thousand parts costs no more
    than its heads, as before). A member `zipfile` cannot read whole (a bad checksum, a
    damaged stream) is read as before, head only, and never kept.
    """

    def __init__(self, data: bytes):
        super().__init__(io.BytesIO(data))
        self._whole: dict[int, bytes] = {}  # id of a ZipInfo of this package → its bytes
        self._room = _KEPT_BYTES  # bytes that may still be kept in `_whole`

    def member(self, info: zipfile.ZipInfo) -> bytes:
        """The member's bytes, as `ZipFile.read` gives them."""
        known = self._whole.get(id(info))
        return self.read(info) if known is None else known

    def head(self, info: zipfile.ZipInfo, n: int) -> bytes:
        """The first `n` bytes of the member, as `ZipFile.open(info).read(n)` gives them."""
        known = self._whole.get(id(info))
        if known is None and info.file_size <= min(_WHOLE_HEAD, self._room):
            try:
                whole = self.read(info)
            except Exception:  # noqa: BLE001 - a head-only read then gives (or raises) it
                whole = None
            if whole is not None and len(whole) <= self._room:
                self._whole[id(info)] = known = whole
                self._room -= len(whole)
        if known is None:
            with self.open(info) as fh:
                return fh.read(n)
        return known[:n]


def member_bytes(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """`zf.read(info)`, inflated once when `zf` is a `Package`."""
    return zf.member(info) if isinstance(zf, Package) else zf.read(info)


def member_head(zf: zipfile.ZipFile, info: zipfile.ZipInfo, n: int) -> bytes:
    """The first `n` bytes of a member (`zf.open(info).read(n)`)."""
    if isinstance(zf, Package):
        return zf.head(info, n)
    with zf.open(info) as fh:
        return fh.read(n)


def open_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> IO[bytes]:
    """A member to stream (`zf.open(info)`); a small one of a `Package` inflated at once."""
    if isinstance(zf, Package) and info.file_size <= _CHUNK:
        return io.BytesIO(zf.member(info))
    return zf.open(info)


def open_package(data: bytes, damaged: str) -> Package:
    """The ZIP container of a file's bytes; `damaged` is the message when it is not one."""
    try:
        return Package(data)
    except zipfile.BadZipFile as exc:
        raise ReadError("FILE_TRUNCATED", damaged) from exc


def zip_lookup(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Members by lower-case path without a leading slash (part names are case-insensitive)."""
    return {i.filename.lower().lstrip("/"): i for i in zf.infolist()}


def read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int = 32 * 1024 * 1024) -> bytes:
    """The bytes of a member that should be small (workbook, relationships)."""
    if info.file_size > cap:
        raise ReadError("FILE_LIMIT", f"Phần '{info.filename}' lớn bất thường.")
    return member_bytes(zf, info)


def stream_utf8(fh: IO[bytes], declared: int, part: str) -> Iterator[bytes]:
    """Yield the bytes of a zip member, UTF-8, counting them against its declared size."""
    first = fh.read(_CHUNK)
    decoder = None
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        decoder = codecs.getincrementaldecoder("utf-16")()
    seen = 0
    chunk = first
    while chunk:
        seen += len(chunk)
        if seen > declared + 1024 * 1024:
            # The central directory lied about the size: treat as a bomb.
            raise ReadError(
                "FILE_LIMIT",
                f"Phần '{part}' giải nén ra nhiều hơn kích thước khai báo (nghi là bom nén).",
            )
        yield decoder.decode(chunk).encode("utf-8") if decoder else chunk
        chunk = fh.read(_CHUNK)


def parse_iso(text: str) -> datetime | None:
    """A naive datetime of an ISO 8601 timestamp, or None.

    >>> parse_iso("2024-01-15T08:30:00Z"), parse_iso("hôm qua")
    (datetime.datetime(2024, 1, 15, 8, 30), None)
    """
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.replace(tzinfo=None)
