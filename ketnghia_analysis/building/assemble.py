"""The processed tables from the per-file results: supersession, partners, cross-file rules, schemas."""

from __future__ import annotations

import dataclasses
import datetime
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ketnghia_analysis.building.buildstate import (
    Counts,
)
from ketnghia_analysis.building.file_rules import (
    check_continuity,
    check_history,
    check_missing,
    check_pairings,
    merger_years,
    support_returns,
)
from ketnghia_analysis.building.form_join import JOIN_KEYS, join_forms
from ketnghia_analysis.building.grouping import count_by_severity, group_records
from ketnghia_analysis.building.results import OUTPUT_TABLES, Columns, FileResult, n_rows
from ketnghia_analysis.building.rulebook import SEVERITY_ORDER, Context, records_of
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.reference.contract import DTYPES, TABLES, Col, key
from ketnghia_analysis.reference.form_codes import form_title

#: The tables of rows of the returns: those of the four forms, and the district rows of the
#: official poverty-review forms (issue #15).
DATA_TABLES = (*OUTPUT_TABLES, "poverty_districts")
#: The unique key of each data table: two live files holding one row, the later wins.
KEYS = {name: key(name) for name in DATA_TABLES if key(name)}


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------
def _schemas():
    """The schemas module (the casts to the contract; pandera only when a schema is built)."""
    from ketnghia_analysis.building import schemas

    return schemas


def summary_counts(tables: dict[str, pd.DataFrame], written: Iterable[Path] = ()) -> Counts:
    """The figures of the terminal summary (also stored in the manifest)."""
    subs = tables.get("submissions", _schemas().empty("submissions"))
    issues = tables.get("issues", _schemas().empty("issues"))
    status = subs["status"].value_counts()
    severity = count_by_severity(group_records(issues.to_dict("records")))  # one per cause
    live = subs[subs["status"] == "ingested"]  # a superseded file's rows are not in the tables
    rejected = subs[subs["status"] == "rejected"]
    return Counts(
        files=len(subs),
        ingested=int(status.get("ingested", 0)),
        superseded=int(status.get("superseded", 0)),
        rejected=int(status.get("rejected", 0)),
        rows_accepted=int(live["rows_accepted"].sum()),
        rows_quarantined=int(live["rows_quarantined"].sum()),
        errors=severity["error"],
        warnings=severity["warning"],
        notes=severity["info"],
        rejected_files=[
            [str(f), str(r)]
            for f, r in zip(rejected["source_file"], rejected["reason"], strict=True)
        ],
        tables=sorted(p.name for p in written if p.suffix == ".parquet"),
    )


#: A made-up value of each kind of column, for `rehearsal` (None: a null of any dtype).
_REHEARSAL_VALUES = {
    "code": "1",
    "text": "a",
    "int": 1,
    "year": 2020,
    "count": 1,
    "money": 0.5,
    "fraction": 0.5,
    "bool": True,
    "date": datetime.datetime(2020, 12, 31),
    "timestamp": datetime.datetime(2020, 12, 31, tzinfo=datetime.UTC),
}


def _rehearsal_values(col: Col) -> list[Any]:
    """Two made-up values of a column (the second null where nulls are allowed)."""
    value = _REHEARSAL_VALUES.get(col.kind)
    return [value, None if col.nullable else value]


def rehearsal(gazetteer: Any) -> Iterator[None]:
    """The first-call costs of the assembly and the writing, paid ahead in steps (the
    warm-up thread may stop after any): pandas' and pyarrow's first use of each step of a
    table (~0.1 s CPU, issue #18), then the units of each year (`check_pairings`,
    `missing_communes`: ~7 ms a year) and the tables most often empty (~5 ms each), both
    cached."""
    from ketnghia_analysis.building.table_checks import passes
    from ketnghia_analysis.building.write import write_parquet

    for name in DATA_TABLES:
        plain = {col.name: _rehearsal_values(col) for col in TABLES[name][0]}
        frame = _schemas().conform_columns(plain, name)
        if name in KEYS:
            frame = frame.drop_duplicates(KEYS[name], keep="last")
        passes(frame, name)
        sort = [c for c in SORT_ORDER if c in frame.columns]
        write_parquet(frame.sort_values(sort, kind="stable").reset_index(drop=True), io.BytesIO())
        yield
    for name in ("submissions", "quarantine"):  # tables made from dicts, as in `assemble`
        row = {col.name: _REHEARSAL_VALUES.get(col.kind) for col in TABLES[name][0]}
        passes(_conform(pd.DataFrame([row, row]), name), name)
    issues_frame([Issue("info", "WARM_UP", "", row=1), Issue("error", "WARM_UP", "")])
    summary_counts({})
    yield
    units = gazetteer.communes()
    first, last = units["valid_from"].min().year, units["valid_to"].max().year
    for year in range(first, last + 2):  # the years of the units, and the one after
        gazetteer.communes_in_year(year)
        yield
    for name in ("poverty_districts", "quarantine"):  # often empty (few official forms)
        _schemas().empty(name)
        yield


