"""Stage 1: one untrusted workbook file → a Workbook of dense Sheets (cells, merges, visibility).

The format is decided by content, never by the file name (returns.md: ".xls" files
that are really HTML or CSV, an .xls saved under an .xlsx name). Limits are checked
before any engine sees the file; engines are python-calamine first, then xlrd (.xls)
or openpyxl (.xlsx) when calamine fails or sees nothing (measured-facts: engines
disagree on some real files). Macros are never run, formulas never evaluated,
external links never followed.

Formats (`Workbook.format`): "xlsx", "xlsm", "xls", "ods", "html" (a web page
table saved as .xls), "xml2003" (Excel's XML Spreadsheet 2003, also a web export),
"csv" (delimited text, including Excel's UTF-16 "Unicode text").

What calamine does not report is recovered by one streaming pass over each
worksheet's XML (bytes and regular expressions, never a DOM, never entity
expansion): hidden rows and columns, formula cells, and formulas without a cached
value (files written by scripts) with their text, e.g. ``{(6, 2): "=SUM(C4:C6)"}``.
"""

from __future__ import annotations

import bisect
import codecs
import collections
import contextlib
import csv
import functools
import html
import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

from ketnghia_analysis.core.address import a1, col_index, parse_a1
from ketnghia_analysis.core.fmt import fmt_number
from ketnghia_analysis.core.limits import Limits

__all__ = [
    "Limits",
    "ReadError",
    "Sheet",
    "Workbook",
    "a1",
    "parse_a1",
    "read_workbook",
    "sniff_format",
]


class ReadError(Exception):
    """A file-level rejection with a stable code and a one-line Vietnamese reason.

    Codes: FILE_EMPTY, FILE_NOT_SPREADSHEET, FILE_ENCRYPTED, FILE_TRUNCATED,
    FILE_LIMIT, FILE_CORRUPT, FILE_UNSUPPORTED (.xlsb), FILE_UNREADABLE (cannot
    open), and from the sandbox FILE_CRASHED, FILE_TIMEOUT.
    """

    def __init__(self, code: str, message: str):
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.message} [{self.code}]"


