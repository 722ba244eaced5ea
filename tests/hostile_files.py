"""Builders of good and hostile spreadsheet files, made by code (no opaque binaries).

Used by tests/reading/test_cells.py, test_hostile.py, test_fuzz.py, test_sandbox.py and by the
build's hostile-folder test. Every builder takes the path to write and returns it.

The "good" builders write the same small return-like sheet in every format:

    row 1   A1:F1 merged   "BÁO CÁO HỘ NGHÈO NĂM 2023"
    row 2   B2 "Ngày báo cáo"   C2 date 2023-12-15
    row 3   header  STT | Xã | Tổng số hộ | Hộ nghèo | Tỷ lệ | Ghi chú
    row 4   1 | Trà Mai  | 1200 | 150 | 0.125 |
    row 5   2 | Trà Don  |  800 |  96 | 0.12  | x
    row 6   3 | Trà Cang |  500 |  75 | 0.15  |        (row 6 hidden)
    row 7   A7:B7 merged "Tổng" | C7 =SUM(C4:C6) | D7 =SUM(D4:D6)
    column F hidden; a second, hidden sheet "Nháp" with A1 "bản nháp".

In the xlsx written by openpyxl the two totals are formulas without cached values;
in the other formats they are the numbers 2500 and 321.
"""

from __future__ import annotations

import io
import os
import random
import struct
import time
import zipfile
from datetime import date
from pathlib import Path

TITLE = "BÁO CÁO HỘ NGHÈO NĂM 2023"
HEADER = ["STT", "Xã", "Tổng số hộ", "Hộ nghèo", "Tỷ lệ", "Ghi chú"]
DATA = [
    [1, "Trà Mai", 1200, 150, 0.125, None],
    [2, "Trà Don", 800, 96, 0.12, "x"],
    [3, "Trà Cang", 500, 75, 0.15, None],
]
REPORT_DATE = date(2023, 12, 15)


# ------------------------------------------------------------------ good files


def write_good_xlsx(path: Path) -> Path:
    """The reference sheet with openpyxl: formulas C7/D7 have no cached value."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Biểu 02"
    ws["A1"] = TITLE
    ws.merge_cells("A1:F1")
    ws["B2"] = "Ngày báo cáo"
    ws["C2"] = REPORT_DATE
    ws.append(HEADER)
    for row in DATA:
        ws.append(row)
    ws["A7"] = "Tổng"
    ws.merge_cells("A7:B7")
    ws["C7"] = "=SUM(C4:C6)"
    ws["D7"] = "=SUM(D4:D6)"
    ws.row_dimensions[6].hidden = True
    ws.column_dimensions["F"].hidden = True
    draft = wb.create_sheet("Nháp")
    draft["A1"] = "bản nháp"
    draft.sheet_state = "hidden"
    wb.save(path)
    return path


def write_good_xls(path: Path) -> Path:
    """The reference sheet as BIFF8 with xlwt (totals as numbers)."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Biểu 02")
    ws.write_merge(0, 0, 0, 5, TITLE)
    ws.write(1, 1, "Ngày báo cáo")
    ws.write(1, 2, REPORT_DATE, xlwt.easyxf(num_format_str="DD/MM/YYYY"))
    for c, v in enumerate(HEADER):
        ws.write(2, c, v)
    for r, row in enumerate(DATA, start=3):
        for c, v in enumerate(row):
            if v is not None:
                ws.write(r, c, v)
    ws.write_merge(6, 6, 0, 1, "Tổng")
    ws.write(6, 2, 2500)
    ws.write(6, 3, 321)
    ws.row(5).hidden = True
    ws.col(5).hidden = True
    draft = wb.add_sheet("Nháp")
    draft.write(0, 0, "bản nháp")
    draft.visibility = 1
    wb.save(str(path))
    return path


