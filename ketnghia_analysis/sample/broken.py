"""Broken and hostile files (``--broken``) in ``khac/``, each rejected by a correct build."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

from ketnghia_analysis.sample.grid import Book, Grid, write_book
from ketnghia_analysis.sample.variations import Placements

PDF = b"%PDF-1.4\n% DU LIEU TONG HOP (synthetic)\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
CSV = "ma_xa;ten_xa;so_ho\n20944;Trà Mai;812\n# synthetic\n"
PASSWORD = "ketnghia"


def write_broken(out: Path, year: int, place: Placements) -> list[dict]:
    """Write the broken files; return their submissions rows (all rejected)."""
    folder = out / "khac"
    folder.mkdir(parents=True, exist_ok=True)
    when = dt.datetime(year + 1, 1, 10, 9, 0)
    rows: list[dict] = []

    def record(name: str, variation: str, reason: str) -> None:
        path = folder / name
        stamp = when.replace(tzinfo=dt.UTC).timestamp()
        os.utime(path, (stamp, stamp))
        rel = f"khac/{name}"
        place.add(variation, rel, "", "")
        rows.append(
            {
                "source_file": rel,
                "size_bytes": path.stat().st_size,
                "district_code": None,
                "year": None,
                "forms_found": None,
                "status": "rejected",
                "reason": reason,
            }
        )

    grid = _numbers_grid()
    data = _xlsx_bytes(out, "khac/_tmp.xlsx", grid, when)
    (folder / "BC ket nghia Dai Loc bi loi.xlsx").write_bytes(data[: len(data) // 2])
    record("BC ket nghia Dai Loc bi loi.xlsx", "broken_truncated", "tệp bị cắt cụt (truncated)")
    (folder / "Bao cao trong.xlsx").write_bytes(b"")
    record("Bao cao trong.xlsx", "broken_empty", "tệp rỗng (0 byte)")
    (folder / "Công văn gửi kèm.xlsx").write_bytes(PDF)
    record(
        "Công văn gửi kèm.xlsx", "broken_not_spreadsheet", "không phải bảng tính (tệp PDF đổi đuôi)"
    )
    encrypted = _encrypted(_xlsx_bytes(out, "khac/_tmp2.xlsx", grid, when))
    if encrypted is not None:
        (folder / "BC Phu Ninh 2024 (mat khau).xlsx").write_bytes(encrypted)
        record("BC Phu Ninh 2024 (mat khau).xlsx", "broken_password", "tệp có mật khẩu (encrypted)")
    write_book(
        Book("khac/Danh sach dai bieu hoi nghi.xlsx", "xlsxwriter", [_attendance()], when), out
    )
    record(
        "Danh sach dai bieu hoi nghi.xlsx",
        "broken_not_return",
        "không phải biểu báo cáo (không nhận ra biểu mẫu nào)",
    )
    (folder / "export_ho_ngheo.xls").write_text(CSV, encoding="utf-8")
    record(
        "export_ho_ngheo.xls",
        "broken_csv_renamed",
        "tệp CSV đổi đuôi .xls, không đọc được như bảng tính",
    )
    return rows


def _numbers_grid() -> Grid:
    """A sheet of 40 rows of numbers: the content of the truncated and encrypted files."""
    g = Grid("Sheet1")
    for r in range(40):
        for c in range(8):
            g.put(r, c, f"Dòng {r} cột {c}" if c == 0 else r * c)
    return g


def _xlsx_bytes(out: Path, relpath: str, grid: Grid, when: dt.datetime) -> bytes:
    """The bytes of an .xlsx of ``grid`` (written to ``relpath`` and removed again)."""
    tmp = write_book(Book(relpath, "xlsxwriter", [grid], when), out)
    data = tmp.read_bytes()
    tmp.unlink()
    return data


def _encrypted(plain: bytes) -> bytes | None:
    """A password-protected OOXML package (msoffcrypto-tool), or None without it."""
    try:
        from msoffcrypto.format.ooxml import OOXMLFile

        enc = io.BytesIO()
        OOXMLFile(io.BytesIO(plain)).encrypt(PASSWORD, enc)
        return enc.getvalue()
    except Exception:  # pragma: no cover - optional dependency missing
        return None


def _attendance() -> Grid:
    """A workbook that is not a return: a meeting attendance list."""
    g = Grid("Danh sách")
    g.put(0, 0, "DANH SÁCH ĐẠI BIỂU DỰ HỘI NGHỊ TỔNG KẾT (dữ liệu tổng hợp, synthetic)")
    for r, (n, u) in enumerate(
        (("Nguyễn Văn A", "Sở Tài chính"), ("Trần Thị B", "Ban Dân tộc tỉnh")), start=2
    ):
        g.put(r, 0, r - 1)
        g.put(r, 1, n)
        g.put(r, 2, u)
    return g
