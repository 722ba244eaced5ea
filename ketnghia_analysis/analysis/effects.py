"""Effects: did twinning work? The evaluation of every outcome with the headline and its foils.

Headline: Callaway & Sant'Anna (2021) group-time ATTs (``did``), unconditional,
not-yet-treated and never-treated communes of the same kind as controls, aggregated to one
average effect on the treated; standard errors clustered by commune. Alongside it, on the
same sample (``regressions``): two-way fixed effects (TWFE, biased under staggered adoption
with effects that change over time) and the naive comparison of twinned with non-twinned
communes (biased: the poorest communes were chosen). This module builds the panels, runs
the estimators and words their rows (effects.csv).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ketnghia_analysis.analysis import indicators
from ketnghia_analysis.analysis.did import callaway_santanna
from ketnghia_analysis.analysis.inference import Z95, cluster_ols
from ketnghia_analysis.analysis.regressions import naive, twfe

EFFECT_COLUMNS = [
    "outcome",
    "estimator",
    "comparison",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "n_treated",
    "n_control",
    "pre_trend_p",
    "note",
]

OUTCOMES = ("poverty_rate_end", "exit_rate", "criteria_met")

COMPARISON_VI = {
    "similar": "xã cùng loại (miền núi hoặc vùng DTTS) chưa hoặc không kết nghĩa",
    "all": "mọi xã chưa hoặc không kết nghĩa trong tỉnh",
}

OUTCOME_NOTES = {
    "poverty_rate_end": (
        "Đơn vị: tỷ lệ (0–1). Chuẩn nghèo đổi năm 2022: giả định cú nhảy như nhau ở mọi xã "
        "(hiệu ứng năm hấp thụ)."
    ),
    "exit_rate": (
        "Đơn vị: tỷ lệ (0–1) hộ thoát nghèo / hộ nghèo đầu năm. Chuẩn nghèo đổi năm 2022."
    ),
    "criteria_met": (
        "Đơn vị: số tiêu chí (0–19). Bộ tiêu chí đổi năm 2022 (tiêu chí 3, 11, 12, 13 đổi nội dung)."
    ),
}

TWFE_NOTE = (
    "Hồi quy hai chiều cố định (xã, năm): có thể lệch khi kết nghĩa bắt đầu so le "
    "và tác động khác nhau theo năm; chỉ để đối chiếu."
)
NAIVE_NOTE = (
    "So sánh thô (xã kết nghĩa trừ xã khác, các năm sau khi bắt đầu kết nghĩa): "
    "bị lệch do chọn xã nghèo hơn để kết nghĩa; không dùng để kết luận."
)
NAIVE_ALL_NOTE = (
    "So sánh thô với mọi xã trong tỉnh: lệch nhiều nhất vì xã kết nghĩa là xã "
    "miền núi, nghèo hơn hẳn."
)
DOSE_NOTE = (
    "Tương quan, không phải quan hệ nhân quả: xã khó khăn hơn thường nhận hỗ trợ "
    "nhiều hơn; thay đổi qua năm 2022 gồm cả thay đổi chuẩn nghèo (giả định chung mọi xã)."
)


def treatment_panel(
    tables: dict[str, pd.DataFrame], outcome: str = "poverty_rate_end", comparison: str = "similar"
) -> pd.DataFrame:
    """Commune-year panel for the estimators: commune_code, year, y, g (first pair year; NaN =
    never twinned in the data), d (twinned in that year: ``g <= year``).

    ``comparison="similar"`` keeps the communes that are mountainous or in an
    ethnic-minority region (khu vực I–III), treated and controls alike; ``"all"`` keeps
    every commune.
    """
    if comparison not in COMPARISON_VI:
        raise ValueError(f"comparison phải là 'similar' hoặc 'all', không phải {comparison!r}")
    frame = indicators.commune_frame(tables)
    panel = indicators.commune_outcome_panel(tables, outcome).dropna(subset=["y"])
    panel = panel.merge(
        frame[["commune_code", "first_pair_year", "similar"]], on="commune_code", how="left"
    )
    if comparison == "similar":
        panel = panel[panel["similar"].fillna(False).astype(bool)]
    panel["g"] = pd.to_numeric(panel["first_pair_year"], errors="coerce").astype(float)
    panel["d"] = (panel["g"] <= panel["year"]).astype(int)
    return panel[["commune_code", "year", "y", "g", "d"]].reset_index(drop=True)


def _row(outcome: str, estimator: str, comparison: str, res: dict, note: str) -> dict:
    """One row of :func:`evaluate` from an estimator's result."""
    est, se = res.get("estimate", np.nan), res.get("std_error", np.nan)
    return {
        "outcome": outcome,
        "estimator": estimator,
        "comparison": comparison,
        "estimate": est,
        "std_error": se,
        "ci_low": est - Z95 * se,
        "ci_high": est + Z95 * se,
        "n_treated": res.get("n_treated", 0),
        "n_control": res.get("n_control", 0),
        "pre_trend_p": res.get("pre_trend_p", np.nan),
        "note": note,
    }


