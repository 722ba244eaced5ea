"""The reports' "Thoát nghèo bền vững" section: sentences in Vietnamese number format, the
chart with both parts and the shares, and a plain statement when no official form arrived."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from ketnghia_analysis.reporting import charts, sustainable_exit

YEAR = 2024


def _exits(**extra) -> pd.DataFrame:
    """Rows of ``indicators.exits`` by district, one year: two districts split, one not."""
    frame = pd.DataFrame(
        {
            "year": [YEAR] * 3,
            "district_name": ["Huyện Núi", "Huyện Đồng", "Huyện Biển"],
            "communes_exit_split": [2, 1, 0],
            "exits_above_near_poor": pd.array([1210, 2, None], dtype="Int64"),
            "exits_to_near_poor": pd.array([790, 4, None], dtype="Int64"),
            "poverty_from_near_poor": pd.array([60, 3, None], dtype="Int64"),
            "poor_people_end": pd.array([12345, 50, None], dtype="Int64"),
            "sustainable_exit_share": [0.605, 2 / 6, None],
            "from_near_poor_share": [0.25, 0.5, None],
            "relapse_rate": [0.0123, 0.001, 0.0],
            "new_poor_rate": [0.0045, 0.002, 0.0],
            "people_poverty_rate": [0.0512, 0.04, None],
        }
    )
    return frame.assign(**extra)


def _groups() -> pd.DataFrame:
    frame = _exits().iloc[:2].drop(columns="district_name")
    return frame.assign(twinned=[True, False])


def test_summary_in_vietnamese_numbers():
    text = sustainable_exit.summary_text(_exits().iloc[:1], YEAR)
    assert "**Toàn tỉnh, năm 2024**: trong 2.000 hộ thoát nghèo" in text
    assert "**1.210 hộ (60,5%) vượt chuẩn cận nghèo**" in text
    assert "790 hộ (39,5%) chỉ trở thành hộ cận nghèo" in text
    assert "60 hộ cận nghèo rơi vào nghèo (25,0% số hộ trở thành hộ nghèo" in text
    assert "tỷ lệ tái nghèo 1,23%" in text
    assert "12.345 người sống trong hộ nghèo (5,1% số nhân khẩu)" in text


def test_no_official_form_is_said_plainly():
    text = sustainable_exit.summary_text(_exits().iloc[2:], YEAR)
    assert text.startswith("Chưa có số liệu từ biểu rà soát chính thức")
    assert "năm 2024" in text and "ketnghia build" in text
    empty = pd.DataFrame(columns=_exits().columns)
    assert sustainable_exit.summary_text(empty, YEAR).startswith("Chưa có số liệu")


def test_coverage_sentence_warns_below_full():
    coverage = pd.DataFrame(
        {"year": [YEAR, YEAR], "communes_expected": [10, 8], "communes_with_data": [3, 0]}
    )
    text = sustainable_exit.coverage_text(coverage, YEAR)
    assert text.startswith("⚠") and "3/18 xã có số liệu năm 2024" in text
    full = coverage.assign(communes_with_data=[10, 8])
    assert "18/18 xã có số liệu năm 2024" in sustainable_exit.coverage_text(full, YEAR)
    assert "(đủ)" in sustainable_exit.coverage_text(full, YEAR)


def test_twinned_and_others_compared_as_crude_shares():
    text = sustainable_exit.groups_text(_groups(), YEAR)
    assert "Xã đang kết nghĩa: **60,5%**" in text and "Xã khác: **33,3%**" in text
    assert "so sánh thô" in text
    assert sustainable_exit.groups_text(_groups().iloc[:1], YEAR) == ""


def test_effect_sentence_only_when_estimated():
    estimates = pd.DataFrame(
        {
            "outcome": ["sustainable_exit_share"],
            "role": ["headline"],
            "estimator": ["callaway_santanna"],
            "comparison": ["similar"],
            "estimate": [0.05],
            "ci_low": [0.01],
            "ci_high": [0.09],
            "n_treated": [12],
            "n_control": [30],
            "pre_trend_p": [0.4],
        }
    )
    text = sustainable_exit.effect_text(estimates)
    assert "tỷ lệ thoát nghèo bền vững" in text and "tăng 5,0 điểm %" in text
    assert sustainable_exit.effect_text(estimates.assign(outcome="poverty_rate_end")) == ""


def test_chart_stacks_both_parts_with_the_share_and_the_groups():
    fig = sustainable_exit.chart(_exits(), _groups(), YEAR, synthetic=True, note="Độ phủ: đủ.")
    assert fig is not None
    left, right = fig.axes
    widths = sorted(round(p.get_width()) for p in left.patches)
    assert widths == [2, 4, 790, 1210]  # Huyện Biển (no split) is not drawn
    labels = [t.get_text() for t in left.texts]
    assert "60,5%" in labels and "33,3%" in labels
    assert [t.get_text() for t in left.get_yticklabels()] == ["Huyện Đồng", "Huyện Núi"]
    assert [t.get_text() for t in right.get_xticklabels()] == ["Xã đang kết nghĩa", "Xã khác"]
    words = " ".join(t.get_text() for t in fig.texts)
    assert charts.SYNTHETIC_NOTE in words and "biểu rà soát chính thức" in words
    legend = [t.get_text() for t in left.get_legend().get_texts()]
    assert legend == [sustainable_exit.ABOVE_VI, sustainable_exit.TO_NEAR_VI]
    plt.close(fig)


@pytest.mark.parametrize("rows", [slice(2, 3), slice(0, 0)])
def test_chart_draws_nothing_without_split_exits(rows):
    assert sustainable_exit.chart(_exits().iloc[rows], _groups(), YEAR) is None


def _tables(official: bool) -> dict[str, pd.DataFrame]:
    """Two communes of two districts in 2024; the first twinned since 2022."""
    communes = pd.DataFrame(
        {
            "commune_code": ["10001", "10003"],
            "commune_name": ["Xã A Một", "Xã B Một"],
            "district_code": ["901", "902"],
            "district_name": ["Huyện Núi", "Huyện Đồng"],
        }
    )
    poverty = pd.DataFrame(
        {
            "year": [YEAR, YEAR],
            "district_code": ["901", "902"],
            "commune_code": ["10001", "10003"],
            "households_total": [100, 300],
            "poor_start": [40, 15],
            "poverty_exits": [10, 6],
            "poverty_relapses": [2, 1],
            "poverty_new": [3, 2],
            "poor_end": [40, 15],
        }
    )
    if official:
        poverty = poverty.assign(
            exits_above_near_poor=[6, 2],
            exits_to_near_poor=[4, 4],
            poverty_from_near_poor=[5, 3],
            people_total=[400, 1200],
            poor_people_end=[150, 50],
        )
    support = pd.DataFrame(
        {"year": [2022], "commune_code": ["10001"], "partner_id": ["P1"], "pair_start_year": [2022]}
    )
    return {"communes": communes, "poverty": poverty, "support": support}


def test_section_of_the_province_and_of_one_district():
    found = sustainable_exit.figures(_tables(official=True), YEAR)
    assert found.unit == "district_name" and len(found.by_unit) == 2
    text = sustainable_exit.section_text(found, YEAR)
    assert "trong 16 hộ thoát nghèo, **8 hộ (50,0%) vượt chuẩn cận nghèo**" in text
    assert "Xã đang kết nghĩa: **60,0%**" in text and "Xã khác: **33,3%**" in text
    assert "xã có số liệu năm 2024" in text
    one = sustainable_exit.figures(_tables(official=True), YEAR, "902")
    assert one.unit == "commune_name" and one.by_unit["commune_code"].tolist() == ["10003"]
    assert "**Huyện Đồng, năm 2024**: trong 6 hộ" in sustainable_exit.section_text(
        one, YEAR, "Huyện Đồng"
    )


def test_section_without_official_forms_says_so_and_draws_nothing():
    found = sustainable_exit.figures(_tables(official=False), YEAR)
    assert sustainable_exit.section_text(found, YEAR) == sustainable_exit.no_data_text(YEAR)
    assert sustainable_exit.chart(found.by_unit, found.groups, YEAR) is None


@pytest.mark.parametrize("stem", ["20_province_report", "10_district_report", "02_poverty"])
def test_reports_carry_the_section_and_say_when_no_official_form_exists(stem, executed_notebooks):
    """The default sample has no official form: the section says so instead of failing."""
    page = executed_notebooks[stem].html.read_text(encoding="utf-8")
    assert "Thoát nghèo bền vững" in page
    assert "Chưa có số liệu từ biểu rà soát chính thức" in page
