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
from ketnghia_analysis.reading.cells.model import ReadError, Sheet
from ketnghia_analysis.reading.cells.package import member_head

__all__ = [
    "box_error",
    "box_excess",
    "check_box",
    "check_zip",
    "guarded",
    "leave_out_oversized",
    "package_errors",
    "reject_dtd",
]

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


def box_excess(n_rows: int, n_cols: int, limits: Limits) -> str | None:
    """Why a sheet whose bounding box from A1 is `n_rows` × `n_cols` is beyond the limits,
    naming the limit (Vietnamese, without the sheet), or None when it is within them.

    >>> box_excess(7, 6, Limits()) is None
    True
    >>> box_excess(300_001, 6, Limits())
    'có ô ở dòng 300.001, vượt giới hạn 250.000 dòng'
    """
    if n_rows > limits.max_rows:
        return f"có ô ở dòng {fmt_number(n_rows)}, vượt giới hạn {fmt_number(limits.max_rows)} dòng"
    if n_cols > limits.max_cols:
        return (
            f"có ô ở cột {a1(0, n_cols - 1)[:-1]} (cột thứ {fmt_number(n_cols)}), vượt giới "
            f"hạn {fmt_number(limits.max_cols)} cột"
        )
    if n_rows * n_cols > limits.max_cells:
        return (
            f"trải trên {fmt_number(n_rows)} × {fmt_number(n_cols)} = "
            f"{fmt_number(n_rows * n_cols)} ô, vượt giới hạn {fmt_number(limits.max_cells)} ô"
        )
    return None


def box_error(sheet: str, why: str) -> ReadError:
    """The rejection of a whole file for one sheet beyond the limits (`why` from `box_excess`).

    >>> str(box_error("Biểu 01", "có ô ở dòng 7, vượt giới hạn 5 dòng"))
    "Trang 'Biểu 01' có ô ở dòng 7, vượt giới hạn 5 dòng. [FILE_LIMIT]"
    """
    return ReadError("FILE_LIMIT", f"Trang '{sheet}' {why}.")


def check_box(sheet: str, n_rows: int, n_cols: int, limits: Limits) -> None:
    """Reject the file when a sheet's bounding box from A1 is beyond the limits (engines
    that cannot leave that one sheet out: CSV is one sheet).

    >>> check_box("Biểu 01", 7, 6, Limits())
    >>> check_box("Biểu 01", 7, 6, Limits(max_rows=5))
    Traceback (most recent call last):
    ...
    ketnghia_analysis.reading.cells.model.ReadError: Trang 'Biểu 01' có ô ở dòng 7, vượt giới hạn 5 dòng. [FILE_LIMIT]
    """
    why = box_excess(n_rows, n_cols, limits)
    if why is not None:
        raise box_error(sheet, why)


def leave_out_oversized(
    sheets: list[Sheet], limits: Limits
) -> tuple[list[Sheet], list[tuple[str, str]]]:
    """(sheets within the limits, (name, why) of the others), for engines that measure a
    sheet only once it is read (xls: neither calamine nor xlrd tells the box beforehand)."""
    kept: list[Sheet] = []
    refused: list[tuple[str, str]] = []
    for s in sheets:
        why = box_excess(s.n_rows, s.n_cols, limits)
        if why is None:
            kept.append(s)
        else:
            refused.append((s.name, why))
    return kept, refused


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
        head = member_head(zf, info, 4096)
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
