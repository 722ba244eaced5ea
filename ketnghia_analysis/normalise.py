"""One read return → tidy rows of the processed tables: commune codes, partner ids, units.

Row-level rules (validate.py) run here too, so that each data row ends either in a
processed table (accepted) or in quarantine, and a file's accounting closes:
``rows_read = rows_accepted + rows_quarantined + rows_structural``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ketnghia_analysis import validate as v
from ketnghia_analysis.columns import POVERTY_COUNTS, SUPPORT_COUNTS
from ketnghia_analysis.issues import Issue
from ketnghia_analysis.partners import PartnerRegistry
from ketnghia_analysis.text import fold
from ketnghia_analysis.validate import records_of
from ketnghia_analysis.values import is_missing

FORM_VI = {
    "support": "Biểu 01/KN",
    "poverty": "Biểu 02/HN",
    "ntm": "Biểu 03/NTM",
    "models": "Biểu 04/MH",
}
OUTPUT_TABLES = ("poverty", "ntm_status", "ntm_criteria", "support", "models")
MODEL_STATUS = {
    "dang duy tri": "maintained",
    "duy tri": "maintained",
    "maintained": "maintained",
    "da nhan rong": "replicated",
    "nhan rong": "replicated",
    "replicated": "replicated",
    "dung": "stopped",
    "da dung": "stopped",
    "ngung": "stopped",
    "stopped": "stopped",
    "moi trien khai": "new",
    "moi": "new",
    "new": "new",
}


def poverty_standard(year: int) -> str:
    """Poverty standard of a return year.

    >>> poverty_standard(2021), poverty_standard(2022)
    ('2016-2020', '2022-2025')
    """
    return "2016-2020" if year <= 2021 else "2022-2025"


def criteria_set(year: int) -> str:
    """NTM criteria set of a return year.

    >>> criteria_set(2021), criteria_set(2022)
    ('2016-2020', '2021-2025')
    """
    return "2016-2020" if year <= 2021 else "2021-2025"


def ntm_level(value: object) -> tuple[str | None, int | None]:
    """Recognition text → (level code, year written in it).

    >>> ntm_level("Đạt chuẩn NTM năm 2020")
    ('dat_chuan', 2020)
    >>> ntm_level("NTM nâng cao"), ntm_level("Chưa đạt"), ntm_level(2019)
    (('nang_cao', None), (None, None), ('dat_chuan', 2019))
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        year = int(value)
        return ("dat_chuan", year) if 1990 <= year <= 2100 else (None, None)
    key = fold(str(value))
    if not key:
        return None, None
    years = re.findall(r"(?:19|20)\d\d", key)
    year = int(years[0]) if years else None
    if key in ("dat_chuan", "nang_cao", "kieu_mau"):
        return key, None
    words = key.split()
    if "chua" in words or "khong" in words:  # "chưa đạt", "không đánh giá" ("chuẩn" ≠ "chưa")
        return None, None
    if "nang cao" in key:
        return "nang_cao", year
    if "kieu mau" in key:
        return "kieu_mau", year
    if "dat" in key or "ntm" in key or "nong thon moi" in key or year:
        return "dat_chuan", year
    return None, None


