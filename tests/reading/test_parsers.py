"""Column parsers: one per kind, each with its findings born complete."""

from __future__ import annotations

from ketnghia_analysis.reading.parsers import ColumnContext, SheetSite, parse_column
from ketnghia_analysis.reference.synonyms import load_synonyms

SITE = SheetSite("huyen/bc.xlsx", "HN")


def ctx(name, label="", rows=(6, 7, 8), earlier=None, unit_scale=None):
    return ColumnContext(
        name, 3, list(rows), label, SITE, load_synonyms(), unit_scale, earlier or {}
    )


def test_money_is_scaled_by_its_header_unit():
    out = parse_column("money", ["1.500", "-", None], ctx("cash", "Hỗ trợ (nghìn đồng)"))
    assert out.values == [1.5, 0.0, None] and out.scale == 0.001
    # "1.500" alone could be 1,5: read as thousands, and said once (info)
    assert [(i.severity, i.code) for i in out.issues] == [("info", "NUMBER_CONVENTION_DECIDED")]


def test_a_bad_count_is_reported_at_its_cell_with_the_file():
    out = parse_column("count", [12, "mười", "Không đánh giá"], ctx("poor_end"))
    assert out.values == [12, None, None]
    (issue,) = out.issues
    assert (issue.code, issue.cell, issue.row, issue.value) == (
        "VALUE_NOT_NUMERIC",
        "D8",
        8,
        "mười",
    )
    assert (issue.source_file, issue.source_sheet) == ("huyen/bc.xlsx", "HN")
    assert out.not_assessed == frozenset({2})


def test_percent_scale_is_settled_by_the_counts_parsed_before():
    earlier = {"poor_end": [10, 20], "households_total": [100, 100]}
    out = parse_column("percent", [0.1, 0.2], ctx("poverty_rate_end", "Tỷ lệ (%)", (6, 7), earlier))
    assert out.values == [0.1, 0.2]


def test_levels_give_codes_and_the_year_apart():
    out = parse_column(
        "level",
        ["NTM nâng cao (2021)", 2019, "Chưa đạt", "hạng ba"],
        ctx("ntm_level", rows=(6, 7, 8, 9)),
    )
    assert out.values == ["nang_cao", "dat_chuan", None, None]
    assert out.years == [2021, 2019, None, None]
    assert [i.code for i in out.issues] == ["VALUE_BAD_LEVEL"]


def test_status_and_partner_type_are_codes_of_their_vocabulary():
    status = parse_column("status", ["Đã nhân rộng", None, "??"], ctx("status"))
    assert status.values == ["replicated", None, None]
    assert [i.code for i in status.issues] == ["VALUE_BAD_STATUS"]
    ptype = parse_column("category", ["Công ty", "Chùa"], ctx("partner_type", rows=(6, 7)))
    assert ptype.values == ["doanh nghiệp", "Chùa"]
    mtype = parse_column("category", ["chăn nuôi"], ctx("model_type", rows=(6,)))
    assert mtype.values == ["chăn nuôi"]


def test_marks_and_not_assessed():
    out = parse_column("mark", ["Đạt", None, "Không đánh giá", "2"], ctx("c01", rows=(6, 7, 8, 9)))
    assert out.values == [True, False, None, None]
    assert out.not_assessed == frozenset({2})
    assert [i.code for i in out.issues] == ["VALUE_BAD_MARK"]  # "Đạt" is read by its words
    assert (out.issues[0].cell, out.issues[0].value) == ("D10", "2")
