"""Effects: did twinning work? The evaluation of every outcome with the headline, its
robustness rows and its foils (effects.csv).

Headline: Callaway & Sant'Anna (2021) group-time ATTs (``did``), unconditional,
not-yet-treated and never-treated communes of the same kind as controls, the group
aggregation (each cohort's average effect, weighted by cohort size), standard errors
clustered by district with a small-sample critical value, and for the poverty rate the
shift-chained outcome across the 2022 standard: each commune's own measured jump subtracted
from its rates from 2022 on (``indicators.jump``: exact under an added jump, parallel under
a common proportional one; the fit of the jumps goes into the note). Who is
twinned comes from the pairing register (``register``): a commune whose status is unknown
(blank start year, quarantined support rows) is left out of both groups and counted
(``n_unknown``), never taken for a control.

Robustness rows (same outcome): commune clusters, the simple and event-time aggregations,
the ratio-chained and unchained series, the within-standard estimates (2019–2021 cells only; 2022–2024 cells only), covariates,
harmonised units (merged communes summed into their successor) and the 2025 Đà Nẵng units.
Foils, never the headline (``regressions``): two-way fixed effects (biased under staggered
adoption with effects that change over time) and the naive comparison (biased: the
poorest communes were chosen).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ketnghia_analysis.analysis import indicators
from ketnghia_analysis.analysis.did import callaway_santanna
from ketnghia_analysis.analysis.effect_notes import (
    COMPARISON_VI,
    DOSE_NOTE,
    NAIVE_ALL_NOTE,
    NAIVE_NOTE,
    TWFE_NOTE,
    headline_note,
    robustness_note,
)
from ketnghia_analysis.analysis.indicators.jump import jump_model
from ketnghia_analysis.analysis.indicators.panels import unit_jumps
from ketnghia_analysis.analysis.inference import Z95, cluster_ols
from ketnghia_analysis.analysis.pretrends import flag_p
from ketnghia_analysis.analysis.regressions import naive, twfe
from ketnghia_analysis.analysis.treatment_panel import (
    default_standard,
    treatment_panel,
    usable_covariates,
)
from ketnghia_analysis.reference.standards import poverty_standards

EFFECT_COLUMNS = [
    "outcome",
    "estimator",
    "comparison",
    "role",
    "aggregation",
    "cluster",
    "standard",
    "units",
    "covariates",
    "estimate",
    "std_error",
    "se_method",
    "ci_low",
    "ci_high",
    "crit",
    "df",
    "n_treated",
    "n_control",
    "n_unknown",
    "n_clusters",
    "pre_trend_p",
    "pre_trend_p_event",
    "pre_trend_p_mean",
    "pre_trend_p_cohort",
    "pre_trend_flag_p",
    "breakdown",
    "note",
]
#: What :func:`evaluate` returns: every row, the estimates without the foils, or only the
#: headline of each outcome (the Monte-Carlo benchmark).
ROWS = ("all", "estimates", "headline")

OUTCOMES = ("poverty_rate_end", "exit_rate", "sustainable_exit_share", "criteria_met")


@dataclass(frozen=True)
class Spec:
    """One row of :func:`evaluate`: how its panel is made and how it is estimated."""

    estimator: str = "callaway_santanna"
    role: str = "robustness"
    aggregation: str = "group"
    cluster: str = "district"
    standard: str = "chained"  # chained, unchained, or one standard's name (its years only)
    units: str = "commune"
    covariates: bool = False
    comparison: str = "similar"


def _estimate(panel: pd.DataFrame, spec: Spec, bands: bool = False) -> dict:
    """``did.callaway_santanna`` with the spec's options; the result says which were used."""
    options: dict = {"aggregation": spec.aggregation, "cluster": spec.cluster, "bands": bands}
    if spec.covariates:
        options["covariates"] = usable_covariates(panel)
    elif spec.cluster == "district":  # the few-cluster standard error (did.jackknife_se)
        options["se"] = "jackknife"
    res = dict(callaway_santanna(panel, **options))
    res.setdefault("aggregation", spec.aggregation)
    res.setdefault("cluster", spec.cluster)
    res["covariates_used"] = options.get("covariates")
    return res


