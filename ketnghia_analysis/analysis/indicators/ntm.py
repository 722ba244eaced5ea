"""New-countryside (NTM) indicators: progress, criteria shares, bottlenecks, criteria gained."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ketnghia_analysis.analysis.indicators.frames import attach, group_sum, level_keys, ratio
from ketnghia_analysis.reference.standards import criteria_set

ALL_CRITERIA = 19
_RECOGNIZED = {
    "recognized_dat_chuan": ["dat_chuan", "nang_cao", "kieu_mau"],
    "recognized_nang_cao": ["nang_cao", "kieu_mau"],
    "recognized_kieu_mau": ["kieu_mau"],
}


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
    keys = [*level_keys(level), *by]
    df = attach(tables["ntm_status"], tables, keys)
    met = pd.to_numeric(df["criteria_met"], errors="coerce").astype("Float64")
    level_text = df["ntm_level"].astype("string")
    df["communes_assessed"] = met.notna().astype(int)
    df["_criteria_sum"] = met
    for column, levels in _RECOGNIZED.items():
        df[column] = level_text.isin(levels).astype(int)
    counts = ["communes_assessed", *_RECOGNIZED]
    out = group_sum(df, ["year", *keys], [*counts, "_criteria_sum"])
    out["criteria_met_mean"] = ratio(out.pop("_criteria_sum"), out["communes_assessed"])
    out["recognized_share"] = ratio(out["recognized_dat_chuan"], out["communes_assessed"])
    for column in counts:
        out[column] = out[column].astype("Int64")
    out["criteria_set"] = out["year"].map(criteria_set)
    columns = [
        "year",
        *keys,
        "communes_assessed",
        "criteria_met_mean",
        *_RECOGNIZED,
        "recognized_share",
        "criteria_set",
    ]
    return out[columns].sort_values(["year", *keys]).reset_index(drop=True)


def _criteria_names() -> pd.DataFrame:
    """Name and ``changed_2022`` flag of each criterion of each set (reference data)."""
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
    keys = [*level_keys(level), *by]
    df = attach(tables["ntm_criteria"], tables, keys)
    met = df["met"].astype("boolean")
    df["communes_assessed"] = met.notna().astype(int)
    df["communes_met"] = met.fillna(False).astype(int)
    df["criterion"] = pd.to_numeric(df["criterion"]).astype(int)
    out = group_sum(df, ["year", *keys, "criterion"], ["communes_assessed", "communes_met"])
    out["share_met"] = ratio(out["communes_met"], out["communes_assessed"])
    out["criteria_set"] = out["year"].map(criteria_set)
    out = out.merge(_criteria_names(), on=["criteria_set", "criterion"], how="left")
    out["changed_2022"] = out["changed_2022"].fillna(False).astype(bool)  # reference/criteria.csv
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
    crit = _assessed_criteria(tables, year, district_code)
    below = crit.groupby("commune_code")["met"].sum() < ALL_CRITERIA
    below_codes = below[below].index
    sub = crit[crit["commune_code"].isin(below_codes) & ~crit["met"]]
    out = sub.groupby("criterion").size().rename("communes_not_met").reset_index()
    out["communes_below_standard"] = len(below_codes)
    out["share_not_met"] = ratio(out["communes_not_met"], out["communes_below_standard"])
    out["criteria_set"] = criteria_set(year)
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


def _assessed_criteria(
    tables: dict[str, pd.DataFrame], year: int, district_code: str | None
) -> pd.DataFrame:
    """The criterion rows of a year (and district) that were assessed, ``met`` as bool."""
    crit = tables["ntm_criteria"]
    crit = crit[crit["year"] == year].copy()
    crit["commune_code"] = crit["commune_code"].astype(str)
    if district_code is not None:
        crit = crit[crit["district_code"].astype(str) == str(district_code)]
    met = crit["met"].astype("boolean")
    crit = crit[met.notna()]
    crit["met"] = met[met.notna()].astype(bool)
    crit["criterion"] = pd.to_numeric(crit["criterion"]).astype(int)
    return crit


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
    df["criteria_set"] = df["year"].map(criteria_set)
    df = df.sort_values(["commune_code", "year"]).reset_index(drop=True)
    prev = df.groupby("commune_code")[["year", "criteria_met", "criteria_set"]].shift()
    consecutive = prev["year"] == df["year"] - 1
    df["set_changed"] = (consecutive & (prev["criteria_set"] != df["criteria_set"])).astype(bool)
    gained = df["criteria_met"] - prev["criteria_met"].astype("Int64")
    df["gained"] = gained.where(consecutive & ~df["set_changed"]).astype("Int64")
    return df[["commune_code", "year", "criteria_met", "gained", "criteria_set", "set_changed"]]
