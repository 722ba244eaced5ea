"""NTM criterion marks: what each token of a criteria grid means, decided by evidence.

A Biểu 03/NTM grid (19 criterion columns) holds two or three distinct tokens per file:
"Đạt"/"Chưa đạt", "Đ"/"CĐ", "x"/blank, "✓", 1/0, "có"/"không", "Hoàn thành"/"Chưa hoàn
thành", or tokens no list knows ("A"/"B", "1"/"2"). The meaning is decided once per grid,
on the set of distinct tokens, never per cell:

1. the words: a token holding a negation (chưa, không, k, cđ, …) is *not met*; one holding
   a met word (đạt, có, x, đ, rồi, hoàn thành, …) or a tick (✓ ✔ √ +) is *met*; a dash
   is *not met*; "1"/"0" are met/not met. The vocabulary is data (``values: mark`` in
   reference/synonyms.yaml) and only a prior;
2. the form's redundancy: the reported "số tiêu chí đạt" of each commune. The tokens the
   words do not know get the assignment that makes the counted marks agree with the
   reported totals (one mismatch in five rows tolerated, the best assignment unique). A
   one-character token ("x", "Đ", "K", "1", "+") whose usual meaning the counts contradict
   is read as the counts say;
3. a blank cell is *not met* (shared/spec/returns.md); "không đánh giá" / "KĐG" marks the
   commune not assessed. So does a row whose every criterion is a dash and that gives no
   number of criteria met: the spec writes a ward's row as "không đánh giá" or leaves it
   out, and a commune assessed at 0 of 19 does not occur (domain.md: 15.9 on average in
   2020), so such a row says "nothing assessed", not nineteen failures. With a reported 0
   (or "-", which is 0 in a number cell) the spec's reading stands: 0 met;
4. numbers written beside the words ("Đạt 18/19", "Đạt (18/19 TC)", "đạt (2023)") are a
   remark: the words decide, the reported counts check;
5. an Excel error value ("#N/A", "#REF!") is no mark: the cell is missing, with its reason.

A token that neither the words nor the counts settle stays unsettled: its cells are None
and the caller reports it once per grid (`unsettled_message`), never guessing. The
decision is said (`decision_note`) only when it took more than the words: the counts
settled or overturned a token, contradicted the words in some rows, a remark was set
aside, or a row of dashes was read as not assessed. A grid read by its words alone, and
consistent with any reported counts, gives no note.
"""

from __future__ import annotations

import functools
import itertools
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from ketnghia_analysis.core.text import fold, normalize
from ketnghia_analysis.reading.grid import cell_text
from ketnghia_analysis.reading.values import (
    DASHES,
    NOT_ASSESSED,
    ValueParseError,
    is_blank,
    quote,
    sentinel_of,
)
from ketnghia_analysis.reference.synonyms import Synonyms, load_synonyms

__all__ = [
    "Decision",
    "GridMarks",
    "Token",
    "decide",
    "decision_note",
    "needs_note",
    "parse_mark",
    "read_grid",
    "token_key",
    "unsettled_message",
    "word_meaning",
]

#: Symbols that tick a criterion as met, and those that mark it not met.
MET_SYMBOLS = frozenset({"✓", "✔", "☑", "✅", "√", "+", "✚"})
NOT_MET_SYMBOLS = DASHES | {"✗", "✘", "☐", "❌"}
#: More free tokens than this are not enumerated (2**n assignments): they stay unsettled.
MAX_FREE = 10
#: A row of dashes is read as not assessed only in a grid of at least this many criteria.
MIN_DASH_COLUMNS = 10

_NA = "\x00not_assessed"  # the key of a "không đánh giá" cell
_ERR = "\x00excel_error"  # the key of an Excel error value ("#N/A", "#REF!")
_NUMERIC_TEXT = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
_WHOLE_NUMBER_TEXT = re.compile(r"([0-9]+)(?:[.,]0+)?")
_TRAILING = ".,;:!"


# ---------------------------------------------------------------------------
# One token
# ---------------------------------------------------------------------------


