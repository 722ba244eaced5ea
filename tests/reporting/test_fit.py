"""Report tables fit a 1280-px screen: constants said once, units in headers, long rows split."""

from __future__ import annotations

import pandas as pd

from ketnghia_analysis.reporting import fit, pages


def _district_poverty() -> pd.DataFrame:
    rows = 3
    frame = pd.DataFrame(
        {
            "year": [2024] * rows,
            "level": ["commune"] * rows,
            "district_code": ["516"] * rows,
            "district_name": ["Huyện Nam Trà My"] * rows,
            "commune_code": ["20935", "20938", "20941"],
            "commune_name": ["Xã Trà Leng", "Xã Trà Dơn", "Xã Trà Tập"],
            "new_standard_first_year": [False] * rows,
            "poor_end": [262, 174, 326],
            "poverty_rate_end": [0.386, 0.304, 0.384],
            "rate_change_points": [-2.4, -1.9, -2.1],
            "money_mvnd": [1326.5, 34.1, 0.5],
        }
    )
    for i in range(12):  # a wide table, as the district poverty table is (24 columns)
        frame[f"poor_start_{i}"] = [1, 2, 3]
    return frame


def test_constant_columns_are_said_once_and_codes_and_levels_go():
    table = fit.fit_table(_district_poverty())
    assert "Năm báo cáo: 2024" in table.facts and "Tên huyện: Huyện Nam Trà My" in table.facts
    assert not any("False" in fact or "True" in fact for fact in table.facts)
    headers = [h for part in table.parts for h in part.columns]
    assert not {"Năm báo cáo", "Mã huyện", "Mã xã", "Tên huyện"} & set(headers)
    assert not [h for h in headers if h in ("level", "commune")]


def test_units_are_in_the_header_only():
    table = fit.fit_table(_district_poverty().iloc[:, :11])
    part = table.parts[0]
    cells = " ".join(part.astype(str).to_numpy().ravel())
    assert "tr.đ" not in cells and "điểm" not in cells
    assert part.loc[1, "Tỷ lệ hộ nghèo cuối năm (%)"] == "38,6%"
    assert part.loc[1, "Thay đổi tỷ lệ hộ nghèo trong năm (điểm %)"] == "-2,4"
    assert "Tổng kinh phí hỗ trợ (triệu đồng)" in part.columns


def test_a_wide_table_is_split_in_two_each_keeping_the_name_column():
    table = fit.fit_table(_district_poverty())
    assert len(table.parts) == 2
    assert all(part.columns[0] == "Tên xã" for part in table.parts)
    assert all(part.shape[1] <= fit.MAX_COLUMNS for part in table.parts)
    page = table._repr_html_()
    assert page.count('<div class="kn-table">') == 2 and "kn-facts" in page


def test_the_page_style_lets_wide_tables_scroll_inside_their_box():
    assert "overflow-x:auto" in pages._toc('<body><h1 id="a">A</h1></body>')