def _row(outcome: str, spec: Spec, res: dict, note: str, n_unknown: int | None = None) -> dict:
    """One row of :func:`evaluate` from an estimator's result."""
    est, se = res.get("estimate", np.nan), res.get("std_error", np.nan)
    crit = res.get("crit", Z95)
    sensitivity = res.get("sensitivity") or {}
    return {
        "outcome": outcome,
        "estimator": spec.estimator,
        "comparison": spec.comparison,
        "role": spec.role,
        "aggregation": res.get("aggregation", spec.aggregation)
        if spec.estimator == "callaway_santanna"
        else None,
        "cluster": res.get("cluster", "commune"),
        "standard": spec.standard,
        "units": spec.units,
        "covariates": ",".join(res.get("covariates_used") or []),
        "estimate": est,
        "std_error": se,
        "se_method": res.get("se_method", "ols" if spec.estimator != "callaway_santanna" else None),
        "ci_low": res.get("ci_low", est - crit * se),
        "ci_high": res.get("ci_high", est + crit * se),
        "crit": crit,
        "df": res.get("df", np.nan),
        "n_treated": res.get("n_treated", 0),
        "n_control": res.get("n_control", 0),
        "n_unknown": n_unknown,
        "n_clusters": res.get("n_clusters", np.nan),
        "pre_trend_p": res.get("pre_trend_p", np.nan),
        "pre_trend_p_event": res.get("pre_trend_p_event", np.nan),
        "pre_trend_p_mean": res.get("pre_trend_p_mean", np.nan),
        "pre_trend_p_cohort": res.get("pre_trend_p_cohort", np.nan),
        "pre_trend_flag_p": flag_p(res),
        "breakdown": sensitivity.get("breakdown", np.nan),
        "note": note,
    }


def _specs(outcome: str, comparison: str) -> list[Spec]:
    """The rows of one outcome: the headline, then its robustness rows."""
    standard = default_standard(outcome)
    head = Spec(role="headline", standard=standard, comparison=comparison)
    specs = [
        head,
        Spec(cluster="commune", standard=standard, comparison=comparison),
        Spec(aggregation="simple", standard=standard, comparison=comparison),
        Spec(aggregation="event", standard=standard, comparison=comparison),
        Spec(covariates=True, standard=standard, comparison=comparison),
    ]
    if standard == "chained":  # the other chain, and the common-jump assumption they replace
        specs += [Spec(standard=s, comparison=comparison) for s in ("chained_ratio", "unchained")]
    if outcome != "criteria_met":
        specs += [Spec(standard=s, comparison=comparison) for s in poverty_standards()]
    if outcome in indicators.POVERTY_RATES:
        specs += [
            Spec(units=u, standard=standard, comparison=comparison)
            for u in ("harmonised", "unit_2025")
        ]
    return specs


def _panel_for(
    tables: dict[str, pd.DataFrame],
    outcome: str,
    spec: Spec,
    pairings: pd.DataFrame | None,
    cache: dict,
) -> pd.DataFrame:
    """The panel of a spec (one per series, units and comparison: the specs that only
    estimate differently share it)."""
    key = ("panel", outcome, spec.standard, spec.units, spec.comparison)
    if key not in cache:
        cache[key] = treatment_panel(
            tables,
            outcome,
            spec.comparison,
            standard=spec.standard,
            units=spec.units,
            pairings=pairings,
            cache=cache,
        )
    return cache[key]