def token_key(value: object) -> str | None:
    """Comparison key of a non-blank criterion cell (None for a blank one).

    NFC, case and diacritics folded, spaces (NBSP, zero-width) and trailing punctuation
    dropped; numbers as whole digits; letters spelled apart joined ("C.Đ" = "CĐ").

    >>> [token_key(v) for v in ("Đạt", " DAT. ", "C.Đ", 1.0, "1,0", True, "✓", None)]
    ['dat', 'dat', 'cd', '1', '1', '1', '✓', None]
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, numbers.Real):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    if isinstance(value, datetime | date):
        return cell_text(value)
    t = normalize(str(value)).casefold()
    t = t.rstrip(_TRAILING).strip() or t
    m = _WHOLE_NUMBER_TEXT.fullmatch(t)
    if m:
        return str(int(m.group(1)))
    f = fold(t)
    if not f:
        return t  # symbols: ✓, +, -
    words = f.split()
    if len(words) > 1 and all(len(w) == 1 and w.isalpha() for w in words):
        return "".join(words)
    return f


def _has(key: str, phrases: Sequence[str]) -> bool:
    padded = f" {key} "
    return any(p and f" {p} " in padded for p in phrases)


def word_meaning(key: str, vocab: Mapping[str, Sequence[str]]) -> bool | None:
    """What a token says by itself: met (True), not met (False) or unknown (None).

    A negation wins over a met word: "chưa đạt", "không đạt" are not met.

    >>> v = load_synonyms().values["mark"]
    >>> [word_meaning(token_key(t), v) for t in ("Đạt chuẩn", "Chưa đạt chuẩn", "KĐ", "x")]
    [True, False, False, True]
    >>> [word_meaning(token_key(t), v) for t in ("✓", "-", "1", "0", "2", "A")]
    [True, False, True, False, None, None]
    """
    if key in MET_SYMBOLS:
        return True
    if key in NOT_MET_SYMBOLS:
        return False
    if key.isdigit():
        return {"1": True, "0": False}.get(key)
    if _has(key, vocab.get("not_met", ())):
        return False
    if _has(key, vocab.get("met", ())):
        return True
    return None


def _is_weak(key: str) -> bool:
    """A one-character token ("x", "Đ", "K", "1", "+"): a prior the counts may overturn."""
    return len(key) == 1


def is_remark(key: str) -> bool:
    """A token with numbers beside its words ("Đạt 18/19", "đạt (2023)"): the numbers are a
    remark, the words decide.

    >>> [is_remark(token_key(t)) for t in ("Đạt 18/19", "Đạt (18/19 TC)", "Đạt", "1", "A1")]
    [True, True, False, False, True]
    """
    return any(ch.isdigit() for ch in key) and any(ch.isalpha() for ch in key)


def _cell_key(value: object, not_assessed: Sequence[str]) -> str | None:
    """`token_key`, or the not-assessed key for "không đánh giá" and its variants, or the
    Excel-error key for "#N/A", "#REF!"…"""
    key = token_key(value)
    if key is not None and isinstance(value, str) and sentinel_of(value) == "excel_error":
        return _ERR
    if key is not None and any(key == p or key.startswith(p + " ") for p in not_assessed):
        return _NA
    return key


@functools.lru_cache(maxsize=8192)
def _text_key(text: str, not_assessed: tuple[str, ...]) -> str | None:
    """`_cell_key` of a text cell (cached: the same few tokens fill every grid)."""
    return _cell_key(text, not_assessed)


def parse_mark(value: object, syn: Synonyms | None = None) -> object:
    """One criterion cell read by its words alone: True, False or :data:`NOT_ASSESSED`.

    A blank is not met. A token the words do not know raises VALUE_BAD_MARK (inside a
    grid, `read_grid` lets the reported counts settle it).

    >>> [parse_mark(v) for v in ("Đạt", "x", "✓", 1.0, "có", "Hoàn thành")]
    [True, True, True, True, True, True]
    >>> [parse_mark(v) for v in ("Chưa đạt", "CĐ", "-", 0, None, "Không đạt")]
    [False, False, False, False, False, False]
    >>> parse_mark("Không đánh giá") is NOT_ASSESSED
    True
    """
    syn = syn or load_synonyms()
    key = _cell_key(value, syn.values.get("not_assessed", []))
    if key is None:
        return False
    if key == _NA:
        return NOT_ASSESSED
    if key == _ERR:
        raise ValueParseError(
            f"Ô có giá trị lỗi của Excel {quote(cell_text(value))}, không phải dấu đạt/chưa đạt",
            "VALUE_EXCEL_ERROR",
            value,
        )
    met = word_meaning(key, syn.values.get("mark", {}))
    if met is None:
        raise ValueParseError(
            f"Giá trị {quote(cell_text(value))} không phải là dấu đạt/chưa đạt của tiêu chí",
            "VALUE_BAD_MARK",
            value,
        )
    return met


# ---------------------------------------------------------------------------
# The decision over a grid's distinct tokens
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What each token of a grid means, and the evidence behind it."""

    meaning: dict[str, bool]  # token key → met
    unsettled: tuple[str, ...] = ()  # tokens neither the words nor the counts settle
    how: str = "words"  # "words" | "counts"
    agree: int = 0  # rows whose counted marks equal the reported number met
    checked: int = 0  # rows with a reported number met
    overturned: tuple[str, ...] = ()  # one-character tokens read against their usual sense


