"""Identity stage: the district and year of a return, and its report date.

Clues, in order of trust: the cover sheet ("Thông tin chung": "Đơn vị báo cáo", "Năm báo
cáo"), the title block of each form ("UBND HUYỆN NAM TRÀ MY", "... năm 2023",
"Kèm theo Báo cáo số 123/BC-UBND ngày 15/12/2023"), the file name ("BC ket nghia 2023 -
Nam Tra My.xlsx", compared folded) and, last, the communes listed (matched with the
gazetteer in the year's vintage). Clues that disagree are reported as IDENTITY_CONFLICT
(error) and the value is left empty: the build does not guess. No clue at all gives
IDENTITY_UNKNOWN.

An official poverty-review form with no year in title or file name takes its folder's
("2023/…"). A province compilation (district rows among its rows) spans districts: its
district is the province ("49"); each row's district is its district row's (official_rows.py).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.core.missing import is_missing
from ketnghia_analysis.reading.forms import SheetVerdict
from ketnghia_analysis.reading.grid import Grid, clean_text, fold_text
from ketnghia_analysis.reading.model import FormTable
from ketnghia_analysis.reading.rows import FOOTER

YEAR_MIN, YEAR_MAX = 2015, 2030

# Order in which the forms' communes are offered as the last clue.
_OFFICIAL = ("review_result", "poor_movement", "near_poor_movement", "poverty_groups")
_COMMUNE_FORMS = ["poverty", *_OFFICIAL, "ntm", "support", "models"]

#: The district code of a return that spans the province (a province compilation).
PROVINCE_CODE = "49"

SOURCE_VI = {
    "cover": "trang bìa",
    "title": "tiêu đề biểu",
    "filename": "tên tệp",
    "communes": "danh sách xã",
    "compilation": "biểu tổng hợp toàn tỉnh (có dòng huyện)",
    "folder": "thư mục",
}


@dataclass(frozen=True)
class Clue:
    """One piece of evidence for the district, year or report date of a return."""

    what: str  # "district" | "year" | "report_date"
    value: Any
    source: str  # "cover" | "title" | "filename" | "communes"
    sheet: str | None = None
    cell: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Identity:
    """The district, year and report date decided from the clues, with the findings."""

    district_code: str | None
    year: int | None
    report_date: date | None
    clues: list[Clue] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


# ---------------------------------------------------------------------------
# District names
# ---------------------------------------------------------------------------

_UNIT_WORDS = ("thanh pho", "thi xa", "huyen")


@functools.lru_cache(maxsize=1)
def district_names() -> tuple[tuple[str, str], ...]:
    """(folded core name, district code), longest first: ("nam tra my", "516"), ..."""
    from ketnghia_analysis.reference.gazetteer import district_rows

    out = []
    for row in district_rows():
        code, name = row["district_code"], row["district_name"]
        f = fold_text(clean_text(str(name)))
        for u in _UNIT_WORDS:
            if f.startswith(u + " "):
                f = f[len(u) + 1 :]
                break
        out.append((f, str(code)))
    out.sort(key=lambda t: -len(t[0]))
    return tuple(out)


_STRONG_PREFIX = r"(?:ubnd|uy ban nhan dan|huyen|thi xa|thanh pho|tp|tx|h)"


@functools.lru_cache(maxsize=256)
def _district_pattern(name: str, strong_only: bool) -> re.Pattern[str]:
    """A district's folded name as whole words (after a unit word: `strong_only`), compiled once."""
    prefix = rf"{_STRONG_PREFIX}\s+" if strong_only else ""
    return re.compile(rf"(?:^|\s){prefix}{re.escape(name)}(?=\s|$)")


def districts_in_text(folded: str, strong_only: bool = True) -> list[str]:
    """District codes named in a folded text, in order of appearance.

    `strong_only`: only names preceded by a unit word ("huyện", "UBND", "thị xã", ...).

    >>> districts_in_text("uy ban nhan dan huyen nam tra my")
    ['516']
    >>> districts_in_text("bc ket nghia 2023 nam tra my", strong_only=False)
    ['516']
    """
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for name, code in district_names():
        if name not in folded:  # most texts name no district: skip the regular expression
            continue
        for m in _district_pattern(name, strong_only).finditer(folded):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            taken.append((s, e))
            found.append((s, code))
    found.sort()
    return [c for _s, c in found]