def _excluded_note(tables: dict[str, pd.DataFrame], panel: pd.DataFrame, comparison: str) -> str:
    """Say which twinned communes the headline cannot use, and why."""
    frame = indicators.commune_frame(tables)
    parts = []
    if comparison == "similar":
        outside = int((frame["ever_twinned"] & ~frame["similar"]).sum())
        if outside:
            parts.append(f"{outside} xã kết nghĩa không thuộc miền núi/vùng DTTS không được tính")
    early = panel.loc[panel["g"] <= panel["year"].min(), "commune_code"].nunique()
    if early:
        parts.append(
            f"{early} xã kết nghĩa từ trước năm đầu có số liệu ({int(panel['year'].min())}) "
            "không có năm trước để so sánh, không được tính"
        )
    return (" " + "; ".join(parts) + ".") if parts else ""


def _headline_note(
    tables: dict[str, pd.DataFrame], panel: pd.DataFrame, outcome: str, comparison: str, cs: dict
) -> str:
    """The headline row's note: method, comparison group, exclusions and warnings."""
    who = COMPARISON_VI[comparison] if comparison in COMPARISON_VI else comparison
    tail = OUTCOME_NOTES.get(outcome, "")
    note = (
        "DiD so le Callaway–Sant'Anna (2021), trung bình các ATT(g,t) theo cỡ nhóm; "
        f"nhóm so sánh: {who}; sai số chuẩn cụm theo xã. {tail}"
    )
    note += _excluded_note(tables, panel, comparison)
    if cs["n_treated"] < 5:
        note += " Quá ít xã kết nghĩa để kết luận."
    if pd.notna(cs["pre_trend_p"]) and cs["pre_trend_p"] < 0.05:
        note += " Cảnh báo: xu hướng trước kết nghĩa khác nhau (p < 0,05), ước lượng kém tin cậy."
    return note.strip()


def _outcome_rows(tables: dict[str, pd.DataFrame], outcome: str, comparison: str) -> list[dict]:
    """The rows of one outcome: headline, TWFE, naive (and naive against every commune)."""
    try:
        panel = treatment_panel(tables, outcome, comparison)
    except KeyError as exc:  # the table of this outcome is absent
        missing = f"Thiếu bảng {exc} để ước lượng."
        return [_row(outcome, "callaway_santanna", comparison, {}, missing)]
    cs = callaway_santanna(panel)
    rows = [
        _row(
            outcome,
            "callaway_santanna",
            comparison,
            cs,
            _headline_note(tables, panel, outcome, comparison, cs),
        ),
        _row(outcome, "twfe", comparison, twfe(panel), TWFE_NOTE),
        _row(outcome, "naive", comparison, naive(panel), NAIVE_NOTE),
    ]
    if comparison == "similar" and outcome == "poverty_rate_end":
        crude = naive(treatment_panel(tables, outcome, "all"))
        rows.append(_row(outcome, "naive", "all", crude, NAIVE_ALL_NOTE))
    return rows


