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

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype, is_object_dtype

from ketnghia_analysis.building import validate as v
from ketnghia_analysis.building.validate import records_of
from ketnghia_analysis.core.columns import POVERTY_COUNTS, SUPPORT_COUNTS
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.core.missing import is_missing
from ketnghia_analysis.core.text import fold
from ketnghia_analysis.reference.partners import PartnerRegistry

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


def _flagged(value: object) -> bool:
    """A not_assessed mark: missing is False, anything else its truth value."""
    return not is_missing(value) and bool(value)


def _raw_rows(raw: pd.DataFrame | None) -> dict[Any, dict[str, str | None]]:
    """Excel row → the cells of that row as read (text), for the quarantine's raw_values.

    The first row of each number counts. Built once per form: filtering the raw frame once
    per quarantined row took 4.8 of the 5.7 s of normalising benchmark 4c's 10,000 rows.
    """
    if raw is None or raw.empty or "source_row" not in raw.columns:
        return {}
    rows: dict[Any, dict[str, str | None]] = {}
    for rec in records_of(raw):
        row = rec["source_row"]
        if not is_missing(row) and row not in rows:
            rows[row] = {k: _text(val) for k, val in rec.items() if k != "source_row"}
    return rows


def _floats(values: Any, n: int) -> np.ndarray:
    """A column (array or None) as float64, NaN for missing or not a number, as
    ``pd.to_numeric(errors="coerce")`` reads it."""
    if values is None:
        return np.full(n, np.nan)
    if not is_numeric_dtype(values.dtype):
        values = pd.to_numeric(values, errors="coerce")
    if isinstance(values, np.ndarray):
        return values.astype("float64")
    return values.to_numpy(dtype="float64", na_value=np.nan)


