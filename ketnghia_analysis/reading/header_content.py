"""Form stage: the columns of a nearly recognised form named by what they hold, not by their header.

A sheet whose header names some of a form's columns (and whose title or other headers say
which form it is) may head the others in words no synonym knows ("DV giúp đỡ", a blank
cell, "Cột 3"). The form's own redundancies then say which column is which:

- commune: the values are commune names of the gazetteer ("Xã Trà Mai", "Trà Dơn (*)");
- commune_code_reported: 5-digit GSO codes of the gazetteer's communes;
- partner_name: names of units, from the partner registry or starting with a unit word
  ("Sở …", "Ban …", "Đồn Biên phòng …", "Công ty …": ``synonyms.yaml``, ``content:``);
- the year of a pairing (01/KN) or of a model (04/MH): years 1975–2035, in any shape;
- the criteria grid (03/NTM): 19 adjacent columns holding 1–3 distinct short marks;
- criteria_met (03/NTM): the column equal, row by row, to the count of one mark;
- households_total, poor_end, poverty_rate_end (02/HN): households ≥ poor ≥ 0 and the
  rate equal to poor / households (as a fraction or in percent).

A column is taken only when exactly one column fits (two candidates: none is taken), and
only for the form's columns the header did not name. Content never makes a form out of
nothing: it completes a sheet the header and title already bring close to a form
(`forms.recognise_sheet`), and the completed form must still be acceptable and hold a
column of figures. What was read this way is said once per sheet, an info finding
HEADER_BY_CONTENT at the first such column's header cell.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.core.text import normalize
from ketnghia_analysis.reading.dates import read_year
from ketnghia_analysis.reading.grid import Grid, fold_text, has_phrase
from ketnghia_analysis.reading.headers import ColumnMap, HeaderBlock
from ketnghia_analysis.reading.values import parse_number
from ketnghia_analysis.reference.commune_labels import clean_label, code_digits
from ketnghia_analysis.reference.form_codes import FORM_CODES
from ketnghia_analysis.reference.synonyms import N_CRITERIA, FormSpec, Synonyms

__all__ = ["CODES", "complete_by_content"]

#: code → (severity, what the finding says), for the reader's findings on headers.
CODES: dict[str, tuple[str, str]] = {
    "HEADER_BY_CONTENT": (
        "info",
        "cột có tiêu đề lạ (hoặc trống) được nhận ra theo nội dung cột (một lần mỗi trang)",
    ),
}
#: Data rows looked at (the first ones below the header): enough to decide, cheap to read.
SAMPLE_ROWS = 200
#: Share of a column's non-blank values that must fit (a total row or a typo may not).
SHARE = 0.8
#: Share for names (a commune or a unit), which may be misspelt or carry a note.
NAME_SHARE = 0.6
#: Kinds of a form's columns that hold figures (a completed form must have one).
FIGURE_KINDS = frozenset({"count", "money", "percent", "year", "mark", "level", "status"})


@dataclass(frozen=True)
class _Found:
    """A column read by its content: canonical name, 0-based column, why (Vietnamese)."""

    name: str
    col: int
    why: str


# ---------------------------------------------------------------------------------------
# What one value is
# ---------------------------------------------------------------------------------------
@functools.cache
def _commune_keys() -> frozenset[str]:
    """Folded names of every commune of the gazetteer, with and without their type word."""
    from ketnghia_analysis.reference import gazetteer
    from ketnghia_analysis.reference.matching import label_keys

    names = [
        *(row["name"] for row in gazetteer.commune_name_rows()),
        *(row["commune_name"] for row in gazetteer.commune_rows()),
    ]
    return frozenset(k for n in names for k, _t in label_keys(normalize(str(n))))


@functools.cache
def _commune_codes() -> frozenset[str]:
    from ketnghia_analysis.reference import gazetteer

    return frozenset(str(row["commune_code"]).zfill(5) for row in gazetteer.commune_rows())


@functools.cache
def _registry_keys() -> frozenset[str]:
    """Folded names and aliases of the partner registry."""
    from ketnghia_analysis.reference import gazetteer
    from ketnghia_analysis.reference.partners import fold

    table = gazetteer.partner_rows()
    names = [
        *(row["partner_name"] for row in table),
        *(alias for row in table for alias in row["aliases"]),
    ]
    return frozenset(fold(n) for n in names) - {""}


def _is_commune(v: object) -> bool:
    if not isinstance(v, str):
        return False
    from ketnghia_analysis.reference.matching import label_keys

    keys = _commune_keys()
    return any(k in keys for k, _t in label_keys(clean_label(normalize(v))))


def _is_code(v: object) -> bool:
    return (code_digits(v) or "") in _commune_codes()


def _is_partner(v: object, words: list[str]) -> bool:
    if not isinstance(v, str):
        return False
    from ketnghia_analysis.reference.partners import fold

    key = fold(v)
    return key in _registry_keys() or any(key == w or key.startswith(w + " ") for w in words)


def _is_year(v: object) -> bool:
    try:
        return read_year(v)[0] is not None
    except Exception:  # noqa: BLE001 - any value that is no year
        return False


def _number(v: object) -> float | None:
    try:
        return parse_number(v)
    except Exception:  # noqa: BLE001 - text that is no number
        return None


def _mark_token(v: object) -> str | None:
    """The folded token of a criterion cell ("" for blank), None when it is no mark."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return str(int(v)) if v in (0, 1) else None
    text = fold_text(str(v)) or str(v).strip()
    return text if 0 < len(text) <= 16 and len(text.split()) <= 3 else None


