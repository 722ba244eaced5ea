"""Checks every engine shares: ZIP bombs, sheet bounding boxes, DTDs, and engine failures → ReadError."""

from __future__ import annotations

import codecs
import contextlib
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import TypeVar

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.core.fmt import fmt_number
from ketnghia_analysis.core.limits import Limits
from ketnghia_analysis.reading.cells.model import ReadError

__all__ = ["check_box", "check_zip", "guarded", "package_errors", "reject_dtd"]

T = TypeVar("T")


def check_zip(zf: zipfile.ZipFile, limits: Limits) -> None:
    """Reject zip bombs from the central directory, before anything is inflated."""
    infos = zf.infolist()
    if len(infos) > limits.max_zip_entries:
        raise ReadError(
            "FILE_LIMIT",
            f"Tệp nén chứa {fmt_number(len(infos))} mục, vượt giới hạn {fmt_number(limits.max_zip_entries)} mục.",
        )
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.ratio_min_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise ReadError(
                    "FILE_LIMIT",
                    f"Mục '{info.filename}' nén với tỉ lệ {fmt_number(ratio)}:1, vượt giới hạn "
                    f"{fmt_number(limits.max_compression_ratio)}:1 (nghi là bom nén).",
                )
    if total > limits.max_uncompressed_bytes:
        raise ReadError(
            "FILE_LIMIT",
            f"Dung lượng giải nén {fmt_number(total / 2**20)} MB vượt giới hạn "
            f"{fmt_number(limits.max_uncompressed_bytes / 2**20)} MB (nghi là bom nén).",
        )


def check_box(sheet: str, n_rows: int, n_cols: int, limits: Limits) -> None:
    """Reject a sheet whose bounding box from A1 is beyond the limits.

    >>> check_box("Biểu 01", 7, 6, Limits())
    >>> check_box("Biểu 01", 7, 6, Limits(max_rows=5))
    Traceback (most recent call last):
    ...
    ketnghia_analysis.reading.cells.model.ReadError: Trang 'Biểu 01' có ô ở dòng 7, vượt giới hạn 5 dòng. [FILE_LIMIT]
    """
    where = f"Trang '{sheet}'"
    if n_rows > limits.max_rows:
        raise ReadError(
            "FILE_LIMIT",
            f"{where} có ô ở dòng {fmt_number(n_rows)}, vượt giới hạn {fmt_number(limits.max_rows)} dòng.",
        )
    if n_cols > limits.max_cols:
        raise ReadError(
            "FILE_LIMIT",
            f"{where} có ô ở cột {a1(0, n_cols - 1)[:-1]} (cột thứ {fmt_number(n_cols)}), vượt giới "
            f"hạn {fmt_number(limits.max_cols)} cột.",
        )
    if n_rows * n_cols > limits.max_cells:
        raise ReadError(
            "FILE_LIMIT",
            f"{where} trải trên {fmt_number(n_rows)} × {fmt_number(n_cols)} = {fmt_number(n_rows * n_cols)} ô, vượt giới "
            f"hạn {fmt_number(limits.max_cells)} ô.",
        )


_DTD_RE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def reject_dtd(zf: zipfile.ZipFile) -> None:
    """Reject XML parts that declare a DTD or entities (billion laughs).

    Office never writes a DOCTYPE in OOXML or ODF parts (OPC forbids DTDs), so one
    is a crafted file; no part is ever parsed with entity expansion anyway.
    """
    for info in zf.infolist():
        low = info.filename.lower()
        if not low.endswith((".xml", ".rels")) or info.is_dir():
            continue
        with zf.open(info) as fh:
            head = fh.read(4096)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            head = head.decode("utf-16", errors="replace").encode("utf-8")
        if _DTD_RE.search(head):
            raise ReadError(
                "FILE_CORRUPT",
                f"Phần '{info.filename}' khai báo DTD/thực thể XML, điều không có trong "
                "tệp bảng tính hợp lệ (nghi là tệp độc hại): không đọc.",
            )


def guarded(what: str, fn: Callable[..., T], *args: object) -> T:
    """Call an engine; any failure (including a Rust panic) becomes ReadError.

    python-calamine surfaces Rust panics as PanicException, a BaseException that
    `except Exception` misses (measured-facts).
    """
    try:
        return fn(*args)
    except ReadError:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except MemoryError as exc:
        raise ReadError("FILE_LIMIT", f"{what}: không đủ bộ nhớ để đọc tệp.") from exc
    except BaseException as exc:
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        raise ReadError(
            "FILE_CORRUPT",
            f"{what} không đọc được tệp ({type(exc).__name__}{': ' + detail if detail else ''}).",
        ) from exc


@contextlib.contextmanager
def package_errors() -> Iterator[None]:
    """Broken ZIP members (bad CRC, cut deflate stream, unknown compression) → ReadError."""
    try:
        yield
    except ReadError:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        NotImplementedError,
        ValueError,
        KeyError,
        RuntimeError,  # an encrypted ZIP member ("password required")
        struct.error,
    ) as exc:
        raise ReadError(
            "FILE_TRUNCATED",
            f"Tệp bị cắt cụt hoặc hỏng: một phần bên trong không giải nén được ({exc}).",
        ) from exc
