"""The processed tables a perfect build would produce from the world, without writing files.

For Monte-Carlo runs (benchmarks/mc.py): ``ketnghia sample`` followed by ``ketnghia build``
costs about a minute a draw; this costs a fraction of a second. Every return is taken as
read, one file per district and year named ``<year>/<district_code>.xlsx`` (sheets as the
form codes); the support rows lost as *quarantined* (``world.threats.lose_support``) are
in ``quarantine`` with a VALUE_NOT_NUMERIC finding in ``issues``, as the build would
record them; rows lost as *not sent* leave no trace. Planted reader variations and value
errors of the files are not reproduced (their truth is the world itself).
"""

from __future__ import annotations

import json

import pandas as pd

from ketnghia_analysis.reference import gazetteer
from ketnghia_analysis.sample.world.schemas import conform

DATA_TABLES = ("poverty", "ntm_criteria", "ntm_status", "support", "models")
SHEETS = {
    "support": "01-KN",
    "poverty": "02-HN",
    "ntm_status": "03-NTM",
    "ntm_criteria": "03-NTM",
    "models": "04-MH",
}
FORM_ORDER = ("support", "poverty", "ntm", "models")
ISSUE_COLUMNS = ["severity", "code", "message", "district_code", "year", "source_file",
                 "source_sheet", "cell", "value", "expected", "suggestion"]  # fmt: skip
QUARANTINE_COLUMNS = ["form", "district_code", "year", "commune_label", "commune_code", "codes",
                      "raw_values", "source_file", "source_sheet", "source_row"]  # fmt: skip


def source_file(year: int, district_code: str) -> str:
    """The file name standing for a district-year's return."""
    return f"{int(year)}/{district_code}.xlsx"


def processed_tables(world: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """``kn.load``-like tables of the world: the data tables with provenance, communes,
    partners, submissions, quarantine and issues (only those of quarantined support rows)."""
    out: dict[str, pd.DataFrame] = {}
    for name in DATA_TABLES:
        frame = world[name].copy()
        frame["source_file"] = [
            source_file(y, d) for y, d in zip(frame["year"], frame["district_code"], strict=True)
        ]
        frame["source_sheet"] = SHEETS[name]
        frame["source_row"] = frame.groupby("source_file").cumcount() + 5
        out[name] = conform(frame, name, provenance=True)
    out["communes"] = gazetteer.communes().drop(columns=["source"], errors="ignore")
    partners = world["partners"].copy()
    partners["aliases"] = partners["aliases"].map(list)
    out["partners"] = partners
    lost = world.get("lost_support")
    quarantined = lost[lost["mode"] == "quarantined"] if lost is not None else None
    out["quarantine"], out["issues"] = _quarantine(quarantined, world["poverty"])
    out["submissions"] = _submissions(out, quarantined)
    return out


def _quarantine(lost: pd.DataFrame | None, pov: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Quarantine rows and findings of the support rows lost as quarantined."""
    if lost is None or lost.empty:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS), pd.DataFrame(columns=ISSUE_COLUMNS)
    names = {
        (int(y), str(c)): n
        for y, c, n in zip(pov["year"], pov["commune_code"], pov["commune_name"], strict=True)
    }
    q_rows, i_rows = [], []
    for k, rec in enumerate(lost.itertuples(index=False)):
        year, dcode, code = int(rec.year), str(rec.district_code), str(rec.commune_code)
        label = names.get((year, code), code)
        raw = {"commune": label, "partner_name": rec.partner_name, "cash_mvnd": "1O0"}
        where = {"source_file": source_file(year, dcode), "source_sheet": SHEETS["support"]}
        q_rows.append(
            {"form": "support", "district_code": dcode, "year": year, "commune_label": label,
             "commune_code": code, "codes": "VALUE_NOT_NUMERIC",
             "raw_values": json.dumps(raw, ensure_ascii=False), **where, "source_row": 900 + k}
        )  # fmt: skip
        i_rows.append(
            {"severity": "error", "code": "VALUE_NOT_NUMERIC",
             "message": f"Giá trị không phải số: '1O0' (xã {label}) [VALUE_NOT_NUMERIC]",
             "district_code": dcode, "year": year, **where, "cell": f"H{900 + k}",
             "value": "1O0", "expected": "một số", "suggestion": "Sửa thành số rồi gửi lại."}
        )  # fmt: skip
    quarantine = pd.DataFrame(q_rows, columns=QUARANTINE_COLUMNS)
    quarantine["year"] = quarantine["year"].astype("Int64")
    quarantine["source_row"] = quarantine["source_row"].astype("Int64")
    issues = pd.DataFrame(i_rows, columns=ISSUE_COLUMNS)
    issues["year"] = issues["year"].astype("Int64")
    return quarantine, issues


def _submissions(tables: dict[str, pd.DataFrame], quarantined: pd.DataFrame | None) -> pd.DataFrame:
    """One ingested file per district-year, naming the forms it held."""
    forms: dict[tuple[int, str], set[str]] = {}
    parts = [(name, tables[name]) for name in DATA_TABLES]
    if quarantined is not None:
        parts.append(("support", quarantined))
    for name, frame in parts:
        form = "ntm" if name.startswith("ntm") else name
        pairs = zip(frame["year"].astype(int), frame["district_code"].astype(str), strict=True)
        for y, d in set(pairs):
            forms.setdefault((y, d), set()).add(form)
    rows = [
        {
            "source_file": source_file(y, d),
            "district_code": d,
            "year": y,
            "forms_found": ",".join(f for f in FORM_ORDER if f in found),
            "status": "ingested",
            "reason": None,
        }
        for (y, d), found in sorted(forms.items())
    ]
    out = pd.DataFrame(rows, columns=["source_file", "district_code", "year", "forms_found",
                                      "status", "reason"])  # fmt: skip
    out["year"] = out["year"].astype("Int64")
    return out