def model_status(value: object) -> str | None:
    """Model status text → maintained / replicated / stopped / new (None if unknown)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    key = fold(str(value))
    if key in MODEL_STATUS:
        return MODEL_STATUS[key]
    for text, status in MODEL_STATUS.items():
        if text in key:
            return status
    return None


@dataclass
class FileResult:
    """Everything one raw file contributes to a build (cacheable, picklable)."""

    source_file: str
    submission: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    quarantine: pd.DataFrame | None = None
    issues: list[Issue] = field(default_factory=list)
    columns_of: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    forms: list[str] = field(default_factory=list)
    report_date: Any = None
    modified: Any = None
    mtime: float | None = None
    district_name: str | None = None
    form_sheets: dict[str, str] = field(default_factory=dict)
    transient: bool = False  # a worker failure (time/memory): not cached


def _text(value: object) -> str | None:
    if is_missing(value):
        return None
    text = str(value).strip()
    return text or None


def _raw_row(raw: pd.DataFrame | None, row: int) -> dict[str, str | None]:
    if raw is None or raw.empty or "source_row" not in raw.columns:
        return {}
    hit = raw[raw["source_row"] == row]
    if hit.empty:
        return {}
    rec = hit.iloc[0].to_dict()
    return {k: _text(val) for k, val in rec.items() if k != "source_row"}


class Normaliser:
    """Turns the forms of one read return into processed-table rows.

    Parameters
    ----------
    matcher : object with ``match(label, district_code, year)`` (matching.CommuneMatcher).
    registry : PartnerRegistry used to give partner ids (deterministic per spelling).
    communes : DataFrame of communes (gazetteer.communes()) for target areas.
    """

    def __init__(self, matcher: Any, registry: PartnerRegistry, communes: pd.DataFrame):
        self.matcher = matcher
        self.registry = registry
        flags = communes.set_index("commune_code")
        mountain = flags["mountainous"].astype("boolean").fillna(False)
        border = flags["border"].astype("boolean").fillna(False)
        region = flags["ethnic_region"].notna()
        self.target = set(flags.index[(mountain | border | region).to_numpy(dtype=bool)])
        self._known_target = bool(self.target)

    def form_result(self, form: Any, ctx: v.Context) -> dict[str, Any]:
        """One form → accepted frames, quarantine rows, issues, row counts."""
        records = form.records.copy()
        if "source_row" not in records.columns:
            records["source_row"] = pd.Series(dtype="Int64")
        issues: list[Issue] = [i for i in getattr(form, "issues", []) or []]
        for issue in issues:  # reader issues carry the file, maybe not district and year
            issue.district_code = issue.district_code or ctx.district_code
            issue.year = issue.year or ctx.year
            issue.source_file = issue.source_file or ctx.source_file
            issue.source_sheet = issue.source_sheet or ctx.source_sheet
            if not issue.message.endswith(f"[{issue.code}]"):
                issue.message = f"{issue.message} [{issue.code}]"
        kind = form.form
        # the reader already reports values it could not parse: do not say it twice
        seen = {(i.code, i.cell) for i in issues}
        issues += [
            i
            for i in v.check_numbers(records, ctx, v.NUMERIC.get(kind, []))
            if (i.code, i.cell) not in seen
        ]
        kinds = getattr(form, "row_kinds", None) or {}
        sections = [r for r, k in kinds.items() if k == "section"]
        issues += v.check_totals(
            records, getattr(form, "totals", None), ctx, v.NUMERIC.get(kind, []), sections
        )

        # commune codes
        codes, names = [], []
        for rec in records_of(records):
            label = rec.get("commune")
            row = rec.get("source_row")
            if _text(label) is None:
                if kind == "models":
                    codes.append(None)
                    names.append(None)
                    continue
                issues.append(
                    ctx.issue(
                        "UNKNOWN_COMMUNE",
                        "Dòng không ghi tên xã.",
                        row=row,
                        column="commune",
                        value=None,
                        expected="tên một xã của huyện",
                        suggestion="Ghi tên xã vào ô này.",
                    )
                )
                codes.append(None)
                names.append(None)
                continue
            match = self.matcher.match(label, ctx.district_code, ctx.year)
            if match.code is None:
                code = "AMBIGUOUS_COMMUNE" if match.method == "ambiguous" else "UNKNOWN_COMMUNE"
                hints = ", ".join(f"{name} ({c})" for c, name, _ in match.suggestions[:3])
                what = (
                    "khớp với nhiều xã"
                    if code == "AMBIGUOUS_COMMUNE"
                    else "không có trong danh mục xã của huyện năm " + str(ctx.year)
                )
                issues.append(
                    ctx.issue(
                        code,
                        f"Tên xã '{label}' {what}.",
                        row=row,
                        column="commune",
                        value=label,
                        expected="tên một xã của huyện trong năm",
                        suggestion=f"Có phải: {hints}?" if hints else None,
                    )
                )
                codes.append(None)
                names.append(None)
            else:
                if match.method == "fuzzy":
                    issues.append(
                        ctx.issue(
                            "COMMUNE_FUZZY",
                            f"Tên xã '{label}' được hiểu là {match.name} (khớp gần đúng "
                            f"{match.confidence:.0%}).",
                            row=row,
                            column="commune",
                            value=label,
                            expected=match.name,
                            suggestion=f"Ghi đúng tên chính thức: {match.name}.",
                        )
                    )
                elif match.method in ("renamed", "merged"):
                    # A name valid in another year (renamed, or a unit merged into this one):
                    # the code is right, but the return should use the name of its year.
                    what = "đã đổi tên" if match.method == "renamed" else "đã sáp nhập vào"
                    issues.append(
                        ctx.issue(
                            "COMMUNE_OLD_NAME",
                            f"Tên xã '{label}' là tên cũ ({what} {match.name} "
                            f"trong năm {ctx.year}).",
                            row=row,
                            column="commune",
                            value=label,
                            expected=match.name,
                            suggestion=f"Dùng tên chính thức của năm {ctx.year}: {match.name}.",
                        )
                    )
                codes.append(match.code)
                names.append(match.name)
        records["commune_code"] = pd.Series(codes, index=records.index, dtype=object)
        records["commune_name"] = pd.Series(names, index=records.index, dtype=object)

        levels = None
        if kind == "poverty":
            issues += v.check_poverty(records, ctx)
            issues += v.check_duplicates(records, ctx, ["commune_code"])
        elif kind == "ntm":
            parsed = [
                ntm_level(x) for x in records.get("ntm_level", pd.Series(index=records.index))
            ]
            levels = pd.Series([p[0] for p in parsed], index=records.index, dtype=object)
            records["_level"] = levels
            records["_level_year"] = [p[1] for p in parsed]
            issues += v.check_ntm(records, ctx, levels)
            assessed = records
            if "not_assessed" in records.columns:
                assessed = records[~records["not_assessed"].fillna(False).astype(bool)]
            issues += v.check_duplicates(assessed, ctx, ["commune_code"])
        elif kind in ("support", "models"):
            ids, pnames, ptypes = [], [], []
            for rec in records_of(records):
                res = self.registry.resolve(rec.get("partner_name"), rec.get("partner_type"))
                ids.append(res.partner_id if res else None)
                pnames.append(res.partner_name if res else None)
                reported_type = _text(rec.get("partner_type"))
                # the registry's type wins: returns spell the types in many ways
                ptypes.append((res.partner_type if res else None) or reported_type)
            records["partner_id"] = ids
            records["_partner_canonical"] = pnames
            records["_partner_type"] = ptypes
            if kind == "support":
                for rec in records_of(records):
                    if rec.get("partner_id") is None:
                        issues.append(
                            ctx.issue(
                                "MISSING_PARTNER",
                                "Dòng không ghi tên đơn vị kết nghĩa.",
                                row=rec.get("source_row"),
                                column="partner_name",
                                expected="tên đơn vị kết nghĩa",
                                suggestion="Ghi tên đơn vị kết nghĩa.",
                            )
                        )
                issues += v.check_duplicates(records, ctx, ["commune_code", "partner_id"])
                if self._known_target:
                    for rec in records_of(records):
                        code = rec.get("commune_code")
                        if code and code not in self.target:
                            issues.append(
                                ctx.issue(
                                    "SUPPORT_OUTSIDE_TARGET",
                                    f"{rec.get('commune_name')} không thuộc địa bàn kết nghĩa "
                                    "(xã miền núi, vùng DTTS, biên giới).",
                                    row=rec.get("source_row"),
                                    column="commune",
                                    value=rec.get("commune"),
                                    expected="xã thuộc địa bàn kết nghĩa",
                                    suggestion="Kiểm tra tên xã hoặc danh sách địa bàn.",
                                )
                            )

        bad = v.error_rows(issues)
        is_bad = records["source_row"].map(
            lambda r: r is not None and not pd.isna(r) and int(r) in bad
        )
        accepted = records[~is_bad.astype(bool)].copy()
        quarantined = []
        for rec in records_of(records[is_bad.astype(bool)]):
            row = int(rec["source_row"])
            raw = _raw_row(getattr(form, "raw", None), row) or {
                k: _text(val) for k, val in rec.items() if not str(k).startswith("_")
            }
            quarantined.append(
                {
                    "form": kind,
                    "district_code": ctx.district_code,
                    "year": ctx.year,
                    "commune_label": _text(rec.get("commune")),
                    "commune_code": rec.get("commune_code"),
                    "codes": "; ".join(bad[row]),
                    "raw_values": json.dumps(raw, ensure_ascii=False, default=str),
                    "source_file": ctx.source_file,
                    "source_sheet": ctx.source_sheet,
                    "source_row": row,
                }
            )
        # A ward or township marked "không đánh giá" on Biểu 03/NTM is not assessed (the
        # criteria do not apply): its row is read and counted as structure, not as accepted
        # data, since it becomes no row of any table.
        not_assessed = 0
        if kind == "ntm" and "not_assessed" in accepted.columns:
            not_assessed = int(accepted["not_assessed"].fillna(False).astype(bool).sum())
        return {
            "kind": kind,
            "accepted": accepted,
            "quarantine": quarantined,
            "issues": issues,
            "rows_read": int(getattr(form, "rows_read", len(records)) or 0),
            "rows_structural": int(getattr(form, "rows_structural", 0) or 0) + not_assessed,
            "n_records": len(records) - not_assessed,
        }

    def tables(self, kind: str, accepted: pd.DataFrame, ctx: v.Context) -> dict[str, pd.DataFrame]:
        """Accepted records of a form → rows of the processed tables."""
        prov = {"source_file": ctx.source_file, "source_sheet": ctx.source_sheet}
        year = int(ctx.year)
        out: dict[str, pd.DataFrame] = {}
        base = pd.DataFrame(
            {
                "year": year,
                "district_code": ctx.district_code,
                "commune_code": accepted["commune_code"],
            },
            index=accepted.index,
        )
        if kind == "poverty":
            frame = base.copy()
            frame["commune_name"] = accepted["commune_name"]
            for col in POVERTY_COUNTS:
                frame[col] = accepted[col] if col in accepted else None
            end = pd.to_numeric(frame["poor_end"], errors="coerce")
            total = pd.to_numeric(frame["households_total"], errors="coerce")
            frame["poverty_rate_end"] = (end / total.where(total > 0)).astype("float64")
            frame["poverty_standard"] = poverty_standard(year)
            out["poverty"] = frame.assign(**prov, source_row=accepted["source_row"])
        elif kind == "ntm":
            keep = accepted
            if "not_assessed" in accepted.columns:
                keep = accepted[~accepted["not_assessed"].fillna(False).astype(bool)]
            status = base.loc[keep.index].copy()
            status["criteria_met"] = [v.count_met(r) for r in records_of(keep)]
            status["criteria_set"] = criteria_set(year)
            status["ntm_level"] = keep["_level"]
            reported = (
                keep["recognized_year"]
                if "recognized_year" in keep
                else pd.Series(index=keep.index)
            )
            status["recognized_year"] = [
                r if r is not None and not pd.isna(r) else ly
                for r, ly in zip(reported, keep["_level_year"], strict=False)
            ]
            out["ntm_status"] = status.assign(**prov, source_row=keep["source_row"])
            rows = []
            for rec in records_of(keep):
                for i, col in enumerate(v.criteria_columns(), start=1):
                    value = rec.get(col)
                    rows.append(
                        {
                            "year": year,
                            "district_code": ctx.district_code,
                            "commune_code": rec["commune_code"],
                            "criterion": i,
                            "met": v.is_met(value),
                            **prov,
                            "source_row": rec["source_row"],
                        }
                    )
            out["ntm_criteria"] = pd.DataFrame(rows)
        elif kind == "support":
            frame = base.copy()
            frame["partner_id"] = accepted["partner_id"]
            frame["partner_name"] = accepted["_partner_canonical"]
            frame["partner_type"] = accepted["_partner_type"]
            frame["partner_label"] = accepted.get("partner_name")
            frame["pair_start_year"] = accepted.get("pair_start_year")
            frame["cash_mvnd"] = accepted.get("cash")
            frame["in_kind_mvnd"] = accepted.get("in_kind")
            for col in (*SUPPORT_COUNTS, "note"):
                frame[col] = accepted.get(col)
            out["support"] = frame.assign(**prov, source_row=accepted["source_row"])
        elif kind == "models":
            frame = base.copy()
            frame["partner_id"] = accepted["partner_id"]
            frame["partner_label"] = accepted.get("partner_name")
            frame["model_name"] = accepted.get("model_name")
            frame["model_type"] = accepted.get("model_type")
            frame["start_year"] = accepted.get("start_year")
            frame["households"] = accepted.get("households")
            frame["status"] = [
                model_status(x) for x in accepted.get("status", [None] * len(accepted))
            ]
            out["models"] = frame.assign(**prov, source_row=accepted["source_row"])
        return out