@dataclass
class Sheet:
    """One sheet as a dense grid from A1 (see docs/architecture.md)."""

    name: str
    index: int
    visible: bool
    rows: list[list[object]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    formula_cells: set[tuple[int, int]] = field(default_factory=set)
    uncached_formulas: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def is_empty(self) -> bool:
        """True when no cell holds a value (uncached formulas count as content)."""
        if self.uncached_formulas:
            return False
        return all(v is None for row in self.rows for v in row)


@dataclass
class Workbook:
    """A whole file: its sheets in workbook order and how it was read."""

    path: Path
    format: str
    sheets: list[Sheet]
    modified: datetime | None = None
    engine: str = ""
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------- sniffing

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

_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def _fail_not_spreadsheet(what: str) -> ReadError:
    return ReadError(
        "FILE_NOT_SPREADSHEET",
        f"Tệp không phải bảng tính: nội dung là {what}.",
    )


def sniff_format(path: str | Path) -> str:
    """Decide the format of a file from its bytes.

    Returns one of "xlsx", "xlsm", "xls", "ods", "html", "csv"; raises ReadError
    (FILE_EMPTY, FILE_TRUNCATED, FILE_ENCRYPTED, FILE_NOT_SPREADSHEET, ...)
    otherwise. The extension is ignored on purpose.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise ReadError("FILE_UNREADABLE", f"Không mở được tệp: {exc.strerror}.") from exc
    if not head.strip(b" \t\r\n\x00"):
        raise ReadError("FILE_EMPTY", "Tệp trống (0 byte hoặc chỉ có khoảng trắng).")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _sniff_zip(path)
    if head.startswith(_OLE_MAGIC):
        return _sniff_ole(path)
    for magic, what in _NOT_SPREADSHEET:
        if what and head.startswith(magic):
            raise _fail_not_spreadsheet(what)
    text = _decode_head(head)
    if text is None:
        if head.startswith(b"BM"):
            raise _fail_not_spreadsheet("ảnh BMP")
        raise _fail_not_spreadsheet("dữ liệu nhị phân không nhận ra được")
    stripped = text.lstrip("\ufeff \t\r\n").lower()
    # Before HTML: an XML Spreadsheet 2003 has a <Table> element too.
    if stripped.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in stripped:
        return "xml2003"  # "XML Spreadsheet 2003", which some web systems save as .xls
    if _looks_like_html(stripped):
        return "html"
    if _looks_like_csv(text):
        return "csv"
    if stripped.startswith("<"):
        raise _fail_not_spreadsheet("tệp XML/văn bản đánh dấu, không có bảng")
    raise _fail_not_spreadsheet("văn bản thường, không có cột phân cách")


def _looks_like_html(lowered: str) -> bool:
    if lowered.startswith(("<html", "<!doctype html", "<table", "<meta", "<head", "<body")):
        return True
    # Excel's "Save as web page" and some web systems start with an XML prolog,
    # a comment or a <style> block before <html>.
    if lowered.startswith(("<?xml", "<!--", "<style", "<!doctype")):
        return "<html" in lowered[:8192] or "<table" in lowered[:8192]
    return False


def _decode_head(head: bytes) -> str | None:
    """Decode the first bytes of a text file, or None when it looks binary."""
    for bom, enc in _BOMS:
        if head.startswith(bom):
            return head.decode(enc, errors="replace")
    if b"\x00" in head:
        return None
    # A cut multi-byte character at the end of the sample is not binary.
    for enc in ("utf-8", "cp1258", "cp1252"):
        try:
            text = head.decode(enc)
            break
        except UnicodeDecodeError as exc:
            if enc == "utf-8" and exc.start >= len(head) - 3:
                text = head[: exc.start].decode("utf-8")
                break
    else:
        return None
    control = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\r\n\f")
    if control > len(text[:4096]) * 0.02:
        return None
    return text


class _Delimited(csv.excel):
    """Excel's CSV dialect with a chosen delimiter."""


def _csv_dialect(text: str) -> type[csv.Dialect] | None:
    r"""The delimiter of a delimited-text sample, or None when it is not a table.

    csv.Sniffer gives up on a file with one odd line (a trailing "# comment") and
    its quote-guessing regex is quadratic on long lines, so we vote instead: the
    delimiter for which most lines split into the same number (≥ 2) of fields,
    on at least two lines.

    >>> _csv_dialect("ma_xa;ten_xa;so_ho\n20944;Trà Mai;812\n# ghi chú\n").delimiter
    ';'
    >>> _csv_dialect("Kính gửi UBND tỉnh,\nHuyện xin gửi báo cáo.\n") is None
    True
    """
    lines = [ln for ln in text[:65536].splitlines()[:60] if ln.strip()]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut the last line
    best: tuple[int, int, str] | None = None
    for delimiter in (";", ",", "\t", "|"):
        if not any(delimiter in ln for ln in lines):
            continue
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        common = collections.Counter(w for w in widths if w >= 2).most_common(1)
        if not common:
            continue
        width, agree = common[0]
        if agree >= 2 and agree >= 0.5 * len(widths):
            if best is None or (agree, width) > best[:2]:
                best = (agree, width, delimiter)
    if best is None:
        return None
    return type("_Delimited", (_Delimited,), {"delimiter": best[2]})


def _looks_like_csv(text: str) -> bool:
    return _csv_dialect(text) is not None


def _sniff_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = {n.lower(): n for n in zf.namelist()}
            if "mimetype" in names:
                mime = zf.read(names["mimetype"])[:200].strip()
                if mime == _ODS_MIME:
                    return "ods"
                if mime.startswith(b"application/vnd.oasis.opendocument"):
                    raise _fail_not_spreadsheet("tài liệu OpenDocument không phải bảng tính")
            content_types = b""
            if "[content_types].xml" in names:
                info = zf.getinfo(names["[content_types].xml"])
                if info.file_size < 4 * 1024 * 1024:
                    content_types = zf.read(info)
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
                raise _fail_not_spreadsheet("tài liệu Word (.docx)")
            if "ppt/presentation.xml" in names:
                raise _fail_not_spreadsheet("bản trình chiếu PowerPoint (.pptx)")
            raise _fail_not_spreadsheet("tệp nén ZIP không chứa bảng tính")
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


def _sniff_ole(path: Path) -> str:
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
                    raise _fail_not_spreadsheet("tài liệu Word (.doc)")
                if "powerpoint document" in streams:
                    raise _fail_not_spreadsheet("bản trình chiếu PowerPoint (.ppt)")
                raise _fail_not_spreadsheet("tệp Office không chứa bảng tính")
            with ole.openstream(book) as stream:
                globals_head = stream.read(1024 * 1024)
    except ReadError:
        raise
    except BaseException as exc:  # olefile raises assorted errors on broken containers
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise ReadError(
            "FILE_TRUNCATED",
            "Tệp Excel 97-2003 (.xls) bị cắt cụt hoặc hỏng (cấu trúc OLE không hợp lệ).",
        ) from exc
    if _biff_has_filepass(globals_head):
        raise ReadError(
            "FILE_ENCRYPTED",
            "Tệp .xls có mật khẩu (đã mã hóa): hãy gỡ mật khẩu rồi gửi lại.",
        )
    return "xls"


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


# --------------------------------------------------------------------- ZIP checks


def _check_zip(zf: zipfile.ZipFile, limits: Limits) -> None:
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


def _check_box(sheet: str, n_rows: int, n_cols: int, limits: Limits) -> None:
    """Reject a sheet whose bounding box from A1 is beyond the limits."""
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


def _reject_dtd(zf: zipfile.ZipFile) -> None:
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


# -------------------------------------------------------- xlsx streaming XML scan


@dataclass
class _SheetScan:
    """What one pass over a worksheet XML learns that calamine does not expose."""

    dimension: str | None = None
    n_rows: int = 0  # bounding box from A1 of every cell and row element seen
    n_cols: int = 0
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    formula_cells: set[tuple[int, int]] = field(default_factory=set)
    uncached: dict[tuple[int, int], str] = field(default_factory=dict)
    has_cells: bool = False
    zero_height: bool = False
    listed_rows: set[int] = field(default_factory=set)


_P = rb"(?:[A-Za-z_][\w.-]*:)?"  # optional namespace prefix (Strict OOXML, "x:" writers)

_COL_TAG = re.compile(rb"<" + _P + rb"col\b([^>]*)>")
_DIM_TAG = re.compile(rb"<" + _P + rb'dimension\b[^>]*\bref="([^"]*)"')
_FMT_TAG = re.compile(rb"<" + _P + rb"sheetFormatPr\b([^>]*)>")
_SHEETDATA_START = re.compile(rb"<(" + _P + rb")sheetData\b")
_V_TAG = re.compile(rb"<" + _P + rb"v\b[^>]*?(?:/>|>([^<]*)<)")
_ATTR_R = re.compile(rb'\sr="([0-9]+)"')
_ATTR_HIDDEN = re.compile(rb'\shidden="(?:1|true)"')
_ATTR_T = re.compile(rb'\st="([^"]*)"')
_ATTR_REF = re.compile(rb'\sr="([A-Za-z]{1,3})([0-9]+)"')
_ATTR_MIN = re.compile(rb'\smin="([0-9]+)"')
_ATTR_MAX = re.compile(rb'\smax="([0-9]+)"')
_ATTR_SI = re.compile(rb'\ssi="([0-9]+)"')
_ATTR_TYPE_SHARED = re.compile(rb'\st="shared"')
_ANY_REF = re.compile(rb' r="([A-Za-z]{1,3})[0-9]+"[^>]*(?<!/)>')  # cells with content
_XML_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")

_CHUNK = 4 * 1024 * 1024
_MAX_ROW_PIECE = 64 * 1024 * 1024  # one <row> longer than this is cut at a tag


def _xml_unescape(text: str) -> str:
    """Resolve the five XML entities and character references (nothing else).

    >>> _xml_unescape("IF(A1&gt;0,&quot;x&quot;,&#39;y&#39;)")
    'IF(A1>0,"x",\\'y\\')'
    """
    return _XML_ENTITY.sub(lambda m: html.unescape(m.group(0)), text)


def _xml_chunks(fh, declared: int, part: str):
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


def _scan_sheet_xml(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> _SheetScan:
    """One streaming pass over a worksheet part; no DOM, no entity expansion.

    Finds what calamine does not report (hidden rows/columns, formula cells and
    formulas without a cached value, as openpyxl-written files have) and the real
    bounding box of the cells, which must be checked before calamine allocates it
    (one cell at XFD1048576 makes it ask for 512 GiB and abort).

    The full bounding box would need every cell reference parsed (as slow as
    calamine itself on 3 million cells), so it is bounded with a few passes
    whose patterns start with a literal: the numbers of the rows that hold
    cells, then one pass matching only references beyond the bound so far (a
    later column letter, two or more letters, more row digits than any row).
    Cells without a value (``<c r="XFD1048576" s="1"/>``) are ignored, as
    calamine ignores them.
    """
    scan = _SheetScan()
    prefix: bytes | None = None
    in_data = False
    done = False
    row0 = -1  # current row (0-based) for implicit row numbers
    shared_masters: dict[int, tuple[str, tuple[int, int]]] = {}
    carry = b""
    with zf.open(info) as fh:
        chunks = _xml_chunks(fh, info.file_size, info.filename)
        eof = False
        while not done:
            try:
                chunk = next(chunks)
            except StopIteration:
                eof = True
                chunk = b""
            buf = carry + chunk
            if not buf:
                break
            if eof:
                piece, carry = buf, b""
            else:
                # Cut before the last row start so that no row (and no formula
                # cell) straddles two pieces.
                if prefix is None and (sd := _SHEETDATA_START.search(buf)):
                    prefix = sd.group(1)
                row_tag = b"<" + (prefix or b"") + b"row"
                cut = max(buf.rfind(row_tag + b" "), buf.rfind(row_tag + b">"))
                if cut <= 0:
                    if len(buf) < _MAX_ROW_PIECE:
                        carry = buf
                        continue
                    cut = buf.rfind(b"<")
                piece, carry = buf[:cut], buf[cut:]
            if not in_data:
                if scan.dimension is None and (m := _DIM_TAG.search(piece)):
                    scan.dimension = m.group(1).decode("ascii", "replace")
                if m := _FMT_TAG.search(piece):
                    scan.zero_height = bool(re.search(rb'zeroHeight="(?:1|true)"', m.group(1)))
                sd = _SHEETDATA_START.search(piece)
                head = piece if sd is None else piece[: sd.start()]
                for m in _COL_TAG.finditer(head):
                    attrs = m.group(1)
                    if _ATTR_HIDDEN.search(attrs):
                        lo = _ATTR_MIN.search(attrs)
                        hi = _ATTR_MAX.search(attrs)
                        if lo and hi:
                            first, last = int(lo.group(1)), min(int(hi.group(1)), 16384)
                            scan.hidden_cols.update(range(first - 1, last))
                if sd is None:
                    continue
                in_data = True
                prefix = sd.group(1)
                piece = piece[sd.end() :]
            end = piece.find(b"</" + (prefix or b"") + b"sheetData>")
            if end >= 0:
                piece = piece[:end]
                done = True
            row0 = _scan_rows(piece, prefix or b"", scan, row0, shared_masters)
            if eof:
                break
    _check_box(info.filename, scan.n_rows, scan.n_cols, limits)
    return scan


@functools.lru_cache(maxsize=16)
def _prefixed(prefix: bytes) -> dict[str, re.Pattern[bytes]]:
    """Patterns for one namespace prefix, each starting with a literal.

    A literal start lets the regex engine skip ahead with a fast search: the
    generic optional-prefix pattern is ten times slower on 100 MB of XML.
    """
    lit = re.escape(b"<" + prefix)
    return {
        "row": re.compile(lit + rb"row\b([^>]*)>"),
        "row_r": re.compile(
            lit + rb'row\s+r="([0-9]+)"[^>]*?(/?)>(\s*' + lit + rb"c(?:\s[^>]*)?(?<!/)>)?"
        ),
        "first_cell": re.compile(rb"\s*" + lit + rb"c(?:\s[^>]*)?(?<!/)>"),
        "row_hidden": re.compile(lit + rb'row\b([^>]*?\shidden="(?:1|true)"[^>]*)>'),
        "f": re.compile(lit + rb"f\b([^>]*?)(/?)>"),
    }


def _scan_rows(
    piece: bytes,
    prefix: bytes,
    scan: _SheetScan,
    row0: int,
    shared_masters: dict[int, tuple[str, tuple[int, int]]],
) -> int:
    """Scan whole rows of sheetData; returns the last row index seen.

    Written for speed on 3 million cells (a 200,000-row sheet): every pattern
    starts with a literal and most find nothing in an ordinary file.
    """
    pats = _prefixed(prefix)
    cell_open = b"<" + prefix + b"c "
    cell_bare = b"<" + prefix + b"c>"
    # (r, "/" when the row is empty and self-closing, the first cell's tag unless
    # it is a value-less "<c .../>")
    numbered = pats["row_r"].findall(piece)
    n_row_tags = piece.count(b"<" + prefix + b"row")
    starts: list[int] | None = None
    rows_at: list[int] | None = None
    if numbered and len(numbered) == n_row_tags:
        row0 = max(row0, max(int(r) for r, _, _ in numbered) - 1)
        # Only rows holding cells count towards the box: Excel writes empty,
        # formatted <row> elements far below the data, which calamine ignores.
        with_cells = [int(r) for r, closed, first in numbered if first and not closed]
        if with_cells:
            scan.n_rows = max(scan.n_rows, max(with_cells))
        hidden_rows = pats["row_hidden"].finditer(piece) if b"hidden" in piece else ()
        for m in hidden_rows:
            r = _ATTR_R.search(m.group(1))
            if r:
                scan.hidden_rows.add(int(r.group(1)) - 1)
        if scan.zero_height:
            scan.listed_rows.update(int(r) - 1 for r, _, _ in numbered)
    else:
        # Rows without numbers (some writers): count them one by one.
        starts, rows_at = [], []
        first_cell = pats["first_cell"]
        for m in pats["row"].finditer(piece):
            attrs = m.group(1)
            r = _ATTR_R.search(attrs)
            row0 = int(r.group(1)) - 1 if r else row0 + 1
            starts.append(m.start())
            rows_at.append(row0)
            if not attrs.endswith(b"/") and first_cell.match(piece, m.end()):
                scan.n_rows = max(scan.n_rows, row0 + 1)
            if b"hidden" in attrs and _ATTR_HIDDEN.search(attrs):
                scan.hidden_rows.add(row0)
            if scan.zero_height:
                scan.listed_rows.add(row0)
        starts.append(len(piece))
    # Cells holding something (a value, an inline string, a formula), not merely
    # styled: only those make an empty calamine sheet suspicious.
    lt = b"<" + prefix
    if lt + b"v>" in piece or lt + b"is>" in piece or lt + b"f" in piece:
        scan.has_cells = True
    # Column and row bound without parsing every reference (3 million in a
    # 200,000-row sheet): one pass that matches only references beyond the
    # bound so far: a later single letter, two or more letters (few cells in
    # our forms), or more row digits than any row element has.
    n_cols = scan.n_cols
    if cell_bare in piece:
        # Cells without references: bounded by the largest count in a row.
        longest = max(seg.count(cell_bare) + seg.count(cell_open) for seg in piece.split(b"</"))
        n_cols = max(n_cols, longest)
    if n_cols < 26:
        # First guess from a small sample, so that the pass below matches few cells.
        sample = set(_ANY_REF.findall(piece, 0, 262144))
        n_cols = max([n_cols] + [col_index(x) + 1 for x in sample])
    digits = len(str(max(scan.n_rows, 1)))
    single = rb"[%s-Z]|" % bytes([65 + n_cols]) if n_cols < 26 else b""
    beyond = re.compile(
        rb' r="(%s[A-Za-z]{2,}|[A-Za-z](?=[0-9]{%d,}"))([0-9]+)"' % (single, digits + 1)
    )
    for m in beyond.finditer(piece):
        tag_end = piece.find(b">", m.end())
        if tag_end > 0 and piece[tag_end - 1] == 0x2F:  # "/>": no value, calamine ignores it
            continue
        n_cols = max(n_cols, col_index(m.group(1)) + 1)
        scan.n_rows = max(scan.n_rows, int(m.group(2)))
    scan.n_cols = n_cols
    if b"<" + prefix + b"f" in piece:
        if starts is None or rows_at is None:
            starts, rows_at = [], []
            for m in pats["row"].finditer(piece):
                r = _ATTR_R.search(m.group(1))
                starts.append(m.start())
                rows_at.append(int(r.group(1)) - 1 if r else (rows_at[-1] + 1 if rows_at else 0))
            starts.append(len(piece))
        _scan_formulas(piece, prefix, scan, starts, rows_at, shared_masters)
    return row0


def _scan_formulas(
    piece: bytes,
    prefix: bytes,
    scan: _SheetScan,
    starts: list[int],
    rows_at: list[int],
    shared_masters: dict[int, tuple[str, tuple[int, int]]],
) -> None:
    """Record formula cells and the formulas that carry no cached value."""
    cell_open = b"<" + prefix + b"c "
    cell_close = b"</" + prefix + b"c>"

    for m in _prefixed(prefix)["f"].finditer(piece):
        cstart = piece.rfind(cell_open, 0, m.start())
        if cstart < 0:
            continue
        ctag_end = piece.find(b">", cstart)
        cattrs = piece[cstart:ctag_end]
        ref = _ATTR_REF.search(cattrs)
        if ref:
            cell = (int(ref.group(2)) - 1, col_index(ref.group(1)))
        else:
            k = bisect.bisect_right(starts, cstart) - 1
            if k < 0 or k >= len(rows_at):
                continue
            # Implicit column: count the cells of the row before this one.
            col = piece.count(cell_open, starts[k], cstart) + piece.count(
                b"<" + prefix + b"c>", starts[k], cstart
            )
            cell = (rows_at[k], col)
        scan.formula_cells.add(cell)
        fattrs = m.group(1)
        text = None
        if not m.group(2):  # <f ...>text</f>
            fend = piece.find(b"<", m.end())
            text = _xml_unescape(piece[m.end() : fend].decode("utf-8", "replace"))
            if _ATTR_TYPE_SHARED.search(fattrs) and (si := _ATTR_SI.search(fattrs)):
                shared_masters[int(si.group(1))] = (text, cell)
        elif _ATTR_TYPE_SHARED.search(fattrs) and (si := _ATTR_SI.search(fattrs)):
            master = shared_masters.get(int(si.group(1)))
            if master:
                text = _translate_shared(master[0], master[1], cell)
        cend = piece.find(cell_close, m.end())
        if cend < 0:
            cend = len(piece)
        v = _V_TAG.search(piece, m.end(), cend)
        t = _ATTR_T.search(cattrs)
        ctype = t.group(1) if t else b"n"
        cached = v is not None and (bool(v.group(1)) or ctype in (b"str", b"inlineStr"))
        if not cached:
            scan.uncached[cell] = "=" + (text or "")


def _translate_shared(formula: str, origin: tuple[int, int], cell: tuple[int, int]) -> str:
    """Formula text of a shared-formula child, references moved like Excel does."""
    try:
        from openpyxl.formula.translate import Translator

        return Translator("=" + formula, origin=a1(*origin)).translate_formula(a1(*cell))[1:]
    except Exception:  # an untranslatable formula keeps the master's text
        return formula


# ------------------------------------------------------------ xlsx package parts


def _zip_lookup(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    return {i.filename.lower().lstrip("/"): i for i in zf.infolist()}


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int = 32 * 1024 * 1024) -> bytes:
    if info.file_size > cap:
        raise ReadError("FILE_LIMIT", f"Phần '{info.filename}' lớn bất thường.")
    return zf.read(info)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xlsx_sheet_parts(zf: zipfile.ZipFile) -> list[tuple[str, str, str | None]]:
    """(sheet name, state, part path) of each sheet of an OOXML workbook, in order."""
    import posixpath

    from defusedxml import ElementTree as SafeET

    parts = _zip_lookup(zf)
    wb_path = "xl/workbook.xml"
    rels_root = parts.get("_rels/.rels")
    if rels_root is not None:
        for rel in SafeET.fromstring(_read_small(zf, rels_root)).iter():
            if _local(rel.tag) == "Relationship" and rel.get("Type", "").endswith(
                "/officeDocument"
            ):
                wb_path = rel.get("Target", wb_path).lstrip("/")
    wb_info = parts.get(wb_path.lower())
    if wb_info is None:
        return []
    base = posixpath.dirname(wb_path)
    rel_info = parts.get(posixpath.join(base, "_rels", posixpath.basename(wb_path) + ".rels"))
    targets: dict[str, str] = {}
    if rel_info is not None:
        for rel in SafeET.fromstring(_read_small(zf, rel_info)).iter():
            if _local(rel.tag) == "Relationship":
                target = rel.get("Target", "")
                full = (
                    target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
                )
                targets[rel.get("Id", "")] = posixpath.normpath(full)
    out = []
    for el in SafeET.fromstring(_read_small(zf, wb_info)).iter():
        if _local(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
        out.append((el.get("name", ""), el.get("state", "visible"), targets.get(rid or "")))
    return out


def _ooxml_modified(zf: zipfile.ZipFile) -> datetime | None:
    info = _zip_lookup(zf).get("docprops/core.xml")
    if info is None or info.file_size > 1024 * 1024:
        return None
    m = re.search(rb"<dcterms:modified[^>]*>([^<]+)<", zf.read(info))
    return _parse_iso(m.group(1).decode("ascii", "replace")) if m else None


def _parse_iso(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.replace(tzinfo=None)


# ------------------------------------------------------------------- engines


def _guarded(what: str, fn, *args, **kwargs):
    """Call an engine; any failure (including a Rust panic) becomes ReadError.

    python-calamine surfaces Rust panics as PanicException, a BaseException that
    `except Exception` misses (measured-facts).
    """
    try:
        return fn(*args, **kwargs)
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


def _blank(value: object) -> object:
    return None if value == "" else value


def _openpyxl_value(value: object) -> object:
    # openpyxl gives datetime for every date cell; calamine gives a date when
    # there is no time part: keep one convention whichever engine read the file.
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    return None if value == "" else value


def _calamine_sheets(data: bytes) -> tuple[list[Sheet], list[str]]:
    """Read every worksheet with python-calamine from the file's bytes.

    `from_filelike` detects the format by content (`from_path` trusts the
    extension and fails on an .xls saved as .xlsx).
    """
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    notes: list[str] = []
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheets = []
    for idx, meta in enumerate(book.sheets_metadata):
        if meta.typ not in (SheetTypeEnum.WorkSheet, SheetTypeEnum.DialogSheet):
            notes.append(f"Bỏ qua trang '{meta.name}' (không phải trang dữ liệu: {meta.typ.name}).")
            continue
        cs = book.get_sheet_by_index(idx)
        # skip_empty_area=False: indices from A1, like the merged ranges (measured-facts).
        grid = [[_blank(v) for v in row] for row in cs.to_python(skip_empty_area=False)]
        merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (cs.merged_cell_ranges or [])]
        sheets.append(
            Sheet(
                name=meta.name,
                index=idx,
                visible=meta.visible == SheetVisibleEnum.Visible,
                rows=grid,
                merged=merged,
            )
        )
    book.close()
    return sheets, notes


def _openpyxl_sheets(data: bytes) -> list[Sheet]:
    """Read an OOXML workbook with openpyxl (normal mode sees merged cells)."""
    import openpyxl

    # openpyxl parses with defusedxml when installed; refuse to run without it.
    if not getattr(openpyxl, "DEFUSEDXML", False):
        raise ReadError("FILE_CORRUPT", "openpyxl chạy không có defusedxml: từ chối đọc dự phòng.")
    # A file object skips openpyxl's extension check (content decides the format).
    book = openpyxl.load_workbook(
        io.BytesIO(data), read_only=False, data_only=True, keep_vba=False, keep_links=False
    )
    sheets = []
    for idx, ws in enumerate(book.worksheets):
        grid = [
            [_openpyxl_value(v) for v in row]
            for row in ws.iter_rows(
                min_row=1, max_row=ws.max_row, max_col=ws.max_column, values_only=True
            )
        ]
        if len(grid) == 1 and all(v is None for v in grid[0]):
            grid = []
        merged = [
            (r.min_row - 1, r.min_col - 1, r.max_row - 1, r.max_col - 1)
            for r in ws.merged_cells.ranges
        ]
        sheets.append(
            Sheet(
                name=ws.title,
                index=idx,
                visible=ws.sheet_state == "visible",
                rows=grid,
                merged=merged,
            )
        )
    book.close()
    return sheets


@contextlib.contextmanager
def _package_errors():
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


def _pad_grid(sheet: Sheet, cells: dict[tuple[int, int], str]) -> None:
    """Grow the grid to cover formulas without a cached value (calamine's grid
    ends at the last cell holding a value), so rows[r][c] exists for each."""
    n_rows = max(len(sheet.rows), max(r for r, _ in cells) + 1)
    width = max(sheet.n_cols, max(c for _, c in cells) + 1)
    while len(sheet.rows) < n_rows:
        sheet.rows.append([])
    for row in sheet.rows:
        if len(row) < width:
            row.extend([None] * (width - len(row)))


def _read_ooxml(path: Path, data: bytes, fmt: str, limits: Limits) -> Workbook:
    notes: list[str] = []
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ReadError("FILE_TRUNCATED", "Tệp Excel bị cắt cụt hoặc hỏng.") from exc
    with zf, _package_errors():
        _check_zip(zf, limits)
        _reject_dtd(zf)
        parts = _zip_lookup(zf)
        scans: dict[str, _SheetScan] = {}
        states: dict[str, str] = {}
        for name, state, part in _guarded("Đọc cấu trúc tệp", _xlsx_sheet_parts, zf):
            states[name] = state
            info = parts.get((part or "").lower())
            if info is None:
                continue
            try:
                scan = _scan_sheet_xml(zf, info, limits)
            except ReadError as exc:
                exc.message = exc.message.replace(f"'{info.filename}'", f"'{name}'")
                raise ReadError(exc.code, exc.message) from None
            except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
                raise ReadError(
                    "FILE_TRUNCATED", f"Trang '{name}' bị hỏng hoặc cắt cụt ({exc})."
                ) from exc
            scans[name] = scan
        modified = _ooxml_modified(zf)
    engine = "calamine"
    try:
        sheets, more = _guarded("python-calamine", _calamine_sheets, data)
        notes.extend(more)
    except ReadError as first:
        try:
            sheets = _guarded("openpyxl", _openpyxl_sheets, data)
        except ReadError as second:
            raise ReadError(
                first.code if first.code != "FILE_CORRUPT" else second.code,
                f"Không đọc được tệp: {first.message} Đọc lại bằng openpyxl cũng lỗi: "
                f"{second.message}",
            ) from None
        engine = "openpyxl"
        notes.append(f"calamine không đọc được tệp ({first.message}); đã đọc lại bằng openpyxl.")
    else:
        # Never conclude a sheet is empty on one engine's word (measured-facts).
        suspicious = [
            s.name for s in sheets if s.is_empty() and scans.get(s.name, _SheetScan()).has_cells
        ]
        if suspicious:
            try:
                again = {s.name: s for s in _guarded("openpyxl", _openpyxl_sheets, data)}
            except ReadError as exc:
                notes.append(
                    f"calamine trả về trang trống; đọc lại bằng openpyxl cũng lỗi: {exc.message}"
                )
                again = {}
            for i, s in enumerate(sheets):
                alt = again.get(s.name)
                if s.name in suspicious and alt is not None and not alt.is_empty():
                    alt.index = s.index
                    sheets[i] = alt
                    engine = "calamine+openpyxl"
                    notes.append(
                        f"calamine trả về trang '{s.name}' trống, đã đọc lại bằng openpyxl."
                    )
    for s in sheets:
        scan = scans.get(s.name)
        if scan is None:
            continue
        s.formula_cells = scan.formula_cells
        s.uncached_formulas = scan.uncached
        if scan.uncached:
            _pad_grid(s, scan.uncached)
        # Hidden rows/columns beyond the grid ("hide all unused columns" writes
        # one <col min="20" max="16384" hidden="1">) say nothing about the data.
        n_rows, width = len(s.rows), s.n_cols
        s.hidden_cols = {c for c in scan.hidden_cols if c < width}
        s.hidden_rows = {r for r in scan.hidden_rows if r < n_rows}
        if scan.zero_height:
            s.hidden_rows |= set(range(n_rows)) - scan.listed_rows
        if states.get(s.name, "visible") != "visible":
            s.visible = False
        if scan.dimension and ":" in scan.dimension:
            try:
                r1, c1 = parse_a1(scan.dimension.split(":")[1])
            except ValueError:
                continue
            if r1 + 1 > limits.max_rows or c1 + 1 > limits.max_cols:
                notes.append(
                    f"Trang '{s.name}' khai báo vùng {scan.dimension} nhưng chỉ có dữ liệu đến "
                    f"{a1(max(scan.n_rows - 1, 0), max(scan.n_cols - 1, 0))}: đã bỏ qua khai báo."
                )
    if fmt == "xlsm":
        notes.append("Tệp có macro (.xlsm): chỉ đọc dữ liệu, macro không được chạy.")
    return Workbook(path, fmt, sheets, modified, engine, notes)


# ------------------------------------------------------------------------ xls


def _xlrd_book(data: bytes, formatting: bool):
    import xlrd

    return xlrd.open_workbook(
        file_contents=data, formatting_info=formatting, on_demand=True, logfile=io.StringIO()
    )


def _xlrd_value(cell, datemode: int) -> object:
    import xlrd

    ctype, value = cell.ctype, cell.value
    if ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    if ctype == xlrd.XL_CELL_DATE:
        try:
            dt = xlrd.xldate_as_datetime(value, datemode)
        except Exception:
            return value
        return dt.date() if dt.time() == datetime.min.time() else dt
    if ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    return _blank(value)


def _xlrd_sheets(data: bytes, limits: Limits) -> tuple[list[Sheet], bool]:
    """All sheets with xlrd; formatting_info (hidden rows/columns, merges) when it parses."""
    try:
        book = _xlrd_book(data, formatting=True)
        formatting = True
    except NotImplementedError:
        book = _xlrd_book(data, formatting=False)
        formatting = False
    sheets = []
    for idx in range(book.nsheets):
        sh = book.sheet_by_index(idx)
        _check_box(sh.name, sh.nrows, sh.ncols, limits)  # before building the grid
        grid = [
            [_xlrd_value(sh.cell(r, c), book.datemode) for c in range(sh.ncols)]
            for r in range(sh.nrows)
        ]
        merged = [(rlo, clo, rhi - 1, chi - 1) for rlo, rhi, clo, chi in sh.merged_cells]
        hidden_rows = {r for r, info in sh.rowinfo_map.items() if info.hidden}
        hidden_cols = {c for c, info in sh.colinfo_map.items() if info.hidden}
        sheets.append(
            Sheet(
                name=sh.name,
                index=idx,
                visible=sh.visibility == 0,
                rows=grid,
                merged=merged,
                hidden_rows=hidden_rows,
                hidden_cols=hidden_cols,
            )
        )
        book.unload_sheet(idx)
    return sheets, formatting


def _ole_modified(data: bytes) -> datetime | None:
    try:
        import olefile

        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            meta = ole.get_metadata()
        value = meta.last_saved_time
        return value if isinstance(value, datetime) else None
    except Exception:
        return None


def _read_xls(path: Path, data: bytes, limits: Limits) -> Workbook:
    notes: list[str] = []
    engine = "calamine"
    try:
        sheets, more = _guarded("python-calamine", _calamine_sheets, data)
        notes.extend(more)
        calamine_error = None
    except ReadError as exc:
        sheets, calamine_error = [], exc
    try:
        by_xlrd, formatting = _guarded("xlrd", _xlrd_sheets, data, limits)
    except ReadError as exc:
        if calamine_error is not None and exc.code == "FILE_LIMIT":
            raise
        if calamine_error is not None:
            raise ReadError(
                "FILE_CORRUPT",
                f"Không đọc được tệp .xls: {calamine_error.message} {exc.message}",
            ) from None
        by_xlrd, formatting = [], False
        notes.append(f"xlrd không đọc được tệp ({exc.message}): không biết dòng/cột ẩn.")
    xl = {s.name: s for s in by_xlrd}
    if calamine_error is not None:
        sheets, engine = by_xlrd, "xlrd"
        notes.append(f"calamine không đọc được tệp ({calamine_error.message}); đã đọc bằng xlrd.")
    else:
        for i, s in enumerate(sheets):
            alt = xl.get(s.name)
            if alt is None:
                continue
            # Engines disagree: calamine returns empty sheets for some .xls files
            # that xlrd reads in full (measured-facts).
            if s.is_empty() and not alt.is_empty():
                alt.index = s.index
                sheets[i] = alt
                engine = "calamine+xlrd"
                notes.append(f"calamine trả về trang '{s.name}' trống, đã đọc lại bằng xlrd.")
                continue
            s.hidden_rows, s.hidden_cols = alt.hidden_rows, alt.hidden_cols
            if not s.merged and alt.merged:
                s.merged = alt.merged
            if alt.visible is False:
                s.visible = False
    if by_xlrd and not formatting:
        notes.append("xlrd không đọc được định dạng: không biết dòng/cột ẩn.")
    for s in sheets:
        _check_box(s.name, s.n_rows, s.n_cols, limits)
    return Workbook(path, "xls", sheets, _ole_modified(data), engine, notes)


# ------------------------------------------------------------------------ ods

_ODS_TOKEN = re.compile(
    rb"<(/?)table:(table|table-row|table-column|table-cell|covered-table-cell)(?=[\s/>])([^>]*?)(/?)>"
)
_ODS_ATTR = re.compile(rb'table:([\w-]+)="([^"]*)"')


def _scan_ods(zf: zipfile.ZipFile, limits: Limits) -> dict[str, _OdsScan]:
    """Merges, hidden rows/columns and the content bounding box of each ODS table.

    calamine reports no merged ranges for ODS; merges are the cells' spans.
    Repeated empty rows (often 1,048,000 of them) do not count towards the box.
    """
    info = _zip_lookup(zf).get("content.xml")
    out: dict[str, _OdsScan] = {}
    if info is None:
        return out
    data = b"".join(_xml_chunks(zf.open(info), info.file_size, info.filename))
    cur: _OdsScan | None = None
    row = col = 0
    row_rep = 1
    row_hidden = False
    row_has = False
    for m in _ODS_TOKEN.finditer(data):
        closing, tag, attrs, selfclose = m.group(1), m.group(2), m.group(3), m.group(4)
        a = dict(_ODS_ATTR.findall(attrs)) if attrs else {}
        if tag == b"table":
            if closing:
                cur = None
            else:
                cur = _OdsScan()
                out[a.get(b"name", b"").decode("utf-8", "replace")] = cur
                row = col = 0
            continue
        if cur is None:
            continue
        if tag == b"table-column" and not closing:
            rep = min(int(a.get(b"number-columns-repeated", b"1") or 1), 16384)
            if a.get(b"visibility", b"visible") != b"visible":
                cur.hidden_cols.update(range(col, min(col + rep, limits.max_cols + 1)))
            col += rep
        elif tag == b"table-row":
            if not closing:
                col = 0
                row_rep = max(1, int(a.get(b"number-rows-repeated", b"1") or 1))
                row_hidden = a.get(b"visibility", b"visible") != b"visible"
                row_has = False
                if row_hidden:
                    cur.hidden_rows.update(range(row, min(row + row_rep, limits.max_rows + 1)))
            if closing or selfclose:
                if row_has:
                    cur.n_rows = max(cur.n_rows, row + row_rep)
                row += row_rep
        elif not closing:  # a cell
            rep = max(1, int(a.get(b"number-columns-repeated", b"1") or 1))
            has = bool(selfclose == b"" or b"value-type" in attrs)
            if tag == b"table-cell":
                cs = int(a.get(b"number-columns-spanned", b"1") or 1)
                rs = int(a.get(b"number-rows-spanned", b"1") or 1)
                if cs > 1 or rs > 1:
                    cur.merged.append((row, col, row + rs - 1, col + cs - 1))
            if has:
                row_has = True
                cur.n_cols = max(cur.n_cols, col + rep)
            col += rep
    return out


@dataclass
class _OdsScan:
    n_rows: int = 0
    n_cols: int = 0
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)


def _read_ods(path: Path, data: bytes, limits: Limits) -> Workbook:
    notes: list[str] = []
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ReadError("FILE_TRUNCATED", "Tệp .ods bị cắt cụt hoặc hỏng.") from exc
    with zf, _package_errors():
        _check_zip(zf, limits)
        _reject_dtd(zf)
        scans = _guarded("Đọc nội dung .ods", _scan_ods, zf, limits)
        for name, sc in scans.items():
            _check_box(name, sc.n_rows, sc.n_cols, limits)
        modified = None
        meta = _zip_lookup(zf).get("meta.xml")
        if meta is not None and meta.file_size < 1024 * 1024:
            m = re.search(rb"<dc:date>([^<]+)<", zf.read(meta))
            modified = _parse_iso(m.group(1).decode("ascii", "replace")) if m else None
    sheets, more = _guarded("python-calamine", _calamine_sheets, data)
    notes.extend(more)
    for s in sheets:
        sc = scans.get(s.name)
        if sc is None:
            continue
        s.merged = sc.merged
        n = len(s.rows)
        s.hidden_rows = {r for r in sc.hidden_rows if r < n}
        width = s.n_cols
        s.hidden_cols = {c for c in sc.hidden_cols if c < width}
    return Workbook(path, "ods", sheets, modified, "calamine", notes)


# ----------------------------------------------------------------------- html


class _Table:
    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], object] = {}
        self.occupied: set[tuple[int, int]] = set()
        self.merged: list[tuple[int, int, int, int]] = []
        self.hidden_rows: set[int] = set()
        self.row = -1
        self.col = 0
        self.n_rows = 0
        self.n_cols = 0
        self.nested = False
        self.cell: list[str] | None = None
        self.cell_num: str | None = None
        self.pos = (0, 0)