def district_in_filename(stem: str) -> list[str]:
    """Districts named in a file name (folded; underscores, dashes and CamelCase split)."""
    s = re.sub(r"([a-z])([A-Z])", r"\1 \2", stem)
    s = re.sub(r"[_\-.+]+", " ", s)
    f = fold_text(clean_text(s))
    codes = districts_in_text(f, strong_only=False)
    if codes:
        return codes
    squashed = f.replace(" ", "")
    out = []
    for name, code in district_names():
        if name.replace(" ", "") in squashed:
            out.append(code)
            squashed = squashed.replace(name.replace(" ", ""), "#")
    return out


# ---------------------------------------------------------------------------
# Years and dates
# ---------------------------------------------------------------------------

_YEAR_IN_TITLE = re.compile(r"(?:^|\s)nam(?: bao cao)?\s+(20\d\d)(?!\s*\d)")
_DATE_CONTEXT = re.compile(r"thang\s+\d{1,2}\s+nam\s+20\d\d")
_NUM_DATE = re.compile(r"ng[àa]y\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})", re.I)
_WORD_DATE = re.compile(
    r"ng[àa]y\s*(\d{1,2})\s*th[áa]ng\s*(\d{1,2})\s*n[ăa]m\s*(\d{4})",
    re.I,
)


def years_in_title(folded: str) -> list[int]:
    """Years stated as "năm 2023" (not dates "tháng 12 năm 2023", not ranges "2021-2025").

    >>> years_in_title("ket qua ra soat ho ngheo nam 2023 | ngay 15 thang 12 nam 2023")
    [2023]
    >>> years_in_title("giai doan nam 2021 2025")
    []
    """
    text = _DATE_CONTEXT.sub(" ", folded)
    out = []
    for m in _YEAR_IN_TITLE.finditer(text):
        y = int(m.group(1))
        if YEAR_MIN <= y <= YEAR_MAX:
            out.append(y)
    return out


def year_in_filename(stem: str) -> int | None:
    """The one year in a file name, if exactly one distinct year appears.

    >>> year_in_filename("BC ket nghia 2023 - Nam Tra My"), year_in_filename("BC 2023 sua 2024")
    (2023, None)
    """
    ys = {int(y) for y in re.findall(r"(?<!\d)(20\d\d)(?!\d)", stem)}
    ys = {y for y in ys if YEAR_MIN <= y <= YEAR_MAX}
    return ys.pop() if len(ys) == 1 else None


def report_date_in_text(text: str) -> date | None:
    """The date of "ngày 15/12/2023" or "ngày 15 tháng 12 năm 2023" in a (cleaned) text.

    >>> report_date_in_text("Kèm theo Báo cáo số 123/BC-UBND ngày 15/12/2023")
    datetime.date(2023, 12, 15)
    >>> report_date_in_text("Nam Trà My, ngày 5 tháng 1 năm 2024")
    datetime.date(2024, 1, 5)
    """
    for rx in (_NUM_DATE, _WORD_DATE):
        m = rx.search(text)
        if m:
            d, mth, y = (int(g) for g in m.groups())
            try:
                return date(y, mth, d)
            except ValueError:
                return None
    return None


# ---------------------------------------------------------------------------
# Collecting clues
# ---------------------------------------------------------------------------


def title_clues(grid: Grid, upto_row: int) -> list[Clue]:
    """District, year and report date from the title block (rows above the header)."""
    clues: list[Clue] = []
    district_done = False
    year_done = False
    for r in range(0, min(upto_row, grid.n_rows)):
        for c in grid.row_cells(r):
            v = grid.value(r, c)
            if not isinstance(v, str):
                continue
            f = grid.folded(r, c)
            if not district_done:
                codes = districts_in_text(f)
                # the administrative heading names the reporting district first; later
                # names in a title may be partners ("... kết nghĩa với TP Tam Kỳ")
                if codes:
                    clues.append(Clue("district", codes[0], "title", grid.name, a1(r, c), v))
                    district_done = True
            ys = years_in_title(f) if not year_done else []
            if ys:
                # the main title states the year first ("... năm 2023 và kế hoạch năm 2024")
                clues.append(Clue("year", ys[0], "title", grid.name, a1(r, c), v))
                year_done = True
            d = report_date_in_text(v)
            if d is not None:
                clues.append(Clue("report_date", d, "title", grid.name, a1(r, c), v))
    return clues