@dataclass
class AcceptedRows:
    """The accepted rows of one form, as `Normaliser.form_result` hands them to `tables`.

    Not a DataFrame: a form has 15-25 rows, and every pandas call (50-500 µs whatever the
    size) cost more than the rows. `tables` takes the columns it needs as arrays and builds
    each output frame with one DataFrame call.
    """

    frame: pd.DataFrame  # the form's records, every row (read only)
    positions: np.ndarray | None  # of the accepted rows in `frame`; None: every row
    records: list[dict]  # the accepted rows as dicts (records_of), added columns included
    added: dict[str, Any] = field(default_factory=dict)  # added columns, every row

    def __len__(self) -> int:
        return len(self.records)

    def select(self, keep: list[int]) -> AcceptedRows:
        """The rows at these positions (of the accepted rows)."""
        if len(keep) == len(self.records):
            return self
        picked = np.asarray(keep, dtype=np.intp)
        return AcceptedRows(
            self.frame,
            picked if self.positions is None else self.positions[picked],
            [self.records[i] for i in keep],
            self.added,
        )

    def column(self, name: str) -> Any:
        """A column of these rows as an array (the dtype of the records frame, or of the
        added column); None when the form has no such column."""
        if name in self.added:
            values = self.added[name]
        elif name in self.frame.columns:
            values = self.frame[name].array
        else:
            return None
        return values if self.positions is None else values.take(self.positions)

    def table(self, columns: dict[str, Any]) -> pd.DataFrame:
        """One output frame on the rows' index: arrays, lists (dtype inferred) or scalars."""
        index = self.frame.index
        if self.positions is not None:
            index = index[self.positions]
        for name, values in columns.items():
            if is_object_dtype(getattr(values, "dtype", None)):
                # pandas would infer ``str`` from an object array; a Series keeps the dtype
                columns[name] = pd.Series(values, index=index, dtype=object, copy=False)
        return pd.DataFrame(columns, index=index)


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
        """One form → accepted rows, quarantine rows, issues, row counts.

        The records become dicts once (records_of); the rules and lookups all work on them.
        """
        records = form.records
        if "source_row" not in records.columns:
            records = records.assign(source_row=pd.Series(dtype="Int64"))
        recs = records_of(records)
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
            for i in v.check_numbers(recs, ctx, v.NUMERIC.get(kind, []))
            if (i.code, i.cell) not in seen
        ]
        kinds = getattr(form, "row_kinds", None) or {}
        sections = [r for r, k in kinds.items() if k == "section"]
        issues += v.check_totals(
            recs, getattr(form, "totals", None), ctx, v.NUMERIC.get(kind, []), sections
        )

        # commune codes
        codes, names = [], []
        for rec in recs:
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
        # Columns added to the records: an array over every row for the tables, and in each
        # rec the value as that array holds it. These were columns of the records frame:
        # the processed tables keep their dtypes, and the rules saw their values.
        added: dict[str, Any] = {}

        def add(name: str, values: list, *, infer: bool = False) -> None:
            if infer:  # pandas picks the dtype: text → str (None → NaN), ints with None → float
                # (no rows: float64 like a frame column; Series([]) alone would be object)
                column = pd.Series(values if values else np.array([]))
                added[name] = column.array
                values = column.tolist()
            else:  # objects: None stays None
                added[name] = np.array(values, dtype=object)
            for rec, value in zip(recs, values, strict=True):
                rec[name] = value

        add("commune_code", codes)
        add("commune_name", names)

        if kind == "poverty":
            issues += v.check_poverty(recs, ctx)
            issues += v.check_duplicates(recs, ctx, ["commune_code"])
        elif kind == "ntm":
            parsed = [ntm_level(rec.get("ntm_level")) for rec in recs]
            levels = [p[0] for p in parsed]
            add("_level", levels)
            add("_level_year", [p[1] for p in parsed], infer=True)
            issues += v.check_ntm(recs, ctx, levels)
            assessed = [rec for rec in recs if not _flagged(rec.get("not_assessed"))]
            issues += v.check_duplicates(assessed, ctx, ["commune_code"])
        elif kind in ("support", "models"):
            ids, pnames, ptypes = [], [], []
            for rec in recs:
                res = self.registry.resolve(rec.get("partner_name"), rec.get("partner_type"))
                ids.append(res.partner_id if res else None)
                pnames.append(res.partner_name if res else None)
                reported_type = _text(rec.get("partner_type"))
                # the registry's type wins: returns spell the types in many ways
                ptypes.append((res.partner_type if res else None) or reported_type)
            add("partner_id", ids, infer=True)
            add("_partner_canonical", pnames, infer=True)
            add("_partner_type", ptypes, infer=True)
            if kind == "support":
                for rec in recs:
                    if is_missing(rec.get("partner_id")):  # None, or NaN in a text column
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
                issues += v.check_duplicates(recs, ctx, ["commune_code", "partner_id"])
                if self._known_target:
                    for rec in recs:
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
        keep: list[int] = []
        quarantined = []
        raw_rows: dict[Any, dict[str, str | None]] | None = None
        for i, rec in enumerate(recs):
            row = rec["source_row"]
            if is_missing(row) or int(row) not in bad:
                keep.append(i)
                continue
            row = int(row)
            if raw_rows is None:
                raw_rows = _raw_rows(getattr(form, "raw", None))
            raw = raw_rows.get(row) or {
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
        accepted = AcceptedRows(
            records,
            None if len(keep) == len(recs) else np.asarray(keep, dtype=np.intp),
            [recs[i] for i in keep],
            added,
        )
        # A ward or township marked "không đánh giá" on Biểu 03/NTM is not assessed (the
        # criteria do not apply): its row is read and counted as structure, not as accepted
        # data, since it becomes no row of any table.
        not_assessed = 0
        if kind == "ntm":
            not_assessed = sum(_flagged(rec.get("not_assessed")) for rec in accepted.records)
        return {
            "kind": kind,
            "accepted": accepted,
            "quarantine": quarantined,
            "issues": issues,
            "rows_read": int(getattr(form, "rows_read", len(records)) or 0),
            "rows_structural": int(getattr(form, "rows_structural", 0) or 0) + not_assessed,
            "n_records": len(records) - not_assessed,
        }

    def tables(self, kind: str, accepted: AcceptedRows, ctx: v.Context) -> dict[str, pd.DataFrame]:
        """Accepted rows of a form → rows of the processed tables (one DataFrame call each)."""
        year = int(ctx.year)
        column = accepted.column
        head = {
            "year": year,
            "district_code": ctx.district_code,
            "commune_code": column("commune_code"),
        }
        prov = {"source_file": ctx.source_file, "source_sheet": ctx.source_sheet}
        out: dict[str, pd.DataFrame] = {}
        if kind == "poverty":
            n = len(accepted)
            end = _floats(column("poor_end"), n)
            total = _floats(column("households_total"), n)
            out["poverty"] = accepted.table(
                {
                    **head,
                    "commune_name": column("commune_name"),
                    **{col: column(col) for col in POVERTY_COUNTS},
                    "poverty_rate_end": end / np.where(total > 0, total, np.nan),
                    "poverty_standard": poverty_standard(year),
                    **prov,
                    "source_row": column("source_row"),
                }
            )
        elif kind == "ntm":
            keep = accepted.select(
                [
                    i
                    for i, rec in enumerate(accepted.records)
                    if not _flagged(rec.get("not_assessed"))
                ]
            )
            recs = keep.records
            recognized = []
            for rec in recs:
                reported = rec.get("recognized_year")
                missing = reported is None or pd.isna(reported)
                recognized.append(rec["_level_year"] if missing else reported)
            out["ntm_status"] = keep.table(
                {
                    "year": year,
                    "district_code": ctx.district_code,
                    "commune_code": keep.column("commune_code"),
                    "criteria_met": [v.count_met(rec) for rec in recs],
                    "criteria_set": criteria_set(year),
                    "ntm_level": keep.column("_level"),
                    "recognized_year": recognized,
                    **prov,
                    "source_row": keep.column("source_row"),
                }
            )
            # one row per commune and criterion, built column by column (lists: the dtypes
            # pandas infers are those of the one-dict-per-row frame this used to be)
            n = len(v.CRITERIA)
            size = n * len(recs)
            out["ntm_criteria"] = (
                pd.DataFrame(
                    {
                        "year": [year] * size,
                        "district_code": [ctx.district_code] * size,
                        "commune_code": [rec["commune_code"] for rec in recs for _ in range(n)],
                        "criterion": list(range(1, n + 1)) * len(recs),
                        "met": [v.is_met(rec.get(col)) for rec in recs for col in v.CRITERIA],
                        "source_file": [ctx.source_file] * size,
                        "source_sheet": [ctx.source_sheet] * size,
                        "source_row": [rec["source_row"] for rec in recs for _ in range(n)],
                    }
                )
                if recs
                else pd.DataFrame([])  # no rows, no columns, as before
            )
        elif kind == "support":
            out["support"] = accepted.table(
                {
                    **head,
                    "partner_id": column("partner_id"),
                    "partner_name": column("_partner_canonical"),
                    "partner_type": column("_partner_type"),
                    "partner_label": column("partner_name"),
                    "pair_start_year": column("pair_start_year"),
                    "cash_mvnd": column("cash"),
                    "in_kind_mvnd": column("in_kind"),
                    **{col: column(col) for col in (*SUPPORT_COUNTS, "note")},
                    **prov,
                    "source_row": column("source_row"),
                }
            )
        elif kind == "models":
            out["models"] = accepted.table(
                {
                    **head,
                    "partner_id": column("partner_id"),
                    "partner_label": column("partner_name"),
                    "model_name": column("model_name"),
                    "model_type": column("model_type"),
                    "start_year": column("start_year"),
                    "households": column("households"),
                    "status": [model_status(rec.get("status")) for rec in accepted.records],
                    **prov,
                    "source_row": column("source_row"),
                }
            )
        return out