class _HtmlTables(HTMLParser):
    """Grids of the <table> elements of an HTML page (rowspan/colspan → merges)."""

    def __init__(self, limits: Limits) -> None:
        super().__init__(convert_charrefs=True)
        self.limits = limits
        self.stack: list[_Table] = []
        self.done: list[_Table] = []
        self.title: list[str] = []
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "table":
            if self.stack:
                self.stack[-1].nested = True
            self.stack.append(_Table())
            return
        if tag == "title":
            self.in_title = True
        if not self.stack:
            return
        t = self.stack[-1]
        if tag == "tr":
            self._close_cell(t)
            t.row += 1
            t.col = 0
            if "display:none" in a.get("style", "").replace(" ", "").lower():
                t.hidden_rows.add(t.row)
        elif tag in ("td", "th"):
            self._close_cell(t)
            if t.row < 0:
                t.row = 0
            while (t.row, t.col) in t.occupied:
                t.col += 1
            # Clamp spans like browsers do (HTML: colspan ≤ 1000, rowspan ≤ 65534).
            cs = min(max(_int(a.get("colspan"), 1), 1), 1000)
            rs = min(max(_int(a.get("rowspan"), 1), 1), 65534)
            r0, c0 = t.row, t.col
            if rs > 1 or cs > 1:
                t.merged.append((r0, c0, r0 + rs - 1, c0 + cs - 1))
                for dr in range(rs):
                    for dc in range(cs):
                        t.occupied.add((r0 + dr, c0 + dc))
            t.n_rows = max(t.n_rows, r0 + rs)
            t.n_cols = max(t.n_cols, c0 + cs)
            _check_box("bảng HTML", t.n_rows, t.n_cols, self.limits)
            t.cell = []
            # Excel's HTML export keeps the raw number in x:num.
            t.cell_num = a.get("x:num")
            t.col = c0 + cs
            t.pos = (r0, c0)
        elif tag == "br" and t.cell is not None:
            t.cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if not self.stack:
            return
        t = self.stack[-1]
        if tag in ("td", "th", "tr"):
            self._close_cell(t)
        elif tag == "table":
            self._close_cell(t)
            self.done.append(self.stack.pop())

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        if self.stack and self.stack[-1].cell is not None:
            self.stack[-1].cell.append(data)

    def _close_cell(self, t: _Table) -> None:
        if t.cell is None:
            return
        text = " ".join("".join(t.cell).replace("\xa0", " ").split(" "))
        text = "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()
        value: object = text or None
        if t.cell_num:
            try:
                value = float(t.cell_num)
            except ValueError:
                pass
        if value is not None:
            t.cells[t.pos] = value
        t.cell = None
        t.cell_num = None