def footer_date_clues(grid: Grid, rows: list[int]) -> list[Clue]:
    """Report date from the place-and-date line of the footer."""
    out = []
    for r in rows:
        for c in grid.row_cells(r):
            v = grid.value(r, c)
            if isinstance(v, str):
                d = report_date_in_text(v)
                if d is not None:
                    out.append(Clue("report_date", d, "footer", grid.name, a1(r, c), v))
    return out


def _value_right(grid: Grid, r: int, c: int, text: str) -> tuple[object, int]:
    """The value of a "key: value" pair: after the colon, or the next cell to the right."""
    if ":" in text:
        rest = text.split(":", 1)[1].strip()
        if rest:
            return rest, c
    for j in range(c + 1, grid.n_cols):
        v = grid.value(r, j)
        if v is not None:
            return v, j
    return None, c


def cover_clues(grid: Grid) -> list[Clue]:
    """District, year and report date from a cover sheet ("Thông tin chung")."""
    clues: list[Clue] = []
    for r in range(min(grid.n_rows, 60)):
        for c in grid.row_cells(r):
            v = grid.value(r, c)
            if not isinstance(v, str):
                continue
            f = grid.folded(r, c)
            if f.startswith(("don vi bao cao", "don vi", "huyen", "ten don vi", "dia phuong")):
                val, j = _value_right(grid, r, c, v)
                if isinstance(val, str):
                    fv = fold_text(clean_text(val))
                    codes = districts_in_text(fv) or districts_in_text(fv, strong_only=False)
                    if codes:
                        clues.append(Clue("district", codes[0], "cover", grid.name, a1(r, j), val))
                        continue
            if f.startswith(("nam bao cao", "nam", "ky bao cao")) and not f.startswith("nam tra"):
                val, j = _value_right(grid, r, c, v)
                y = _year_value(val)
                if y is not None:
                    clues.append(Clue("year", y, "cover", grid.name, a1(r, j), str(val)))
                    continue
            if f.startswith(("ngay bao cao", "ngay lap", "ngay")):
                val, j = _value_right(grid, r, c, v)
                d = _date_value(val)
                if d is not None:
                    clues.append(Clue("report_date", d, "cover", grid.name, a1(r, j), str(val)))
                    continue
            codes = districts_in_text(f)
            if codes:
                clues.append(Clue("district", codes[0], "cover", grid.name, a1(r, c), v))
            for y in years_in_title(f):
                clues.append(Clue("year", y, "cover", grid.name, a1(r, c), v))
            d = report_date_in_text(v)
            if d is not None:
                clues.append(Clue("report_date", d, "cover", grid.name, a1(r, c), v))
    return clues


def _year_value(v: object) -> int | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int | float) and float(v).is_integer() and YEAR_MIN <= v <= YEAR_MAX:
        return int(v)
    if isinstance(v, str):
        m = re.search(r"(?<!\d)(20\d\d)(?!\d)", v)
        if m and YEAR_MIN <= int(m.group(1)) <= YEAR_MAX:
            return int(m.group(1))
    return None


def _date_value(v: object) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        d = report_date_in_text("ngày " + v)
        if d:
            return d
    try:
        from ketnghia_analysis.reading.dates import parse_date

        d = parse_date(v)
        return d.date() if isinstance(d, datetime) else d
    except Exception:  # noqa: BLE001 - any unparseable date is simply no clue
        return None


def commune_clues(labels: list[str], year: int | None, matcher: Any = None) -> list[Clue]:
    """District from the communes listed (last resort), when most of them agree."""
    labels = [x for x in dict.fromkeys(labels) if x][:12]  # a dozen is enough to vote
    if not labels:
        return []
    try:
        if matcher is None:
            matcher = _default_matcher()
        district_of = _district_of()
        votes: Counter[str] = Counter()
        for lab in labels:
            m = matcher.match(lab, None, year or 2022)
            if m.code and m.method in ("exact", "folded"):
                d = district_of.get(str(m.code))
                if d:
                    votes[d] += 1
    except Exception:  # noqa: BLE001 - the commune clue is optional
        return []
    if not votes:
        return []
    code, n = votes.most_common(1)[0]
    if n >= 2 and n >= 0.8 * sum(votes.values()):
        return [Clue("district", code, "communes", None, None, f"{n} xã")]
    return []