# ---------------------------------------------------------------------------------------
# Across files
# ---------------------------------------------------------------------------------------
def recency(result: FileResult) -> tuple:
    def stamp(value: Any) -> float:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return float("-inf")
        try:
            return pd.Timestamp(value).timestamp()
        except (TypeError, ValueError):
            return float("-inf")

    return (
        stamp(result.report_date),
        stamp(result.modified),
        result.mtime or 0.0,
        result.source_file,
    )


def supersede(results: list[FileResult]) -> tuple[list[FileResult], list[Issue]]:
    """The results with earlier submissions of the same district-year marked superseded,
    and a SUPERSEDED finding for each.

    A file is superseded when a later file of the same district and year (by report date
    in the title block, then the workbook's modified time, then the file time) holds every
    form it holds. Both stay in submissions.parquet.
    """
    issues = []
    replaced: dict[str, str] = {}  # superseded file → the file that replaces it
    groups: dict[tuple, list[FileResult]] = {}
    for res in results:
        sub = res.submission
        if sub["status"] != "ingested" or sub["district_code"] is None or sub["year"] is None:
            continue
        groups.setdefault((sub["district_code"], int(sub["year"])), []).append(res)
    for (district, year), group in groups.items():
        if len(group) < 2:
            continue
        group.sort(key=recency)
        for i, older in enumerate(group):
            newer = [g for g in group[i + 1 :] if set(older.forms) <= set(g.forms)]
            if not newer:
                continue
            winner = newer[-1]
            replaced[older.source_file] = winner.source_file
            issues.append(
                Issue(
                    severity="warning",
                    code="SUPERSEDED",
                    message=f"Tệp {older.source_file} được thay thế bởi tệp nộp sau "
                    f"{winner.source_file} của cùng huyện, năm {year}. [SUPERSEDED]",
                    source_file=older.source_file,
                    value=older.source_file,
                    expected=winner.source_file,
                    district_code=district,
                    year=year,
                )
            )
    marked = [
        dataclasses.replace(
            r,
            submission={
                **r.submission,
                "status": "superseded",
                "reason": f"được thay thế bởi {replaced[r.source_file]} (nộp sau)",
            },
        )
        if r.source_file in replaced
        else r
        for r in results
    ]
    return marked, issues


def issues_frame(issues: Iterable[Issue]) -> pd.DataFrame:
    issue_columns = _schemas().columns("issues")
    rows = [{c: getattr(i, c) for c in issue_columns} | {"row": i.row} for i in issues]
    frame = pd.DataFrame(rows, columns=issue_columns + ["row"])
    if frame.empty:
        return _schemas().empty("issues")
    frame = frame.drop_duplicates(issue_columns)
    frame["_sev"] = frame["severity"].map(SEVERITY_ORDER)
    frame["_row"] = pd.to_numeric(frame["row"], errors="coerce")
    frame = frame.sort_values(
        ["district_code", "year", "source_file", "source_sheet", "_row", "cell", "_sev", "code"],
        na_position="first",
        kind="stable",
    )
    return _schemas().conform(frame.drop(columns=["_sev", "_row", "row"]), "issues")


def assemble(results: list[FileResult]) -> tuple[dict[str, pd.DataFrame], list[Issue]]:
    """The processed tables from per-file results (after supersession)."""
    from ketnghia_analysis.reference import gazetteer

    issues: list[Issue] = [i for res in results for i in res.issues]
    results, superseded = supersede(results)
    issues += superseded
    live = sorted((r for r in results if r.submission["status"] == "ingested"), key=recency)
    columns_of: dict = {}
    for res in live:
        columns_of.update(res.columns_of)
    tables = _stack_forms(live, columns_of, issues)
    issues += _resolve_partners(tables)
    issues += _cross_file_findings(tables, live, gazetteer, columns_of)
    tables["communes"] = gazetteer.communes()
    tables["commune_names"] = gazetteer.commune_names()
    quarantine = [row for r in results for row in r.quarantine_rows]
    tables["quarantine"] = pd.DataFrame(quarantine) if quarantine else pd.DataFrame()
    tables["submissions"] = pd.DataFrame([r.submission for r in results])
    tables = {name: _conform(frame, name) for name, frame in tables.items()}
    issues += schema_issues(tables)
    tables["issues"] = issues_frame(issues)
    for name in DATA_TABLES:
        sort = [c for c in SORT_ORDER if c in tables[name].columns]
        tables[name] = tables[name].sort_values(sort, kind="stable").reset_index(drop=True)
    return tables, issues


