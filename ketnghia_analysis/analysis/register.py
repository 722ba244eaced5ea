"""The register of pairings and each commune's twinning status by year: twinned, not twinned or
unknown — never inferred from the absence of rows.

The register has one row per pairing (commune, partner) with its start and end years, built
from every year's support rows (Biểu 01/KN) and an optional editable ``pairings.csv``
(columns commune_code, partner_id or partner_name, start_year, end_year, note; a name is
matched to the partner registry). A row of ``pairings.csv`` overrides the start and end of
the same pairing in the returns, or adds a pairing the returns lack. By default
``ketnghia evaluate`` reads ``pairings.csv`` beside the processed folder (``data/pairings.csv``
for ``data/processed``), never inside it: the build rewrites that folder.

A commune's status in a year is ``unknown`` when its first pairing year cannot be told:

- ``start_blank``: a pairing whose start year is blank everywhere (the row's year is only an
  upper bound: the pairing may be years older);
- ``quarantined``: its Biểu 01/KN rows are quarantined before any accepted row, so a pairing
  exists whose start is unread (a commune whose rows are *all* quarantined is of this kind);
- ``return_missing``: a commune without pairing rows, in a year after the last Biểu 01/KN of
  its district (after its last return, for a district that never sends the form: it has no
  pairing to report): it may have been paired then.

The first two make the commune unknown in every year before the pairing is seen, so it is
kept out of both groups of the estimate; the third only drops those commune-years. A
pairing seen in or before the first year of data is simply "twinned before the data"
(always treated), whatever its start.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REGISTER_COLUMNS = [
    "commune_code",
    "partner_id",
    "start",
    "end",
    "first_seen",
    "last_seen",
    "source",
]
STATUS_COLUMNS = ["commune_code", "year", "status", "reason"]
GROUP_COLUMNS = ["commune_code", "g", "status", "reason", "seen"]
PAIRINGS_COLUMNS = ["commune_code", "partner_id", "partner_name", "start_year", "end_year", "note"]

TWINNED, NOT_TWINNED, UNKNOWN = "twinned", "not_twinned", "unknown"
STATUS_VI = {TWINNED: "đang kết nghĩa", NOT_TWINNED: "chưa/không kết nghĩa", UNKNOWN: "không rõ"}
REASON_VI = {
    "start_blank": "năm bắt đầu kết nghĩa để trống",
    "quarantined": "dòng Biểu 01/KN của xã bị cách ly",
    "return_missing": "không có Biểu 01/KN của huyện",
}


def load_pairings(path: str | Path | None) -> pd.DataFrame | None:
    """The editable pairings.csv (UTF-8, with or without BOM); None when ``path`` is None or
    absent. Missing optional columns are added empty."""
    if path is None or not Path(path).is_file():
        return None
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", comment="#")
    frame.columns = [c.strip() for c in frame.columns]
    if "commune_code" not in frame:
        raise ValueError(f"{path}: thiếu cột commune_code (mã xã)")
    for column in PAIRINGS_COLUMNS:
        if column not in frame:
            frame[column] = None
    return frame[PAIRINGS_COLUMNS]


def _partner_ids(names: pd.Series, partners: pd.DataFrame | None) -> list[str | None]:
    """Partner ids of names (official or alias spellings, compared folded); None if unknown."""
    from ketnghia_analysis.reference import gazetteer
    from ketnghia_analysis.reference.partners import fold

    registry = partners if partners is not None and len(partners) else gazetteer.partners()
    key_to_id: dict[str, str] = {}
    for pid, name, aliases in zip(
        registry["partner_id"], registry["partner_name"], registry["aliases"], strict=True
    ):
        spellings = list(aliases) if isinstance(aliases, list | tuple | np.ndarray) else []
        if isinstance(aliases, str):
            spellings = aliases.split("|")
        for spelling in [name, *spellings]:
            key_to_id.setdefault(fold(spelling), str(pid))
    return [key_to_id.get(fold(n)) if isinstance(n, str) else None for n in names]


def _from_support(support: pd.DataFrame | None) -> pd.DataFrame:
    """Register rows from the support table: per pairing, the start year (the smallest given
    in any year, or the first year with a row when that is earlier: a start year written one
    year late is belied by the row of the pairing year; NaN when every row leaves it blank)
    and the years the pairing is seen."""
    if support is None or support.empty:
        return pd.DataFrame(columns=REGISTER_COLUMNS)
    df = support[["commune_code", "partner_id", "year", "pair_start_year"]].copy()
    df["commune_code"] = df["commune_code"].astype(str)
    df["partner_id"] = df["partner_id"].astype(str)
    df["start"] = pd.to_numeric(df["pair_start_year"], errors="coerce").astype(float)
    df["year"] = pd.to_numeric(df["year"], errors="coerce").astype(float)
    out = df.groupby(["commune_code", "partner_id"], sort=True).agg(
        start=("start", "min"), first_seen=("year", "min"), last_seen=("year", "max")
    )
    out = out.reset_index()
    # a row in a year before the written start shows the pairing already held then
    out["start"] = out["start"].where(out["start"].isna(), np.fmin(out["start"], out["first_seen"]))
    out["end"] = np.nan
    out["source"] = "01/KN"
    return out[REGISTER_COLUMNS]


def pairing_register(
    tables: dict[str, pd.DataFrame], pairings: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every pairing: commune_code, partner_id, start, end, first_seen, last_seen, source.

    ``start``/``end`` are years (float, NaN = blank/open); ``first_seen``/``last_seen`` the
    years the pairing has rows in Biểu 01/KN (NaN when only ``pairings.csv`` names it);
    ``source`` is "01/KN", "pairings.csv" or "01/KN+pairings.csv".
    """
    reg = _from_support(tables.get("support"))
    if pairings is None or pairings.empty:
        return reg.reset_index(drop=True)
    edits = pairings.copy()
    edits["commune_code"] = edits["commune_code"].astype(str).str.strip()
    ids = edits["partner_id"].where(edits["partner_id"].notna())
    named = _partner_ids(edits["partner_name"], tables.get("partners"))
    edits["partner_id"] = [
        str(i).strip() if isinstance(i, str) and i.strip() else (n or f"?{name}")
        for i, n, name in zip(ids, named, edits["partner_name"], strict=True)
    ]
    edits["start"] = pd.to_numeric(edits["start_year"], errors="coerce").astype(float)
    edits["end"] = pd.to_numeric(edits["end_year"], errors="coerce").astype(float)
    merged = reg.merge(
        edits[["commune_code", "partner_id", "start", "end"]],
        on=["commune_code", "partner_id"],
        how="outer",
        suffixes=("", "_csv"),
        indicator=True,
    )
    for column in ("start", "end"):
        merged[column] = merged[f"{column}_csv"].fillna(merged[column])
    merged["source"] = merged["_merge"].map(
        {"left_only": "01/KN", "right_only": "pairings.csv", "both": "01/KN+pairings.csv"}
    )
    return (
        merged[REGISTER_COLUMNS].sort_values(["commune_code", "partner_id"]).reset_index(drop=True)
    )