def _sheet_clues(
    verdicts: list[SheetVerdict], form_verdicts: list[SheetVerdict], forms: list[FormTable]
) -> list[Clue]:
    """Cover sheets, then the title block and footer date of each form read."""
    clues: list[Clue] = []
    for v in verdicts:
        if v.kind == "cover" and v.grid is not None:
            clues += cover_clues(v.grid)
    for v, ft in zip(form_verdicts, forms, strict=True):
        if v.grid is None or v.block is None:
            continue
        clues += title_clues(v.grid, v.block.first)
        footer_rows = [r - 1 for r, k in ft.row_kinds.items() if k == FOOTER]
        clues += footer_date_clues(v.grid, footer_rows)
    return clues


def _filename_clues(path: Path) -> list[Clue]:
    """District(s) and year named in the file name."""
    clues = [
        Clue("district", code, "filename", None, None, path.name)
        for code in dict.fromkeys(district_in_filename(path.stem))
    ]
    y = year_in_filename(path.stem)
    if y is not None:
        clues.append(Clue("year", y, "filename", None, None, path.name))
    return clues


def _commune_labels(forms: list[FormTable]) -> list[str]:
    """Commune labels of the forms read, poverty form first."""
    labels: list[str] = []
    for ft in sorted(forms, key=lambda f: _COMMUNE_FORMS.index(f.form)):
        communes = ft.record_values("commune")  # the plain column: no frame built
        if communes is not None:
            labels += [str(x) for x in communes if not is_missing(x)]
    return labels


def _compilation_clue(forms: list[FormTable]) -> list[Clue]:
    """The province, for a file whose official form lists district rows (a province
    compilation: its rows span districts)."""
    for ft in forms:
        levels = ft.record_values("level")  # the plain columns: no frame built
        if levels is not None and "district" in levels:
            i = levels.index("district")
            row = int((ft.record_values("source_row") or [])[i])
            label = str((ft.record_values("commune") or [])[i])
            return [
                Clue(
                    "district",
                    PROVINCE_CODE,
                    "compilation",
                    ft.sheet,
                    ft.cell("commune", row),
                    label,
                )
            ]
    return []


def folder_year(relpath: str | None) -> int | None:
    """The year named by the folders of a path under the raw folder, nearest first.

    >>> folder_year("tinh/2023/Bieu B.xlsx"), folder_year("Bieu B.xlsx")
    (2023, None)
    """
    years = [year_in_filename(part) for part in Path(relpath or "").parts[:-1]]
    return next((y for y in reversed(years) if y is not None), None)


def file_clues(
    path: Path,
    verdicts: list[SheetVerdict],
    form_verdicts: list[SheetVerdict],
    forms: list[FormTable],
    relpath: str | None = None,
) -> list[Clue]:
    """Every identity clue of a file: cover, titles, footers, file name, then communes.

    `verdicts` are every sheet's; `form_verdicts` and `forms` the form sheets read, in the
    same order. The communes listed are the last resort, and a check. `relpath` (the path
    under the raw folder) gives the year of its folder when nothing else names one; a
    province compilation's district is the province (`PROVINCE_CODE`).
    """
    clues = _sheet_clues(verdicts, form_verdicts, forms) + _filename_clues(path)
    official = any(ft.form in _OFFICIAL for ft in forms)
    if official and not any(c.what == "year" for c in clues):
        y = folder_year(relpath)
        if y is not None:
            clues.append(Clue("year", y, "folder", None, None, str(Path(relpath or "").parent)))
    compilation = _compilation_clue(forms)
    if compilation:
        return clues + compilation
    if forms:
        years = [c.value for c in clues if c.what == "year"]
        year = years[0] if len(set(years)) == 1 else None
        clues += commune_clues(_commune_labels(forms), year)
    return clues


@functools.lru_cache(maxsize=1)
def _district_of() -> dict[str, str]:
    """Commune code → district code (the gazetteer, once per process)."""
    from ketnghia_analysis.reference.gazetteer import commune_rows

    return {str(row["commune_code"]): str(row["district_code"]) for row in commune_rows()}


