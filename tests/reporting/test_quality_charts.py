"""Categorical data in categorical colours: files by district and status with their error
counts, and the NTM criteria grid (đạt / chưa đạt / không đánh giá) (issue 17)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from ketnghia_analysis.reporting import quality_charts  # noqa: E402

# Okabe–Ito, written out by hand: the chart must use exactly these, one per category.
FILE_COLOURS = {
    "đã nhận": "#0072b2",
    "bị thay thế": "#56b4e9",
    "bị từ chối": "#d55e00",
    "chưa gửi": "#bbbbbb",
}
NTM_COLOURS = {"đạt": "#0072b2", "chưa đạt": "#e69f00", "không đánh giá": "#dddddd"}
NA = pd.NA


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _tables() -> dict[str, pd.DataFrame]:
    """Tam Kỳ (502) sent one file, Tây Giang (504) two (the first superseded), Nam Trà My
    (516) one that was rejected; one rejected file names neither district nor year."""
    submissions = pd.DataFrame(
        {
            "district_code": ["502", "504", "504", "516", None, "502"],
            "year": pd.array([2024, 2024, 2024, 2024, NA, 2023], dtype="Int64"),
            "status": ["ingested", "superseded", "ingested", "rejected", "rejected", "ingested"],
        }
    )
    issues = pd.DataFrame(
        {
            "district_code": ["516", "516", "516", None, "502"],
            "year": pd.array([2024, 2024, 2024, NA, 2023], dtype="Int64"),
            "severity": ["error", "error", "warning", "error", "error"],
        }
    )
    return {"submissions": submissions, "issues": issues}


def test_files_by_district_counts_statuses_missing_districts_and_errors():
    files = quality_charts.files_by_district(_tables(), 2024)
    assert list(files.columns) == [*FILE_COLOURS, "errors"]
    assert files.loc["Thành phố Tam Kỳ"].tolist() == [1, 0, 0, 0, 0]  # 2023's error not counted
    assert files.loc["Huyện Tây Giang"].tolist() == [1, 1, 0, 0, 0]
    assert files.loc["Huyện Nam Trà My"].tolist() == [0, 0, 1, 1, 2]  # the warning not counted
    assert files.loc["Thị xã Điện Bàn"].tolist() == [0, 0, 0, 1, 0]  # sent nothing
    assert files.index[-1] == "Không rõ huyện, năm"
    assert files.loc["Không rõ huyện, năm"].tolist() == [0, 0, 1, 0, 1]
    assert len(files) == 18 + 1  # the 18 districts of 2024 and the unplaced file


def test_files_by_district_of_one_district():
    files = quality_charts.files_by_district(_tables(), 2024, "516")
    assert files.index.tolist() == ["Huyện Nam Trà My"]
    assert files.loc["Huyện Nam Trà My"].tolist() == [0, 0, 1, 1, 2]


def test_files_chart_uses_exactly_the_categorical_palette_and_shows_errors():
    files = quality_charts.files_by_district(_tables(), 2024)
    fig = quality_charts.files_chart(files, title="Tệp báo cáo năm 2024", synthetic=True)
    ax, ax_err = fig.axes
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "Trạng thái tệp"
    shown = {
        t.get_text(): to_hex(h.get_facecolor())
        for t, h in zip(legend.get_texts(), legend.legend_handles, strict=True)
    }
    assert shown == FILE_COLOURS
    bar_colours = {to_hex(p.get_facecolor()) for p in ax.patches}
    assert bar_colours == set(FILE_COLOURS.values())
    assert len(fig.axes) == 2  # no colour bar: categories, not a scale
    names = [t.get_text() for t in ax.get_yticklabels()]
    errors = dict(zip(names, (int(p.get_width()) for p in ax_err.patches), strict=True))
    assert errors["Huyện Nam Trà My"] == 2
    assert errors["Không rõ huyện, năm"] == 1
    assert names[-1] == "Huyện Bắc Trà My"  # the first district at the top
    assert ax_err.get_xlabel() == "Số lỗi (mức lỗi)"
    assert ax.get_xlabel().startswith("Số tệp")
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert any("DỮ LIỆU TỔNG HỢP" in t for t in texts)


def test_criteria_grid_colours_each_cell_by_its_category():
    shares = pd.DataFrame(
        {1: [1.0, 0.0], 2: [1.0, float("nan")], 3: [0.0, 1.0]},
        index=pd.Index(["Xã Trà Leng", "Xã Trà Dơn"], name="commune_name"),
    )
    ax = quality_charts.criteria_grid(shares, title="Xã đạt từng tiêu chí", xlabel="Tiêu chí")
    ax.figure.canvas.draw()
    mesh = ax.collections[0]
    cells = [to_hex(c) for c in mesh.get_facecolors()]
    # row by row: Trà Leng đạt, đạt, chưa đạt; Trà Dơn chưa đạt, không đánh giá, đạt
    expected = ["đạt", "đạt", "chưa đạt", "chưa đạt", "không đánh giá", "đạt"]
    assert cells == [NTM_COLOURS[s] for s in expected]
    assert mesh.colorbar is None
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == list(NTM_COLOURS)
    assert [to_hex(h.get_facecolor()) for h in legend.legend_handles] == list(NTM_COLOURS.values())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Xã Trà Leng", "Xã Trà Dơn"]


def test_criteria_grid_refuses_rates():
    shares = pd.DataFrame({1: [0.5]}, index=["Huyện Nam Trà My"])
    with pytest.raises(ValueError, match="charts.heatmap"):
        quality_charts.criteria_grid(shares)
