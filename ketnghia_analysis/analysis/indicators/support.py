"""Twinning inputs: money and help by partner and commune, model survival, partner scorecards."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ketnghia_analysis.analysis.indicators.frames import attach, group_sum, level_keys, ratio
from ketnghia_analysis.analysis.indicators.panels import commune_excess_change
from ketnghia_analysis.core.columns import SUPPORT_COUNTS

SURVIVING_STATUSES = ("maintained", "replicated")
_MONEY = ["cash_mvnd", "in_kind_mvnd", "money_mvnd"]
_MODEL_COUNTS = ["models_due", "observed", "surviving", "replicated", "stopped"]
_MODEL_IDENTITY = ["commune_code", "partner_id", "model_name", "start_year"]
_SCORED = ("officials_trained", "workers_trained", "houses_supported", "models_supported")


def _numeric_support(df: pd.DataFrame) -> pd.DataFrame:
    """``money_mvnd`` = cash + in kind (NA when both are missing); SUPPORT_COUNTS as Float64."""
    df["money_mvnd"] = df[["cash_mvnd", "in_kind_mvnd"]].sum(axis=1, min_count=1)
    for column in SUPPORT_COUNTS:
        if column not in df.columns:
            df[column] = pd.NA
        df[column] = pd.to_numeric(df[column], errors="coerce").astype("Float64")
    return df


def support(
    tables: dict[str, pd.DataFrame], level: str = "district", by: Sequence[str] = ()
) -> pd.DataFrame:
    """Twinning inputs by year, level and groups (``by`` may hold partner_id / partner_type).

    - ``money_mvnd = Σ (cash_mvnd + in_kind_mvnd)`` (a missing part counts as 0; a row with
      both missing contributes nothing)
    - ``communes_supported`` = distinct communes with a support row
    - ``money_per_commune_mvnd = money_mvnd / communes_supported``
    - ``money_per_household_mvnd = money_mvnd / Σ households_total`` and
      ``money_per_poor_household_mvnd = money_mvnd / Σ poor_start``, both summed over the
      supported communes of the group that report them (each commune counted once)
    - officials_trained, workers_trained, houses_supported, models_supported,
      beneficiary_households: sums

    Money in million VND (triệu đồng).
    """
    keys = [*level_keys(level), *by]
    df = attach(tables["support"], tables, keys)
    for column in ("cash_mvnd", "in_kind_mvnd"):
        df[column] = pd.to_numeric(df.get(column), errors="coerce").astype(float)
    df = _numeric_support(df)
    per_commune = _per_commune(df, tables, keys)
    helper = ["_hh_num", "_hh_den", "_poor_num", "_poor_den"]
    values = [*_MONEY, *SUPPORT_COUNTS]
    out = group_sum(per_commune, ["year", *keys], ["communes_supported", *values, *helper])
    out["money_per_commune_mvnd"] = ratio(out["money_mvnd"], out["communes_supported"])
    out["money_per_household_mvnd"] = ratio(out["_hh_num"], out["_hh_den"])
    out["money_per_poor_household_mvnd"] = ratio(out["_poor_num"], out["_poor_den"])
    out = out.drop(columns=helper)
    for column in ("communes_supported", *SUPPORT_COUNTS):
        out[column] = out[column].round().astype("Int64")
    for column in _MONEY:
        out[column] = out[column].astype(float)
    columns = [
        "year",
        *keys,
        "communes_supported",
        "money_mvnd",
        "cash_mvnd",
        "in_kind_mvnd",
        "money_per_commune_mvnd",
        "money_per_household_mvnd",
        "money_per_poor_household_mvnd",
        *SUPPORT_COUNTS,
    ]
    return out[columns].sort_values(["year", *keys]).reset_index(drop=True)


def _per_commune(
    df: pd.DataFrame, tables: dict[str, pd.DataFrame], keys: list[str]
) -> pd.DataFrame:
    """One row per group and commune (a commune with two partners counts once), with the
    money per household terms kept where both are reported."""
    commune_keys = list(dict.fromkeys(["year", *keys, "commune_code"]))  # commune level: once
    per_commune = group_sum(df, commune_keys, [*_MONEY, *SUPPORT_COUNTS])
    pov = tables["poverty"][["commune_code", "year", "households_total", "poor_start"]].copy()
    pov["commune_code"] = pov["commune_code"].astype(str)
    per_commune = per_commune.merge(pov, on=["commune_code", "year"], how="left")
    money = per_commune["money_mvnd"]
    for den, name in (("households_total", "hh"), ("poor_start", "poor")):
        both = money.notna() & per_commune[den].notna()
        per_commune[f"_{name}_num"] = money.where(both)
        per_commune[f"_{name}_den"] = pd.to_numeric(per_commune[den]).astype("Float64").where(both)
    per_commune["communes_supported"] = 1
    return per_commune


def model_survival(tables: dict[str, pd.DataFrame], by: Sequence[str] = ()) -> pd.DataFrame:
    """Share of supported economic models still running 1, 2 and 3 years after they started.

    A model is identified by (commune_code, partner_id, model_name, start_year). For
    ``k`` in 1, 2, 3, the models whose year ``start_year + k`` lies within the returns'
    years are *due*; of these, ``observed`` have a row in that year and ``surviving`` have
    status maintained or replicated (duy trì / nhân rộng):

    - ``survival_rate = surviving / observed``
    - ``replicated_rate = replicated / observed``
    - ``not_reported = due − observed`` (missing rows are not counted as stopped)

    Returns
    -------
    DataFrame
        keys…, years_since_start, models_due, observed, surviving, replicated, stopped,
        not_reported, survival_rate, replicated_rate.
    """
    models = tables["models"].copy()
    models["commune_code"] = models["commune_code"].astype(str)
    models["start_year"] = pd.to_numeric(models["start_year"], errors="coerce")
    models = models[models["start_year"].notna()]
    keys = list(by)
    if keys:
        models = attach(models, tables, keys)
    rows = _models_due(models, keys)
    if not rows:
        return pd.DataFrame()
    all_due = pd.concat(rows, ignore_index=True)
    out = group_sum(all_due, [*keys, "years_since_start"], _MODEL_COUNTS)
    if out.empty:
        out = pd.DataFrame({"years_since_start": [1, 2, 3], **{c: 0 for c in _MODEL_COUNTS}})
    out["not_reported"] = out["models_due"] - out["observed"]
    out["survival_rate"] = ratio(out["surviving"], out["observed"])
    out["replicated_rate"] = ratio(out["replicated"], out["observed"])
    for column in [*_MODEL_COUNTS, "not_reported"]:
        out[column] = out[column].astype("Int64")
    return out.reset_index(drop=True)


def _models_due(models: pd.DataFrame, keys: list[str]) -> list[pd.DataFrame]:
    """For k = 1, 2, 3: the models due k years after their start, with their status then."""
    ident = _MODEL_IDENTITY
    last_year = int(models["year"].max()) if len(models) else 0
    first = models.drop_duplicates(ident)[ident + keys]
    status = models.set_index([*ident, "year"])["status"]
    status = status[~status.index.duplicated(keep="last")]
    rows = []
    for k in (1, 2, 3):
        due = first[first["start_year"] + k <= last_year].copy()
        due["year"] = due["start_year"] + k
        lookup = pd.MultiIndex.from_frame(due[[*ident, "year"]].astype({"year": int}))
        stat = status.reindex(lookup).to_numpy()
        due["observed"] = pd.notna(stat).astype(int)
        due["surviving"] = np.isin(stat, SURVIVING_STATUSES).astype(int)
        due["replicated"] = (stat == "replicated").astype(int)
        due["stopped"] = (stat == "stopped").astype(int)
        due["models_due"] = 1
        due["years_since_start"] = k
        rows.append(due)
    return rows


def partner_scorecard(
    tables: dict[str, pd.DataFrame], min_communes: int = 3, outcome: str = "poverty_rate_end"
) -> pd.DataFrame:
    """For each partner: what it gave and how its communes moved relative to comparable ones.

    - money_mvnd, officials_trained, workers_trained, houses_supported, models_supported:
      sums over the partner's rows; ``communes`` = distinct communes it supported
    - ``excess_change_points = 100 × mean(excess_change)`` over its communes (see
      :func:`commune_excess_change`; negative = poverty fell faster than in comparable
      communes), with ``ci_low_points``/``ci_high_points`` = mean ± 1.96 × sd / √n
    - ``verdict``: "quá ít xã để đánh giá" when fewer than ``min_communes`` communes
      can be compared; otherwise whether the interval excludes 0.

    Returns
    -------
    DataFrame
        partner_id, partner_name, partner_type, communes, first_pair_year, money_mvnd,
        officials_trained, workers_trained, houses_supported, models_supported,
        communes_compared, excess_change_points, ci_low_points, ci_high_points, verdict.
    """
    sup = tables["support"].copy()
    sup["commune_code"] = sup["commune_code"].astype(str)
    sup = _numeric_support(sup)
    out = _given_by_partner(sup).join(_excess_by_partner(tables, sup, outcome), how="left")
    out["communes_compared"] = out["count"].fillna(0).astype("Int64")
    half = 1.96 * out["std"] / np.sqrt(out["count"])
    out["excess_change_points"] = 100 * out["mean"]
    out["ci_low_points"] = 100 * (out["mean"] - half)
    out["ci_high_points"] = 100 * (out["mean"] + half)
    out["verdict"] = out.apply(_verdict, axis=1, min_communes=min_communes)
    for column in ("communes", "first_pair_year", *_SCORED):
        out[column] = pd.to_numeric(out[column], errors="coerce").round().astype("Int64")
    columns = [
        "partner_name",
        "partner_type",
        "communes",
        "first_pair_year",
        "money_mvnd",
        *_SCORED,
        "communes_compared",
        "excess_change_points",
        "ci_low_points",
        "ci_high_points",
        "verdict",
    ]
    return out[columns].reset_index()


def _given_by_partner(sup: pd.DataFrame) -> pd.DataFrame:
    """What each partner gave: communes, first pairing year, money and help (sums)."""

    def total(s: pd.Series) -> object:
        return s.sum(min_count=1)

    return sup.groupby("partner_id", sort=True).agg(
        partner_name=("partner_name", "first"),
        partner_type=("partner_type", "first"),
        communes=("commune_code", "nunique"),
        first_pair_year=("pair_start_year", "min"),
        money_mvnd=("money_mvnd", total),
        officials_trained=("officials_trained", total),
        workers_trained=("workers_trained", total),
        houses_supported=("houses_supported", total),
        models_supported=("models_supported", total),
    )


def _excess_by_partner(
    tables: dict[str, pd.DataFrame], sup: pd.DataFrame, outcome: str
) -> pd.DataFrame:
    """count, mean and sd of the excess change of each partner's comparable communes."""
    excess = commune_excess_change(tables, outcome=outcome).set_index("commune_code")
    pairs = sup[["partner_id", "commune_code"]].drop_duplicates()
    pairs = pairs.join(excess["excess_change"], on="commune_code").dropna(subset=["excess_change"])
    return pairs.groupby("partner_id")["excess_change"].agg(["count", "mean", "std"])


def _verdict(row: pd.Series, min_communes: int) -> str:
    """Whether a partner's communes fell faster, slower or like comparable communes."""
    if row["communes_compared"] < min_communes or pd.isna(row["ci_low_points"]):
        return "quá ít xã để đánh giá"
    if row["ci_high_points"] < 0:
        return "giảm nhanh hơn xã tương đương"
    if row["ci_low_points"] > 0:
        return "giảm chậm hơn xã tương đương"
    return "chưa khác biệt rõ so với xã tương đương"