# ---------------------------------------------------------------------------------------
# Which column
# ---------------------------------------------------------------------------------------
def _share(values: Sequence[object], test: Callable[[object], bool], share: float) -> bool:
    """At least two non-blank values, and `share` of them pass `test` (tested until too many
    have failed: most columns tried are plainly something else)."""
    filled = [v for v in values if v is not None]
    need = max(2, share * len(filled))
    hits = misses = 0
    for v in filled:
        if test(v):
            hits += 1
        else:
            misses += 1
            if len(filled) - misses < need:
                return False
    return hits >= need


def _only(cols: list[int], test: Callable[[int], bool]) -> int | None:
    """The one column that passes `test` (None when none or several do)."""
    hits = [c for c in cols if test(c)]
    return hits[0] if len(hits) == 1 else None


def _criteria_grid(cols: dict[int, list[object]]) -> int | None:
    """First column of the one run of exactly 19 adjacent columns of marks: every cell a short
    token, 1–3 distinct tokens in all (a blank is "not met", no token)."""
    marks = [c for c, vs in cols.items() if all(_mark_token(v) is not None for v in vs)]
    runs: list[list[int]] = []
    for c in sorted(marks):
        if runs and runs[-1][-1] == c - 1:
            runs[-1].append(c)
        else:
            runs.append([c])
    found = []
    for run in runs:
        tokens = {_mark_token(v) for c in run for v in cols[c]} - {""}
        if len(run) == N_CRITERIA and 1 <= len(tokens) <= 3:
            found.append(run[0])
    return found[0] if len(found) == 1 else None


def _criteria_met(grid_cols: list[list[object]], cols: dict[int, list[object]]) -> int | None:
    """The one column equal, in nine rows of ten, to the count of one mark of each row."""
    rows = list(zip(*grid_cols, strict=True))
    tokens = {_mark_token(v) for row in rows for v in row}
    counts = {t: [sum(1 for v in row if _mark_token(v) == t) for row in rows] for t in tokens}

    def fits(c: int) -> bool:
        got = [_number(v) for v in cols[c]]
        pairs = [(g, i) for i, g in enumerate(got) if g is not None]
        if len(pairs) < 2 or any(not (0 <= g <= N_CRITERIA and g == int(g)) for g, _i in pairs):
            return False
        return any(
            sum(1 for g, i in pairs if g == n[i]) >= 0.9 * len(pairs) for n in counts.values()
        )

    return _only(list(cols), fits)


def _rate_fits(h: list[float | None], p: list[float | None], r: list[float | None]) -> bool:
    """households ≥ poor ≥ 0 and rate = poor / households (fraction or percent), nine rows
    in ten, on at least two rows."""
    rows = [
        (a, b, c)
        for a, b, c in zip(h, p, r, strict=True)
        if a is not None and b is not None and c is not None
    ]
    if len(rows) < 2 or any(not a >= b >= 0 or a <= 0 for a, b, _c in rows):
        return False
    if all(b == 0 for _a, b, _c in rows):
        return False  # no poor household: any column would fit
    for scale in (1.0, 100.0):
        ok = sum(1 for a, b, c in rows if abs(c - scale * b / a) <= 0.0006 * scale)
        if ok >= 0.9 * len(rows):
            return True
    return False


