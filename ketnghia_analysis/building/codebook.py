"""Codebook of the processed tables (codebook.xlsx and codebook.md), generated from the schemas."""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ketnghia_analysis.building import schemas
from ketnghia_analysis.core.xlsx import open_workbook
from ketnghia_analysis.reference.contract import TABLE_TITLES, TABLES

if TYPE_CHECKING:
    from ketnghia_analysis.building.unchanged import Reuse

KIND_VI = {
    "code": "mã (chuỗi chữ số)",
    "text": "chữ",
    "int": "số nguyên",
    "year": "năm (số nguyên, có thể trống)",
    "count": "số đếm (số nguyên, có thể trống)",
    "money": "số thực (triệu đồng)",
    "fraction": "phân số 0–1",
    "bool": "đúng/sai",
    "nbool": "đúng/sai (có thể trống)",
    "date": "ngày",
    "timestamp": "thời điểm (UTC)",
    "list": "danh sách chữ",
}


def codebook() -> pd.DataFrame:
    """One row per table and column: table, table_title, column, label, unit, type,
    nullable, key, description.

    Made from what the pandera schemas are made of (the contract's columns and
    `schemas.column_info`), without building them: importing pandera costs a build ~0.3 s
    of CPU (issue #18). tests/building/test_codebook.py holds every row equal to the
    schema's column.
    """
    rows = []
    for table, (cols, key) in TABLES.items():
        for col in cols:
            info = schemas.column_info(col.name)
            rows.append(
                {
                    "table": f"{table}.parquet",
                    "table_title": TABLE_TITLES.get(table, ""),
                    "column": col.name,
                    "label": info["label"],
                    "unit": info["unit"] or "",
                    "type": KIND_VI.get(col.kind, col.kind),
                    "nullable": "có" if col.nullable else "không",
                    "key": "có" if col.name in key else "",
                    "description": info["description"] or "",
                }
            )
    return pd.DataFrame(rows)


HEADERS_VI = {
    "table": "Bảng",
    "table_title": "Nội dung bảng",
    "column": "Cột",
    "label": "Tên tiếng Việt",
    "unit": "Đơn vị",
    "type": "Kiểu",
    "nullable": "Được trống",
    "key": "Thuộc khóa",
    "description": "Ý nghĩa",
}


def write_codebook(folder: Path, reuse: Reuse | None = None) -> list[Path]:
    """Write codebook.xlsx and codebook.md into a folder; returns both paths. With `reuse`,
    the previous build's pair when the code (schemas, contract, labels) is the same: the
    codebook is made from code alone, so its content digest is the code fingerprint."""
    folder = Path(folder)
    xlsx, md = (folder / name for name in FILES)
    if reuse is not None and reuse.take_all([xlsx, md]):
        return [xlsx, md]
    book, text = rendered()
    xlsx.write_bytes(book)
    md.write_text(text, encoding="utf-8")
    return [xlsx, md]


#: The codebook's files in the out folder (the content digest of both is the code's alone).
FILES = ("codebook.xlsx", "codebook.md")


def recorded(folder: Path) -> bool:
    """Whether the build recorded in `folder` left a codebook of this very code, which the
    next build will take as it is (`write_codebook`): then nobody needs `rendered`. A hint
    only (the files' hashes are checked when they are taken); False when unsure."""
    from ketnghia_analysis.building.unchanged import Reuse, read_digests

    old = read_digests(folder)
    content = Reuse(None, folder).digest()
    return all(old.get(name, {}).get("content") == content for name in FILES)


@functools.cache
def rendered() -> tuple[bytes, str]:
    """The bytes of codebook.xlsx and the text of codebook.md, made once per process: the
    codebook comes from code alone, and the build's warm-up thread makes it while the
    workers read (`warm_up.warm_up_assembly`; ~65 ms off a build's last steps, issue #18)."""
    frame = codebook()
    buffer = io.BytesIO()
    book = open_workbook(buffer, in_memory=True)
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheet = book.add_worksheet("Từ điển dữ liệu")
    widths = [22, 40, 24, 36, 12, 26, 10, 10, 70]
    for c, (name, width) in enumerate(zip(HEADERS_VI, widths, strict=True)):
        sheet.write_string(0, c, HEADERS_VI[name], head)
        sheet.set_column(c, c, width, wrap if width >= 40 else None)
    for r, rec in enumerate(frame.to_dict("records"), start=1):
        for c, name in enumerate(HEADERS_VI):
            sheet.write_string(r, c, str(rec[name] or ""))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(frame), len(HEADERS_VI) - 1)
    book.close()

    lines = ["# Từ điển dữ liệu — các bảng đã xử lý", ""]
    for table, group in frame.groupby("table", sort=False):
        lines += [f"## {table} — {group['table_title'].iloc[0]}", ""]
        lines += ["| Cột | Tên tiếng Việt | Đơn vị | Kiểu | Ý nghĩa |", "|---|---|---|---|---|"]
        for rec in group.to_dict("records"):
            desc = str(rec["description"]).replace("|", "/")
            lines.append(
                f"| `{rec['column']}`{' (khóa)' if rec['key'] else ''} | {rec['label']} | "
                f"{rec['unit']} | {rec['type']} | {desc} |"
            )
        lines.append("")
    return buffer.getvalue(), "\n".join(lines)
