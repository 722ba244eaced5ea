"""One read return → its contribution to the build: commune codes, partner ids, row rules,
accepted rows and quarantine, with the file's accounting.

Each data row ends either in a processed table (accepted) or in quarantine, so that a file's
accounting closes: ``rows_read = rows_accepted + rows_quarantined + rows_structural``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ketnghia_analysis.building.bad_values import decide_bad_values
from ketnghia_analysis.building.commune_codes import commune_by_code
from ketnghia_analysis.building.commune_findings import match_finding, no_commune
from ketnghia_analysis.building.official_forms import OFFICIAL_KINDS
from ketnghia_analysis.building.official_units import is_district_row, official_rules, row_districts
from ketnghia_analysis.building.results import (
    FORM_ORDER,
    Columns,
    FileResult,
    rejected_result,
)
from ketnghia_analysis.building.row_rules import (
    check_duplicates,
    check_ntm,
    check_numbers,
    check_poverty,
    check_totals,
    error_rows,
)
from ketnghia_analysis.building.rulebook import (
    NUMERIC,
    Context,
    form_raw,
    form_records,
    form_totals,
    record_count,
)
from ketnghia_analysis.building.tabulate import AcceptedRows, flagged, form_tables
from ketnghia_analysis.core.fmt import fmt_number
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.core.limits import MEMORY_LIMIT_TEXT
from ketnghia_analysis.core.missing import is_missing
from ketnghia_analysis.reading.form_limits import form_too_large
from ketnghia_analysis.reference.partners import PartnerRegistry

#: One row of a form as the rules see it: column → value.
Record = dict[str, Any]


@dataclass(frozen=True)
class FormResult:
    """One form of a read return, normalised: its accepted rows, quarantine and findings."""

    kind: str
    accepted: AcceptedRows
    quarantine: list[Record]
    issues: list[Issue]
    rows_read: int
    rows_structural: int
    n_records: int  # data rows that are rows of a table (not-assessed wards excluded)
    cells_nulled: int = 0  # cells of accepted rows left null for a bad value


def _text(value: object) -> str | None:
    if is_missing(value):
        return None
    text = str(value).strip()
    return text or None


def placed(issue: Issue, ctx: Context) -> Issue:
    """A reader finding with the context the reader could not know (district, year), and its
    " [CODE]" suffix: the one place a finding of the reader gets its place in the build."""
    message = issue.message
    if not message.endswith(f"[{issue.code}]"):
        message = f"{message} [{issue.code}]"
    return dataclasses.replace(
        issue,
        message=message,
        district_code=issue.district_code or ctx.district_code,
        year=issue.year or ctx.year,
        source_file=issue.source_file or ctx.source_file,
        source_sheet=issue.source_sheet or ctx.source_sheet,
    )


def quarantine_row(
    kind: str, ctx: Context, rec: Record, codes: str, raw: Record, row: Any
) -> Record:
    """One row of quarantine.parquet: where the row was, why, and its cells as read."""
    return {
        "form": kind,
        "district_code": ctx.district_code,
        "year": ctx.year,
        "commune_label": _text(rec.get("commune")),
        "commune_code": rec.get("commune_code"),
        "codes": codes,
        "raw_values": json.dumps(raw, ensure_ascii=False, default=str),
        "source_file": ctx.source_file,
        "source_sheet": ctx.source_sheet,
        "source_row": row,
    }


def _raw_rows(form: Any) -> dict[Any, dict[str, str | None]]:
    """Excel row → the cells of that row as read (text), for the quarantine's raw_values.

    The first row of each number counts. Built once per form: filtering the raw frame once
    per quarantined row took 4.8 of the 5.7 s of normalising benchmark 4c's 10,000 rows.
    """
    rows: dict[Any, dict[str, str | None]] = {}
    for rec in form_raw(form):
        row = rec["source_row"]
        if not is_missing(row) and row not in rows:
            rows[row] = {k: _text(val) for k, val in rec.items() if k != "source_row"}
    return rows


class _AddedColumns:
    """Columns added to a form's records: an array over every row for the tables, and in each
    record the value as that array holds it (the rules see what the tables will hold)."""

    def __init__(self, recs: list[Record]):
        self.recs = recs
        self.arrays: dict[str, Any] = {}

    def add(self, name: str, values: list[Any], *, infer: bool = False) -> None:
        if (
            infer
            and any(type(v) is str for v in values)
            and all(v is None or type(v) is str for v in values)
        ):  # what pandas makes of text (str, None → NaN), without a Series
            self.arrays[name] = np.array(values, dtype=object)
            values = [np.nan if v is None else v for v in values]
        elif infer and all(v is None for v in values):  # no value: objects (None stays None);
            # no rows: float64, like a frame column
            self.arrays[name] = np.array(values, dtype=object) if values else np.array([])
        elif infer:  # pandas picks the dtype: text → str (None → NaN), ints with None → float
            import pandas as pd

            column = pd.Series(values)
            self.arrays[name] = column.array
            values = column.tolist()
        else:  # objects: None stays None
            self.arrays[name] = np.array(values, dtype=object)
        for rec, value in zip(self.recs, values, strict=True):
            rec[name] = value


class Normaliser:
    """Turns the forms of one read return into processed-table rows.

    Parameters
    ----------
    matcher : object with ``match(label, district_code, year)`` (matching.CommuneMatcher).
    registry : PartnerRegistry used to give partner ids (deterministic per spelling).
    target : codes of the communes of the twinning target areas (mountainous, border or in
        an ethnic minority region: ``gazetteer.target_communes()``); none known: the rule
        SUPPORT_OUTSIDE_TARGET is not applied.
    """

    def __init__(self, matcher: Any, registry: PartnerRegistry, target: Iterable[str]):
        self.matcher = matcher
        self.registry = registry
        self.target = set(target)
        self._known_target = bool(self.target)

    def form_result(self, form: Any, ctx: Context) -> FormResult:
        """One form → accepted rows, quarantine rows, issues, row counts.

        The records become dicts once (from the reader's plain columns, or `records_of` a
        frame); the rules and lookups all work on them.
        """
        recs, records = form_records(form)
        kind = form.form
        issues = [placed(i, ctx) for i in getattr(form, "issues", []) or []]
        issues += _number_findings(recs, form, ctx, issues)
        bad = decide_bad_values(recs, issues, dict(form.columns), records)
        issues = bad.issues + _total_findings(recs, form, ctx)
        added = _AddedColumns(recs)
        if kind in OFFICIAL_KINDS:  # a province compilation spans districts
            districts, unknown = row_districts(recs, ctx)
            added.add("_district_code", districts)
            issues += unknown
        issues += self._communes(recs, kind, ctx, added)
        issues += self._form_rules(recs, kind, ctx, added)
        keep, quarantined = _quarantine(recs, issues, form, ctx)
        accepted = AcceptedRows(
            records if bad.records is None else bad.records,
            None if len(keep) == len(recs) else np.asarray(keep, dtype=np.intp),
            [recs[i] for i in keep],
            added.arrays,
            None if records is not None else form.plain.records,
        )
        # A ward or township marked "không đánh giá" on Biểu 03/NTM is not assessed (the
        # criteria do not apply): its row is read and counted as structure, not as accepted
        # data, since it becomes no row of any table.
        not_assessed = 0
        if kind == "ntm":
            not_assessed = sum(flagged(rec.get("not_assessed")) for rec in accepted.records)
        return FormResult(
            kind=kind,
            accepted=accepted,
            quarantine=quarantined,
            issues=issues,
            rows_read=int(getattr(form, "rows_read", len(recs)) or 0),
            rows_structural=int(getattr(form, "rows_structural", 0) or 0) + not_assessed,
            n_records=len(recs) - not_assessed,
            cells_nulled=bad.cells_nulled(rec["source_row"] for rec in accepted.records),
        )

    def _communes(
        self, recs: list[Record], kind: str, ctx: Context, added: _AddedColumns
    ) -> list[Issue]:
        """The commune code and official name of each row (added columns), and the findings."""
        codes: list[str | None] = []
        names: list[str | None] = []
        issues: list[Issue] = []
        whole = ctx
        for rec in recs:
            label, row = rec.get("commune"), rec.get("source_row")
            if kind in OFFICIAL_KINDS:
                if is_district_row(rec):  # an aggregate: no commune (poverty_districts)
                    codes.append(None)
                    names.append(None)
                    continue
                ctx = dataclasses.replace(whole, district_code=rec["_district_code"])
            by_code, finding = commune_by_code(self.matcher, rec, ctx)
            if by_code is not None:
                match = by_code
            elif _text(label) is None:
                if kind != "models":  # a model may be district-wide
                    issues.append(no_commune(ctx, row))
                issues += [finding] if finding is not None else []
                codes.append(None)
                names.append(None)
                continue
            else:
                match = self.matcher.match(label, ctx.district_code, ctx.year)
                finding = finding or match_finding(match, str(label), row, ctx)
            if finding is not None:
                issues.append(finding)
            codes.append(match.code)
            names.append(match.name if match.code is not None else None)
        added.add("commune_code", codes)
        added.add("commune_name", names)
        return issues

    def _form_rules(
        self, recs: list[Record], kind: str, ctx: Context, added: _AddedColumns
    ) -> list[Issue]:
        """The row rules of each form, once commune codes are known."""
        if kind in OFFICIAL_KINDS:
            return official_rules(recs, kind, ctx)
        if kind == "poverty":
            return check_poverty(recs, ctx) + check_duplicates(recs, ctx, ["commune_code"])
        if kind == "ntm":
            levels = [
                rec.get("ntm_level") if isinstance(rec.get("ntm_level"), str) else None
                for rec in recs
            ]
            assessed = [rec for rec in recs if not flagged(rec.get("not_assessed"))]
            return check_ntm(recs, ctx, levels) + check_duplicates(assessed, ctx, ["commune_code"])
        self._partners(recs, added)
        if kind == "support":
            return self._support_rules(recs, ctx)
        return []

    def _partners(self, recs: list[Record], added: _AddedColumns) -> None:
        """Partner id, canonical name and type of each row (the registry's type wins: returns
        spell the types in many ways). Each row is looked up on its own, so that a file gets
        the same ids whichever worker reads it and whatever it read before; the build gives
        the final names (`assemble`)."""
        ids, names, types = [], [], []
        for rec in recs:
            res = self.registry.lookup(rec.get("partner_name"), rec.get("partner_type"))
            ids.append(res.partner_id if res else None)
            names.append(res.partner_name if res else None)
            types.append((res.partner_type if res else None) or _text(rec.get("partner_type")))
        added.add("partner_id", ids, infer=True)
        added.add("_partner_canonical", names, infer=True)
        added.add("_partner_type", types, infer=True)

    def _support_rules(self, recs: list[Record], ctx: Context) -> list[Issue]:
        """Biểu 01/KN: a partner on every row, one row per pair, communes of the target area."""
        issues = [
            ctx.issue(
                "MISSING_PARTNER",
                "Dòng không ghi tên đơn vị kết nghĩa.",
                row=rec.get("source_row"),
                column="partner_name",
                expected="tên đơn vị kết nghĩa",
                suggestion="Ghi tên đơn vị kết nghĩa.",
            )
            for rec in recs
            if is_missing(rec.get("partner_id"))  # None, or NaN in a text column
        ]
        issues += check_duplicates(recs, ctx, ["commune_code", "partner_id"])
        if not self._known_target:
            return issues
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
        return issues


def _number_findings(recs: list[Record], form: Any, ctx: Context, seen: list[Issue]) -> list[Issue]:
    """Numbers that are not numbers or negative; a value the reader already reported is not
    reported twice."""
    known = {(i.code, i.cell) for i in seen}
    found = check_numbers(recs, ctx, NUMERIC.get(form.form, []))
    return [i for i in found if (i.code, i.cell) not in known]


def _total_findings(recs: list[Record], form: Any, ctx: Context) -> list[Issue]:
    """Total and subtotal rows that do not add up (once the bad values are nulled: a sum
    over a nulled cell is unknown, not wrong)."""
    kinds = getattr(form, "row_kinds", None) or {}
    sections = [r for r, k in kinds.items() if k == "section"]
    if form.form in OFFICIAL_KINDS:  # a total sums the units, not the district rows too
        recs = [rec for rec in recs if not is_district_row(rec)]
    return check_totals(recs, form_totals(form), ctx, NUMERIC.get(form.form, []), sections)


def _quarantine(
    recs: list[Record], issues: list[Issue], form: Any, ctx: Context
) -> tuple[list[int], list[Record]]:
    """Positions of the rows kept, and a quarantine row for each row with an error."""
    bad = error_rows(issues)
    if not bad:  # most forms: every row kept
        return list(range(len(recs))), []
    keep: list[int] = []
    quarantined: list[Record] = []
    raw_rows: dict[Any, dict[str, str | None]] | None = None
    for i, rec in enumerate(recs):
        row = rec["source_row"]
        if is_missing(row) or int(row) not in bad:
            keep.append(i)
            continue
        row = int(row)
        if raw_rows is None:
            raw_rows = _raw_rows(form)
        raw = raw_rows.get(row) or {
            k: _text(val) for k, val in rec.items() if not str(k).startswith("_")
        }
        quarantined.append(quarantine_row(form.form, ctx, rec, "; ".join(bad[row]), raw, row))
    return keep, quarantined


# ---------------------------------------------------------------------------------------
# One return
# ---------------------------------------------------------------------------------------
@dataclass
class _FileParts:
    """What the forms of one return add up to, form after form: the rows of each table as
    plain columns, the lists of a later form extending those of the earlier."""

    tables: dict[str, Columns] = dataclasses.field(default_factory=dict)
    issues: list[Issue] = dataclasses.field(default_factory=list)
    quarantine: list[Record] = dataclasses.field(default_factory=list)
    read: int = 0
    accepted: int = 0
    quarantined: int = 0
    structural: int = 0
    nulled: int = 0

    def add_unplaced(self, form: Any, ctx: Context) -> None:
        """A form of a return of unknown district or year: every row quarantined."""
        unplaced, rows = _unplaced_form(form, ctx)
        self.issues += unplaced
        self.quarantine += rows
        self.read += int(form.rows_read)
        self.structural += int(form.rows_structural)
        self.quarantined += record_count(form)

    def add(self, part: FormResult, ctx: Context) -> None:
        """A normalised form: its rows, quarantine, findings and counts."""
        self.issues += part.issues
        self.quarantine += part.quarantine
        self.read += part.rows_read
        self.structural += part.rows_structural
        self.quarantined += len(part.quarantine)
        self.accepted += part.n_records - len(part.quarantine)
        self.nulled += part.cells_nulled
        for table, columns in form_tables(part.kind, part.accepted, ctx).items():
            stacked = self.tables.setdefault(table, {name: [] for name in columns})
            for name, values in columns.items():
                stacked[name] += values


def _normalised_form(normaliser: Normaliser, form: Any, ctx: Context) -> FormResult | Issue:
    """One form normalised, or, when it needs more memory than the worker has, the
    FORM_TOO_LARGE finding that it is left out (the file's other forms are kept)."""
    try:
        return normaliser.form_result(form, ctx)
    except MemoryError:
        why = f"có {fmt_number(record_count(form))} dòng, {MEMORY_LIMIT_TEXT}"
        return placed(form_too_large(form.form, form.sheet, ctx.source_file, why), ctx)


def normalise_return(ret: Any, normaliser: Normaliser) -> FileResult:
    """A ReturnRead → the file's contribution (tables, quarantine, issues, accounting).

    A form too large to normalise in the worker's memory is left out with FORM_TOO_LARGE,
    its rows not counted as read; the other forms of the file are kept."""
    if ret.status != "read":
        return _rejected_return(ret)
    now = datetime.now(UTC)
    whole = Context(ret.source_file, None, ret.district_code, ret.year)
    acc = _FileParts(issues=[placed(i, whole) for i in ret.issues or []])
    unrecognised = _add_unread_sheets(acc, getattr(ret, "unrecognised", None) or [], whole)
    columns_of: dict[tuple[str, str], dict[str, int]] = {}
    identity_known = ret.district_code is not None and ret.year is not None
    forms: list[str] = []
    form_sheets: dict[str, str] = {}
    for form in ret.forms:
        paired = dict(getattr(form, "paired_rows", None) or {})
        ctx = Context(
            ret.source_file, form.sheet, ret.district_code, ret.year, dict(form.columns), paired
        )
        columns_of[(ret.source_file, form.sheet)] = dict(form.columns)
        if not identity_known:
            acc.add_unplaced(form, ctx)
        elif isinstance(part := _normalised_form(normaliser, form, ctx), Issue):
            acc.issues.append(part)
            continue
        else:
            acc.add(part, ctx)
        forms.append(form.form)
        form_sheets.setdefault(form.form, form.sheet)
    return FileResult(
        source_file=ret.source_file,
        submission={
            "source_file": ret.source_file,
            "sha256": ret.sha256,
            "size_bytes": ret.size_bytes,
            "district_code": ret.district_code,
            "year": ret.year,
            "forms_found": ",".join(f for f in FORM_ORDER if f in forms) or None,
            "status": "ingested",
            "reason": None,
            "rows_read": acc.read,
            "rows_accepted": acc.accepted,
            "rows_quarantined": acc.quarantined,
            "rows_structural": acc.structural,
            "rows_unrecognised": unrecognised,
            "cells_nulled": acc.nulled,
            "read_at": now,
        },
        plain_tables=acc.tables,
        quarantine_rows=acc.quarantine,
        issues=acc.issues,
        columns_of=columns_of,
        forms=sorted(set(forms)),
        form_sheets=form_sheets,
        report_date=getattr(ret, "report_date", None),
        modified=getattr(ret, "modified", None),
    )


def _add_unread_sheets(acc: _FileParts, sheets: list[Any], whole: Context) -> int:
    """Sheets of figures that no form fits (SHEET_UNRECOGNISED, reported by the reader):
    their data rows are quarantined with their cells as written, their other non-blank rows
    count as structure, so that nothing read leaves the accounting. Returns the data rows."""
    n = 0
    for sheet in sheets:
        ctx = dataclasses.replace(whole, source_sheet=sheet.sheet)
        for rec in sheet.rows:
            raw = {k: v for k, v in rec.items() if k != "source_row"}
            row = rec["source_row"]
            acc.quarantine.append(
                quarantine_row(sheet.form or "unknown", ctx, {}, "SHEET_UNRECOGNISED", raw, row)
            )
        acc.read += sheet.rows_read
        acc.quarantined += len(sheet.rows)
        acc.structural += sheet.rows_read - len(sheet.rows)
        n += len(sheet.rows)
    return n


def _rejected_return(ret: Any) -> FileResult:
    """A return the reader rejected: the reader's own code (FILE_EMPTY, NO_FORMS, …) and its
    other findings as they are."""
    code = next((i.code for i in ret.issues or [] if i.severity == "error"), "FILE_REJECTED")
    result = rejected_result(
        ret.source_file, ret.sha256, ret.size_bytes, code, ret.reason or "không đọc được tệp"
    )
    others = [i for i in ret.issues or [] if i.code != code]
    return dataclasses.replace(result, issues=result.issues + others)


def _unplaced_form(form: Any, ctx: Context) -> tuple[list[Issue], list[Record]]:
    """The rows of a return whose district or year is unknown cannot be placed: each is an
    IDENTITY_UNKNOWN finding and a quarantine row."""
    issues, rows = [], []
    for rec in form_records(form, source_row=False)[0]:
        row = rec.get("source_row")
        issues.append(
            ctx.issue(
                "IDENTITY_UNKNOWN",
                "Không xác định được huyện hoặc năm của báo cáo, không thể nhận dòng này.",
                row=row,
                column="commune",
                value=rec.get("commune"),
                suggestion="Ghi rõ 'UBND HUYỆN …' và '… năm 20..' trong tiêu đề biểu.",
            )
        )
        raw = {
            k: None if is_missing(x) else str(x)
            for k, x in rec.items()
            if not isinstance(x, (list, dict))
        }
        rows.append(
            quarantine_row(
                form.form,
                ctx,
                {"commune": rec.get("commune")},
                "IDENTITY_UNKNOWN",
                raw,
                issues[-1].row,
            )
        )
    return issues, rows