#: Row order of the data tables.
SORT_ORDER = ("year", "district_code", "commune_code", "criterion", "partner_id", "model_name")


def _stack_forms(
    live: list[FileResult], columns_of: dict | None = None, issues: list[Issue] | None = None
) -> dict[str, pd.DataFrame]:
    """Each data table stacked over the live files (oldest first), with the contract's
    dtypes; where two files of one district-year hold the same row, the later wins. The
    poverty rows of one commune-year (district rows: district-year) from several forms are
    joined into one (`form_join`: source_form, precedence; its FORMS_DISAGREE findings are
    added to `issues`).

    The files' plain columns are joined as lists, and each table becomes a DataFrame once
    (not one per form and file: issue #18)."""
    tables: dict[str, pd.DataFrame] = {}
    for name in DATA_TABLES:
        parts = [r.plain_tables[name] for r in live if n_rows(r.plain_tables.get(name, {}))]
        if not parts:
            tables[name] = pd.DataFrame()
            continue
        stacked = _joined(parts)
        if name in JOIN_KEYS:
            stacked, found = join_forms(stacked, name, columns_of)
            if issues is not None:
                issues += found
        frame = _schemas().conform_columns(stacked, name)
        if name in KEYS:
            frame = frame.drop_duplicates(KEYS[name], keep="last")
        tables[name] = frame
    return tables


def _joined(parts: list[Columns]) -> Columns:
    """The rows of several tables of plain columns, one after the other (a column some part
    lacks is null on its rows)."""
    names = list(dict.fromkeys(name for part in parts for name in part))
    joined: Columns = {name: [] for name in names}
    for part in parts:
        size = n_rows(part)
        for name in names:
            joined[name] += part[name] if name in part else [None] * size
    return joined


def _resolve_partners(tables: dict[str, pd.DataFrame]) -> list[Issue]:
    """One registry for the whole build: every label of every file resolved, then names and
    types given, so that a partner has one id, name and type whatever the order of the files;
    new, fuzzy or doubtful names are findings to review."""
    from ketnghia_analysis.reference.partners import PartnerRegistry

    registry = PartnerRegistry.load()
    labelled = [
        name
        for name in ("support", "models")
        if not tables[name].empty and "partner_label" in tables[name].columns
    ]
    for name in labelled:
        frame = tables[name]
        types = frame["partner_type"] if "partner_type" in frame.columns else [None] * len(frame)
        resolved = [
            registry.resolve(label, ptype)
            for label, ptype in zip(frame["partner_label"], types, strict=False)
        ]
        frame["partner_id"] = [r.partner_id if r else None for r in resolved]
    # only now, with every spelling counted, are the names and types of new partners final
    for name in labelled:
        frame = tables[name]
        if name == "support":
            canonical = [registry.canonical(p) if p else (None, None) for p in frame["partner_id"]]
            frame["partner_name"] = [c[0] for c in canonical]
            frame["partner_type"] = [
                c[1] or t for c, t in zip(canonical, frame["partner_type"], strict=True)
            ]
        tables[name] = frame.drop(columns=["partner_label"])
    tables["partners"] = registry.table()
    return [_partner_review(rev) for rev in records_of(registry.review())]


def _partner_review(rev: dict) -> Issue:
    how = (
        "chưa có trong danh mục, đã thêm với mã " + rev["partner_id"]
        if rev["method"] == "new"
        else f"được hiểu là {rev['partner_id']} ({rev['method']})"
    )
    if rev.get("similar"):
        how += (
            f"; tên gần giống đơn vị {rev['similar']} nhưng không được gộp: "
            "kiểm tra xem có phải cùng một đơn vị"
        )
    return Issue(
        severity="warning",
        code="PARTNER_REVIEW",
        message=f"Đơn vị kết nghĩa '{rev['partner_name']}' {how}. [PARTNER_REVIEW]",
        value=rev["partner_name"],
        expected=rev["partner_id"],
        suggestion="Bổ sung tên này vào reference/partners.csv (cột aliases) nếu đúng.",
    )


def _cross_file_findings(
    tables: dict[str, pd.DataFrame], live: list[FileResult], gazetteer: Any, columns_of: dict
) -> list[Issue]:
    """The rules that need several files or years: continuity, history, missing communes."""
    issues: list[Issue] = []
    pov = tables["poverty"]
    if not pov.empty:
        breaks = merger_years(gazetteer.communes())
        issues += check_continuity(pov, columns_of, breaks)
        issues += check_history(pov, columns_of=columns_of, breaks=breaks)
    issues += check_pairings(tables["support"], *support_returns(live), columns_of, gazetteer)
    return issues + missing_communes(live, tables, gazetteer)