def evaluate(
    tables: dict[str, pd.DataFrame],
    outcomes: tuple[str, ...] = OUTCOMES,
    comparison: str = "similar",
) -> pd.DataFrame:
    """Effect of twinning on each outcome: headline staggered DiD, TWFE and naive rows.

    The first row (``poverty_rate_end``, ``callaway_santanna``) is the headline. Estimates
    are in the outcome's own unit (a fraction for rates: −0.03 = 3 percentage points).
    When ``comparison="similar"`` a naive row against every commune of the province is added
    for ``poverty_rate_end``, to show how far the crude comparison drifts.

    Returns
    -------
    DataFrame
        outcome, estimator, comparison, estimate, std_error, ci_low, ci_high, n_treated,
        n_control, pre_trend_p, note.
    """
    rows = [row for outcome in outcomes for row in _outcome_rows(tables, outcome, comparison)]
    out = pd.DataFrame(rows, columns=EFFECT_COLUMNS)
    for column in ("n_treated", "n_control"):
        out[column] = out[column].astype("Int64")
    return out


def event_study(
    tables: dict[str, pd.DataFrame], outcome: str = "poverty_rate_end", comparison: str = "similar"
) -> pd.DataFrame:
    """Effects by years since pairing (event_time 0 = first twinned year; negative = placebo).

    Returns
    -------
    DataFrame
        event_time, estimate, std_error, ci_low, ci_high, n_treated; ``attrs["pre_trend_p"]``
        holds the p-value of the joint test that the placebo estimates are 0.
    """
    cs = callaway_santanna(treatment_panel(tables, outcome, comparison))
    es = cs["event_study"]
    out = es[["event_time", "estimate", "std_error", "ci_low", "ci_high", "n_treated"]].copy()
    out.attrs = {"pre_trend_p": cs["pre_trend_p"]}
    return out


def dose_response(
    tables: dict[str, pd.DataFrame], outcome: str = "poverty_rate_end", comparison: str = "similar"
) -> pd.DataFrame:
    """Support per household against the change in the outcome, twinned commune by commune.

    ``money_per_household_mvnd`` = money received (cash + in kind) from the pairing year to
    the commune's last year, divided by its mean number of households over those years;
    ``excess_change`` = the commune's change since the year before pairing minus that of
    comparable communes (:func:`indicators.commune_excess_change`). ``attrs`` holds the OLS
    slope (change per million VND per household), its robust SE and the caveat.

    Caveat: support is not assigned at random; larger amounts go where needs are greatest,
    so the slope is an association, not a causal dose–response.
    """
    excess = indicators.commune_excess_change(tables, outcome=outcome, comparison=comparison)
    out = _money_received(tables, excess)
    ok = out.dropna(subset=["money_per_household_mvnd", "excess_change"])
    slope = se = np.nan
    if len(ok) >= 3 and ok["money_per_household_mvnd"].nunique() > 1:
        x = np.column_stack([np.ones(len(ok)), ok["money_per_household_mvnd"].to_numpy(float)])
        beta, cov = cluster_ols(
            ok["excess_change"].to_numpy(float), x, ok["commune_code"].to_numpy()
        )
        slope, se = float(beta[1]), float(np.sqrt(cov[1, 1]))
    out.attrs = {"slope": slope, "slope_se": se, "note": DOSE_NOTE}
    return out


def _money_received(tables: dict[str, pd.DataFrame], excess: pd.DataFrame) -> pd.DataFrame:
    """Money each twinned commune received from its pairing year on, per household."""
    sup = tables["support"].copy()
    sup["commune_code"] = sup["commune_code"].astype(str)
    sup["money_mvnd"] = sup[["cash_mvnd", "in_kind_mvnd"]].sum(axis=1, min_count=1)
    pov = indicators.commune_outcome_panel(tables, "poverty_rate_end")
    rows = []
    for rec in excess.itertuples():
        window = (sup["commune_code"] == rec.commune_code) & sup["year"].between(
            rec.first_pair_year, rec.end_year
        )
        money = sup.loc[window, "money_mvnd"].sum()
        hh = pov.loc[
            (pov["commune_code"] == rec.commune_code)
            & pov["year"].between(rec.first_pair_year, rec.end_year),
            "households_total",
        ].mean()
        rows.append(
            {
                "commune_code": rec.commune_code,
                "first_pair_year": rec.first_pair_year,
                "money_mvnd": money,
                "money_per_household_mvnd": money / hh if hh and hh > 0 else np.nan,
                "excess_change": rec.excess_change,
            }
        )
    columns = [
        "commune_code",
        "first_pair_year",
        "money_mvnd",
        "money_per_household_mvnd",
        "excess_change",
    ]
    return pd.DataFrame(rows, columns=columns)


