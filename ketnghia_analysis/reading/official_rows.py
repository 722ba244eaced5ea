"""The rows of the official poverty-review forms A-D: units, paired rows, district rows.

The reader reads an official form sheet like any other (`reader.read_form`); this module
then gives its records the shape of ../shared/spec/official-forms.md:

- **Paired rows** (B, C, D): each unit has a "Hộ" row and a "Nhân khẩu" row, told apart by
  the column "Phân tổ" (or, without it, by the unit's merged label repeated on the second
  row). They become ONE record whose `source_row` is the "Hộ" row; the people row's counts
  are the columns ending in "_people", and `FormTable.paired_rows` maps the household row
  to the people row (so `FormTable.cell("poor_end_people", row)` names the people cell).
  The people row of a pair is counted as structure (its figures live in the pair's record).
  Total rows are paired the same way.
- **Compilation levels**: a province compilation lists each district (numbered 1, 2, …,
  holding the district's sums) followed by its communes (1.1, 1.2, …). A record is
  ``level="district"`` when its label names a district of the gazetteer ("Huyện Đại Lộc")
  or, in a sheet numbered with dots, its number is whole; every other record is a commune,
  with `district_label` and `district_code` of the district row above it (None in a
  district compilation, whose identity gives the district).
- **Rates are never trusted over counts**: a rate above 100 % (copies with placeholder
  household totals of 10 or 100 give rates of 2040 %) is not a reading error but a rate
  left unused (RATE_NOT_USED, info); the building stage recomputes rates from the counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.core.missing import is_missing
from ketnghia_analysis.reading.grid import Grid, clean_text, fold_text
from ketnghia_analysis.reading.identity import districts_in_text
from ketnghia_analysis.reading.model import (
    OFFICIAL_VALUES,
    PAIRED_FORMS,
    PEOPLE,
    FormTable,
    PlainForm,
)
from ketnghia_analysis.reading.rows import DATA, SUBTOTAL, TOTAL

__all__ = ["PAIRED", "district_of_label", "is_official", "official_table", "unit_levels"]

#: row_kinds of the "Nhân khẩu" row of a pair (structure: its figures are in the record).
PAIRED = "paired"
HOUSEHOLD, PERSONS = "household", "people"

_PEOPLE_WORDS = re.compile(r"\b(?:khau|nhan khau|nk|nguoi|so nguoi|so khau)\b")
_HOUSEHOLD_WORDS = re.compile(r"^(?:ho|so ho|ho gia dinh|ho dan|h)$")
_DOTTED = re.compile(r"^\d{1,3}\s*[.,]\s*\d{1,3}\.?$")
_WHOLE = re.compile(r"^\d{1,3}\.?$")
_DISTRICT_WORDS = re.compile(r"^(?:huyen|thi xa|thanh pho|tp|tx|h)\b")
_RATE_COLUMNS = ("poverty_rate_reported", "near_poor_rate_reported")


def is_official(form: str | None) -> bool:
    """Is this one of the official poverty-review forms A-D?"""
    return form in OFFICIAL_VALUES


def official_table(table: FormTable, grid: Grid) -> FormTable:
    """The FormTable of an official form with its records shaped (see module docstring);
    any other form is returned as it is. `grid` is the sheet read (labels filled down).

    The rows are shaped as plain columns (the reader's `PlainForm`), without pandas: a
    reader worker reads an official form without importing it (issue #18)."""
    if not is_official(table.form):
        return table
    plain = table.plain
    if plain is None:
        raise ValueError("official_table: a table read by the reader (with plain columns)")
    values = OFFICIAL_VALUES[table.form]
    kinds = dict(table.row_kinds)
    records, totals = dict(plain.records.columns), plain.totals
    pairs: dict[int, int] = {}
    structural = table.rows_structural
    if table.form in PAIRED_FORMS:
        role = _roles(table, grid)
        rec = _paired(records, values, role)
        tot = _paired(totals.columns, values, role, total=True)
        records, totals = rec.columns, totals.remade(tot.columns)
        pairs = {**rec.pairs, **tot.pairs}
        for h, p in pairs.items():
            if h != p:
                structural += kinds.get(p) == DATA  # a total's second row is structure already
                kinds[p] = PAIRED
        if "kind" in tot.columns:
            kinds.update(zip(tot.columns["source_row"], tot.columns["kind"], strict=True))
    records, dropped = _without_empty(records, values)
    for r in dropped:
        kinds.pop(r, None)
    shaped = PlainForm(plain.records.remade(_with_levels(records)), totals, plain.raw)
    return replace(
        table,
        records=None,  # the frames: built from the shaped columns when asked for
        totals=None,
        raw=None,
        plain=shaped,
        paired_rows=pairs,
        row_kinds=kinds,
        rows_read=table.rows_read - len(dropped),
        rows_structural=structural,
        issues=_rate_issues(table),
    )


# ---------------------------------------------------------------------------
# Paired rows
# ---------------------------------------------------------------------------


def _roles(table: FormTable, grid: Grid) -> dict[int, str | None]:
    """HOUSEHOLD, PERSONS or None (not said) of every 1-based row, from "Phân tổ"."""
    c = table.columns.get("breakdown")
    if c is None:
        return {}
    out: dict[int, str | None] = {}
    for r in range(grid.n_rows):
        f = grid.folded(r, c) if c < grid.n_cols else ""
        if _PEOPLE_WORDS.search(f):
            out[r + 1] = PERSONS
        elif _HOUSEHOLD_WORDS.match(f) or f.startswith("ho "):
            out[r + 1] = HOUSEHOLD
    return out


def _label(x: Any) -> str:
    return "" if is_missing(x) else fold_text(clean_text(str(x)))


#: Rows as plain columns: column → values (`PlainRows.columns`).
Columns = dict[str, list[Any]]


@dataclass(frozen=True)
class _Pairs:
    columns: Columns  # one row per unit
    pairs: dict[int, int]  # household row → people row (a lone people row → itself)


def _match_pairs(
    rows: list[int], labels: list[str], role: dict[int, str | None]
) -> list[tuple[int, int | None]]:
    """(household index, people index) of each unit: a pair, a lone household row (people
    None), or a lone people row (household index = people index)."""
    said = bool(role)
    units: list[tuple[int, int | None]] = []
    i = 0
    while i < len(rows):
        if said and role.get(rows[i]) == PERSONS:
            units.append((i, i))
            i += 1
            continue
        j = i + 1
        if j < len(rows) and labels[j] in ("", labels[i]):
            # the next row is this unit's people row: said so, or (no "Phân tổ") its
            # merged label repeated
            if (said and role.get(rows[j]) == PERSONS) or (not said and labels[j] == labels[i]):
                units.append((i, j))
                i += 2
                continue
        units.append((i, None))
        i += 1
    return units


def _paired(
    columns: Columns, values: list[str], role: dict[int, str | None], total: bool = False
) -> _Pairs:
    """One row per unit: the household row, with the people row's counts as "_people"
    (a missing value as None: `PlainRows.remade` types it)."""
    rows = [int(x) for x in columns["source_row"]]
    if not rows:
        return _Pairs(columns, {})
    labels = [_label(x) for x in columns["commune"]] if "commune" in columns else [""] * len(rows)
    units = _match_pairs(rows, labels, role)
    out = {name: [col[h] for h, _p in units] for name, col in columns.items()}
    alone = {k for k, (h, p) in enumerate(units) if p == h}
    for v in values:
        if v not in columns:
            continue
        col = columns[v]
        out[v + PEOPLE] = [None if p is None or is_missing(col[p]) else col[p] for _h, p in units]
        if alone:
            out[v] = [None if (k in alone or is_missing(x)) else x for k, x in enumerate(out[v])]
    if total and "kind" in out:
        # a total merged over both rows is one total (the reader kept the later as grand)
        kinds = columns["kind"]
        out["kind"] = [
            TOTAL if TOTAL in (kinds[h], kinds[p] if p is not None else None) else SUBTOTAL
            for h, p in units
        ]
    pairs = {rows[h]: rows[p] for h, p in units if p is not None}
    return _Pairs(out, pairs)


def _without_empty(records: Columns, values: list[str]) -> tuple[Columns, list[int]]:
    """Records with neither a label nor a figure (a bare number in TT: an unused form row)
    left out; their 1-based rows."""
    figures = [c for c in records if c in values or c.removesuffix(PEOPLE) in values]
    labels = records.get("commune", [None] * len(records["source_row"]))
    empty = [
        is_missing(label) and all(is_missing(records[c][i]) for c in figures)
        for i, label in enumerate(labels)
    ]
    if not any(empty):
        return records, []
    dropped = [int(r) for r, e in zip(records["source_row"], empty, strict=True) if e]
    kept = {
        name: [x for x, e in zip(col, empty, strict=True) if not e] for name, col in records.items()
    }
    return kept, dropped


# ---------------------------------------------------------------------------
# District rows and communes
# ---------------------------------------------------------------------------


def _stt_text(x: Any) -> str:
    return "" if is_missing(x) else str(x).strip()


def unit_levels(
    stts: list[Any], labels: list[Any]
) -> tuple[list[str], list[str | None], list[str | None]]:
    """(level, district_label, district_code) of each unit, in sheet order.

    >>> unit_levels(["1", "1.1", "1.2", "2", "2.1"],
    ...             ["Huyện Đại Lộc", "Xã Đại Sơn", "Xã Đại Lãnh", "Đông Giang", "Xã Ba"])[0]
    ['district', 'commune', 'commune', 'district', 'commune']
    >>> unit_levels(["1", "2"], ["Xã Trà Mai", "Xã Trà Don"])
    (['commune', 'commune'], [None, None], [None, None])
    """
    texts = [_stt_text(s) for s in stts]
    dotted = any(_DOTTED.match(t) for t in texts)
    levels: list[str] = []
    dlabels: list[str | None] = []
    dcodes: list[str | None] = []
    label: str | None = None
    code: str | None = None
    for t, lab in zip(texts, labels, strict=True):
        name = None if is_missing(lab) else str(lab)
        folded = _label(name)
        named = bool(folded) and bool(_DISTRICT_WORDS.match(folded))
        own = district_of_label(name) if name and (named or dotted) else None
        if (named and own is not None) or (dotted and _WHOLE.match(t) and not _is_commune(folded)):
            label, code = name, own
            levels.append("district")
        else:
            levels.append("commune")
        dlabels.append(label)
        dcodes.append(code)
    return levels, dlabels, dcodes


def district_of_label(label: str | None) -> str | None:
    """The district a row label names ("Huyện Đại Lộc", "TP. Tam Kỳ", "Đông Giang"), if one.

    >>> district_of_label("Huyện Nam Trà My"), district_of_label("Xã Trà Mai")
    ('516', None)
    """
    if not label:
        return None
    codes = districts_in_text(fold_text(clean_text(label)), strong_only=False)
    return codes[0] if len(set(codes)) == 1 else None


def _is_commune(folded: str) -> bool:
    return folded.startswith(("xa ", "phuong ", "thi tran ", "tt "))


def _with_levels(records: Columns) -> Columns:
    """The unit columns: level, district_label, district_code."""
    n = len(records["source_row"])
    if not n:
        return records
    stts = records.get("stt", [None] * n)
    levels, dlabels, dcodes = unit_levels(stts, records.get("commune", [None] * n))
    return {**records, "level": levels, "district_label": dlabels, "district_code": dcodes}


# ---------------------------------------------------------------------------
# Rates
# ---------------------------------------------------------------------------


def _rate_issues(table: FormTable) -> list[Issue]:
    """The table's findings, a rate above 100 % told as a rate left unused (info)."""
    from ketnghia_analysis.core.address import a1

    letters = {
        a1(0, table.columns[n]).rstrip("0123456789") for n in _RATE_COLUMNS if n in table.columns
    }
    out = []
    for i in table.issues:
        col = (i.cell or "").rstrip("0123456789")
        if i.code == "VALUE_OUT_OF_RANGE" and col in letters:
            message = (
                f"Tỷ lệ {i.value or ''} lớn hơn 100% (mẫu số có thể là số giả định): không dùng, "
                "tỷ lệ được tính lại từ số hộ"
            )
            i = replace(i, severity="info", code="RATE_NOT_USED", message=message)
        out.append(i)
    return out