def _consistent(agree: int, checked: int) -> bool:
    """All rows agree, but one in five may be a typing error in the reported number."""
    return checked > 0 and checked - agree <= checked // 5


def _score(rows: list[tuple[Mapping[str, int], int]], meaning: Mapping[str, bool]) -> int:
    return sum(1 for row, n in rows if sum(c for t, c in row.items() if meaning.get(t)) == n)


def _unique_best(
    rows: list[tuple[Mapping[str, int], int]],
    fixed: Mapping[str, bool],
    free: list[str],
    priors: Mapping[str, bool],
) -> tuple[dict[str, bool] | None, int]:
    """The assignment of `free` that agrees with the counts best (on a tie in agreement,
    the one overturning fewest `priors`), if it is consistent and the only such one."""
    if not rows or len(free) > MAX_FREE:
        return None, 0
    # Each distinct row once: the count of each free token, and what the free tokens must
    # count for the row to agree (its reported number less the fixed tokens met).
    free_set = set(free)
    tally: dict[tuple[tuple[int, ...], int], int] = {}
    for row, n in rows:
        met = sum(c for t, c in row.items() if t not in free_set and fixed.get(t))
        key = (tuple([row.get(t, 0) for t in free]), n - met)
        tally[key] = tally.get(key, 0) + 1
    scored = []
    for bits in itertools.product((True, False), repeat=len(free)):
        meaning = {**fixed, **dict(zip(free, bits, strict=True))}
        overturned = sum(1 for t, m in priors.items() if t in meaning and meaning[t] != m)
        agree = sum(
            times
            for (counts, need), times in tally.items()
            if sum(c for c, b in zip(counts, bits, strict=True) if b) == need
        )
        scored.append((-agree, overturned, meaning))
    scored.sort(key=lambda s: (s[0], s[1]))
    best, overturned, meaning = scored[0]
    tie = len(scored) > 1 and scored[1][:2] == (best, overturned)
    if tie or not _consistent(-best, len(rows)):
        return None, -best
    return meaning, -best


