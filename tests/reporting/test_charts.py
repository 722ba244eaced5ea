"""Shared chart helpers: Vietnamese axes, captions, series breaks, readable glyphs."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from ketnghia_analysis.reporting import charts, kinds  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


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


def test_whole_number_axes_get_whole_number_ticks():
    fig, ax = plt.subplots()
    ax.plot([2019, 2024], [7.6, 19.0])
    charts.format_axis(ax, kinds.KIND_NUMBER)
    fig.canvas.draw()
    ticks = [t for t in ax.get_yticks() if 7.6 <= t <= 19.0]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    plt.close(fig)


def test_labels_from_the_returns_lose_their_control_characters():
    frame = pd.DataFrame(
        {"partner_name": ["Sở\x1b[31m Tài chính\x00", "Sở Y tế"], "money_mvnd": [1.5, 2.0]}
    )
    heat = pd.DataFrame({2023: [0.1, 0.2], 2024: [0.1, 0.3]}, index=["Xã\x00 A", "Xã B"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph matplotlib lacks is a UserWarning
        ax = charts.bars(frame, "partner_name", "money_mvnd", horizontal=True, kind="money")
        ax.figure.canvas.draw()
        shown = [t.get_text() for t in ax.get_yticklabels()]
        heat_ax = charts.heatmap(heat, kind="percent", title="Tiêu đề\x1b")
        heat_ax.figure.canvas.draw()
    assert shown == ["Sở[31m Tài chính", "Sở Y tế"]
    assert [t.get_text() for t in heat_ax.get_yticklabels()] == ["Xã A", "Xã B"]
    assert heat_ax.get_title(loc="left") == "Tiêu đề"


def _effect_rows() -> pd.DataFrame:
    """The foils first, as a caller might pass them: the chart still puts the headline on top."""
    return pd.DataFrame(
        {
            "outcome": ["poverty_rate_end"] * 4,
            "estimator": ["naive", "twfe", "callaway_santanna", "naive"],
            "comparison": ["similar", "similar", "similar", "all"],
            "estimate": [0.08, -0.01, -0.025, 0.10],
            "ci_low": [0.05, -0.03, -0.04, 0.05],
            "ci_high": [0.11, 0.01, -0.01, 0.15],
        }
    )


def test_the_effect_chart_puts_the_headline_first_and_the_foils_in_grey():
    ax = charts.estimates(_effect_rows(), title="Tác động lên tỷ lệ hộ nghèo")
    ticks = ax.get_yticklabels()
    assert ticks[0].get_text().startswith("DiD so le (ước lượng chính)")
    assert ticks[0].get_fontweight() == "bold"
    assert all(t.get_color() == charts.SECONDARY_COLOUR for t in ticks[1:])
    head, *foils = [line for line in ax.lines if line.get_marker() == "o"]
    assert head.get_markersize() > max(f.get_markersize() for f in foils)
    assert all(f.get_color() == charts.SECONDARY_COLOUR for f in foils)
    reason = "bị lệch vì xã được chọn kết nghĩa là xã nghèo hơn"
    assert any(reason in text for text in _texts(ax.figure))


def test_the_effect_chart_values_do_not_touch_the_title():
    ax = charts.estimates(_effect_rows(), title="Tác động lên tỷ lệ hộ nghèo")
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    title = ax.title.get_window_extent(renderer)
    values = [t for t in ax.texts if "điểm %" in t.get_text()]
    assert len(values) == 4
    for text in values:
        assert not text.get_window_extent(renderer).overlaps(title), text.get_text()
        assert text.get_window_extent(renderer).y1 < title.y0