def _int(text: str | None, default: int) -> int:
    try:
        return int((text or "").strip().rstrip(";"))
    except ValueError:
        return default


def _decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode a text file: BOM, declared charset, UTF-8, then Vietnamese/Western code pages."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace")
    encodings = [declared] if declared else []
    encodings += ["utf-8", "cp1258", "cp1252"]
    for enc in encodings:
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("cp1252", errors="replace")


def _read_html(path: Path, data: bytes, limits: Limits) -> Workbook:
    m = re.search(rb"""charset\s*=\s*["']?([\w-]+)""", data[:4096], re.IGNORECASE)
    text = _decode_text(data, m.group(1).decode("ascii") if m else None)
    parser = _HtmlTables(limits)
    parser.feed(text)
    parser.close()
    while parser.stack:
        parser.done.append(parser.stack.pop())
    # Data tables only: layout tables holding other tables, or single cells, are not data.
    tables = [t for t in parser.done if not t.nested and t.n_rows >= 2 and t.n_cols >= 2]
    if not tables:
        raise ReadError("FILE_EMPTY", "Tệp HTML không có bảng dữ liệu nào.")
    sheets = []
    for i, t in enumerate(tables):
        grid: list[list[object]] = [[None] * t.n_cols for _ in range(t.n_rows)]
        for (r, c), v in t.cells.items():
            grid[r][c] = v
        name = f"Bảng {i + 1}"
        sheets.append(Sheet(name, i, True, grid, t.merged, hidden_rows=t.hidden_rows))
    notes = ["Tệp là trang HTML (thường do phần mềm web xuất ra với đuôi .xls)."]
    return Workbook(path, "html", sheets, None, "html.parser", notes)


