"""A report's scope (the province or one district) and the counts its data-quality tables show."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

# Submissions' status codes, in the readers' language.
STATUS_VI = {"ingested": "đã nhận", "superseded": "bị thay thế", "rejected": "bị từ chối"}


def scope_name(tables: Mapping[str, pd.DataFrame], district_code: str = "") -> str:
    """ "Toàn tỉnh" or the official name of the district (from communes.parquet)."""
    if not district_code:
        return "Toàn tỉnh"
    communes = tables["communes"]
    hit = communes.loc[communes["district_code"] == str(district_code), "district_name"]
    return str(hit.iloc[0]) if len(hit) else f"Huyện {district_code}"


def in_scope(frame: pd.DataFrame, district_code: str = "") -> pd.DataFrame:
    """Rows of one district (all rows when ``district_code`` is empty)."""
    if not district_code or "district_code" not in frame.columns:
        return frame
    return frame[frame["district_code"] == str(district_code)]


def _with_names(frame: pd.DataFrame, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Add ``district_name`` from ``district_code`` (communes table) when it is missing."""
    if "district_name" in frame.columns or "district_code" not in frame.columns:
        return frame
    names = tables["communes"][["district_code", "district_name"]].drop_duplicates("district_code")
    return frame.merge(names, on="district_code", how="left")


def count_by(
    frame: pd.DataFrame, keys: list[str], names: Mapping[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """Number of rows per group (for data-quality tables: files, issues), column ``count``.

    ``names`` (the loaded tables) adds ``district_name`` from ``district_code``.
    """
    if names is not None:
        frame = _with_names(frame, names)
    if frame.empty:
        return pd.DataFrame(columns=[*keys, "count"])
    out = frame.groupby(keys, observed=True).size().rename("count").reset_index()
    if "status" in keys:
        out["status"] = out["status"].map(lambda s: STATUS_VI.get(s, s))
    return out


def sum_by(
    frame: pd.DataFrame,
    key: str,
    columns: list[str],
    names: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Column sums per group (for data-quality tables: rows read, accepted, quarantined)."""
    if names is not None:
        frame = _with_names(frame, names)
    return frame.groupby(key, observed=True)[columns].sum(min_count=1).reset_index()


# Scopes of the published poverty figures (reference/published_poverty.csv), for readers.
PUBLISHED_SCOPE_VI = {
    "province": "Toàn tỉnh",
    "mountain_area": "Miền núi",
    "mountain_districts": "Các huyện miền núi",
    "kv3_communes": "Các xã khu vực III",
}


def published_scopes(frame: pd.DataFrame, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """``indicators.reconcile_published`` for readers: the scope in Vietnamese (a district's
    official name for a district row) instead of its code and the district code column.

    >>> communes = pd.DataFrame({"district_code": ["516"], "district_name": ["Huyện Nam Trà My"]})
    >>> frame = pd.DataFrame({"scope": ["province", "district"], "district_code": [None, "516"]})
    >>> published_scopes(frame, {"communes": communes})["scope"].tolist()
    ['Toàn tỉnh', 'Huyện Nam Trà My']
    """
    names = tables["communes"][["district_code", "district_name"]].drop_duplicates("district_code")
    codes, labels = names["district_code"].astype(str), names["district_name"].astype(str)
    by_code = dict(zip(codes, labels, strict=True))
    scopes = [
        by_code.get(str(code), f"Huyện {code}")
        if scope == "district"
        else PUBLISHED_SCOPE_VI.get(str(scope), str(scope))
        for scope, code in zip(frame["scope"], frame["district_code"], strict=True)
    ]
    return frame.assign(scope=scopes).drop(columns=["district_code"])
