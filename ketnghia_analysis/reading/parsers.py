"""Column parsers of a form sheet: one small parser per kind of canonical column.

A column is parsed as a whole (``values.py`` decides number conventions from the whole
column). Each parser takes the raw cells of the column and its `ColumnContext`, and
returns a `ParsedColumn`: the typed values, the findings (each created complete, with its
file, sheet and cell) and the rows the column says are not assessed. `PARSERS` maps a
column's kind (``synonyms.yaml``) to its parser; any other kind keeps the cleaned text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.reading import column_notes as notes_
from ketnghia_analysis.reading import dates, marks
from ketnghia_analysis.reading import values as vp
from ketnghia_analysis.reading.grid import cell_text, fold_text
from ketnghia_analysis.reading.headers import column_money_scale, header_says_percent
from ketnghia_analysis.reading.percents import parse_percent_column
from ketnghia_analysis.reading.rows import DATA, SUBTOTAL, TOTAL
from ketnghia_analysis.reading.units import money_scale
from ketnghia_analysis.reference.synonyms import Synonyms

# Sentinels that mean "no value" in a year or NTM level cell (not an error).
_NO_VALUE = ("dash", "x", "not_collected")
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


# Not frozen (read-only by convention): one context and one parsed column are built for
# every column read, and a frozen dataclass costs several times as much to build.
@dataclass(slots=True)
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
    kinds: tuple[str, ...] = ()  # kind of the row of each raw value (rows.py: data, total…)
    filled: tuple[bool, ...] = ()  # whether each row holds a count or an amount (any column)

    def issue(self, i: int, code: str, message: str, raw: object) -> Issue:
        """An error about the i-th value of the column."""
        return self.site.issue(code, message, self.rows[i], self.col, raw)

    def address(self, i: int) -> str:
        """The A1 address of the i-th value of the column."""
        return a1(self.rows[i], self.col)


@dataclass(slots=True)
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
    padded = f" {folded} "
    for key, phrases in vocab.items():
        for p in phrases:
            if p and (folded == p or f" {p} " in padded) and len(p) > best_len:
                best, best_len = key, len(p)
    return best


def is_not_assessed(folded: str, syn: Synonyms) -> bool:
    """ "Không đánh giá (phường, thị trấn)" and its variants.

    >>> syn = Synonyms({}, {"not_assessed": ["khong danh gia", "kdg"]}, {}, 0.9)
    >>> [is_not_assessed(t, syn) for t in ("kdg", "khong danh gia phuong", "kdgx", "")]
    [True, True, False, False]
    """
    phrases = syn.values.get("not_assessed", [])
    if folded in phrases:
        return True
    known = _PREFIXES.get(id(phrases))
    if known is None or known[0] != phrases:
        known = _word_prefixes(phrases)
    return folded.startswith(known[1])


# This test runs on every text cell of an NTM sheet: one `str.startswith` with the phrases
# each followed by a space, kept by list as (a copy of the phrases, their prefixes).
_PREFIXES: dict[int, tuple[list[str], tuple[str, ...]]] = {}


def _word_prefixes(phrases: list[str]) -> tuple[list[str], tuple[str, ...]]:
    """The phrases each followed by a space ("kdg" → "kdg "), remembered for the list."""
    if len(_PREFIXES) > 64:  # lists of Synonyms no longer used
        _PREFIXES.clear()
    known = (list(phrases), tuple(p + " " for p in phrases))
    _PREFIXES[id(phrases)] = known
    return known


def _errors(col: vp.ColumnParse, raw: list[object], ctx: ColumnContext) -> list[Issue]:
    return [ctx.issue(i, err.code, err.message, raw[i]) for i, err in col.errors.items()]


def _noted(
    notes: Iterable[notes_.Note | None], raw: list[object], ctx: ColumnContext
) -> list[Issue]:
    """The notes about a column as Issues at their cells."""
    return [
        ctx.site.issue(n.code, n.message, ctx.rows[n.index], ctx.col, raw[n.index], n.severity)
        for n in notes
        if n is not None
    ]


def _in_total_row(ctx: ColumnContext) -> Callable[[int], bool]:
    """Whether the i-th value of the column is in a total or subtotal row (a derived cell)."""
    return lambda i: i < len(ctx.kinds) and ctx.kinds[i] in (TOTAL, SUBTOTAL)


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------


def _numbers(
    col: vp.ColumnParse,
    raw: list[object],
    ctx: ColumnContext,
    notes: Sequence[notes_.Note | None] = (),
    noted: frozenset[int] = frozenset(),
) -> ParsedColumn:
    """The column's values with its parse errors and its notes (Excel errors, numbers
    written with words, the separator decision, and any given, about the cells `noted`)."""
    if not (col.errors or col.sentinels or col.words or col.ambiguous or any(notes)):
        return ParsedColumn(list(col.values))  # the usual column: nothing to say
    not_assessed = frozenset(i for i, s in col.sentinels.items() if s == "not_assessed")
    letter = notes_.column_letter(ctx.col)
    said = [
        *notes_.excel_error_notes(col.sentinels, raw, _in_total_row(ctx)),
        *notes,
        notes_.convention_note(col, raw, letter),
        notes_.words_note(col, raw, letter, noted),
    ]
    issues = _errors(col, raw, ctx) + _noted(said, raw, ctx)
    return ParsedColumn(list(col.values), issues, not_assessed)


#: Counts a blank never means 0 of: a commune always has households; the criteria met
#: are counted from the marks when the count is not written.
_BLANK_NOT_ZERO = frozenset({"households_total", "criteria_met"})


def parse_count(raw: list[object], ctx: ColumnContext) -> ParsedColumn:
    """Counts: whole numbers, "1.234" is thousands, a dash is 0, "106 hộ" is 106; blanks
    are 0 in a column that writes no zero, on data rows holding other numbers
    (`values.blanks_meaning_zero`), said once for the column."""
    col = vp.parse_count_column(raw)
    zeros: list[int] = []
    if ctx.name not in _BLANK_NOT_ZERO and None in col.values:  # blanks to decide
        kinds, filled = ctx.kinds, ctx.filled
        eligible = [
            (not kinds or kinds[i] == DATA) and (not filled or filled[i]) for i in range(len(raw))
        ]
        zeros = vp.blanks_meaning_zero(col, raw, eligible)
    for i in zeros:
        col.values[i] = 0
    note = notes_.blank_zero_note(zeros, notes_.column_letter(ctx.col))
    return _numbers(col, raw, ctx, [note])


def _cell_unit(words: str) -> float | None:
    """The money unit the words beside a number name ("tr.đ", "triệu đồng", "tỷ", "đ")."""
    return money_scale(words) or money_scale(f"({words})")


def parse_money(raw: list[object], ctx: ColumnContext) -> ParsedColumn:
    """Money, scaled to million VND by the unit of its header, else of the "ĐVT:" line;
    a cell that names its own unit ("128,9 tr.đ") is converted by that unit."""
    col = vp.parse_number_column(raw, ctx.kinds)
    scale = column_money_scale(ctx.label)
    if scale is None:
        scale = ctx.unit_scale if ctx.unit_scale is not None else 1.0
    converted: dict[int, float] = {}
    values: list[float | None] = []
    for i, x in enumerate(col.values):
        own = _cell_unit(col.words[i]) if i in col.words else None
        if x is not None and own is not None and own != scale:
            converted[i] = x * own
        values.append(converted[i] if i in converted else None if x is None else x * scale)
    note = notes_.unit_note(converted, raw, notes_.column_letter(ctx.col), scale)
    parsed = _numbers(col, raw, ctx, [note], frozenset(converted))
    return ParsedColumn(values, parsed.issues, parsed.not_assessed, scale=scale)


def parse_percent(raw: list[object], ctx: ColumnContext) -> ParsedColumn:
    """Rates as fractions; poor_end / households_total (parsed before) settle the scale,
    once per column, and the decision is noted."""
    poor, total = ctx.earlier.get("poor_end"), ctx.earlier.get("households_total")
    expected = None
    if poor is not None and total is not None:
        expected = [
            (pe / ht) if (pe is not None and ht) else None
            for pe, ht in zip(poor, total, strict=True)
        ]
    col = parse_percent_column(raw, header_says_percent(ctx.label), expected=expected)
    letter = notes_.column_letter(ctx.col)
    said = [
        *notes_.excel_error_notes(col.sentinels, raw, lambda i: True),  # a rate is derived
        notes_.rate_note(col, raw, letter),
        notes_.words_note(col, raw, letter),
    ]
    return ParsedColumn(list(col.values), _errors(col, raw, ctx) + _noted(said, raw, ctx))


def parse_year(raw: list[object], ctx: ColumnContext) -> ParsedColumn:
    """Years 1975-2035 in any shape `dates.read_year` knows ("2017 - nay", "từ 2021", a
    date); a dash, "x" or "..." is no year, an Excel error a warning, not an error."""
    out: list[int | None] = []
    issues: list[Issue] = []
    how: dict[int, str] = {}
    excel: dict[int, str] = {}
    for i, x in enumerate(raw):
        try:
            year, how_written = dates.read_year(x)
        except vp.ValueParseError as err:
            sentinel = vp.sentinel_of(x)
            if sentinel == "excel_error":
                excel[i] = sentinel
            elif sentinel not in _NO_VALUE:
                issues.append(ctx.issue(i, err.code, err.message, x))
            out.append(None)
            continue
        if how_written:
            how[i] = how_written
        out.append(year)
    said = [
        *notes_.excel_error_notes(excel, raw, _in_total_row(ctx)),
        notes_.year_note(out, how, raw, notes_.column_letter(ctx.col)),
    ]
    return ParsedColumn(list(out), issues + _noted(said, raw, ctx))


# ---------------------------------------------------------------------------
# NTM criteria and levels
# ---------------------------------------------------------------------------


def parse_mark_grid(
    columns: Mapping[str, tuple[list[object], ColumnContext]],
    reported: list[Any] | None,
    n_data: int,
) -> dict[str, ParsedColumn]:
    """The criterion columns of a sheet read together (marks.py): what each token means is
    decided once for the grid, from its words and the reported "số tiêu chí đạt".

    One info note (MARK_MEANING, on the first column) states the decision when it took more
    than the words (`marks.needs_note`). A token nothing settles gets a VALUE_BAD_MARK error
    at each of its cells, all with one message naming the token and its cells: the building
    stage nulls and counts each cell, and the outputs people read group them. An Excel error
    value is missing with its reason (VALUE_EXCEL_ERROR at its cell).
    """
    if not columns:
        return {}
    names = list(columns)
    ctxs = [columns[n][1] for n in names]
    first = ctxs[0]
    grid = marks.read_grid([columns[n][0] for n in names], n_data, reported, first.syn)
    issues: list[list[Issue]] = [[] for _ in names]
    left, right = min(c.col for c in ctxs), max(c.col for c in ctxs)
    if n_data:
        where = f"{a1(first.rows[0], left)}:{a1(first.rows[n_data - 1], right)}"
        note = marks.decision_note(grid, where, [r + 1 for r in first.rows[:n_data]])
        if note is not None:
            issues[0].append(
                first.site.issue("MARK_MEANING", note, first.rows[0], left, None, "info")
            )
    for key in grid.decision.unsettled:
        cells = sorted(grid.tokens[key].cells)
        message = marks.unsettled_message(grid, key, [ctxs[j].address(i) for i, j in cells])
        for i, j in cells:
            issues[j].append(ctxs[j].issue(i, "VALUE_BAD_MARK", message, columns[names[j]][0][i]))
    for j, name in enumerate(names):
        excel = {i: "excel_error" for i, jj in grid.errors if jj == j}
        if excel:  # a total row's cell is derived (a count of communes): info
            said = notes_.excel_error_notes(excel, columns[name][0], lambda i: i >= n_data)
            issues[j] += _noted(said, columns[name][0], ctxs[j])
    return {
        name: ParsedColumn(values, issues[j], grid.not_assessed)
        for j, (name, values) in enumerate(zip(names, grid.values, strict=True))
    }


def parse_mark(raw: list[object], ctx: ColumnContext) -> ParsedColumn:
    """One criterion column alone, as a grid of one column without reported counts."""
    return parse_mark_grid({ctx.name: (raw, ctx)}, None, len(raw))[ctx.name]


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
    # A column repeats its blanks and texts: each read once.
    seen: dict[str | None, tuple[str | None, int | None, bool, bool]] = {}
    for i, x in enumerate(raw):
        if x is None or type(x) is str:
            if x not in seen:
                seen[x] = parse_level_cell(x, ctx.syn)
            lv, yr, na, bad = seen[x]
        else:
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
    keys: dict[str, str | None] = {}  # a column repeats its few statuses
    for i, x in enumerate(raw):
        if x is None or vp.is_blank(x):
            out.append(None)
            continue
        text = cell_text(x)
        if text not in keys:
            keys[text] = vocab_lookup(fold_text(text), vocab)
        key = keys[text]
        if key is None:
            message = (
                f"Giá trị “{text}” không phải là tình trạng mô hình (đang duy "
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
    keys: dict[str, str] = {}  # a column repeats its few categories
    out: list[Any] = []
    for x in raw:
        if x is None:
            out.append(None)
            continue
        text = cell_text(x)
        if text not in keys:
            keys[text] = vocab_lookup(fold_text(text), vocab) or text
        out.append(keys[text])
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