def write_good_ods(path: Path) -> Path:
    """The reference sheet as OpenDocument with odfpy (spans, collapsed row/column)."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableProperties
    from odf.table import CoveredTableCell, Table, TableCell, TableColumn, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    hidden_table = Style(name="HiddenTable", family="table")
    hidden_table.addElement(TableProperties(display=False))
    doc.automaticstyles.addElement(hidden_table)

    def cell(value, **span):
        if value is None:
            return TableCell(**span)
        if isinstance(value, date):
            tc = TableCell(valuetype="date", datevalue=value.isoformat(), **span)
        elif isinstance(value, int | float):
            tc = TableCell(valuetype="float", value=value, **span)
        else:
            tc = TableCell(valuetype="string", **span)
        tc.addElement(P(text=str(value)))
        return tc

    table = Table(name="Biểu 02")
    table.addElement(TableColumn(numbercolumnsrepeated=5))
    table.addElement(TableColumn(visibility="collapse"))
    rows = [
        [(TITLE, {"numbercolumnsspanned": 6})] + [("covered", {})] * 5,
        [(None, {}), ("Ngày báo cáo", {}), (REPORT_DATE, {})],
        [(v, {}) for v in HEADER],
        *[[(v, {}) for v in row] for row in DATA],
        [("Tổng", {"numbercolumnsspanned": 2}), ("covered", {}), (2500, {}), (321, {})],
    ]
    for r, row in enumerate(rows):
        tr = TableRow(visibility="collapse") if r == 5 else TableRow()
        for value, span in row:
            tr.addElement(CoveredTableCell() if value == "covered" else cell(value, **span))
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    draft = Table(name="Nháp", stylename=hidden_table)
    tr = TableRow()
    tr.addElement(cell("bản nháp"))
    draft.addElement(tr)
    doc.spreadsheet.addElement(draft)
    doc.save(str(path))
    return path


def write_html_xls(path: Path) -> Path:
    """A web system's ".xls" export: an HTML page with one table (rowspan/colspan)."""
    body = [
        "<html><head><meta charset='utf-8'><title>Báo cáo</title></head><body>",
        "<table border='1'>",
        f"<tr><td colspan='6'>{TITLE}</td></tr>",
        "<tr><td></td><td>Ngày báo cáo</td><td>15/12/2023</td></tr>",
        "<tr>" + "".join(f"<th>{h}</th>" for h in HEADER) + "</tr>",
        "<tr><td>1</td><td rowspan='2'>Trà Mai</td><td>1.200</td><td>150</td>"
        "<td>12,5%</td><td></td></tr>",
        "<tr><td>2</td><td>800</td><td>96</td><td>12%</td><td>x</td></tr>",
        "<tr style='display: none'><td>3</td><td>Trà Cang</td><td>500</td><td>75</td>"
        "<td>15%</td><td>&nbsp;</td></tr>",
        "</table></body></html>",
    ]
    path.write_text("\n".join(body), encoding="utf-8")
    return path


def write_csv_as_xls(path: Path) -> Path:
    """A CSV export renamed ".xls" (semicolon-separated, UTF-8 with BOM)."""
    lines = [";".join(HEADER)] + [
        ";".join("" if v is None else str(v) for v in row) for row in DATA
    ]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))
    return path


def write_xml2003_xls(path: Path) -> Path:
    """The reference sheet as "XML Spreadsheet 2003" saved as .xls (a web export)."""

    def cell(value, **attrs) -> str:
        extra = "".join(f' ss:{k}="{v}"' for k, v in attrs.items())
        if value is None:
            return f"<Cell{extra}/>"
        if isinstance(value, date):
            data = f'<Data ss:Type="DateTime">{value.isoformat()}T00:00:00.000</Data>'
        elif isinstance(value, int | float):
            data = f'<Data ss:Type="Number">{value}</Data>'
        else:
            data = f'<Data ss:Type="String">{value}</Data>'
        return f"<Cell{extra}>{data}</Cell>"

    rows = [
        '<Row ss:Index="1">' + cell(TITLE, MergeAcross=5) + "</Row>",
        "<Row>" + cell("Ngày báo cáo", Index=2) + cell(REPORT_DATE) + "</Row>",
        "<Row>" + "".join(cell(v) for v in HEADER) + "</Row>",
        *(
            ('<Row ss:Hidden="1">' if r == 2 else "<Row>")
            + "".join(cell(v) for v in row)
            + "</Row>"
            for r, row in enumerate(DATA)
        ),
        "<Row>"
        + cell("Tổng", MergeAcross=1)
        + '<Cell ss:Formula="=SUM(R[-3]C:R[-1]C)"><Data ss:Type="Number">2500</Data>'
        + "<Comment><Data>ghi chú của ô</Data></Comment></Cell>"
        + cell(321)
        + "</Row>",
    ]
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">'
        '<Worksheet ss:Name="Biểu 02"><Table>'
        '<Column ss:Index="6" ss:Hidden="1"/>' + "".join(rows) + "</Table></Worksheet>"
        '<Worksheet ss:Name="Nháp"><Table><Row><Cell><Data ss:Type="String">bản nháp</Data>'
        "</Cell></Row></Table>"
        '<WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel">'
        "<Visible>SheetHidden</Visible></WorksheetOptions></Worksheet></Workbook>"
    )
    path.write_text(xml, encoding="utf-8")
    return path