# -------------------------------------------------------------- xml 2003

_SS = "{urn:schemas-microsoft-com:office:spreadsheet}"
_XL = "{urn:schemas-microsoft-com:office:excel}"


def _ss_int(el, name: str, default: int) -> int:
    try:
        return int(el.get(_SS + name, default))
    except (TypeError, ValueError):
        return default


def _ss_value(kind: str | None, text: str) -> object:
    """A typed value of an XML Spreadsheet 2003 <Data ss:Type=...> element."""
    if kind == "Number":
        try:
            return float(text)
        except ValueError:
            return text or None
    if kind == "DateTime":
        value = _parse_iso(text)
        if value is not None and value.time() == datetime.min.time():
            return value.date()
        return value or text or None
    if kind == "Boolean":
        return text.strip() in ("1", "true", "TRUE")
    if kind == "Error":
        return None
    return text or None


def _read_xml2003(path: Path, data: bytes, limits: Limits) -> Workbook:
    """Excel's "XML Spreadsheet 2003": parsed with defusedxml (no DTD, no entities)."""
    from defusedxml.ElementTree import iterparse

    sheets: list[Sheet] = []
    sheet: Sheet | None = None
    cells: dict[tuple[int, int], object] = {}
    row = col = -1
    n_rows = n_cols = 0
    cell_pos = (0, 0)
    in_comment = False
    for event, el in iterparse(io.BytesIO(data), events=("start", "end")):
        tag = el.tag
        if event == "start":
            if tag == _SS + "Worksheet":
                name = el.get(_SS + "Name") or f"Sheet{len(sheets) + 1}"
                sheet = Sheet(name, len(sheets), True, [])
                cells, row, n_rows, n_cols = {}, -1, 0, 0
            elif sheet is None:
                continue
            elif tag == _SS + "Column":
                idx = _ss_int(el, "Index", 0)
                col = idx - 1 if idx else col + 1
                span = max(0, _ss_int(el, "Span", 0))
                if el.get(_SS + "Hidden") in ("1", "true"):
                    sheet.hidden_cols.update(range(col, min(col + span + 1, limits.max_cols + 1)))
                col += span
            elif tag == _SS + "Row":
                idx = _ss_int(el, "Index", 0)
                row = idx - 1 if idx else row + 1
                col = -1
                if el.get(_SS + "Hidden") in ("1", "true"):
                    sheet.hidden_rows.add(row)
            elif tag == _SS + "Cell":
                idx = _ss_int(el, "Index", 0)
                col = idx - 1 if idx else col + 1
                across = max(0, _ss_int(el, "MergeAcross", 0))
                down = max(0, _ss_int(el, "MergeDown", 0))
                if across or down:
                    sheet.merged.append((row, col, row + down, col + across))
                n_rows, n_cols = max(n_rows, row + down + 1), max(n_cols, col + across + 1)
                _check_box(sheet.name, n_rows, n_cols, limits)
                if el.get(_SS + "Formula"):
                    sheet.formula_cells.add((row, col))
                cell_pos = (row, col)
                col += across  # the next cell starts after the merged range
            elif tag == _SS + "Comment":
                in_comment = True  # a comment's <Data> is not the cell's value
            continue
        # end events
        if sheet is None:
            continue
        if tag == _SS + "Data" and not in_comment:
            cells[cell_pos] = _ss_value(el.get(_SS + "Type"), "".join(el.itertext()))
        elif tag == _SS + "Comment":
            in_comment = False
        elif tag == _SS + "Cell":
            el.clear()
        elif tag == _XL + "Visible" and (el.text or "").strip() in (
            "SheetHidden",
            "SheetVeryHidden",
        ):
            sheet.visible = False
        elif tag == _SS + "Worksheet":
            grid: list[list[object]] = [[None] * n_cols for _ in range(n_rows)]
            for (r, c), v in cells.items():
                if 0 <= r < n_rows and 0 <= c < n_cols:
                    grid[r][c] = v
            sheet.rows = grid
            sheet.hidden_rows = {r for r in sheet.hidden_rows if r < n_rows}
            sheet.hidden_cols = {c for c in sheet.hidden_cols if c < n_cols}
            sheets.append(sheet)
            sheet = None
            el.clear()
    notes = ["Tệp là bảng tính XML của Excel 2003 (thường do phần mềm web xuất ra với đuôi .xls)."]
    return Workbook(path, "xml2003", sheets, None, "xml2003", notes)