def _default_matcher() -> Any:
    from ketnghia_analysis.reference.matching import shipped_matcher

    return shipped_matcher()


# ---------------------------------------------------------------------------
# Deciding
# ---------------------------------------------------------------------------


def _describe(clues: list[Clue], fmt: Callable[[Any], str] = str) -> str:
    """ "516 (tiêu đề biểu 'HN' ô A1); 510 (tên tệp)": each value with where it was found."""
    parts = []
    for cl in clues:
        where = SOURCE_VI.get(cl.source, cl.source)
        if cl.sheet:
            where += f" '{cl.sheet}'"
        if cl.cell:
            where += f" ô {cl.cell}"
        parts.append(f"{fmt(cl.value)} ({where})")
    return "; ".join(parts)


def _district_name(code: str) -> str:
    """Official name and code, "Huyện Nam Trà My (516)"."""
    try:
        from ketnghia_analysis.reference.gazetteer import district_rows

        names = [
            r["district_name"] for r in district_rows() if str(r["district_code"]) == str(code)
        ]
        if names:
            return f"{names[0]} ({code})"
    except Exception:  # noqa: BLE001 - a label only
        pass
    return str(code)


def _unknown(label_vi: str, source_file: str | None) -> dict[str, Any]:
    """Fields of IDENTITY_UNKNOWN: no clue at all."""
    return {
        "severity": "error",
        "code": "IDENTITY_UNKNOWN",
        "message": (
            f"Không xác định được {label_vi} của báo cáo (không có trên trang bìa, "
            "tiêu đề, tên tệp hay danh sách xã)"
        ),
        "source_file": source_file,
        "suggestion": f"Ghi rõ {label_vi} trong tiêu đề biểu hoặc tên tệp",
    }


def _conflict(
    label_vi: str,
    found: list[Clue],
    values: list[Any],
    fmt: Callable[[Any], str],
    source_file: str | None,
) -> dict[str, Any]:
    """Fields of IDENTITY_CONFLICT: clues that disagree, each with where it was found."""
    first = found[0]
    return {
        "severity": "error",
        "code": "IDENTITY_CONFLICT",
        "message": (
            f"Các nguồn cho {label_vi} của báo cáo không thống nhất: {_describe(found, fmt)}"
        ),
        "source_file": source_file,
        "source_sheet": first.sheet,
        "cell": first.cell,
        "value": " | ".join(fmt(v) for v in values),
        "suggestion": f"Sửa {label_vi} cho thống nhất rồi gửi lại",
    }


def _decide_one(
    found: list[Clue], label_vi: str, fmt: Callable[[Any], str], source_file: str | None
) -> tuple[Any, dict[str, Any] | None]:
    """(the agreed value or None, the fields of the finding if there is no agreed value)."""
    values = list(dict.fromkeys(c.value for c in found))
    if len(values) == 1:
        return values[0], None
    if not values:
        return None, _unknown(label_vi, source_file)
    return None, _conflict(label_vi, found, values, fmt, source_file)


def _report_date(clues: list[Clue]) -> date | None:
    """The report date: the cover's and the "Kèm theo ... ngày" line's first, then the footer's."""
    dates = [c for c in clues if c.what == "report_date"]
    dates.sort(key=lambda c: {"cover": 0, "title": 1, "footer": 2}.get(c.source, 3))
    return dates[0].value if dates else None


def decide(
    clues: list[Clue], source_file: str | None = None, commune_clue_only_if_missing: bool = False
) -> Identity:
    """Combine clues: one agreed value, or a conflict (error) / unknown issue.

    `commune_clue_only_if_missing`: the communes listed count only when no other source
    names the value.
    """
    result: dict[str, Any] = {}
    findings: list[dict[str, Any]] = []
    for what, label_vi, fmt in (("district", "huyện", _district_name), ("year", "năm", str)):
        found = [c for c in clues if c.what == what]
        primary = [c for c in found if c.source != "communes"]
        if commune_clue_only_if_missing and primary:
            found = primary
        result[what], finding = _decide_one(found, label_vi, fmt, source_file)
        if finding is not None:
            findings.append(finding)
    district, year = result["district"], result["year"]
    issues = [Issue(**f, district_code=district, year=year) for f in findings]
    return Identity(district, year, _report_date(clues), clues, issues)