def _points(value: float) -> str:
    """A fraction as signed percentage points with a Vietnamese decimal comma.

    >>> _points(-0.0312)
    '-3,12'
    """
    return f"{100 * value:+.2f}".replace(".", ",")


def evaluate_to_csv(
    processed_dir: str | Path, out_csv: str | Path | None = None, comparison: str = "similar"
) -> int:
    """Run :func:`evaluate` on a processed folder, write effects.csv and effects.xlsx; return
    the exit code.

    ``out_csv`` defaults to ``effects.csv`` in the processed folder (beside the tables it
    comes from, not the current directory); the workbook goes beside it, with Vietnamese
    headers from the glossary. The CSV is UTF-8 with a byte-order mark, so that Excel shows
    its Vietnamese right. 0 on success; 2 with a Vietnamese message when the folder is
    missing or holds no table.
    """
    from ketnghia_analysis.analysis.tables import load

    try:
        tables = load(processed_dir)
    except FileNotFoundError as exc:
        print(f"Lỗi: {exc}")
        return 2
    if "poverty" not in tables or tables["poverty"].empty:
        print(f"Lỗi: thư mục {processed_dir} không có bảng poverty (hộ nghèo) có dữ liệu.")
        return 2
    result = evaluate(tables, comparison=comparison)
    out_csv = Path(processed_dir) / "effects.csv" if out_csv is None else Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    # with a BOM: Excel opens a CSV without one in the ANSI code page and garbles Vietnamese
    result.to_csv(out_csv, index=False, encoding="utf-8-sig")
    out_xlsx = out_csv.with_suffix(".xlsx")
    _write_effects_xlsx(result, out_xlsx)
    print(_headline_sentence(result.iloc[0], comparison))
    print(f"Đã ghi {len(result)} dòng vào {out_csv} và {out_xlsx}")
    return 0


def _write_effects_xlsx(result: pd.DataFrame, path: Path) -> None:
    """effects.xlsx: the rows of effects.csv under the glossary's Vietnamese headers."""
    from ketnghia_analysis.core.xlsx import open_workbook
    from ketnghia_analysis.reference.glossary import label

    book = open_workbook(path)
    sheet = book.add_worksheet("Ước lượng tác động")
    head = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    for col, name in enumerate(result.columns):
        sheet.write(0, col, label(str(name)), head)
        sheet.set_column(col, col, 16 if name != "note" else 60)
        for row, value in enumerate(result[name].tolist(), start=1):
            if not pd.isna(value):
                sheet.write(row, col, value.item() if hasattr(value, "item") else value)
    sheet.freeze_panes(1, 0)
    book.close()


def _headline_sentence(head: pd.Series, comparison: str) -> str:
    """What ``ketnghia evaluate`` says of the headline row."""
    if pd.isna(head["estimate"]):
        return "Không ước lượng được tác động: không có xã kết nghĩa nào có năm trước kết nghĩa."
    return (
        "Tác động của kết nghĩa lên tỷ lệ hộ nghèo cuối năm (DiD so le, "
        f"{COMPARISON_VI.get(comparison, comparison)}): {_points(head['estimate'])} điểm % "
        f"(KTC 95%: {_points(head['ci_low'])} đến {_points(head['ci_high'])}); "
        f"{head['n_treated']} xã kết nghĩa, {head['n_control']} xã so sánh."
    )