# ------------------------------------------------------------------------ csv


def _read_csv(path: Path, data: bytes, limits: Limits) -> Workbook:
    text = _decode_text(data)
    dialect = _csv_dialect(text)
    if dialect is None:
        raise _fail_not_spreadsheet("văn bản thường, không có cột phân cách")
    grid: list[list[object]] = []
    width = 0
    for row in csv.reader(io.StringIO(text, newline=""), dialect):
        grid.append([v if v != "" else None for v in row])
        width = max(width, len(row))
        if len(grid) > limits.max_rows or width > limits.max_cols:
            _check_box(path.name, len(grid), width, limits)
    _check_box(path.name, len(grid), width, limits)
    for row in grid:
        row.extend([None] * (width - len(row)))
    notes = ["Tệp là văn bản CSV (không phải tệp Excel thật)."]
    return Workbook(path, "csv", [Sheet(path.stem, 0, True, grid)], None, "csv", notes)


# ----------------------------------------------------------------------- entry


def read_workbook(path: str | Path, limits: Limits | None = None) -> Workbook:
    """Read one untrusted file into a Workbook; raises ReadError only.

    Parameters
    ----------
    path : path of the file (the extension is ignored).
    limits : size limits checked before any engine opens the file.

    Returns
    -------
    Workbook with every sheet as a dense grid from A1, merged ranges, hidden sheets,
    rows and columns, and formulas without cached values (xlsx/xlsm).
    """
    path = Path(path)
    limits = limits or Limits()
    try:
        return _read_workbook(path, limits)
    except ReadError:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except MemoryError as exc:
        raise ReadError("FILE_LIMIT", "Không đủ bộ nhớ để đọc tệp.") from exc
    except BaseException as exc:
        # The contract is "raises ReadError only": a bug of ours, or an engine
        # error not caught closer to it, still rejects this one file. The words
        # "lỗi không mong đợi" let the fuzz test tell these apart.
        raise ReadError(
            "FILE_CORRUPT",
            f"Không đọc được tệp: lỗi không mong đợi ({type(exc).__name__}: "
            f"{str(exc)[:200]}).".replace("\n", " "),
        ) from exc


