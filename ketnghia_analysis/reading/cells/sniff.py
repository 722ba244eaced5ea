"""The format of a file decided from its bytes, never from its name.

Received ".xls" files are often HTML pages, CSV or XML Spreadsheet 2003 exports, and an
.xls is sometimes saved under an .xlsx name (returns.md); encrypted workbooks and common
non-spreadsheet files are named for the user.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

from ketnghia_analysis.reading.cells.delimited import csv_dialect
from ketnghia_analysis.reading.cells.encoding import decode_head
from ketnghia_analysis.reading.cells.model import ReadError, not_spreadsheet
from ketnghia_analysis.reading.cells.package import Package, member_bytes

__all__ = ["sniff_format"]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"

# Signatures of common files that are not spreadsheets, named for the user.
_NOT_SPREADSHEET = [
    (b"%PDF", "tệp PDF"),
    (b"\x89PNG", "ảnh PNG"),
    (b"\xff\xd8\xff", "ảnh JPEG"),
    (b"GIF8", "ảnh GIF"),
    (b"II*\x00", "ảnh TIFF"),
    (b"MM\x00*", "ảnh TIFF"),
    (b"BM", None),  # too short to trust alone; checked below
    (b"Rar!", "tệp nén RAR"),
    (b"7z\xbc\xaf\x27\x1c", "tệp nén 7z"),
    (b"\x1f\x8b", "tệp nén gzip"),
    (b"{\\rtf", "văn bản RTF"),
    (b"\x7fELF", "tệp chương trình"),
    (b"MZ", "tệp chương trình Windows"),
]


def sniff_format(path: str | Path, data: bytes | None = None) -> str:
    """Decide the format of a file from its bytes.

    Returns one of "xlsx", "xlsm", "xls", "ods", "html", "xml2003", "csv"; raises
    ReadError (FILE_EMPTY, FILE_TRUNCATED, FILE_ENCRYPTED, FILE_NOT_SPREADSHEET, ...)
    otherwise. The extension is ignored on purpose. `data`, the file's bytes when the
    caller has read them already, spares reading the file again.
    """
    path = Path(path)
    if data is not None:
        head = data[:65536]
    else:
        try:
            with open(path, "rb") as fh:
                head = fh.read(65536)
        except OSError as exc:
            raise ReadError("FILE_UNREADABLE", f"Không mở được tệp: {exc.strerror}.") from exc
    if not head.strip(b" \t\r\n\x00"):
        raise ReadError("FILE_EMPTY", "Tệp trống (0 byte hoặc chỉ có khoảng trắng).")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _sniff_zip(path, data)
    if head.startswith(_OLE_MAGIC):
        return _sniff_ole(path)
    for magic, what in _NOT_SPREADSHEET:
        if what and head.startswith(magic):
            raise not_spreadsheet(what)
    return _sniff_text(head)


def _sniff_text(head: bytes) -> str:
    """The format of a file that is neither a ZIP nor an OLE container."""
    text = decode_head(head)
    if text is None:
        if head.startswith(b"BM"):
            raise not_spreadsheet("ảnh BMP")
        raise not_spreadsheet("dữ liệu nhị phân không nhận ra được")
    stripped = text.lstrip("\ufeff \t\r\n").lower()
    # Before HTML: an XML Spreadsheet 2003 has a <Table> element too.
    if stripped.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in stripped:
        return "xml2003"  # "XML Spreadsheet 2003", which some web systems save as .xls
    if _looks_like_html(stripped):
        return "html"
    if csv_dialect(text) is not None:
        return "csv"
    if stripped.startswith("<"):
        raise not_spreadsheet("tệp XML/văn bản đánh dấu, không có bảng")
    raise not_spreadsheet("văn bản thường, không có cột phân cách")


def _looks_like_html(lowered: str) -> bool:
    """True for the lower-cased start of a web page.

    >>> _looks_like_html("<!--[if gte mso 9]>--><html xmlns:x=...>")
    True
    >>> _looks_like_html("<?xml version='1.0'?><note/>")
    False
    """
    if lowered.startswith(("<html", "<!doctype html", "<table", "<meta", "<head", "<body")):
        return True
    # Excel's "Save as web page" and some web systems start with an XML prolog,
    # a comment or a <style> block before <html>.
    if lowered.startswith(("<?xml", "<!--", "<style", "<!doctype")):
        return "<html" in lowered[:8192] or "<table" in lowered[:8192]
    return False


def _sniff_zip(path: Path, data: bytes | None) -> str:
    """Tell "ods", "xlsx" and "xlsm" apart by a ZIP container's members, or say why it is none."""
    try:
        with zipfile.ZipFile(path) if data is None else Package(data) as zf:
            return _zip_format(zf)
    except zipfile.BadZipFile as exc:
        raise ReadError(
            "FILE_TRUNCATED",
            "Tệp Excel bị cắt cụt hoặc hỏng (không đọc được cấu trúc ZIP): hãy gửi lại tệp.",
        ) from exc
    except (
        OSError,
        EOFError,
        ValueError,
        KeyError,
        zlib.error,
        RuntimeError,
        NotImplementedError,
        struct.error,
    ) as exc:
        raise ReadError("FILE_TRUNCATED", f"Tệp nén bị hỏng: {exc}.") from exc