def _last_reported(tables: dict[str, pd.DataFrame]) -> dict[str, int] | None:
    """District → the last year it told who is twinned: its last Biểu 01/KN, or, for a district
    that never sends one (no pairing to report), its last return of any form. None without a
    submissions table (every return is then taken as received)."""
    subs = tables.get("submissions")
    if subs is None or subs.empty:
        return None
    live = subs[(subs["status"] == "ingested") & subs["district_code"].notna()]
    support: dict[str, int] = {}
    any_form: dict[str, int] = {}
    for district, year, forms in zip(
        live["district_code"], live["year"], live["forms_found"], strict=True
    ):
        if pd.isna(year):
            continue
        key, year = str(district), int(year)
        any_form[key] = max(any_form.get(key, year), year)
        if "support" in str(forms or "").split(","):
            support[key] = max(support.get(key, year), year)
    return {key: support.get(key, last) for key, last in any_form.items()}


def _quarantined_years(tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Commune → first year with a quarantined Biểu 01/KN row naming it."""
    quarantine = tables.get("quarantine")
    if quarantine is None or quarantine.empty:
        return {}
    rows = quarantine[(quarantine["form"] == "support") & quarantine["commune_code"].notna()]
    years = pd.to_numeric(rows["year"], errors="coerce")
    firsts = years.groupby(rows["commune_code"].astype(str)).min().dropna()
    return {str(code): int(year) for code, year in firsts.items()}


def treatment_groups(
    tables: dict[str, pd.DataFrame],
    pairings: pd.DataFrame | None = None,
    first_year: int | None = None,
    frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each commune's first pairing year ``g`` and whether it is known.

    ``status``: "twinned" (``g`` known), "never" (no pairing anywhere) or "unknown"
    (``reason`` start_blank or quarantined; ``g`` NaN); ``seen`` is the first year a pairing
    of the commune is seen (an accepted or quarantined row), the upper bound of ``g``. With
    ``first_year`` (the first year of data), a pairing seen by then counts as twinned before
    the data (``g = seen``) even with a blank start. ``frame``: the tables'
    ``indicators.commune_frame``, when the caller has it already.
    """
    from ketnghia_analysis.analysis.indicators.frames import commune_frame

    reg = pairing_register(tables, pairings)
    quarantined = _quarantined_years(tables)
    frame = commune_frame(tables) if frame is None else frame
    codes = sorted(set(frame["commune_code"]) | set(reg["commune_code"]))
    known = reg.dropna(subset=["start"]).groupby("commune_code")["start"].min()
    blank = reg[reg["start"].isna()]
    blank_seen = blank.groupby("commune_code")["first_seen"].min()
    accepted_seen = reg.groupby("commune_code")["first_seen"].min()
    rows = []
    for code in codes:
        g = known.get(code, np.inf)
        accepted, quarantine = accepted_seen.get(code, np.inf), quarantined.get(code, np.inf)
        # a quarantined row after an accepted one belongs to a pairing already seen
        early_quarantine = quarantine if quarantine < accepted else np.inf
        bound = min(blank_seen.get(code, np.inf), early_quarantine)
        seen = min(accepted, quarantine, g)
        reason = ""
        if np.isfinite(bound) and not g <= bound:
            if first_year is not None and bound <= first_year:
                g = bound  # twinned by the first year of data: before it, whatever the start
            else:
                reason = "quarantined" if bound == early_quarantine else "start_blank"
        status = "unknown" if reason else ("twinned" if np.isfinite(g) else "never")
        rows.append(
            {
                "commune_code": code,
                "g": float(g) if np.isfinite(g) and not reason else np.nan,
                "status": status,
                "reason": reason,
                "seen": float(seen) if np.isfinite(seen) else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=GROUP_COLUMNS)


def commune_year_status(
    tables: dict[str, pd.DataFrame],
    years: list[int] | None = None,
    pairings: pd.DataFrame | None = None,
    groups: pd.DataFrame | None = None,
    frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Twinning status of every commune in every year: twinned / not_twinned / unknown.

    ``years`` default to the years of the poverty table. A pairing with an ``end`` year (from
    ``pairings.csv``) leaves the commune not twinned after it when no other pairing holds.
    ``groups`` (:func:`treatment_groups` with the first of ``years``) and ``frame``
    (``indicators.commune_frame``): when the caller has them already.

    Returns
    -------
    DataFrame
        commune_code, year, status, reason ("" unless unknown: start_blank, quarantined,
        return_missing).
    """
    from ketnghia_analysis.analysis.indicators.frames import commune_frame

    if years is None:
        years = sorted(int(y) for y in tables["poverty"]["year"].dropna().unique())
    first_year = min(years) if years else None
    frame = commune_frame(tables) if frame is None else frame
    if groups is None:
        groups = treatment_groups(tables, pairings, first_year, frame)
    reg = pairing_register(tables, pairings)
    ended = reg.groupby("commune_code")["end"].max() if len(reg) else pd.Series(dtype=float)
    open_ = set(reg[reg["end"].isna()]["commune_code"]) if len(reg) else set()
    reported = _last_reported(tables)
    district_of = frame.set_index("commune_code")["district_code"].astype(str)
    n_years = len(years)
    code = np.repeat(groups["commune_code"].to_numpy(dtype=object), n_years)
    year = np.tile(np.asarray(years, dtype=float), len(groups))
    kind = np.repeat(groups["status"].to_numpy(dtype=object), n_years)
    g = np.repeat(groups["g"].to_numpy(dtype=float), n_years)
    seen = np.repeat(groups["seen"].to_numpy(dtype=float), n_years)
    why = np.repeat(groups["reason"].astype(str).to_numpy(dtype=object), n_years)
    if reported is None:
        last = np.full(len(code), np.inf)
    else:
        districts = groups["commune_code"].map(district_of).fillna("")
        last = np.repeat(districts.map(reported).fillna(-1).to_numpy(dtype=float), n_years)
    unknown, twinned, never = kind == "unknown", kind == "twinned", kind == "never"
    status = np.full(len(code), NOT_TWINNED, dtype=object)
    reason = np.full(len(code), "", dtype=object)
    status[(unknown & (year >= seen)) | (twinned & (year >= g))] = TWINNED
    not_yet = unknown & ~(year >= seen)
    status[not_yet], reason[not_yet] = UNKNOWN, why[not_yet]
    missing = never & (year > last)
    status[missing], reason[missing] = UNKNOWN, "return_missing"
    end = pd.Series(code).map(ended).to_numpy(dtype=float)
    closed = ~pd.Series(code).isin(open_).to_numpy() & (year > np.nan_to_num(end, nan=np.inf))
    status[(status == TWINNED) & closed] = NOT_TWINNED
    out = pd.DataFrame({"commune_code": code, "year": year.astype(int), "status": status})
    out["reason"] = reason
    return out[STATUS_COLUMNS]
