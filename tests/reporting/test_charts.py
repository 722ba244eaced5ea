"""Shared chart helpers: Vietnamese numbers, captions, series breaks, readable glyphs."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from ketnghia_analysis.reporting import charts  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (1234.5, "number", "1.234,5"),
        (1234, "number", "1.234"),
        (0.125, "percent", "12,5%"),
        (-0.024, "diff", "-2,4 điểm %"),
        (-1.6, "points", "-1,6 điểm %"),
        (1.5, "points", "+1,5 điểm %"),
        (1234.5, "money", "1.234,5 tr.đ"),
        (None, "number", "–"),
        (float("nan"), "percent", "–"),
        (pd.NA, "number", "–"),
    ],
)
def test_fmt_value(value, kind, expected):
    assert charts.fmt_value(value, kind) == expected


def test_short_values_for_heatmap_cells():
    assert charts.short_value(0.3941, "percent") == "39,4%"
    assert charts.short_value(-1.63, "points") == "-1,6"
    assert charts.short_value(1234.56, "money") == "1.235"
    assert charts.short_value(None, "percent") == ""


def test_tick_formatters_are_vietnamese():
    assert charts.formatter("percent")(0.25, 0) == "25%"
    assert charts.formatter("number")(12345, 0) == "12.345"
    assert charts.formatter("diff")(-0.025, 0) == "-2,5"


def test_kind_guessed_from_column_name():
    assert charts.kind_of("poverty_rate_end") == "percent"
    assert charts.kind_of("share_met") == "percent"
    assert charts.kind_of("money_mvnd") == "money"
    assert charts.kind_of("rate_change_points") == "points"
    assert charts.kind_of("poor_end") == "number"


def test_caption_says_when_data_are_synthetic():
    assert charts.caption_text(False) == "Nguồn: báo cáo của các huyện."
    text = charts.caption_text(True)
    assert text.startswith("Nguồn: báo cáo của các huyện; DỮ LIỆU TỔNG HỢP (mẫu)")


def test_is_synthetic(tmp_path):
    processed = tmp_path / "processed"
    processed.mkdir()
    assert not charts.is_synthetic(processed)
    (tmp_path / "raw" / "truth").mkdir(parents=True)
    assert charts.is_synthetic(processed)


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


def test_line_chart_marks_the_poverty_standard_break_and_has_vietnamese_labels():
    data = pd.DataFrame(
        {"year": [2019, 2020, 2021, 2022, 2023], "poverty_rate_end": [0.3, 0.28, 0.25, 0.3, 0.27]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph (diacritics) would warn
        ax = charts.line_by_year(data, "poverty_rate_end", title="Tỷ lệ hộ nghèo", synthetic=True)
        ax.figure.canvas.draw()
    dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert [line.get_xdata()[0] for line in dashed] == [2021.5]
    texts = _texts(ax.figure)
    assert "Chuẩn nghèo mới 2022–2025" in texts
    assert ax.get_ylabel() == "Tỷ lệ hộ nghèo cuối năm (%)"
    assert ax.get_xlabel() == "Năm báo cáo"
    assert any("DỮ LIỆU TỔNG HỢP" in t for t in texts)
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert any(t.endswith("%") for t in ticks)


def test_no_break_line_when_the_years_do_not_cross_it():
    data = pd.DataFrame({"year": [2022, 2023, 2024], "criteria_met_mean": [12.0, 13.0, 14.5]})
    ax = charts.line_by_year(data, "criteria_met_mean", breaks="ntm")
    assert not [line for line in ax.lines if line.get_linestyle() == "--"]


def test_heatmap_marks_break_between_2021_and_2022_columns():
    pivot = pd.DataFrame(
        [[0.3, 0.25, 0.31], [0.1, 0.09, 0.12]],
        index=["Huyện Nam Trà My", "Huyện Tây Giang"],
        columns=[2020, 2021, 2022],
    )
    ax = charts.heatmap(pivot, kind="percent", breaks="poverty", title="Tỷ lệ hộ nghèo")
    dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert dashed and dashed[0].get_xdata()[0] == 2.0  # after the 2021 column
    assert "30,0%" in _texts(ax.figure)


def test_event_study_and_estimates_charts():
    event = pd.DataFrame(
        {
            "event_time": [-2, -1, 0, 1],
            "estimate": [0.002, 0.0, -0.03, -0.028],
            "ci_low": [-0.01, -0.01, -0.04, -0.045],
            "ci_high": [0.014, 0.01, -0.02, -0.011],
        }
    )
    ax = charts.event_study(event)
    assert "Bắt đầu kết nghĩa" in _texts(ax.figure)
    rows = pd.DataFrame(
        {
            "outcome": ["poverty_rate_end", "poverty_rate_end"],
            "estimator": ["callaway_santanna", "naive"],
            "comparison": ["similar", "all"],
            "estimate": [-0.025, 0.10],
            "ci_low": [-0.04, 0.05],
            "ci_high": [-0.01, 0.15],
        }
    )
    ax = charts.estimates(rows)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        "DiD so le (ước lượng chính), so với xã tương đương",
        "So sánh thô, so với mọi xã",
    ]
    assert "-2,5 điểm %" in _texts(ax.figure)


def test_headline_text_in_plain_vietnamese():
    row = pd.Series(
        {
            "outcome": "poverty_rate_end",
            "estimator": "callaway_santanna",
            "comparison": "similar",
            "estimate": -0.031,
            "ci_low": -0.045,
            "ci_high": -0.017,
            "n_treated": 60,
            "n_control": 40,
            "pre_trend_p": 0.4,
        }
    )
    text = charts.headline_text(row)
    assert "giảm 3,1 điểm %" in text
    assert "có ý nghĩa thống kê" in text
    assert "60 xã kết nghĩa" in text
    row["ci_high"] = 0.01
    assert "chưa đủ bằng chứng" in charts.headline_text(row)


def test_show_table_formats_numbers_and_renames_headers():
    frame = pd.DataFrame({"year": [2024], "poor_end": [1234], "poverty_rate_end": [0.125]})
    shown = charts.show_table(frame)
    assert list(shown.columns) == [
        "Năm báo cáo",
        "Số hộ nghèo cuối năm (hộ)",
        "Tỷ lệ hộ nghèo cuối năm (%)",
    ]
    assert shown.iloc[0].tolist() == [2024, "1.234", "12,5%"]
    assert shown.index.name == "STT" and shown.index[0] == 1


def test_whole_number_axes_get_whole_number_ticks():
    import matplotlib.pyplot as plt

    from ketnghia_analysis.reporting import charts

    fig, ax = plt.subplots()
    ax.plot([2019, 2024], [7.6, 19.0])
    charts.format_axis(ax, charts.KIND_NUMBER)
    fig.canvas.draw()
    ticks = [t for t in ax.get_yticks() if 7.6 <= t <= 19.0]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    plt.close(fig)


def test_submission_statuses_are_counted_in_vietnamese():
    import pandas as pd

    from ketnghia_analysis.reporting import charts

    subs = pd.DataFrame(
        {"year": [2024, 2024, 2024], "status": ["ingested", "ingested", "rejected"]}
    )
    out = charts.count_by(subs, ["year", "status"]).set_index("status")["count"].to_dict()
    assert out == {"đã nhận": 2, "bị từ chối": 1}