def _outcome_rows(
    tables: dict[str, pd.DataFrame],
    outcome: str,
    comparison: str,
    pairings: pd.DataFrame | None = None,
    rows: str = "all",
    cache: dict | None = None,
) -> list[dict]:
    """The rows of one outcome: headline, robustness rows, then TWFE and naive foils.
    ``cache``: shared by the outcomes of one call of :func:`evaluate` (same tables)."""
    specs = _specs(outcome, comparison)
    head = specs[0]
    needed = "ntm_status" if outcome == "criteria_met" else "poverty"
    if needed not in tables or "poverty" not in tables:
        absent = needed if needed not in tables else "poverty"
        return [_row(outcome, head, {}, f"Thiếu bảng {absent} để ước lượng.")]
    cache = {} if cache is None else cache
    panel = _panel_for(tables, outcome, head, pairings, cache)
    if panel.empty:  # e.g. the sustainable exit share without any official form
        return [_row(outcome, head, {}, "Chưa có số liệu của chỉ tiêu này để ước lượng.")]
    out = []
    for spec in specs if rows != "headline" else specs[:1]:
        data = _panel_for(tables, outcome, spec, pairings, cache)
        if data.empty:  # e.g. the years of one poverty standard when the data have none
            out.append(_row(outcome, spec, {}, "Không có số liệu cho cách ước lượng này."))
            continue
        res = _estimate(data, spec, bands=spec == head)
        unknown = data.attrs.get("n_unknown", 0)
        if spec == head:
            jumps = unit_jumps(tables).set_index("commune_code")
            fit = jump_model(jumps.reindex(data["commune_code"].unique()))
            note = headline_note(tables, data, outcome, spec, res, fit)
        else:
            note = robustness_note(spec, head, res, outcome)
        out.append(_row(outcome, spec, res, note, unknown))
    if rows == "all":
        everyone = None
        if comparison == "similar" and outcome == "poverty_rate_end":
            spec = Spec(standard=head.standard, comparison="all")
            everyone = _panel_for(tables, outcome, spec, pairings, cache)
        out += _foils(outcome, comparison, head, panel, everyone)
    return out


def _foils(
    outcome: str,
    comparison: str,
    head: Spec,
    panel: pd.DataFrame,
    everyone: pd.DataFrame | None,
) -> list[dict]:
    """The TWFE and naive foils of an outcome (never the headline); ``everyone``: the panel
    of every commune, for the naive comparison with the whole province (None: not made)."""
    unknown = panel.attrs.get("n_unknown")
    foil = Spec(estimator="twfe", role="foil", standard=head.standard, comparison=comparison)
    rows = [_row(outcome, foil, twfe(panel), TWFE_NOTE, unknown)]
    crude = Spec(estimator="naive", role="foil", standard=head.standard, comparison=comparison)
    rows.append(_row(outcome, crude, naive(panel), NAIVE_NOTE, unknown))
    if everyone is not None:
        spec = Spec(estimator="naive", role="foil", standard=head.standard, comparison="all")
        rows.append(
            _row(outcome, spec, naive(everyone), NAIVE_ALL_NOTE, everyone.attrs.get("n_unknown"))
        )
    return rows