_TRIO = ("households_total", "poor_end", "poverty_rate_end")


def _poverty_trio(known: dict[str, int], cols: dict[int, list[object]]) -> list[_Found]:
    """The missing columns of households, poor and rate, when one assignment alone fits."""
    missing = [n for n in _TRIO if n not in known]
    if not missing or len(missing) == 3:
        return []
    numbers = {c: [_number(v) for v in vs] for c, vs in cols.items()}
    numeric = [
        c
        for c, ns in numbers.items()
        if c not in known.values() and _share(ns, lambda x: x is not None, SHARE)
    ]
    if len(numeric) > 12:
        return []
    fits = []
    for pick in itertools.permutations(numeric, len(missing)):
        where = {**known, **dict(zip(missing, pick, strict=True))}
        if _rate_fits(*(numbers[where[n]] for n in _TRIO)):
            fits.append(pick)
    if len(fits) != 1:
        return []
    why = "tỷ lệ = hộ nghèo / tổng số hộ ở từng dòng"
    return [_Found(n, c, why) for n, c in zip(missing, fits[0], strict=True)]


# ---------------------------------------------------------------------------------------
# One sheet
# ---------------------------------------------------------------------------------------
def _data_rows(grid: Grid, block: HeaderBlock) -> list[int]:
    first = block.last + 1 + (1 if block.numbering_row == block.last + 1 else 0)
    rows: list[int] = []
    for r in range(first, grid.n_rows):
        if len(rows) == SAMPLE_ROWS:
            break
        if not grid.row_is_blank(r):
            rows.append(r)
    return rows


def _single_columns(
    spec: FormSpec, cmap: ColumnMap, cols: dict[int, list[object]], syn: Synonyms
) -> list[_Found]:
    """Codes, communes, partners, years: each the one free column its values fit."""
    known = cmap.columns
    words = syn.content.get("partner_words", [])
    rules: list[tuple[str, Callable[[object], bool], float, str]] = [
        ("commune_code_reported", _is_code, SHARE, "mã xã có trong danh mục"),
        ("commune", _is_commune, NAME_SHARE, "tên xã có trong danh mục"),
        ("partner_name", lambda v: _is_partner(v, words), NAME_SHARE, "tên cơ quan, đơn vị"),
        ("pair_start_year", _is_year, SHARE, "năm"),
        ("start_year", _is_year, SHARE, "năm"),
    ]
    other_years = syn.content.get("not_start_year", [])
    found: list[_Found] = []
    for name, test, share, why in rules:
        if name not in spec.columns or name in known:
            continue
        taken = {f.col for f in found}
        if name.endswith("start_year"):  # "Năm kết thúc" holds years, not the start
            labels = {c: fold_text(cmap.labels.get(c, "")) for c in cols}
            taken |= {c for c in cols if any(has_phrase(labels[c], w) for w in other_years)}
        hits = [c for c in cols if c not in taken and _share(cols[c], test, share)]
        if len(hits) == 1:
            found.append(_Found(name, hits[0], why))
    return found


def _ntm_columns(
    known: dict[str, int], cols: dict[int, list[object]], grid_cols: list[int]
) -> list[_Found]:
    """The criteria grid (when no criterion was named) and the count of criteria met."""
    found: list[_Found] = []
    if not grid_cols:
        start = _criteria_grid(cols)
        if start is None:
            return []
        grid_cols = list(range(start, start + N_CRITERIA))
        why = "19 cột đánh dấu đạt/chưa đạt liền nhau"
        found += [_Found(f"c{n + 1:02d}", c, why) for n, c in enumerate(grid_cols)]
    if "criteria_met" not in known:
        rest = {c: vs for c, vs in cols.items() if c not in grid_cols}
        c = _criteria_met([cols.get(g) or [] for g in grid_cols], rest)
        if c is not None:
            found.append(_Found("criteria_met", c, "bằng số tiêu chí đánh dấu đạt ở từng dòng"))
    return found