def _zip_format(zf: zipfile.ZipFile) -> str:
    """The decision of `_sniff_zip`, in the order the containers are told apart."""
    names = {n.lower(): n for n in zf.namelist()}
    if "mimetype" in names:
        mime = zf.read(names["mimetype"])[:200].strip()
        if mime == _ODS_MIME:
            return "ods"
        if mime.startswith(b"application/vnd.oasis.opendocument"):
            raise not_spreadsheet("tài liệu OpenDocument không phải bảng tính")
    content_types = b""
    if "[content_types].xml" in names:
        info = zf.getinfo(names["[content_types].xml"])
        if info.file_size < 4 * 1024 * 1024:
            content_types = member_bytes(zf, info)
    is_sheet = "xl/workbook.xml" in names or b"spreadsheetml.sheet.main" in content_types
    if is_sheet or b"ms-excel.sheet.macroEnabled.main" in content_types:
        macro = any(n.endswith("vbaproject.bin") for n in names) or (
            b"macroEnabled" in content_types
        )
        return "xlsm" if macro else "xlsx"
    if "xl/workbook.bin" in names:
        raise ReadError(
            "FILE_UNSUPPORTED",
            "Tệp là Excel nhị phân .xlsb (chưa hỗ trợ): hãy lưu lại thành .xlsx.",
        )
    if "word/document.xml" in names:
        raise not_spreadsheet("tài liệu Word (.docx)")
    if "ppt/presentation.xml" in names:
        raise not_spreadsheet("bản trình chiếu PowerPoint (.pptx)")
    raise not_spreadsheet("tệp nén ZIP không chứa bảng tính")


def _sniff_ole(path: Path) -> str:
    """Return "xls" for an OLE container holding an unencrypted workbook, or say why it is not."""
    globals_head = _ole_workbook_head(path)
    if _biff_has_filepass(globals_head):
        raise ReadError(
            "FILE_ENCRYPTED",
            "Tệp .xls có mật khẩu (đã mã hóa): hãy gỡ mật khẩu rồi gửi lại.",
        )
    return "xls"


def _ole_workbook_head(path: Path) -> bytes:
    """The first MiB of the workbook stream of an OLE container."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(s).lower() for s in ole.listdir(streams=True, storages=False)}
            if "encryptioninfo" in streams or "encryptedpackage" in streams:
                raise ReadError(
                    "FILE_ENCRYPTED",
                    "Tệp có mật khẩu (đã mã hóa): hãy gỡ mật khẩu rồi gửi lại.",
                )
            book = next((n for n in ("workbook", "book") if n in streams), None)
            if book is None:
                if "worddocument" in streams:
                    raise not_spreadsheet("tài liệu Word (.doc)")
                if "powerpoint document" in streams:
                    raise not_spreadsheet("bản trình chiếu PowerPoint (.ppt)")
                raise not_spreadsheet("tệp Office không chứa bảng tính")
            with ole.openstream(book) as stream:
                return stream.read(1024 * 1024)
    except ReadError:
        raise
    except BaseException as exc:  # olefile raises assorted errors on broken containers
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise ReadError(
            "FILE_TRUNCATED",
            "Tệp Excel 97-2003 (.xls) bị cắt cụt hoặc hỏng (cấu trúc OLE không hợp lệ).",
        ) from exc


def _biff_has_filepass(data: bytes) -> bool:
    """True when the workbook-globals substream of a BIFF stream holds FILEPASS.

    FILEPASS (0x002F) marks an encrypted .xls (MS-XLS 2.4.117); it sits in the
    globals substream, which ends at the first EOF record (0x000A).

    >>> bof = struct.pack("<HH", 0x0809, 4) + b"\\x00\\x06\\x05\\x00"
    >>> _biff_has_filepass(bof + struct.pack("<HH", 0x002F, 2) + b"\\x01\\x00")
    True
    >>> _biff_has_filepass(bof + struct.pack("<HH", 0x000A, 0) + struct.pack("<HH", 0x002F, 0))
    False
    """
    pos = 0
    while pos + 4 <= len(data):
        rtype, size = struct.unpack_from("<HH", data, pos)
        if rtype == 0x002F:
            return True
        if rtype == 0x000A and pos > 0:
            return False
        pos += 4 + size
    return False
