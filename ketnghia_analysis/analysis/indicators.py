"""Indicators: the single home of every formula (pure functions of the processed tables).

Every function takes ``tables`` (a ``dict[str, DataFrame]`` such as the object returned
by ``ketnghia_analysis.load``) and returns a tidy DataFrame. ``level`` is one of
``"commune"``, ``"district"``, ``"province"``, ``"unit_2025"``; ``by`` adds grouping
columns from :func:`commune_frame` (``"twinned"``, ``"ever_twinned"``, ``"similar"``,
``"mountainous"``, ``"ethnic_region"``, ``"border"``, ...) or, for :func:`support`, from
the support table (``"partner_id"``, ``"partner_type"``).

Rules kept everywhere:

- rates are recomputed from summed counts, never averaged; a commune enters a rate only
  when both its numerator and its denominator are reported;
- every poverty series carries its ``poverty_standard`` and ``standard_break`` marks the
  first year of a new standard (2022): levels on either side are not comparable;
- NTM criteria 3, 11, 12, 13 changed content with the 2021-2025 set (``changed_2022``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ketnghia_analysis.core.columns import POVERTY_COUNTS, SUPPORT_COUNTS

LEVEL_KEYS: dict[str, list[str]] = {
    "commune": ["district_code", "district_name", "commune_code", "commune_name"],
    "district": ["district_code", "district_name"],
    "province": [],
    "unit_2025": ["unit_2025_code", "unit_2025_name"],
}


# name -> (numerator, denominator); the denominator "at_risk" is households_total - poor_start.
POVERTY_RATES: dict[str, tuple[str, str]] = {
    "poverty_rate_end": ("poor_end", "households_total"),
    "near_poor_rate_end": ("near_poor_end", "households_total"),
    "exit_rate": ("poverty_exits", "poor_start"),
    "relapse_rate": ("poverty_relapses", "_at_risk"),
    "new_poor_rate": ("poverty_new", "_at_risk"),
    "ethnic_minority_share_poor": ("poor_ethnic_minority_end", "poor_end"),
    "_net_change": ("_net_change_count", "households_total"),
}


SURVIVING_STATUSES = ("maintained", "replicated")

COMMUNE_ATTRIBUTES = [
    "commune_code",
    "commune_name",
    "commune_type",
    "district_code",
    "district_name",
    "mountainous",
    "border",
    "ethnic_region",
    "unit_2025_code",
    "unit_2025_name",
]


# --------------------------------------------------------------------------- helpers


def poverty_standard_of(year: int) -> str:
    """Poverty standard of a return year: "2016-2020" up to 2021, "2022-2025" from 2022.

    >>> poverty_standard_of(2021), poverty_standard_of(2022)
    ('2016-2020', '2022-2025')
    """
    return "2016-2020" if int(year) <= 2021 else "2022-2025"


def criteria_set_of(year: int) -> str:
    """NTM criteria set of an assessment year: "2016-2020" up to 2021, "2021-2025" from 2022.

    >>> criteria_set_of(2021), criteria_set_of(2022)
    ('2016-2020', '2021-2025')
    """
    return "2016-2020" if int(year) <= 2021 else "2021-2025"


def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """``numerator / denominator`` as float; NaN where either is missing or the denominator is 0."""
    num = pd.to_numeric(numerator, errors="coerce").astype("Float64").astype(float)
    den = pd.to_numeric(denominator, errors="coerce").astype("Float64").astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    out[~(den > 0)] = np.nan
    return out


def _level_keys(level: str) -> list[str]:
    if level not in LEVEL_KEYS:
        raise ValueError(f"level phải là một trong {sorted(LEVEL_KEYS)}, không phải {level!r}")
    return list(LEVEL_KEYS[level])


def _group_sum(df: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    """Sum columns by keys (NA when every value of a group is missing); keys may be empty."""
    if keys:
        out = df.groupby(keys, observed=True, dropna=False, sort=True)[columns].sum(min_count=1)
        return out.reset_index()
    return df[columns].sum(min_count=1).to_frame().T


def _communes_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The communes table of ``tables``, completed from the gazetteer where it lacks columns."""
    from ketnghia_analysis.reference import gazetteer

    if "communes" in tables and len(tables["communes"]):
        communes = tables["communes"]
    else:
        communes = gazetteer.communes()
    out = communes[[c for c in COMMUNE_ATTRIBUTES if c in communes.columns]].copy()
    out["commune_code"] = out["commune_code"].astype(str)
    missing = [c for c in COMMUNE_ATTRIBUTES if c not in out.columns]
    if missing:
        ref = gazetteer.communes()[["commune_code", *missing]].copy()
        ref["commune_code"] = ref["commune_code"].astype(str)
        out = out.merge(ref, on="commune_code", how="left")
    return out[COMMUNE_ATTRIBUTES].drop_duplicates("commune_code")