# ---------------------------------------------------------- not spreadsheets


def write_text(path: Path) -> Path:
    path.write_text("Kính gửi UBND tỉnh,\nHuyện xin gửi báo cáo qua đường bưu điện.\n", "utf-8")
    return path


def write_pdf(path: Path) -> Path:
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n")
    return path


def write_png(path: Path) -> Path:
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    png += chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    path.write_bytes(png)
    return path


def write_random(path: Path, size: int = 4096, seed: int = 1) -> Path:
    rng = random.Random(seed)
    path.write_bytes(bytes(rng.randrange(256) for _ in range(size)))
    return path


def write_empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def write_truncated_zip(path: Path) -> Path:
    """A good xlsx cut to half its size (a broken e-mail attachment)."""
    buf = path.with_suffix(".full.xlsx")
    write_good_xlsx(buf)
    data = buf.read_bytes()
    buf.unlink()
    path.write_bytes(data[: len(data) // 2])
    return path


def write_ods_repeated_rows(path: Path, repeat: int = 1_000_000) -> Path:
    """An ODS whose one value row is repeated a million times (a few hundred bytes)."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Data">'
        f'<table:table-row table:number-rows-repeated="{repeat}">'
        '<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p>'
        "</table:table-cell></table:table-row>"
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        zf.writestr("content.xml", content)
        zf.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
    return path


def write_unicode_text_xls(path: Path) -> Path:
    """Excel's "Unicode Text" export saved as .xls: UTF-16 with BOM, tab-separated."""
    lines = ["\t".join(HEADER)] + [
        "\t".join("" if v is None else str(v) for v in row) for row in DATA
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-16"))
    return path


# ------------------------------------------------------------ raw OOXML packages

_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="{main}"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "{extra}</Types>"
)
_MAIN_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_MAIN_XLSM = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WB = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>{extra}</Relationships>'
)
_SST_REL = (
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/>'
)
_SST_CT = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def sheet_xml(body: str, dimension: str = "A1", prolog: str = "", head: str = "") -> str:
    """A worksheet part around `body` (the inside of <sheetData>)."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f"{prolog}"
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/>{head}<sheetData>{body}</sheetData></worksheet>'
    )


def write_raw_xlsx(
    path: Path,
    sheet: str | bytes,
    *,
    shared_strings: str | None = None,
    macro: bool = False,
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """A minimal OOXML package with one worksheet part given as text."""
    extra_ct = _SST_CT if shared_strings is not None else ""
    if macro:
        extra_ct += '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    with zipfile.ZipFile(path, "w", compression) as zf:
        zf.writestr(
            "[Content_Types].xml",
            _CT.format(main=_MAIN_XLSM if macro else _MAIN_XLSX, extra=extra_ct),
        )
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WB)
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            _WB_RELS.format(extra=_SST_REL if shared_strings is not None else ""),
        )
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared_strings is not None:
            zf.writestr("xl/sharedStrings.xml", shared_strings)
        if macro:
            # An OLE container standing for the VBA project: it is never run or parsed.
            zf.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    return path


def write_xlsm(path: Path) -> Path:
    """A macro-enabled workbook with a vbaProject part and two data cells."""
    body = '<row r="1"><c r="A1" t="inlineStr"><is><t>Xã</t></is></c><c r="B1"><v>42</v></c></row>'
    return write_raw_xlsx(path, sheet_xml(body, "A1:B1"), macro=True)


FAR_CELL_BODY = (
    '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>'
)


def write_far_cell(path: Path) -> Path:
    """One real cell at XFD1048576 (calamine would ask for 512 GiB and abort)."""
    return write_raw_xlsx(path, sheet_xml(FAR_CELL_BODY, "A1:XFD1048576"))


def replace_part(path: Path, part: str, text: str | bytes) -> Path:
    """Rewrite an OOXML/ODF package with one part's content replaced (entries kept in order)."""
    with zipfile.ZipFile(path) as zf:
        entries = [(info, zf.read(info)) for info in zf.infolist()]
    assert part in {info.filename for info, _ in entries}, part
    with zipfile.ZipFile(path, "w") as zf:
        for info, body in entries:
            zf.writestr(info, text if info.filename == part else body, info.compress_type)
    return path


def add_far_cell_sheet(path: Path, part: str = "xl/worksheets/sheet2.xml") -> Path:
    """Make the worksheet `part` of an xlsx written by a library (xlsxwriter numbers its
    parts in sheet order) write_far_cell's sheet: its other sheets are left as they are."""
    return replace_part(path, part, sheet_xml(FAR_CELL_BODY, "A1:XFD1048576"))


def write_far_cell_hidden_in_row(path: Path) -> Path:
    """A cell claiming row 1048576 inside <row r="2">, listed before a normal cell."""
    body = (
        '<row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="2"><c r="C1048576"><v>2</v></c><c r="A2"><v>3</v></c></row>'
    )
    return write_raw_xlsx(path, sheet_xml(body, "A1:C2"))


def write_wide_cell(path: Path) -> Path:
    """A cell in column XFD of row 2 (16,384 columns)."""
    body = '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="XFD2"><v>2</v></c></row>'
    return write_raw_xlsx(path, sheet_xml(body, "A1:XFD2"))


def write_declared_dimension_only(path: Path) -> Path:
    """A stale <dimension ref="A1:XFD1048576"> over two real cells: must be read."""
    body = '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row>'
    return write_raw_xlsx(path, sheet_xml(body, "A1:XFD1048576"))


def _laughs(levels: int = 9) -> str:
    ents = ['<!ENTITY lol "lol">']
    prev = "lol"
    for i in range(1, levels + 1):
        ents.append(f'<!ENTITY lol{i} "{("&" + prev + ";") * 10}">')
        prev = f"lol{i}"
    return f"<!DOCTYPE lolz [{''.join(ents)}]>"


def write_billion_laughs_sheet(path: Path) -> Path:
    """Entity expansion to 10^9 "lol"s inside the worksheet part."""
    body = '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    return write_raw_xlsx(path, sheet_xml(body, prolog=_laughs()))


def write_billion_laughs_shared_strings(path: Path) -> Path:
    """The same bomb in xl/sharedStrings.xml, referenced by cell A1."""
    sst = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + _laughs()
        + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        'uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    )
    body = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    return write_raw_xlsx(path, sheet_xml(body), shared_strings=sst)


def write_zip_bomb_declared(path: Path) -> Path:
    """A small xlsx whose central directory declares a 4 GB worksheet part.

    Only the declared size is patched, so the check must reject the file before
    inflating anything (the test stays fast).
    """
    write_xlsm_plain = write_raw_xlsx(path, sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'))
    data = bytearray(write_xlsm_plain.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    pos = 0
    while True:
        pos = data.find(b"PK\x01\x02", pos)
        if pos < 0:
            break
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46 : pos + 46 + name_len] == name:
            struct.pack_into("<I", data, pos + 24, 0xFFFF0000)  # uncompressed size
        pos += 4
    path.write_bytes(bytes(data))
    return path


def write_zip_bomb_real(path: Path, megabytes: int = 16) -> Path:
    """A real high-ratio entry: `megabytes` of spaces inside the sheet (≈ 1000:1)."""
    pad = " " * (megabytes * 1024 * 1024)
    body = f'<row r="1"><c r="A1"><v>1</v></c></row>{pad}'
    return write_raw_xlsx(path, sheet_xml(body))


def write_uncached_shared_formulas(path: Path) -> Path:
    """Formulas without values, one shared across B3:C3 (as some scripts write)."""
    body = (
        '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c><c r="C1"><v>3</v></c></row>'
        '<row r="2"><c r="A2"><v>4</v></c><c r="B2"><v>5</v></c><c r="C2"><v>6</v></c></row>'
        '<row r="3"><c r="A3"><f t="shared" ref="A3:C3" si="0">A1+A2</f></c>'
        '<c r="B3"><f t="shared" si="0"/></c><c r="C3"><f t="shared" si="0"/><v>9</v></c>'
        '<c r="D3" t="str"><f>IF(A1&gt;0,"có","")</f><v></v></c></row>'
    )
    return write_raw_xlsx(path, sheet_xml(body, "A1:D3"))


def write_tall_xlsx(path: Path, rows: int = 200_000, cols: int = 15) -> Path:
    """A legitimate tall sheet written as raw XML (xlsxwriter takes ~30 s for this)."""
    letters = [chr(65 + c) for c in range(cols)]
    parts = []
    for r in range(1, rows + 1):
        cells = [f'<c r="A{r}" t="inlineStr"><is><t>Xã {r % 244}</t></is></c>']
        cells += [f'<c r="{letters[c]}{r}"><v>{r * 0.5 + c}</v></c>' for c in range(1, cols)]
        parts.append(f'<row r="{r}">{"".join(cells)}</row>')
    dim = f"A1:{letters[-1]}{rows}"
    return write_raw_xlsx(path, sheet_xml("".join(parts), dim))


# ------------------------------------------------------------ encrypted files


def write_encrypted_xlsx(path: Path, password: str = "123") -> Path:
    """The reference xlsx encrypted with msoffcrypto-tool (agile encryption, OLE container)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = io.BytesIO()
    tmp = path.with_suffix(".plain.xlsx")
    write_good_xlsx(tmp)
    plain.write(tmp.read_bytes())
    tmp.unlink()
    plain.seek(0)
    out = io.BytesIO()
    OOXMLFile(plain).encrypt(password, out)
    path.write_bytes(out.getvalue())
    return path


def write_encrypted_xls(path: Path) -> Path:
    """An xlwt .xls whose INTERFACEHDR record is retyped as FILEPASS (RC4 marker).

    Only the record type changes (same length), so the OLE container stays valid;
    what matters is that FILEPASS sits in the workbook-globals substream.
    """
    tmp = path.with_suffix(".plain.xls")
    write_good_xls(tmp)
    data = bytearray(tmp.read_bytes())
    tmp.unlink()
    bof = data.find(b"\x09\x08\x10\x00\x00\x06\x05\x00")  # BIFF8 BOF of the globals
    pos = data.find(b"\xe1\x00\x02\x00", bof)  # INTERFACEHDR, 2 bytes
    assert bof >= 0 and pos > bof, "xlwt layout changed"
    data[pos : pos + 4] = b"\x2f\x00\x02\x00"  # FILEPASS, 2 bytes: wEncryptionType
    data[pos + 4 : pos + 6] = b"\x01\x00"  # RC4
    path.write_bytes(bytes(data))
    return path


# ------------------------------------------------------ functions for the sandbox


def double(x: int) -> int:
    return 2 * x


def crash_abort(x: int) -> int:
    """Abort the process (what a Rust allocation failure does)."""
    os.abort()


def allocate_gigabytes(gb: int) -> int:
    """Allocate `gb` GiB (refused under the worker's memory limit)."""
    block = bytearray(gb * 1024**3)
    return len(block)


def hog_memory(megabytes: int) -> int:
    """Take `megabytes` of memory 16 MB at a time, every page written: a reader that keeps
    growing, which a watchdog polling the worker's memory must stop on its way."""
    blocks = []
    for _ in range(megabytes // 16):
        blocks.append(bytearray(16 * 2**20))  # zero-filled, so each page is touched
        time.sleep(0.005)
    return len(blocks)


def sleep_forever(x: int) -> int:
    while True:
        time.sleep(60)


def raise_value_error(x: int) -> int:
    raise ValueError(f"bad item {x}")


def memory_headroom_mb(x: int) -> float:
    """MB of address space this worker may still take under its RLIMIT_AS."""
    import resource

    with open("/proc/self/statm") as fh:
        held = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    return (soft - held) / 2**20


def parent_pid(x: int) -> int:
    """The worker's parent: the caller under spawn, the fork server under forkserver."""
    return os.getppid()


def blas_threads(x: int) -> str | None:
    """The worker's OPENBLAS_NUM_THREADS (how many threads numpy's BLAS would start)."""
    return os.environ.get("OPENBLAS_NUM_THREADS")


def can_import_resource(x: int) -> bool:
    """Whether this worker can import `resource` (Unix only)."""
    try:
        import resource  # noqa: F401
    except ImportError:
        return False
    return True


class Unstartable:
    """A "function" the worker cannot load: unpickling it raises, as a broken import would."""

    def __reduce__(self) -> tuple[object, tuple[int]]:
        return (raise_value_error, (0,))


class DiesWhileStarting:
    """A "function" whose loading kills the worker, as a crash in an import would."""

    def __reduce__(self) -> tuple[object, tuple[()]]:
        return (os.abort, ())


def dispatch(item: tuple[str, int]) -> object:
    """One function for mixed batches: ("double"|"abort"|"alloc"|"hog"|"sleep"|"raise", arg)."""
    kind, arg = item
    return {
        "double": double,
        "abort": crash_abort,
        "alloc": allocate_gigabytes,
        "hog": hog_memory,
        "sleep": sleep_forever,
        "raise": raise_value_error,
    }[kind](arg)


def write_lying_sizes(path: Path) -> Path:
    """A 16 MB entry whose headers declare 1,000 bytes (the ratio check cannot see it)."""
    write_zip_bomb_real(path)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    for sig, size_at, name_len_at, name_at in (
        (b"PK\x01\x02", 24, 28, 46),
        (b"PK\x03\x04", 22, 26, 30),
    ):
        pos = 0
        while (pos := data.find(sig, pos)) >= 0:
            name_len = struct.unpack_from("<H", data, pos + name_len_at)[0]
            if data[pos + name_at : pos + name_at + name_len] == name:
                struct.pack_into("<I", data, pos + size_at, 1000)
            pos += 4
    path.write_bytes(bytes(data))
    return path


# --------------------------------------------------------------- read in a worker


def read_summary(path: str | Path) -> tuple[str, list[tuple[str, int, int]]]:
    """read_workbook reduced to (format, [(sheet, rows, columns)]): small to send back."""
    from ketnghia_analysis.reading.cells import read_workbook

    wb = read_workbook(path)
    return wb.format, [(s.name, s.n_rows, s.n_cols) for s in wb.sheets]


# Every hostile builder with the ReadError code it must produce.
HOSTILE = {
    "text": (write_text, "FILE_NOT_SPREADSHEET"),
    "pdf": (write_pdf, "FILE_NOT_SPREADSHEET"),
    "png": (write_png, "FILE_NOT_SPREADSHEET"),
    "random": (write_random, "FILE_NOT_SPREADSHEET"),
    "empty": (write_empty, "FILE_EMPTY"),
    "truncated_zip": (write_truncated_zip, "FILE_TRUNCATED"),
    "zip_bomb_declared": (write_zip_bomb_declared, "FILE_LIMIT"),
    "zip_bomb_real": (write_zip_bomb_real, "FILE_LIMIT"),
    "far_cell": (write_far_cell, "FILE_LIMIT"),
    "far_cell_hidden_in_row": (write_far_cell_hidden_in_row, "FILE_LIMIT"),
    "wide_cell": (write_wide_cell, "FILE_LIMIT"),
    "billion_laughs_sheet": (write_billion_laughs_sheet, "FILE_CORRUPT"),
    "billion_laughs_shared_strings": (write_billion_laughs_shared_strings, "FILE_CORRUPT"),
    "encrypted_xlsx": (write_encrypted_xlsx, "FILE_ENCRYPTED"),
    "encrypted_xls": (write_encrypted_xls, "FILE_ENCRYPTED"),
    "ods_repeated_rows": (write_ods_repeated_rows, "FILE_LIMIT"),
}


def write_hostile_folder(folder: Path) -> dict[str, str]:
    """Write every hostile file into `folder` (all named .xlsx or .xls, as received).

    Returns file name → expected ReadError code.
    """
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, (builder, code) in HOSTILE.items():
        file_name = f"{name}.xls" if "xls" in name and "xlsx" not in name else f"{name}.xlsx"
        builder(folder / file_name)
        expected[file_name] = code
    return expected


def calamine_unchecked(path: str | Path) -> int:
    """Open a file with python-calamine directly, skipping every limit check.

    Only for showing what the checks and the sandbox prevent: on write_far_cell's
    file calamine asks for 512 GiB and aborts the process (no exception).
    """
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return len(book.get_sheet_by_index(0).to_python(skip_empty_area=False))


#: Markers a test writes with openpyxl (which refuses control characters), and the XML
#: escapes of ESC and NUL that `escape_control_markers` puts in their place.
CONTROL_MARKERS = {"⟨ESC⟩".encode(): b"_x001B_", "⟨NUL⟩".encode(): b"_x0000_"}


def escape_control_markers(path: Path) -> Path:
    """Rewrite a workbook so that the markers of CONTROL_MARKERS become ESC and NUL cells."""
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            for marker, escape in CONTROL_MARKERS.items():
                data = data.replace(marker, escape)
            zout.writestr(item, data)
    tmp.replace(path)
    return path