def _by_content(
    grid: Grid, block: HeaderBlock, spec: FormSpec, cmap: ColumnMap, syn: Synonyms, hidden: set[int]
) -> list[_Found]:
    """Every free column of the sheet that its values name, for the form's missing columns."""
    rows = _data_rows(grid, block)
    taken = set(cmap.columns.values())
    # the sampled rows, column by column (every row of a grid is n_cols wide)
    by_col = (
        zip(*(grid.values[r] for r in rows), strict=True)
        if rows
        else ([] for _c in range(grid.n_cols))
    )
    every = {c: list(vs) for c, vs in enumerate(by_col) if c not in hidden}
    cols = {c: vs for c, vs in every.items() if c not in taken and any(v is not None for v in vs)}
    found = _single_columns(spec, cmap, cols, syn)
    cols = {c: vs for c, vs in cols.items() if c not in {f.col for f in found}}
    if spec.criteria_names or spec.criteria_prefixes:
        named = [cmap.columns.get(f"c{n:02d}") for n in range(1, N_CRITERIA + 1)]
        if all(c is not None for c in named):
            every_grid = [c for c in named if c is not None]
            found += _ntm_columns(
                cmap.columns, {**cols, **{c: every[c] for c in every_grid}}, every_grid
            )
        elif not any(c is not None for c in named):
            found += _ntm_columns(cmap.columns, cols, [])
    if "poverty_rate_end" in spec.columns:
        known = {n: cmap.columns[n] for n in _TRIO if n in cmap.columns}
        known_cols = {c: every[c] for c in known.values()}
        found += _poverty_trio(known, {**cols, **known_cols})
    return found


def _finding(
    grid: Grid, block: HeaderBlock, spec: FormSpec, cmap: ColumnMap, found: list[_Found]
) -> Issue:
    """HEADER_BY_CONTENT: the columns read by their content, once for the sheet."""
    parts = []
    grid_cols = [f.col for f in found if f.name[0] == "c" and f.name[1:].isdigit()]
    for f in found:
        if f.col in grid_cols and f.col != grid_cols[0]:
            continue
        letter = a1(block.last, f.col).rstrip("0123456789")
        label = cmap.labels.get(f.col)
        said = f"('{label}')" if label else "(không có tiêu đề)"
        if f.col in grid_cols:
            last = a1(block.last, grid_cols[-1]).rstrip("0123456789")
            parts.append(f"các cột {letter}–{last} là 'Tiêu chí 1'–'Tiêu chí 19' ({f.why})")
        else:
            what = spec.columns[f.name].label or f.name
            parts.append(f"cột {letter} {said} là '{what}' ({f.why})")
    first = found[0]
    return Issue(
        severity=CODES["HEADER_BY_CONTENT"][0],
        code="HEADER_BY_CONTENT",
        message=(
            f"Tiêu đề cột không quen thuộc, biểu {FORM_CODES[spec.form]} được đọc theo nội "
            f"dung cột: {'; '.join(parts)}"
        ),
        source_sheet=grid.name,
        cell=a1(block.last, first.col),
        value=cmap.labels.get(first.col),
        suggestion=(
            "Kiểm tra cách hiểu này; ghi tiêu đề cột theo biểu mẫu (lệnh ketnghia template) "
            "hoặc thêm cách ghi tiêu đề vào reference/synonyms.yaml"
        ),
        row=block.last + 1,
    )


def complete_by_content(
    grid: Grid,
    block: HeaderBlock,
    spec: FormSpec,
    cmap: ColumnMap,
    syn: Synonyms,
    accept: Callable[[ColumnMap], bool],
    hidden: set[int] | None = None,
) -> tuple[ColumnMap, Issue] | None:
    """The column map of a near miss completed by the columns' contents, with its finding,
    when the completed form is acceptable (`accept`) and holds a column of figures; else None.
    """
    found = _by_content(grid, block, spec, cmap, syn, hidden or set())
    if not found:
        return None
    added = {f.name: f.col for f in found}
    columns = {**cmap.columns, **added}
    done = ColumnMap(
        columns=columns,
        confidence={**cmap.confidence, **{n: 1.0 for n in added}},
        method={**cmap.method, **{n: "content" for n in added}},
        labels=cmap.labels,
        unmapped=[c for c in cmap.unmapped if c not in added.values()],
    )
    if not accept(done) or not any(spec.columns[n].kind in FIGURE_KINDS for n in columns):
        return None
    return done, _finding(grid, block, spec, cmap, sorted(found, key=lambda f: f.col))