# --------------------------------------------------------------------------- grouping keys


def twinning_status(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """First year each commune has a twinning partner, and how many partners it had.

    ``first_pair_year = min(pair_start_year)`` over the commune's support rows (when a row
    leaves ``pair_start_year`` blank, the year of the row stands in);
    ``partners = number of distinct partner_id``.

    Returns
    -------
    DataFrame
        commune_code, first_pair_year (Int64), partners (Int64).
    """
    support = tables.get("support")
    if support is None or support.empty:
        return pd.DataFrame(
            {
                "commune_code": pd.Series(dtype=str),
                "first_pair_year": pd.Series(dtype="Int64"),
                "partners": pd.Series(dtype="Int64"),
            }
        )
    df = support.copy()
    df["commune_code"] = df["commune_code"].astype(str)
    start = pd.to_numeric(df.get("pair_start_year"), errors="coerce")
    start = start.fillna(pd.to_numeric(df["year"], errors="coerce"))
    df["_start"] = start
    out = df.groupby("commune_code", sort=True).agg(
        first_pair_year=("_start", "min"), partners=("partner_id", "nunique")
    )
    out["first_pair_year"] = out["first_pair_year"].round().astype("Int64")
    out["partners"] = out["partners"].astype("Int64")
    return out.reset_index()


def commune_frame(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Commune attributes with twinning status: the grouping keys of every indicator.

    ``similar = mountainous or ethnic_region in {I, II, III}`` (the kind of commune
    twinning targets); ``ever_twinned = first_pair_year is known``.

    Returns
    -------
    DataFrame
        commune_code, commune_name, commune_type, district_code, district_name,
        mountainous, border, ethnic_region, unit_2025_code, unit_2025_name,
        first_pair_year, partners, ever_twinned, similar.
    """
    frame = _communes_table(tables)
    status = twinning_status(tables)
    out = frame.merge(status, on="commune_code", how="outer")
    out["partners"] = out["partners"].fillna(0).astype("Int64")
    out["ever_twinned"] = out["first_pair_year"].notna()
    mountainous = out["mountainous"].astype("boolean").fillna(False).astype(bool)
    ethnic = out["ethnic_region"].notna() & (out["ethnic_region"].astype(str).str.strip() != "")
    out["similar"] = mountainous | ethnic
    return out


def _attach(df: pd.DataFrame, tables: dict[str, pd.DataFrame], keys: Sequence[str]) -> pd.DataFrame:
    """Add the commune attributes the keys need (and ``twinned`` in the row's year)."""
    frame = commune_frame(tables)
    df = df.copy()
    df["commune_code"] = df["commune_code"].astype(str)
    wanted = [k for k in keys if k not in df.columns and k in frame.columns]
    if "twinned" in keys and "first_pair_year" not in df.columns:
        wanted.append("first_pair_year")
    wanted = list(dict.fromkeys(wanted))
    if wanted:
        df = df.merge(frame[["commune_code", *wanted]], on="commune_code", how="left")
    if "twinned" in keys:
        # twinned in a year = paired in that year or before (pair_start_year <= year)
        df["twinned"] = (
            df["first_pair_year"].notna() & (df["first_pair_year"] <= df["year"])
        ).astype(bool)
    for key in keys:
        if key in ("mountainous", "border", "similar", "ever_twinned") and key in df.columns:
            df[key] = df[key].astype("boolean").fillna(False).astype(bool)
    return df


# --------------------------------------------------------------------------- poverty


def poverty(
    tables: dict[str, pd.DataFrame], level: str = "district", by: Sequence[str] = ()
) -> pd.DataFrame:
    """Poverty counts and rates by year, level and groups, each tagged with its standard.

    Counts are summed; rates are recomputed from the sums over the communes that report
    both terms:

    - ``poverty_rate_end = Σ poor_end / Σ households_total``
    - ``near_poor_rate_end = Σ near_poor_end / Σ households_total``
    - ``exit_rate = Σ poverty_exits / Σ poor_start`` (exits / poor at start of year)
    - ``relapse_rate = Σ poverty_relapses / Σ (households_total − poor_start)``
    - ``new_poor_rate = Σ poverty_new / Σ (households_total − poor_start)``
      (the denominator is the households not poor at the start of the year)
    - ``rate_change_points = 100 × Σ (poor_end − poor_start) / Σ households_total``:
      the net change during the year, in percentage points; both terms come from the same
      annual review, so it never crosses the 2021/2022 change of standard
    - ``ethnic_minority_share_poor = Σ poor_ethnic_minority_end / Σ poor_end``

    ``standard_break`` is True on the first year of a new poverty standard: the levels of
    that year are not comparable with the year before.

    Returns
    -------
    DataFrame
        year, keys…, communes_reporting, counts…, rates…, poverty_standard, standard_break.
    """
    keys = [*_level_keys(level), *by]
    df = _attach(tables["poverty"], tables, keys)
    for column in POVERTY_COUNTS:
        if column not in df.columns:
            df[column] = pd.NA
        df[column] = pd.to_numeric(df[column], errors="coerce").astype("Float64")
    df["_at_risk"] = df["households_total"] - df["poor_start"]
    df["_net_change_count"] = df["poor_end"] - df["poor_start"]
    if "poverty_standard" not in df.columns:
        df["poverty_standard"] = df["year"].map(poverty_standard_of)
    parts = []
    for name, (num, den) in POVERTY_RATES.items():
        both = df[num].notna() & df[den].notna()
        df[f"{name}__num"] = df[num].where(both)
        df[f"{name}__den"] = df[den].where(both)
        parts += [f"{name}__num", f"{name}__den"]
    df["communes_reporting"] = df["households_total"].notna().astype(int)
    group = ["year", *keys]
    out = _group_sum(df, group, ["communes_reporting", *POVERTY_COUNTS, *parts])
    for name in POVERTY_RATES:
        out[name] = ratio(out[f"{name}__num"], out[f"{name}__den"])
    out["rate_change_points"] = 100 * out.pop("_net_change")
    out = out.drop(columns=parts)
    for column in POVERTY_COUNTS:
        out[column] = out[column].round().astype("Int64")
    standards = (
        df.groupby("year")["poverty_standard"]
        .agg(lambda s: "; ".join(sorted(set(s.dropna().astype(str)))))
        .rename("poverty_standard")
    )
    out = out.merge(standards, left_on="year", right_index=True, how="left")
    by_year = standards.sort_index()
    breaks = by_year.ne(by_year.shift()) & by_year.shift().notna()
    out["standard_break"] = out["year"].map(breaks).fillna(False).astype(bool)
    columns = [
        "year",
        *keys,
        "communes_reporting",
        *POVERTY_COUNTS,
        "poverty_rate_end",
        "near_poor_rate_end",
        "exit_rate",
        "relapse_rate",
        "new_poor_rate",
        "rate_change_points",
        "ethnic_minority_share_poor",
        "poverty_standard",
        "standard_break",
    ]
    return out[columns].sort_values(["year", *keys]).reset_index(drop=True)


# --------------------------------------------------------------------------- NTM


def ntm(
    tables: dict[str, pd.DataFrame], level: str = "district", by: Sequence[str] = ()
) -> pd.DataFrame:
    """NTM progress by year, level and groups.

    - ``communes_assessed = number of communes with criteria_met reported``
    - ``criteria_met_mean = Σ criteria_met / communes_assessed``
    - ``recognized_dat_chuan`` = communes at standard or above (ntm_level in dat_chuan,
      nang_cao, kieu_mau); ``recognized_nang_cao`` = nang_cao or kieu_mau;
      ``recognized_kieu_mau`` = kieu_mau (each level includes the levels above it)
    - ``recognized_share = recognized_dat_chuan / communes_assessed``

    Returns
    -------
    DataFrame
        year, keys…, communes_assessed, criteria_met_mean, recognized_dat_chuan,
        recognized_nang_cao, recognized_kieu_mau, recognized_share, criteria_set.
    """
    keys = [*_level_keys(level), *by]
    df = _attach(tables["ntm_status"], tables, keys)
    met = pd.to_numeric(df["criteria_met"], errors="coerce").astype("Float64")
    level_text = df["ntm_level"].astype("string")
    df["communes_assessed"] = met.notna().astype(int)
    df["_criteria_sum"] = met
    df["recognized_dat_chuan"] = level_text.isin(["dat_chuan", "nang_cao", "kieu_mau"]).astype(int)
    df["recognized_nang_cao"] = level_text.isin(["nang_cao", "kieu_mau"]).astype(int)
    df["recognized_kieu_mau"] = level_text.isin(["kieu_mau"]).astype(int)
    counts = [
        "communes_assessed",
        "recognized_dat_chuan",
        "recognized_nang_cao",
        "recognized_kieu_mau",
    ]
    out = _group_sum(df, ["year", *keys], [*counts, "_criteria_sum"])
    out["criteria_met_mean"] = ratio(out.pop("_criteria_sum"), out["communes_assessed"])
    out["recognized_share"] = ratio(out["recognized_dat_chuan"], out["communes_assessed"])
    for column in counts:
        out[column] = out[column].astype("Int64")
    out["criteria_set"] = out["year"].map(criteria_set_of)
    columns = [
        "year",
        *keys,
        "communes_assessed",
        "criteria_met_mean",
        "recognized_dat_chuan",
        "recognized_nang_cao",
        "recognized_kieu_mau",
        "recognized_share",
        "criteria_set",
    ]
    return out[columns].sort_values(["year", *keys]).reset_index(drop=True)


def _criteria_names() -> pd.DataFrame:
    from ketnghia_analysis.reference import gazetteer

    names = gazetteer.criteria()[["criteria_set", "criterion", "name_vi", "changed_2022"]].copy()
    names["criterion"] = names["criterion"].astype(int)
    return names


def criteria_shares(
    tables: dict[str, pd.DataFrame], level: str = "province", by: Sequence[str] = ()
) -> pd.DataFrame:
    """Share of assessed communes meeting each criterion.

    ``share_met = communes meeting the criterion / communes with the criterion assessed``.
    ``changed_2022`` flags criteria 3, 11, 12, 13 whose content changed with the
    2021-2025 set: their series are not comparable across 2021/2022.

    Returns
    -------
    DataFrame
        year, keys…, criterion, name_vi, communes_assessed, communes_met, share_met,
        criteria_set, changed_2022.
    """
    keys = [*_level_keys(level), *by]
    df = _attach(tables["ntm_criteria"], tables, keys)
    met = df["met"].astype("boolean")
    df["communes_assessed"] = met.notna().astype(int)
    df["communes_met"] = met.fillna(False).astype(int)
    df["criterion"] = pd.to_numeric(df["criterion"]).astype(int)
    out = _group_sum(df, ["year", *keys, "criterion"], ["communes_assessed", "communes_met"])
    out["share_met"] = ratio(out["communes_met"], out["communes_assessed"])
    out["criteria_set"] = out["year"].map(criteria_set_of)
    out = out.merge(_criteria_names(), on=["criteria_set", "criterion"], how="left")
    out["changed_2022"] = out["changed_2022"].fillna(out["criterion"].isin([3, 11, 12, 13]))
    columns = [
        "year",
        *keys,
        "criterion",
        "name_vi",
        "communes_assessed",
        "communes_met",
        "share_met",
        "criteria_set",
        "changed_2022",
    ]
    return out[columns].sort_values(["year", *keys, "criterion"]).reset_index(drop=True)


def bottlenecks(
    tables: dict[str, pd.DataFrame], year: int, district_code: str | None = None, top: int = 5
) -> pd.DataFrame:
    """The criteria that hold communes back most in a year.

    Among communes not yet meeting all 19 criteria (``criteria_met < 19``):
    ``communes_not_met`` = how many of them fail the criterion,
    ``share_not_met = communes_not_met / communes below standard``. Sorted by
    ``communes_not_met`` (then criterion number); the ``top`` first rows.

    Returns
    -------
    DataFrame
        criterion, name_vi, communes_not_met, communes_below_standard, share_not_met,
        changed_2022.
    """
    crit = tables["ntm_criteria"]
    crit = crit[crit["year"] == year].copy()
    crit["commune_code"] = crit["commune_code"].astype(str)
    if district_code is not None:
        crit = crit[crit["district_code"].astype(str) == str(district_code)]
    met = crit["met"].astype("boolean")
    crit = crit[met.notna()]
    crit["met"] = met[met.notna()].astype(bool)
    crit["criterion"] = pd.to_numeric(crit["criterion"]).astype(int)
    below = crit.groupby("commune_code")["met"].sum() < 19
    below_codes = below[below].index
    sub = crit[crit["commune_code"].isin(below_codes) & ~crit["met"]]
    n_below = len(below_codes)
    out = sub.groupby("criterion").size().rename("communes_not_met").reset_index()
    out["communes_below_standard"] = n_below
    out["share_not_met"] = ratio(out["communes_not_met"], out["communes_below_standard"])
    out["criteria_set"] = criteria_set_of(year)
    out = out.merge(_criteria_names(), on=["criteria_set", "criterion"], how="left")
    out = out.sort_values(["communes_not_met", "criterion"], ascending=[False, True]).head(top)
    columns = [
        "criterion",
        "name_vi",
        "communes_not_met",
        "communes_below_standard",
        "share_not_met",
        "changed_2022",
    ]
    return out[columns].reset_index(drop=True)


def criteria_gained(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Criteria gained by each commune in a year.

    ``gained = criteria_met(year) − criteria_met(year − 1)``; NA when the previous year is
    missing or when the two years use different criteria sets (2021 → 2022), flagged by
    ``set_changed``.

    Returns
    -------
    DataFrame
        commune_code, year, criteria_met, gained (Int64), criteria_set, set_changed.
    """
    df = tables["ntm_status"][["commune_code", "year", "criteria_met"]].copy()
    df["commune_code"] = df["commune_code"].astype(str)
    df["criteria_met"] = pd.to_numeric(df["criteria_met"], errors="coerce").astype("Int64")
    df["criteria_set"] = df["year"].map(criteria_set_of)
    df = df.sort_values(["commune_code", "year"]).reset_index(drop=True)
    prev = df.groupby("commune_code")[["year", "criteria_met", "criteria_set"]].shift()
    consecutive = prev["year"] == df["year"] - 1
    df["set_changed"] = (consecutive & (prev["criteria_set"] != df["criteria_set"])).astype(bool)
    gained = df["criteria_met"] - prev["criteria_met"].astype("Int64")
    df["gained"] = gained.where(consecutive & ~df["set_changed"]).astype("Int64")
    return df[["commune_code", "year", "criteria_met", "gained", "criteria_set", "set_changed"]]


# --------------------------------------------------------------------------- support


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
    keys = [*_level_keys(level), *by]
    df = _attach(tables["support"], tables, keys)
    for column in ("cash_mvnd", "in_kind_mvnd"):
        df[column] = pd.to_numeric(df.get(column), errors="coerce").astype(float)
    df["money_mvnd"] = df[["cash_mvnd", "in_kind_mvnd"]].sum(axis=1, min_count=1)
    for column in SUPPORT_COUNTS:
        if column not in df.columns:
            df[column] = pd.NA
        df[column] = pd.to_numeric(df[column], errors="coerce").astype("Float64")
    values = ["cash_mvnd", "in_kind_mvnd", "money_mvnd", *SUPPORT_COUNTS]
    # one row per group and commune first, so a commune with two partners counts once
    commune_keys = list(dict.fromkeys(["year", *keys, "commune_code"]))  # commune level: once
    per_commune = _group_sum(df, commune_keys, values)
    pov = tables["poverty"][["commune_code", "year", "households_total", "poor_start"]].copy()
    pov["commune_code"] = pov["commune_code"].astype(str)
    per_commune = per_commune.merge(pov, on=["commune_code", "year"], how="left")
    money = per_commune["money_mvnd"]
    for den, name in (("households_total", "hh"), ("poor_start", "poor")):
        both = money.notna() & per_commune[den].notna()
        per_commune[f"_{name}_num"] = money.where(both)
        per_commune[f"_{name}_den"] = pd.to_numeric(per_commune[den]).astype("Float64").where(both)
    per_commune["communes_supported"] = 1
    helper = ["_hh_num", "_hh_den", "_poor_num", "_poor_den"]
    out = _group_sum(per_commune, ["year", *keys], ["communes_supported", *values, *helper])
    out["money_per_commune_mvnd"] = ratio(out["money_mvnd"], out["communes_supported"])
    out["money_per_household_mvnd"] = ratio(out["_hh_num"], out["_hh_den"])
    out["money_per_poor_household_mvnd"] = ratio(out["_poor_num"], out["_poor_den"])
    out = out.drop(columns=helper)
    for column in ("communes_supported", *SUPPORT_COUNTS):
        out[column] = out[column].round().astype("Int64")
    for column in ("cash_mvnd", "in_kind_mvnd", "money_mvnd"):
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
    ident = ["commune_code", "partner_id", "model_name", "start_year"]
    models["commune_code"] = models["commune_code"].astype(str)
    models["start_year"] = pd.to_numeric(models["start_year"], errors="coerce")
    models = models[models["start_year"].notna()]
    keys = list(by)
    if keys:
        models = _attach(models, tables, keys)
    last_year = int(models["year"].max()) if len(models) else 0
    first = models.drop_duplicates(ident)[ident + keys]
    rows = []
    status = models.set_index([*ident, "year"])["status"]
    status = status[~status.index.duplicated(keep="last")]
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
    if not rows:
        return pd.DataFrame()
    all_due = pd.concat(rows, ignore_index=True)
    counts = ["models_due", "observed", "surviving", "replicated", "stopped"]
    out = _group_sum(all_due, [*keys, "years_since_start"], counts)
    if out.empty:
        out = pd.DataFrame({"years_since_start": [1, 2, 3], **{c: 0 for c in counts}})
    out["not_reported"] = out["models_due"] - out["observed"]
    out["survival_rate"] = ratio(out["surviving"], out["observed"])
    out["replicated_rate"] = ratio(out["replicated"], out["observed"])
    for column in [*counts, "not_reported"]:
        out[column] = out[column].astype("Int64")
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- comparisons


def commune_outcome_panel(tables: dict[str, pd.DataFrame], outcome: str) -> pd.DataFrame:
    """One row per commune and year with the outcome (rates recomputed from counts).

    ``poverty_rate_end = poor_end / households_total``; ``exit_rate = poverty_exits /
    poor_start``; ``criteria_met`` as in ntm_status (wards and townships are not assessed).

    Returns
    -------
    DataFrame
        commune_code, year, y, households_total.
    """
    if outcome in ("criteria_met",):
        df = tables["ntm_status"][["commune_code", "year", "criteria_met"]].copy()
        df["y"] = pd.to_numeric(df["criteria_met"], errors="coerce").astype(float)
        pov = tables["poverty"][["commune_code", "year", "households_total"]].copy()
        pov["commune_code"] = pov["commune_code"].astype(str)
        df["commune_code"] = df["commune_code"].astype(str)
        df = df.merge(pov, on=["commune_code", "year"], how="left")
    else:
        df = tables["poverty"].copy()
        if outcome in POVERTY_RATES:
            num, den = POVERTY_RATES[outcome]
            df["_at_risk"] = pd.to_numeric(df["households_total"]) - pd.to_numeric(df["poor_start"])
            df["y"] = ratio(df[num], df[den])
            if outcome == "poverty_rate_end" and "poverty_rate_end" in df.columns:
                df["y"] = df["y"].fillna(pd.to_numeric(df["poverty_rate_end"], errors="coerce"))
        elif outcome in df.columns:
            df["y"] = pd.to_numeric(df[outcome], errors="coerce").astype(float)
        else:
            raise ValueError(f"Không biết biến kết quả {outcome!r}")
    df["commune_code"] = df["commune_code"].astype(str)
    df["year"] = df["year"].astype(int)
    df["households_total"] = pd.to_numeric(df.get("households_total"), errors="coerce").astype(
        float
    )
    df = df[["commune_code", "year", "y", "households_total"]]
    return df.drop_duplicates(["commune_code", "year"], keep="last").reset_index(drop=True)


def commune_excess_change(
    tables: dict[str, pd.DataFrame],
    outcome: str = "poverty_rate_end",
    comparison: str = "similar",
) -> pd.DataFrame:
    """For each twinned commune: its change since the year before pairing, minus the change
    of comparable communes over the same years (a per-commune difference in differences).

    For commune ``i`` paired in ``g`` and last observed in ``T``:
    ``change = y_i(T) − y_i(g−1)``; ``control_change`` = mean of ``y_j(T) − y_j(g−1)`` over
    communes ``j`` of the comparison group (``similar``: same kind, mountainous or in an
    ethnic-minority region; ``all``: every commune) not yet twinned in ``T``;
    ``excess_change = change − control_change``. The poverty standard changed in 2022 for
    every commune alike; the difference removes a common jump, not one that differs
    between poorer and richer communes.

    Returns
    -------
    DataFrame
        commune_code, first_pair_year, base_year, end_year, change, control_change,
        n_controls, excess_change.
    """
    frame = commune_frame(tables)
    panel = commune_outcome_panel(tables, outcome).dropna(subset=["y"])
    wide = panel.pivot(index="commune_code", columns="year", values="y")
    first = frame.set_index("commune_code")["first_pair_year"].reindex(wide.index)
    if comparison == "similar":
        pool = set(frame.loc[frame["similar"], "commune_code"])
    else:
        pool = set(frame["commune_code"])
    rows = []
    for code, g in first.dropna().items():
        g = int(g)
        base = g - 1
        observed = wide.loc[code].dropna()
        if base not in observed.index or observed.index.max() < g:
            continue
        end = int(observed.index.max())
        change = observed[end] - observed[base]
        later = first.isna() | (first > end)
        ctrl = wide.loc[later & wide.index.isin(pool) & (wide.index != code)]
        if base in ctrl.columns and end in ctrl.columns:
            diffs = (ctrl[end] - ctrl[base]).dropna()
        else:
            diffs = pd.Series(dtype=float)
        control_change = diffs.mean() if len(diffs) else np.nan
        rows.append(
            {
                "commune_code": code,
                "first_pair_year": g,
                "base_year": base,
                "end_year": end,
                "change": change,
                "control_change": control_change,
                "n_controls": len(diffs),
                "excess_change": change - control_change,
            }
        )
    columns = [
        "commune_code",
        "first_pair_year",
        "base_year",
        "end_year",
        "change",
        "control_change",
        "n_controls",
        "excess_change",
    ]
    return pd.DataFrame(rows, columns=columns)


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
    sup["money_mvnd"] = sup[["cash_mvnd", "in_kind_mvnd"]].sum(axis=1, min_count=1)
    for column in SUPPORT_COUNTS:
        if column not in sup.columns:
            sup[column] = pd.NA
        sup[column] = pd.to_numeric(sup[column], errors="coerce").astype("Float64")
    given = sup.groupby("partner_id", sort=True).agg(
        partner_name=("partner_name", "first"),
        partner_type=("partner_type", "first"),
        communes=("commune_code", "nunique"),
        first_pair_year=("pair_start_year", "min"),
        money_mvnd=("money_mvnd", lambda s: s.sum(min_count=1)),
        officials_trained=("officials_trained", lambda s: s.sum(min_count=1)),
        workers_trained=("workers_trained", lambda s: s.sum(min_count=1)),
        houses_supported=("houses_supported", lambda s: s.sum(min_count=1)),
        models_supported=("models_supported", lambda s: s.sum(min_count=1)),
    )
    excess = commune_excess_change(tables, outcome=outcome).set_index("commune_code")
    pairs = sup[["partner_id", "commune_code"]].drop_duplicates()
    pairs = pairs.join(excess["excess_change"], on="commune_code").dropna(subset=["excess_change"])
    stats = pairs.groupby("partner_id")["excess_change"].agg(["count", "mean", "std"])
    out = given.join(stats, how="left")
    out["communes_compared"] = out["count"].fillna(0).astype("Int64")
    half = 1.96 * out["std"] / np.sqrt(out["count"])
    out["excess_change_points"] = 100 * out["mean"]
    out["ci_low_points"] = 100 * (out["mean"] - half)
    out["ci_high_points"] = 100 * (out["mean"] + half)

    def _verdict(row: pd.Series) -> str:
        if row["communes_compared"] < min_communes or pd.isna(row["ci_low_points"]):
            return "quá ít xã để đánh giá"
        if row["ci_high_points"] < 0:
            return "giảm nhanh hơn xã tương đương"
        if row["ci_low_points"] > 0:
            return "giảm chậm hơn xã tương đương"
        return "chưa khác biệt rõ so với xã tương đương"

    out["verdict"] = out.apply(_verdict, axis=1)
    scored = ("officials_trained", "workers_trained", "houses_supported", "models_supported")
    for column in ("communes", "first_pair_year", *scored):
        out[column] = pd.to_numeric(out[column], errors="coerce").round().astype("Int64")
    columns = [
        "partner_name",
        "partner_type",
        "communes",
        "first_pair_year",
        "money_mvnd",
        "officials_trained",
        "workers_trained",
        "houses_supported",
        "models_supported",
        "communes_compared",
        "excess_change_points",
        "ci_low_points",
        "ci_high_points",
        "verdict",
    ]
    return out[columns].reset_index()


# --------------------------------------------------------------------------- reconciliation


def _expected_communes(scope: str, year: int, district_code: object = None) -> int | None:
    """Number of commune-level units of a published scope on 31 December of the year."""
    from ketnghia_analysis.reference import gazetteer

    try:
        units = gazetteer.communes_in_year(year)
    except Exception:  # a year outside the gazetteer: nothing to expect
        return None
    if scope == "province":
        return len(units)
    if scope == "district":
        return int((units["district_code"].astype(str) == str(district_code)).sum())
    if scope in ("mountain_districts", "mountain_area"):
        return int(units["mountainous"].astype("boolean").fillna(False).sum())
    if scope == "kv3_communes":
        return int((units["ethnic_region"].astype("string") == "III").sum())
    return None


def reconcile_published(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Aggregated returns against the published poverty figures (reference data).

    For each published row (scope province, district, mountain_districts / mountain_area,
    kv3_communes): the same scope is aggregated from the communes' returns
    (``rate = Σ poor_end / Σ households_total``). When the published figure uses a newer
    standard than the returns of its year (year-end 2021 reviewed under the 2022-2025
    standard), it is compared with the next year's ``poor_start`` instead.
    ``difference = aggregated − published``; ``difference_points = 100 × (rate difference)``.

    Returns
    -------
    DataFrame
        year, scope, district_code, published_poor, aggregated_poor, difference,
        published_rate, aggregated_rate, difference_points, communes_reporting,
        communes_expected, note (incomplete coverage, change of standard).
    """
    from ketnghia_analysis.reference import gazetteer

    published = gazetteer.published_poverty()
    pov = _attach(tables["poverty"], tables, ["district_code", "mountainous", "ethnic_region"])
    pov["ethnic_region"] = pov["ethnic_region"].astype("string")
    for column in ("households_total", "poor_start", "poor_end"):
        pov[column] = pd.to_numeric(pov[column], errors="coerce").astype(float)
    if "poverty_standard" not in pov.columns:
        pov["poverty_standard"] = pov["year"].map(poverty_standard_of)
    years = set(pov["year"].astype(int))
    rows = []
    for _, pub in published.iterrows():
        year = int(pub["year"])
        scope = str(pub["scope"])
        sub = pov
        if scope == "district":
            sub = pov[pov["district_code"].astype(str) == str(pub.get("district_code"))]
        elif scope in ("mountain_districts", "mountain_area"):
            sub = pov[pov["mountainous"]]
        elif scope == "kv3_communes":
            sub = pov[pov["ethnic_region"] == "III"]
        elif scope != "province":
            continue
        note = ""
        this = sub[sub["year"] == year]
        own_standard = poverty_standard_of(year)
        poor_col, hh = "poor_end", this
        if str(pub.get("standard")) not in ("nan", "None", own_standard):
            nxt = sub[sub["year"] == year + 1]
            if len(nxt):
                poor_col, hh = "poor_start", nxt
                note = (
                    f"Số công bố theo chuẩn {pub['standard']}: so với số hộ nghèo đầu năm "
                    f"{year + 1} (cùng chuẩn)"
                )
            else:
                note = f"Số công bố theo chuẩn {pub['standard']}, báo cáo năm {year} theo chuẩn {own_standard}: không so được"
                hh = this.iloc[0:0]
        expected = _expected_communes(scope, year, pub.get("district_code"))
        if not len(hh) or year not in years:
            note = note or "Không có số liệu báo cáo cho phạm vi và năm này"
        elif expected and hh["households_total"].notna().sum() < expected:
            reporting = int(hh["households_total"].notna().sum())
            note = "; ".join(
                part for part in (note, f"chỉ {reporting}/{expected} xã có báo cáo") if part
            )
        both = hh[poor_col].notna() & hh["households_total"].notna()
        poor_sum = hh.loc[both, poor_col].sum() if both.any() else np.nan
        hh_sum = hh.loc[both, "households_total"].sum() if both.any() else np.nan
        agg_poor = hh[poor_col].sum(min_count=1) if len(hh) else np.nan
        agg_rate = poor_sum / hh_sum if hh_sum and hh_sum > 0 else np.nan
        pub_poor = pub["poor_households"]
        pub_rate = pub["rate"]
        rows.append(
            {
                "year": year,
                "scope": scope,
                "district_code": pub.get("district_code"),
                "published_poor": pub_poor,
                "aggregated_poor": agg_poor,
                "difference": (agg_poor - pub_poor) if pd.notna(pub_poor) else np.nan,
                "published_rate": pub_rate,
                "aggregated_rate": agg_rate,
                "difference_points": 100 * (agg_rate - pub_rate) if pd.notna(pub_rate) else np.nan,
                "communes_reporting": int(both.sum()),
                "communes_expected": expected,
                "note": note,
            }
        )
    out = pd.DataFrame(rows)
    if len(out):
        out["published_poor"] = pd.to_numeric(out["published_poor"]).astype("Int64")
        out["aggregated_poor"] = pd.to_numeric(out["aggregated_poor"]).round().astype("Int64")
        out["difference"] = pd.to_numeric(out["difference"]).round().astype("Int64")
    return out