def decide(
    rows: Sequence[Mapping[str, int]],
    reported: Sequence[int | None],
    priors: Mapping[str, bool | None],
) -> Decision:
    """Meaning of every token of a grid.

    The words fix the tokens of more than one character; the reported counts settle the
    unknown tokens and may overturn a one-character one. Without consistent counts the
    words stand and the unknown tokens stay unsettled.

    Parameters
    ----------
    rows : per data row, how many cells hold each token (blanks and not-assessed left out)
    reported : per data row, the reported number of criteria met (None: not reported)
    priors : per token, what its words say (`word_meaning`)

    >>> decide([{"A": 3, "B": 16}, {"A": 5, "B": 14}], [3, 5], {"A": None, "B": None}).meaning
    {'A': True, 'B': False}
    """
    checked = [(r, int(n)) for r, n in zip(rows, reported, strict=True) if n is not None]
    seen = {t for r, _n in checked for t in r}
    fixed = {t: m for t, m in priors.items() if m is not None}
    unknown = [t for t, m in priors.items() if m is None]
    free = [t for t in unknown if t in seen]
    lost = tuple(t for t in unknown if t not in seen)
    weak = [t for t in fixed if _is_weak(t) and t in seen]
    strong = {t: m for t, m in fixed.items() if t not in weak}
    meaning, agree = _unique_best(checked, strong, free + weak, fixed)
    if meaning is None:
        return Decision(fixed, tuple(unknown), "words", _score(checked, fixed), len(checked))
    overturned = tuple(t for t in weak if meaning[t] != fixed[t])
    how = "counts" if free or overturned else "words"
    return Decision(meaning, lost, how, agree, len(checked), overturned)


# ---------------------------------------------------------------------------
# A grid of cells
# ---------------------------------------------------------------------------


@dataclass
class Token:
    """One distinct token of a grid: its key, its text as first written, its cells."""

    key: str
    text: str
    prior: bool | None
    cells: list[tuple[int, int]] = field(default_factory=list)  # (row index, column index)


@dataclass(frozen=True)
class GridMarks:
    """A criteria grid read: per column the marks (True, False, None), and the evidence."""

    values: list[list[bool | None]]  # [column][row]: data rows, then total rows
    not_assessed: frozenset[int]  # rows with a "không đánh giá" cell, or all dashes
    tokens: dict[str, Token]  # in order of first appearance
    decision: Decision
    has_blank: bool  # some data cell is blank (read as not met)
    dashed: frozenset[int] = frozenset()  # rows of dashes read as not assessed
    errors: tuple[tuple[int, int], ...] = ()  # (row, column) of Excel error values

    @property
    def remarks(self) -> list[Token]:
        """Tokens read by their words with numbers beside them ("Đạt 18/19")."""
        return [t for k, t in self.tokens.items() if is_remark(k) and k in self.decision.meaning]


def _is_number(value: object) -> bool:
    if type(value) is float or type(value) is int:  # the usual number, before the ABC test
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Real):
        return True
    return isinstance(value, str) and bool(_NUMERIC_TEXT.fullmatch(normalize(value)))


def _as_count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return int(number) if number.is_integer() else None  # NaN is not an integer


def _keys(
    columns: Sequence[Sequence[object]], n_data: int, not_assessed: Sequence[str]
) -> list[list[str | None]]:
    """The key of every cell, each distinct value folded once. In total rows a number is
    the count of communes meeting the criterion, not a mark: no key."""
    # Values equal as dict keys have the same key (1, 1.0 and True are all "1"): each
    # distinct value is keyed once, then every cell is one lookup.
    phrases = tuple(not_assessed)
    key_of = {
        x: _text_key(x, phrases) if type(x) is str else _cell_key(x, phrases)
        for x in set(itertools.chain.from_iterable(columns))
    }
    return [
        list(map(key_of.__getitem__, col[:n_data]))
        + [None if _is_number(x) else key_of[x] for x in col[n_data:]]
        for col in columns
    ]


def _dashed_rows(
    keys: list[list[str | None]], n_data: int, counts: Sequence[int | None]
) -> frozenset[int]:
    """Data rows whose every criterion is a dash and that give no number of criteria met:
    not assessed (see the module's docstring). Only in a grid of most criteria. A reported
    0 (typed, or a dash: "-" is 0 in a number cell) keeps the spec's reading, 0 met."""
    if len(keys) < MIN_DASH_COLUMNS:
        return frozenset()
    return frozenset(
        i for i in range(n_data) if counts[i] is None and all(col[i] in DASHES for col in keys)
    )