def _read_workbook(path: Path, limits: Limits) -> Workbook:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReadError("FILE_UNREADABLE", f"Không mở được tệp: {exc.strerror}.") from exc
    if size > limits.max_file_bytes:
        raise ReadError(
            "FILE_LIMIT",
            f"Tệp nặng {fmt_number(size / 2**20, 1)} MB, vượt giới hạn {fmt_number(limits.max_file_bytes / 2**20)} MB.",
        )
    fmt = sniff_format(path)
    data = path.read_bytes()
    if fmt in ("xlsx", "xlsm"):
        book = _read_ooxml(path, data, fmt, limits)
    elif fmt == "xls":
        book = _read_xls(path, data, limits)
    elif fmt == "ods":
        book = _read_ods(path, data, limits)
    elif fmt == "html":
        book = _guarded("Bộ đọc HTML", _read_html, path, data, limits)
    elif fmt == "xml2003":
        book = _guarded("Bộ đọc XML 2003", _read_xml2003, path, data, limits)
    else:
        book = _guarded("Bộ đọc CSV", _read_csv, path, data, limits)
    if not book.sheets:
        raise ReadError("FILE_EMPTY", "Tệp không có trang tính nào.")
    if all(s.is_empty() for s in book.sheets):
        raise ReadError("FILE_EMPTY", "Tệp không có dữ liệu: mọi trang tính đều trống.")
    return book
