"""Identity stage: district, year and report date of a return, conflicts reported."""

from __future__ import annotations

from datetime import date

from workbooks import TITLE_POVERTY, sheet

from ketnghia_analysis.reading.grid import Grid
from ketnghia_analysis.reading.identity import (
    Clue,
    commune_clues,
    cover_clues,
    decide,
    district_in_filename,
    districts_in_text,
    report_date_in_text,
    title_clues,
    year_in_filename,
    years_in_title,
)


def test_title_block_gives_district_year_and_date():
    # title_national, title_ubnd, title_kem_theo: the title block of TITLE_POVERTY
    clues = title_clues(Grid(sheet(TITLE_POVERTY)), 5)
    got = {(c.what, c.value) for c in clues}
    assert ("district", "516") in got
    assert ("year", 2023) in got
    assert ("report_date", date(2023, 12, 15)) in got
    ident = decide(clues)
    assert (ident.district_code, ident.year, ident.report_date) == ("516", 2023, date(2023, 12, 15))
    assert ident.issues == []


def test_all_caps_and_mojibake_titles():
    # TCVN3 mojibake of "UBND huyện Bắc Trà My" is decoded before matching
    for text in ("ỦY BAN NHÂN DÂN HUYỆN BẮC TRÀ MY", "UBND huyÖn B¾c Trµ My"):
        clues = title_clues(Grid(sheet([[text]])), 1)
        assert [c.value for c in clues if c.what == "district"] == ["515"], text


def test_partner_district_in_title_does_not_override_heading():
    rows = [["UBND HUYỆN NAM GIANG"], ["Kết quả kết nghĩa với thành phố Tam Kỳ năm 2022"]]
    clues = title_clues(Grid(sheet(rows)), 2)
    assert [c.value for c in clues if c.what == "district"] == ["510"]


def test_filename_clues():
    assert district_in_filename("BC ket nghia 2023 - Nam Tra My") == ["516"]
    assert district_in_filename("Báo cáo kết nghĩa Tây Giang (1)") == ["504"]
    assert district_in_filename("BC_2023_NamTraMy_final") == ["516"]
    assert district_in_filename("bao cao 2023") == []
    assert year_in_filename("BC ket nghia 2023 - Nam Tra My v2") == 2023
    assert year_in_filename("no year") is None


def test_year_and_date_patterns():
    assert years_in_title("ket qua nam 2023") == [2023]
    assert years_in_title("giai doan 2021 2025") == []
    assert years_in_title("nam tra my ngay 15 thang 12 nam 2023") == []
    assert report_date_in_text("ngày 15/12/2023") == date(2023, 12, 15)
    assert report_date_in_text("NGÀY 5 THÁNG 1 NĂM 2024") == date(2024, 1, 5)
    assert report_date_in_text("ngày 31/02/2023") is None
    assert districts_in_text("bao cao tinh quang nam") == []


def test_cover_sheet():
    rows = [
        ["THÔNG TIN CHUNG"],
        ["Đơn vị báo cáo:", "Nam Trà My"],
        ["Năm báo cáo:", 2023],
        ["Ngày báo cáo:", "20/12/2023"],
    ]
    clues = cover_clues(Grid(sheet(rows, name="Thông tin chung")))
    got = {(c.what, c.value, c.cell) for c in clues}
    assert got == {
        ("district", "516", "B2"),
        ("year", 2023, "B3"),
        ("report_date", date(2023, 12, 20), "B4"),
    }


def test_conflict_is_reported_not_guessed():
    clues = [
        Clue("district", "516", "title", "HN", "A1"),
        Clue("district", "515", "filename", None, None),
        Clue("year", 2023, "title", "HN", "A4"),
    ]
    ident = decide(clues, "x.xlsx")
    assert ident.district_code is None
    assert ident.year == 2023
    assert [i.code for i in ident.issues] == ["IDENTITY_CONFLICT"]
    iss = ident.issues[0]
    assert iss.severity == "error"
    assert "Huyện Nam Trà My (516)" in iss.message and "Huyện Bắc Trà My (515)" in iss.message
    assert iss.cell == "A1"


def test_nothing_found_is_unknown():
    ident = decide([], "x.xlsx")
    assert (ident.district_code, ident.year) == (None, None)
    assert [i.code for i in ident.issues] == ["IDENTITY_UNKNOWN", "IDENTITY_UNKNOWN"]


def test_communes_listed_as_last_resort():
    clues = commune_clues(["Trà Mai", "Trà Don", "X. Trà Leng", "Trà Tập"], 2023)
    assert [(c.what, c.value) for c in clues] == [("district", "516")]
    assert commune_clues(["Trà Mai"], 2023) == []  # one commune is not enough
