"""A form beyond a limit loses only itself (issue #19, item 5): the file's other forms are
read and ingested, and the oversized form gets one error that names the limit."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from ketnghia_analysis.building import normalise
from ketnghia_analysis.building.normalise import Normaliser, normalise_return
from ketnghia_analysis.core.limits import WORKER_MEMORY_MB, Limits
from ketnghia_analysis.reading import reader
from ketnghia_analysis.reading.reader import read_return
from ketnghia_analysis.reading.template import SUPPORT_HEADERS
from ketnghia_analysis.reference import gazetteer
from ketnghia_analysis.reference.matching import CommuneMatcher
from ketnghia_analysis.reference.partners import PartnerRegistry

POVERTY_HEADER = [
    "STT",
    "Xã, phường, thị trấn",
    "Tổng số hộ",
    "Số hộ nghèo đầu năm",
    "Số hộ thoát nghèo trong năm",
    "Số hộ tái nghèo",
    "Số hộ nghèo phát sinh mới",
    "Số hộ nghèo cuối năm",
    "Tỷ lệ hộ nghèo cuối năm (%)",
    "Số hộ cận nghèo cuối năm",
    "Trong đó: hộ nghèo dân tộc thiểu số",
]


def communes_516() -> list[str]:
    units = gazetteer.communes_in_year(2024)
    return list(units.loc[units["district_code"] == "516", "commune_name"])


def write_return(path: Path, support_rows: int) -> Path:
    """Nam Trà My 2024: Biểu 02/HN of its communes, Biểu 01/KN of `support_rows` pairs."""
    names = communes_516()
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("Biểu 02")
    ws.write(0, 0, "Biểu số 02/HN")
    ws.write(1, 0, "KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO NĂM 2024 - HUYỆN NAM TRÀ MY")
    ws.write_row(2, 0, POVERTY_HEADER)
    for i, name in enumerate(names):
        ws.write_row(3 + i, 0, [i + 1, name, 1000, 400, 50, 2, 3, 355, 35.5, 100, 300])
    ws = book.add_worksheet("Biểu 01")
    ws.write(0, 0, "Biểu số 01/KN")
    ws.write(1, 0, "KẾT QUẢ HỖ TRỢ CỦA CÁC ĐƠN VỊ KẾT NGHĨA NĂM 2024 - HUYỆN NAM TRÀ MY")
    ws.write(2, 0, "ĐVT: triệu đồng")
    ws.write_row(3, 0, ["STT", *[label for _, label, _ in SUPPORT_HEADERS]])
    for i in range(support_rows):
        partner = f"Đồn Biên phòng {i + 1}"
        row = [i + 1, partner, "lực lượng vũ trang", names[i % len(names)], 2021, 10.5]
        ws.write_row(4 + i, 0, [*row, 2.0, 1, 30, 2, 5, 1, ""])
    book.close()
    return path


@pytest.fixture(scope="module")
def normaliser():
    return Normaliser(CommuneMatcher(), PartnerRegistry.load(), gazetteer.target_communes())


def build_one(path: Path, normaliser, limits: Limits | None = None):
    result = normalise_return(read_return(path, path.parent, limits=limits), normaliser)
    sub = result.submission
    assert sub["status"] == "ingested"
    assert (
        sub["rows_read"] == sub["rows_accepted"] + sub["rows_quarantined"] + sub["rows_structural"]
    )
    return result


def too_large(result):
    found = [i for i in result.issues if i.code == "FORM_TOO_LARGE"]
    assert len(found) == 1, [(i.code, i.message) for i in result.issues]
    assert (found[0].severity, found[0].source_sheet) == ("error", "Biểu 01")
    return found[0]


def test_a_form_over_the_row_limit_loses_only_itself(tmp_path, normaliser):
    path = write_return(tmp_path / "bc_516_2024.xlsx", support_rows=60)
    result = build_one(path, normaliser, Limits(max_form_rows=50))
    issue = too_large(result)
    assert "vượt giới hạn 50 dòng của một biểu" in issue.message
    assert (issue.district_code, issue.year) == ("516", 2024)
    assert result.forms == ["poverty"] and "support" not in result.tables
    assert len(result.tables["poverty"]) == len(communes_516())
    assert result.submission["rows_accepted"] == len(communes_516())


def test_within_the_row_limit_every_form_is_read(tmp_path, normaliser):
    path = write_return(tmp_path / "bc_516_2024.xlsx", support_rows=60)
    result = build_one(path, normaliser, Limits(max_form_rows=100))
    assert not [i for i in result.issues if i.severity == "error"]
    assert len(result.tables["support"]) == 60


@pytest.mark.parametrize("where", ["reader", "normalise"])
def test_a_form_that_runs_out_of_memory_loses_only_itself(tmp_path, normaliser, monkeypatch, where):
    """The worker's memory runs out on the support form, while reading it or normalising it."""
    if where == "reader":
        real = reader.read_form

        def read_form(v, *args, **kwargs):
            if v.form == "support":
                raise MemoryError
            return real(v, *args, **kwargs)

        monkeypatch.setattr(reader, "read_form", read_form)
    else:
        real_result = normalise.Normaliser.form_result

        def form_result(self, form, ctx):
            if form.form == "support":
                raise MemoryError
            return real_result(self, form, ctx)

        monkeypatch.setattr(normalise.Normaliser, "form_result", form_result)
    path = write_return(tmp_path / "bc_516_2024.xlsx", support_rows=5)
    result = build_one(path, normaliser)
    assert f"giới hạn {WORKER_MEMORY_MB:,} MB".replace(",", ".") in too_large(result).message
    assert len(result.tables["poverty"]) == len(communes_516())
    assert "support" not in result.tables