def evaluate(
    tables: dict[str, pd.DataFrame],
    outcomes: tuple[str, ...] = OUTCOMES,
    comparison: str = "similar",
    pairings: pd.DataFrame | None = None,
    rows: str = "all",
) -> pd.DataFrame:
    """Effect of twinning on each outcome: the headline, its robustness rows and the foils.

    The first row (``poverty_rate_end``, ``role == "headline"``) is the headline: staggered
    DiD, group aggregation, district clusters, shift-chained across the 2022 standard. Each
    outcome's rows come headline first, then robustness rows (commune clusters, simple and
    event-time aggregations, covariates, ratio-chained and unchained series,
    within-standard estimates, harmonised and 2025 units), then TWFE and naive foils (never
    the headline). Estimates are in the outcome's own unit (a fraction for rates: −0.03 = 3
    percentage points). ``pairings``: the editable register of
    :func:`register.load_pairings`. ``rows``: "all"; "estimates" (no foils); "headline"
    (each outcome's headline only: the Monte-Carlo benchmark).

    Returns
    -------
    DataFrame
        The columns of :data:`EFFECT_COLUMNS`: outcome, estimator, comparison, role
        (headline / robustness / foil), aggregation, cluster, standard (chained /
        chained_ratio / unchained / 2016-2020 / 2022-2025), units, covariates (adjusted
        for; "" none), estimate, std_error, se_method (jackknife: ``did.jackknife_se``, the
        district-clustered rows; influence: R's; ols: the foils), ci_low, ci_high, crit, df,
        n_treated, n_control, n_unknown, n_clusters, pre_trend_p (cell-level Wald, as R's did),
        pre_trend_p_event, pre_trend_p_mean, pre_trend_p_cohort, pre_trend_flag_p (the
        flag of ``pretrends.flagged``: < 0.05 warns in the note), breakdown, note.
    """
    if rows not in ROWS:
        raise ValueError(f"rows phải là một trong {ROWS}, không phải {rows!r}")
    cache: dict = {}  # panels, register and covariates shared by the outcomes
    found = [
        row
        for outcome in outcomes
        for row in _outcome_rows(tables, outcome, comparison, pairings, rows, cache)
    ]
    out = pd.DataFrame(found, columns=EFFECT_COLUMNS)
    for column in ("n_treated", "n_control", "n_unknown", "n_clusters"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("Int64")
    return out


def event_study(
    tables: dict[str, pd.DataFrame],
    outcome: str = "poverty_rate_end",
    comparison: str = "similar",
    standard: str | None = None,
) -> pd.DataFrame:
    """Effects by years since pairing (event_time 0 = first twinned year; negative = placebo),
    on the headline's series (``standard`` None: chain-linked for the stock rates).

    Returns
    -------
    DataFrame
        event_time, estimate, std_error, ci_low, ci_high, n_treated; ``attrs["pre_trend_p"]``
        holds the p-value of the joint test that the placebo estimates are 0.
    """
    cs = callaway_santanna(treatment_panel(tables, outcome, comparison, standard=standard))
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


def default_pairings(processed_dir: str | Path) -> Path:
    """Where ``ketnghia evaluate`` looks for the editable pairings.csv: beside the processed
    folder (``data/pairings.csv`` for ``data/processed``), which the build rewrites.

    >>> default_pairings("data/processed").as_posix()
    'data/pairings.csv'
    """
    return Path(processed_dir).parent / "pairings.csv"


def evaluate_to_csv(
    processed_dir: str | Path,
    out_csv: str | Path | None = None,
    comparison: str = "similar",
    pairings: str | Path | None = None,
) -> int:
    """Run :func:`evaluate` on a processed folder, write effects.csv and effects.xlsx; return
    the exit code.

    ``out_csv`` defaults to ``effects.csv`` in the processed folder (beside the tables it
    comes from, not the current directory); the workbook goes beside it, with Vietnamese
    headers from the glossary. The CSV is UTF-8 with a byte-order mark, so that Excel shows
    its Vietnamese right. ``pairings`` is the editable register of pairings
    (:func:`register.load_pairings`; default :func:`default_pairings`, used when present).
    0 on success; 2 with a Vietnamese message when the folder is missing or holds no table.
    """
    from ketnghia_analysis.analysis.register import load_pairings
    from ketnghia_analysis.analysis.tables import load

    try:
        tables = load(processed_dir)
    except FileNotFoundError as exc:
        print(f"Lỗi: {exc}")
        return 2
    if "poverty" not in tables or tables["poverty"].empty:
        print(f"Lỗi: thư mục {processed_dir} không có bảng poverty (hộ nghèo) có dữ liệu.")
        return 2
    path = default_pairings(processed_dir) if pairings is None else Path(pairings)
    try:
        edits = load_pairings(path)
    except ValueError as exc:
        print(f"Lỗi: {exc}")
        return 2
    if edits is not None:
        print(f"Dùng {len(edits)} dòng kết nghĩa bổ sung từ {path}.")
    result = evaluate(tables, comparison=comparison, pairings=edits)
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
        f"{head['n_treated']} xã kết nghĩa, {head['n_control']} xã so sánh"
        + (
            f", {head['n_unknown']} xã không rõ tình trạng kết nghĩa bị loại."
            if pd.notna(head.get("n_unknown")) and head["n_unknown"]
            else "."
        )
    )
