"""The returns aggregated to each published scope, against the published poverty figures."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ketnghia_analysis.analysis.indicators.frames import attach
from ketnghia_analysis.reference.standards import poverty_standard

MOUNTAIN_SCOPES = ("mountain_districts", "mountain_area")


@dataclass(frozen=True)
class _Compared:
    """The commune rows a published figure is compared with, and which count of poor."""

    rows: pd.DataFrame
    poor_column: str  # "poor_end", or the next year's "poor_start" across a change of standard
    note: str


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

    pov = _returns(tables)
    years = set(pov["year"].astype(int))
    rows = []
    for _, pub in gazetteer.published_poverty().iterrows():
        sub = _in_scope(pov, pub)
        if sub is None:
            continue
        year, scope = int(pub["year"]), str(pub["scope"])
        compared = _compared_rows(sub, pub, year)
        expected = _expected_communes(scope, year, pub.get("district_code"))
        note = _coverage_note(compared, year in years, expected)
        rows.append(_reconciled(pub, compared, expected, note))
    out = pd.DataFrame(rows)
    if len(out):
        out["published_poor"] = pd.to_numeric(out["published_poor"]).astype("Int64")
        out["aggregated_poor"] = pd.to_numeric(out["aggregated_poor"]).round().astype("Int64")
        out["difference"] = pd.to_numeric(out["difference"]).round().astype("Int64")
    return out


def _returns(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The poverty returns with the attributes the published scopes select on."""
    pov = attach(tables["poverty"], tables, ["district_code", "mountainous", "ethnic_region"])
    pov["ethnic_region"] = pov["ethnic_region"].astype("string")
    for column in ("households_total", "poor_start", "poor_end"):
        pov[column] = pd.to_numeric(pov[column], errors="coerce").astype(float)
    if "poverty_standard" not in pov.columns:
        pov["poverty_standard"] = pov["year"].map(poverty_standard)
    return pov


def _in_scope(pov: pd.DataFrame, pub: pd.Series) -> pd.DataFrame | None:
    """The returns of a published row's scope (None for a scope this check does not know)."""
    scope = str(pub["scope"])
    if scope == "district":
        return pov[pov["district_code"].astype(str) == str(pub.get("district_code"))]
    if scope in MOUNTAIN_SCOPES:
        return pov[pov["mountainous"]]
    if scope == "kv3_communes":
        return pov[pov["ethnic_region"] == "III"]
    if scope == "province":
        return pov
    return None


def _compared_rows(sub: pd.DataFrame, pub: pd.Series, year: int) -> _Compared:
    """The year's rows, or the next year's start-of-year counts when the published figure
    uses the newer standard (none when that year is missing too)."""
    this = sub[sub["year"] == year]
    own_standard = poverty_standard(year)
    if str(pub.get("standard")) in ("nan", "None", own_standard):
        return _Compared(this, "poor_end", "")
    nxt = sub[sub["year"] == year + 1]
    if len(nxt):
        note = (
            f"Số công bố theo chuẩn {pub['standard']}: so với số hộ nghèo đầu năm "
            f"{year + 1} (cùng chuẩn)"
        )
        return _Compared(nxt, "poor_start", note)
    note = f"Số công bố theo chuẩn {pub['standard']}, báo cáo năm {year} theo chuẩn {own_standard}: không so được"
    return _Compared(this.iloc[0:0], "poor_end", note)


def _coverage_note(compared: _Compared, year_reported: bool, expected: int | None) -> str:
    """The comparison's note, plus what is missing: every return, or some communes."""
    hh = compared.rows
    if not len(hh) or not year_reported:
        return compared.note or "Không có số liệu báo cáo cho phạm vi và năm này"
    if expected and hh["households_total"].notna().sum() < expected:
        reporting = int(hh["households_total"].notna().sum())
        coverage = f"chỉ {reporting}/{expected} xã có báo cáo"
        return "; ".join(part for part in (compared.note, coverage) if part)
    return compared.note


def _reconciled(pub: pd.Series, compared: _Compared, expected: int | None, note: str) -> dict:
    """One row of :func:`reconcile_published`: published against aggregated."""
    hh, poor_col = compared.rows, compared.poor_column
    both = hh[poor_col].notna() & hh["households_total"].notna()
    poor_sum = hh.loc[both, poor_col].sum() if both.any() else np.nan
    hh_sum = hh.loc[both, "households_total"].sum() if both.any() else np.nan
    agg_poor = hh[poor_col].sum(min_count=1) if len(hh) else np.nan
    agg_rate = poor_sum / hh_sum if hh_sum and hh_sum > 0 else np.nan
    pub_poor = pub["poor_households"]
    pub_rate = pub["rate"]
    return {
        "year": int(pub["year"]),
        "scope": str(pub["scope"]),
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
    if scope in MOUNTAIN_SCOPES:
        return int(units["mountainous"].astype("boolean").fillna(False).sum())
    if scope == "kv3_communes":
        return int((units["ethnic_region"].astype("string") == "III").sum())
    return None