def _tally(
    keys: list[list[str | None]],
    columns: Sequence[Sequence[object]],
    n_data: int,
    dashed: frozenset[int],
    vocab: Mapping[str, Sequence[str]],
) -> tuple[dict[str, Token], list[dict[str, int]], set[int], list[tuple[int, int]], bool]:
    """The grid's tokens (in order of first appearance, with their cells), per data row how
    many cells hold each token, the not-assessed rows, the Excel errors (row, column), and
    whether a data cell is blank. Rows of dashes (`dashed`) hold no token."""
    tokens: dict[str, Token] = {}
    rows: list[dict[str, int]] = [{} for _ in range(n_data)]
    na_rows: set[int] = set(dashed)
    errors: list[tuple[int, int]] = []
    has_blank = False
    for j, col_keys in enumerate(keys):
        for i, k in enumerate(col_keys):
            if k is None:
                has_blank = has_blank or i < n_data  # a data cell without a key is blank
                continue
            token = tokens.get(k)
            if token is None:  # a new key, or one of the two keys that are no token
                if k == _NA:
                    na_rows.add(i)
                    continue
                if k == _ERR:
                    errors.append((i, j))
                    continue
                if i in dashed:
                    continue
                token = tokens[k] = Token(k, cell_text(columns[j][i]), word_meaning(k, vocab))
            elif i in dashed:
                continue
            token.cells.append((i, j))
            if i < n_data:
                row = rows[i]
                row[k] = row.get(k, 0) + 1
    return tokens, rows, na_rows, errors, has_blank


def read_grid(
    columns: Sequence[Sequence[object]],
    n_data: int,
    reported: Sequence[object] | None = None,
    syn: Synonyms | None = None,
) -> GridMarks:
    """Read a criteria grid: the tokens' meaning decided once, then every cell.

    Parameters
    ----------
    columns : raw cells of each criterion column, data rows first, then total rows
    n_data : how many of the rows are data rows (the evidence comes from them only)
    reported : the parsed "số tiêu chí đạt" of each row, if the form has the column
    syn : the synonym table (its ``mark`` and ``not_assessed`` vocabularies)

    >>> g = read_grid([["Đ", "CĐ"], ["CĐ", None]], 2, [1, 0])
    >>> g.values, sorted(g.decision.meaning.items())
    ([[True, False], [False, False]], [('cd', False), ('d', True)])
    """
    syn = syn or load_synonyms()
    keys = _keys(columns, n_data, syn.values.get("not_assessed", []))
    vocab = syn.values.get("mark", {})
    counts = [None if reported is None else _as_count(reported[i]) for i in range(n_data)]
    dashed = _dashed_rows(keys, n_data, counts)
    tokens, rows, na_rows, errors, has_blank = _tally(keys, columns, n_data, dashed, vocab)
    unread = {i for i, _j in errors} | na_rows  # rows whose count cannot be checked
    evidence = [None if i in unread else counts[i] for i in range(n_data)]
    decision = decide(rows, evidence, {k: t.prior for k, t in tokens.items()})
    # Every cell's mark, by its key: a blank data cell is not met; a blank total cell, an
    # unsettled token, an Excel error and a not-assessed cell are None.
    total_marks: dict[str | None, bool] = {k: m for k, m in decision.meaning.items()}
    data_marks = {**total_marks, None: False}
    values = [
        list(map(data_marks.get, ks[:n_data])) + list(map(total_marks.get, ks[n_data:]))
        for ks in keys
    ]
    for i in dashed:
        for col in values:
            col[i] = None
    errors.sort()
    return GridMarks(values, frozenset(na_rows), tokens, decision, has_blank, dashed, tuple(errors))


# ---------------------------------------------------------------------------
# What the reader reports (Vietnamese)
# ---------------------------------------------------------------------------


def _sense(met: bool) -> str:
    return "đạt" if met else "chưa đạt"


