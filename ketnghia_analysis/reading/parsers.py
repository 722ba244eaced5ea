"""Column parsers of a form sheet: one small parser per kind of canonical column.

A column is parsed as a whole (``values.py`` decides number conventions from the whole
column). Each parser takes the raw cells of the column and its `ColumnContext`, and
returns a `ParsedColumn`: the typed values, the findings (each created complete, with its
file, sheet and cell) and the rows the column says are not assessed. `PARSERS` maps a
column's kind (``synonyms.yaml``) to its parser; any other kind keeps the cleaned text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.reading import dates
from ketnghia_analysis.reading import values as vp
from ketnghia_analysis.reading.grid import cell_text, fold_text
from ketnghia_analysis.reading.headers import column_money_scale, header_says_percent
from ketnghia_analysis.reading.percents import parse_percent_column
from ketnghia_analysis.reference.synonyms import Synonyms

# Sentinels that mean "no value" in a year or NTM level cell (not an error).
_NO_VALUE = ("dash", "x", "not_collected")
_UNSEEN = object()
_YEAR_RX = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


@dataclass(frozen=True)
class SheetSite:
    """Where findings of one form sheet are born: the file and the sheet."""

    source_file: str
    sheet: str

    def issue(
        self,
        code: str,
        message: str,
        r0: int | None,
        c0: int | None,
        value: object = None,
        severity: str = "error",
    ) -> Issue:
        """A finding about cell (r0, c0) (0-based), quoting its value as display text."""
        return Issue(
            severity=severity,
            code=code,
            message=message,
            source_file=self.source_file,
            source_sheet=self.sheet,
            cell=a1(r0, c0) if r0 is not None and c0 is not None else None,
            value=None if value is None else cell_text(value),
            row=None if r0 is None else r0 + 1,
        )


@dataclass(frozen=True)
class ColumnContext:
    """What a column parser needs besides the raw cells."""

    name: str  # canonical column
    col: int  # 0-based sheet column
    rows: list[int]  # 0-based sheet row of each raw value
    label: str  # flattened header label
    site: SheetSite
    syn: Synonyms
    unit_scale: float | None = None  # money scale of an "ĐVT:" line, if any
    earlier: Mapping[str, list[Any]] = field(default_factory=dict)  # columns parsed before

    def issue(self, i: int, code: str, message: str, raw: object) -> Issue:
        """An error about the i-th value of the column."""
        return self.site.issue(code, message, self.rows[i], self.col, raw)


@dataclass(frozen=True)
class ParsedColumn:
    """One parsed column: typed values, findings, rows found not assessed."""

    values: list[Any]
    issues: list[Issue] = field(default_factory=list)
    not_assessed: frozenset[int] = frozenset()  # indices of values saying "không đánh giá"
    years: list[int | None] | None = None  # NTM level columns: the recognition year
    scale: float | None = None  # money columns: the factor used to million VND


ColumnParser = Callable[[list[object], ColumnContext], ParsedColumn]


# ---------------------------------------------------------------------------
# Vocabulary helpers
# ---------------------------------------------------------------------------


def vocab_lookup(folded: str, vocab: dict[str, list[str]]) -> str | None:
    """Key of the longest vocabulary phrase found (whole words) in a folded text.

    >>> vocab_lookup("da nhan rong ra 3 xa", {"replicated": ["nhan rong"], "new": ["moi"]})
    'replicated'
    """
    best, best_len = None, -1
    for key, phrases in vocab.items():
        for p in phrases:
            if p and (folded == p or f" {p} " in f" {folded} ") and len(p) > best_len:
                best, best_len = key, len(p)
    return best


def is_not_assessed(folded: str, syn: Synonyms) -> bool:
    """ "Không đánh giá (phường, thị trấn)" and its variants."""
    return any(
        folded == p or folded.startswith(p + " ") for p in syn.values.get("not_assessed", [])
    )


def _errors(col: vp.ColumnParse, raw: list[object], ctx: ColumnContext) -> list[Issue]:
    return [ctx.issue(i, err.code, err.message, raw[i]) for i, err in col.errors.items()]


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------


def _numbers(col: vp.ColumnParse, raw: list[object], ctx: ColumnContext) -> ParsedColumn:
    not_assessed = frozenset(i for i, s in col.sentinels.items() if s == "not_assessed")
    return ParsedColumn(list(col.values), _errors(col, raw, ctx), not_assessed)


def parse_count(raw: list[object], ctx: ColumnContext) -> ParsedColumn:
    """Counts: whole numbers, "1.234" is thousands, a dash is 0."""
    return _numbers(vp.parse_count_column(raw), raw, ctx)


def parse_money(raw: list[object], ctx: ColumnContext) -> ParsedColumn:
    """Money, scaled to million VND by the unit of its header, else of the "ĐVT:" line."""
    parsed = _numbers(vp.parse_number_column(raw), raw, ctx)
    scale = column_money_scale(ctx.label)
    if scale is None:
        scale = ctx.unit_scale if ctx.unit_scale is not None else 1.0
    values = [None if x is None else x * scale for x in parsed.values]
    return ParsedColumn(values, parsed.issues, parsed.not_assessed, scale=scale)


def parse_percent(raw: list[object], ctx: ColumnContext) -> ParsedColumn:
    """Rates as fractions; poor_end / households_total (parsed before) settle the scale."""
    poor, total = ctx.earlier.get("poor_end"), ctx.earlier.get("households_total")
    expected = None
    if poor is not None and total is not None:
        expected = [
            (pe / ht) if (pe is not None and ht) else None
            for pe, ht in zip(poor, total, strict=True)
        ]
    col = parse_percent_column(raw, header_says_percent(ctx.label), expected=expected)
    return ParsedColumn(list(col.values), _errors(col, raw, ctx))


def parse_year(raw: list[object], ctx: ColumnContext) -> ParsedColumn:
    """Years 1990-2035; a dash, "x" or "..." is no year, not an error."""
    out: list[Any] = []
    issues: list[Issue] = []
    for i, x in enumerate(raw):
        try:
            out.append(dates.parse_year(x))
        except vp.ValueParseError as err:
            if vp.sentinel_of(x) not in _NO_VALUE:
                issues.append(ctx.issue(i, err.code, err.message, x))
            out.append(None)
    return ParsedColumn(out, issues)


# ---------------------------------------------------------------------------
# NTM criteria and levels
# ---------------------------------------------------------------------------


def _mark_of(x: object, syn: Synonyms) -> object:
    """A criterion cell → True, False, NOT_ASSESSED or the ValueParseError."""
    if isinstance(x, str) and is_not_assessed(fold_text(x), syn):
        return vp.NOT_ASSESSED
    try:
        return vp.parse_mark(x)
    except vp.ValueParseError as err:
        return err


def parse_mark(raw: list[object], ctx: ColumnContext) -> ParsedColumn:
    """NTM criterion marks: met, not met (a blank too), or the commune is not assessed."""
    out: list[Any] = []
    issues: list[Issue] = []
    not_assessed: set[int] = set()
    seen: dict[Any, object] = {}  # marks come from a tiny vocabulary: parse each value once
    for i, x in enumerate(raw):
        key = (type(x), x) if not isinstance(x, float) or x == x else (float, "nan")
        m = seen.get(key, _UNSEEN)
        if m is _UNSEEN:
            m = seen[key] = _mark_of(x, ctx.syn)
        if isinstance(m, vp.ValueParseError):
            issues.append(ctx.issue(i, m.code, m.message, x))
            out.append(None)
        elif m is vp.NOT_ASSESSED:
            not_assessed.add(i)
            out.append(None)
        else:
            out.append(bool(m))
    return ParsedColumn(out, issues, frozenset(not_assessed))


def parse_level_cell(x: object, syn: Synonyms) -> tuple[str | None, int | None, bool, bool]:
    """NTM level cell → (level code, recognition year, not assessed, unparseable).

    A year alone (2020, a date) means "đạt chuẩn" that year; "NTM nâng cao (2021)" gives
    both; "chưa đạt", a dash or "x" give nothing.
    """
    if x is None or vp.is_blank(x):
        return None, None, False, False
    if isinstance(x, int | float) and not isinstance(x, bool):
        try:
            y = dates.parse_year(x)
        except vp.ValueParseError:
            return None, None, False, True
        return "dat_chuan", y, False, False
    if isinstance(x, datetime | date):
        return "dat_chuan", x.year, False, False
    t = cell_text(x)
    f = fold_text(t)
    if is_not_assessed(f, syn):
        return None, None, True, False
    if vp.sentinel_of(t) in _NO_VALUE or f.startswith("chua"):
        return None, None, False, False
    m = _YEAR_RX.search(t)
    year = int(m.group(1)) if m else None
    level = vocab_lookup(f, syn.values.get("ntm_level", {}))
    if level is None and year is not None:
        level = "dat_chuan"
    if level is None:
        return None, year, False, True
    return level, year, False, False


def parse_level(raw: list[object], ctx: ColumnContext) -> ParsedColumn:
    """NTM level codes (dat_chuan, nang_cao, kieu_mau) and the recognition year in `years`."""
    levels: list[Any] = []
    years: list[int | None] = []
    issues: list[Issue] = []
    not_assessed: set[int] = set()
    for i, x in enumerate(raw):
        lv, yr, na, bad = parse_level_cell(x, ctx.syn)
        if na:
            not_assessed.add(i)
        if bad:
            message = (
                f"Giá trị “{cell_text(x)}” không phải là mức đạt chuẩn nông thôn mới "
                "(Đạt chuẩn NTM / NTM nâng cao / NTM kiểu mẫu / năm công nhận)"
            )
            issues.append(ctx.issue(i, "VALUE_BAD_LEVEL", message, x))
        levels.append(lv)
        years.append(yr)
    return ParsedColumn(levels, issues, frozenset(not_assessed), years=years)


# ---------------------------------------------------------------------------
# Words
# ---------------------------------------------------------------------------


def parse_status(raw: list[object], ctx: ColumnContext) -> ParsedColumn:
    """Model status codes: maintained, replicated, stopped, new."""
    vocab = ctx.syn.values.get("status", {})
    out: list[Any] = []
    issues: list[Issue] = []
    for i, x in enumerate(raw):
        if x is None or vp.is_blank(x):
            out.append(None)
            continue
        key = vocab_lookup(fold_text(cell_text(x)), vocab)
        if key is None:
            message = (
                f"Giá trị “{cell_text(x)}” không phải là tình trạng mô hình (đang duy "
                "trì / đã nhân rộng / dừng / mới triển khai)"
            )
            issues.append(ctx.issue(i, "VALUE_BAD_STATUS", message, x))
        out.append(key)
    return ParsedColumn(out, issues)


def parse_text(raw: list[object], ctx: ColumnContext) -> ParsedColumn:
    """Labels and free text: the cleaned text as written."""
    return ParsedColumn([None if x is None else cell_text(x) for x in raw])


def parse_category(raw: list[object], ctx: ColumnContext) -> ParsedColumn:
    """A category: the key of its vocabulary in synonyms.yaml (``values`` under the
    column's own name, e.g. partner_type), else the text as written."""
    vocab = ctx.syn.values.get(ctx.name)
    if not isinstance(vocab, dict) or not vocab:
        return parse_text(raw, ctx)
    out = [
        None if x is None else vocab_lookup(fold_text(cell_text(x)), vocab) or cell_text(x)
        for x in raw
    ]
    return ParsedColumn(out)


PARSERS: dict[str, ColumnParser] = {
    "count": parse_count,
    "money": parse_money,
    "percent": parse_percent,
    "year": parse_year,
    "mark": parse_mark,
    "level": parse_level,
    "status": parse_status,
    "category": parse_category,
    "label": parse_text,
    "text": parse_text,
}

#: Kinds parsed first, in this order: a percent column needs the counts parsed before it.
PARSE_FIRST = ("count", "money", "percent", "year")


def parse_column(kind: str, raw: list[object], ctx: ColumnContext) -> ParsedColumn:
    """Parse one column with the parser of its kind (any other kind keeps its text)."""
    return PARSERS.get(kind, parse_text)(raw, ctx)