def _conform(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """A table with the contract's columns, in order, and dtypes (a table that has exactly
    those already, as `_stack_forms` makes them, is only given a fresh index)."""
    schemas = _schemas()
    if frame.empty:
        return schemas.empty(name)
    if _of_contract(frame, name):
        return frame.reset_index(drop=True)
    return schemas.conform(frame, name)[schemas.columns(name)]


def _of_contract(frame: pd.DataFrame, name: str) -> bool:
    """Whether a table has the contract's columns, in order, each of its exact dtype."""
    cols = TABLES[name][0]
    return list(frame.columns) == [col.name for col in cols] and all(
        str(frame[col.name].dtype) == DTYPES[col.kind] for col in cols
    )


def schema_issues(tables: dict[str, pd.DataFrame]) -> list[Issue]:
    """Every pandera failure of every table (lazy validation), one issue per table and check.

    The row rules quarantine bad rows before this point, so a failure here means a value
    the rules let through: it is reported as an error, never silently written. Each table
    is screened by the compiled checks (`table_checks.passes`, milliseconds); pandera, the
    checks' one statement, reports the failures of a table that does not pass them.
    """
    from ketnghia_analysis.building.table_checks import passes

    issues = []
    for name, frame in tables.items():
        if name == "issues" or passes(frame, name):
            continue
        failures = _schemas().validate(frame, name)
        if failures.empty:
            continue
        for (column, check), group in failures.groupby(["column", "check"], dropna=False):
            examples = ", ".join(str(x) for x in group["failure_case"].head(3))
            issues.append(
                Issue(
                    severity="error",
                    code="SCHEMA_VIOLATION",
                    message=f"Bảng {name}.parquet, cột {column}: {len(group)} giá trị không đạt "
                    f"kiểm tra {check} (ví dụ: {examples}). [SCHEMA_VIOLATION]",
                    value=examples,
                    expected=str(check),
                    suggestion="Báo cho nhóm phân tích: quy tắc kiểm tra cần bổ sung.",
                )
            )
    return issues


def missing_communes(live: list[FileResult], tables: dict, gazetteer: Any) -> list[Issue]:
    """MISSING_COMMUNE for poverty (all units) and NTM (communes only), per district-year.

    One district's forms may be split across files, so the communes found are the union
    over its live files; a quarantined row still names its commune (it is not missing,
    only not accepted).
    """
    by_dy: dict[tuple[str, int], dict[str, tuple[str, str]]] = {}
    found: dict[tuple[str, int, str], set[str]] = {}
    for res in live:
        sub = res.submission
        if sub["district_code"] is None or sub["year"] is None:
            continue  # a return of unknown district or year: its rows are quarantined
        key = (sub["district_code"], int(sub["year"]))
        for form, sheet in res.form_sheets.items():
            by_dy.setdefault(key, {}).setdefault(form, (res.source_file, sheet))
        for held in res.quarantine_rows:
            code = held.get("commune_code")
            if isinstance(code, str):
                found.setdefault((*key, held["form"]), set()).add(code)
    for form, table in (("poverty", "poverty"), ("ntm", "ntm_status")):
        frame = tables[table]
        if frame.empty:
            continue
        for district, year, code in zip(  # lists: iterating Arrow arrays is per element
            frame["district_code"].tolist(),
            frame["year"].tolist(),
            frame["commune_code"].tolist(),
            strict=True,
        ):
            found.setdefault((district, int(year), form), set()).add(code)
    issues = []
    # year → district → units valid that year (code, name, type), in code order
    units_of: dict[int, dict[str, list[tuple[str, str, str]]]] = {}
    for (district, year), forms in sorted(by_dy.items()):
        if year not in units_of:
            units = gazetteer.communes_in_year(year).sort_values("commune_code")
            units_of[year] = {}
            for row in zip(  # lists: iterating Arrow arrays is per element
                units["district_code"].tolist(),
                units["commune_code"].tolist(),
                units["commune_name"].tolist(),
                units["commune_type"].tolist(),
                strict=True,
            ):
                units_of[year].setdefault(row[0], []).append(row[1:])
        for form in ("poverty", "ntm"):
            if form not in forms:
                continue
            # wards and townships are not assessed for NTM: only communes (xã) are expected
            expected = [
                (code, name)
                for code, name, kind in units_of[year].get(district, [])
                if form == "poverty" or kind == "xã"
            ]
            have = found.get((district, year, form), set())
            if all(code in have for code, _ in expected):
                continue  # nothing missing: the usual case
            source_file, sheet = forms[form]
            issues += check_missing(
                have,
                pd.DataFrame(expected, columns=["commune_code", "commune_name"]),
                Context(source_file, sheet, district, year),
                form_title(form),
            )
    return issues
