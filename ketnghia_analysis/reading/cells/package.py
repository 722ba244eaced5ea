"""ZIP packages (xlsx, xlsm, ods): opening, part lookup, bounded reads and streamed members."""

from __future__ import annotations

import codecs
import io
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO

from ketnghia_analysis.reading.cells.model import ReadError

__all__ = ["open_package", "parse_iso", "read_small", "stream_utf8", "zip_lookup"]

_CHUNK = 4 * 1024 * 1024


def open_package(data: bytes, damaged: str) -> zipfile.ZipFile:
    """The ZIP container of a file's bytes; `damaged` is the message when it is not one."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ReadError("FILE_TRUNCATED", damaged) from exc


def zip_lookup(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Members by lower-case path without a leading slash (part names are case-insensitive)."""
    return {i.filename.lower().lstrip("/"): i for i in zf.infolist()}


def read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int = 32 * 1024 * 1024) -> bytes:
    """The bytes of a member that should be small (workbook, relationships)."""
    if info.file_size > cap:
        raise ReadError("FILE_LIMIT", f"Phần '{info.filename}' lớn bất thường.")
    return zf.read(info)


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