def needs_note(grid: GridMarks) -> bool:
    """Whether the reading took more than the words, and must be said: the counts settled
    or overturned a token, or contradicted the words in some rows (unless a token stays
    unsettled: its errors say it), a remark was set aside, or rows of dashes were read as
    not assessed. A grid read by its words and consistent with its counts needs none.

    >>> needs_note(read_grid([["Đạt", "Chưa đạt"]] * 19, 2, [19, 0]))
    False
    >>> needs_note(read_grid([["A", "B"]] * 19, 2, [19, 0]))
    True
    """
    d = grid.decision
    contradicted = d.checked > d.agree and not d.unsettled
    return d.how == "counts" or contradicted or bool(grid.remarks) or bool(grid.dashed)


def _why(grid: GridMarks, rows: Sequence[int] | None) -> str:
    """The evidence behind a grid's reading, for its note."""
    d = grid.decision
    if d.how == "counts":
        why = f"theo số tiêu chí đạt ghi ở từng xã: khớp {d.agree}/{d.checked} xã"
    elif d.checked:
        why = f"theo chữ ghi trong ô; khớp số tiêu chí đạt ghi ở {d.agree}/{d.checked} xã"
    else:
        why = "theo chữ ghi trong ô; không có số tiêu chí đạt để đối chiếu"
    for k in d.overturned:
        t = grid.tokens[k]
        why += f"; {quote(t.text)} thường nghĩa là {_sense(not d.meaning[k])}, nhưng số tiêu chí đạt cho thấy ngược lại"
    remarks = grid.remarks
    if remarks:
        shown = ", ".join(quote(t.text) for t in remarks[:3])
        why += f"; số ghi kèm chữ ({shown}) được coi là ghi chú, ô đọc theo chữ"
    if grid.dashed:
        where = sorted(grid.dashed) if rows is None else sorted(rows[i] for i in grid.dashed)
        listed = ", ".join(str(r) for r in where[:5]) + (" …" if len(where) > 5 else "")
        why += (
            f"; dòng {listed}: mọi tiêu chí ghi dấu gạch ngang và không ghi số tiêu chí đạt, "
            "coi là không đánh giá (như phường, thị trấn)"
        )
    return why


def decision_note(grid: GridMarks, where: str, rows: Sequence[int] | None = None) -> str | None:
    """The info note of a grid's decision, once per grid; None when the words alone read
    it (`needs_note`). `rows` are the sheet's row numbers of the data rows, to name the
    rows of dashes read as not assessed.

    >>> g = read_grid([["Đ", "CĐ"], ["Đ", None]], 2, [2, 0])
    >>> decision_note(g, "C7:D8") is None
    True
    >>> g = read_grid([["A", "B"], ["A", None]], 2, [2, 0])
    >>> decision_note(g, "C7:D8")
    'Lưới tiêu chí C7:D8: “A” = đạt, “B” = chưa đạt, ô trống = chưa đạt (theo số tiêu chí đạt ghi ở từng xã: khớp 2/2 xã)'
    """
    if not needs_note(grid):
        return None
    d = grid.decision
    parts = [
        f"{quote(t.text)} = {_sense(d.meaning[k])}"
        for k, t in grid.tokens.items()
        if k in d.meaning
    ]
    if grid.has_blank:
        parts.append("ô trống = chưa đạt")
    said = f"{', '.join(parts)} " if parts else ""
    return f"Lưới tiêu chí {where}: {said}({_why(grid, rows)})"


def unsettled_message(grid: GridMarks, key: str, addresses: Sequence[str]) -> str:
    """The error of a token whose meaning nothing settles, the same at each of its cells:
    the token, how many cells hold it, the first ones named."""
    t = grid.tokens[key]
    more = len(addresses) - 5
    shown = ", ".join(addresses[:5]) + (f" và {more} ô khác" if more > 0 else "")
    if grid.decision.checked:
        why = "số tiêu chí đạt ghi ở từng xã cũng không quyết định được"
    else:
        why = "không có cột số tiêu chí đạt để đối chiếu"
    return (
        f"Giá trị {quote(t.text)} không phải là dấu đạt/chưa đạt của tiêu chí: chữ không cho "
        f"biết nghĩa và {why} ({quote(t.text)} có ở {len(addresses)} ô của lưới tiêu chí: "
        f"{shown})"
    )
