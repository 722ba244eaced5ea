"""``ketnghia sample --official``: the official poverty-review forms A–D beside the returns.

Odd years get a province compilation (one workbook per form, "Sheet1", district rows with
their sums followed by their communes 1.1, 1.2, …); even years district compilations (one
workbook per form and district, communes 1, 2, … and a total row), except a few districts
that send only their 02/HN (every district-year with a planted 02/HN issue, and one more
drawn per year). Drawn from their own random stream after the returns, so the returns are
the default run's. One planted disagreement (A3 ≠ B9) and a few placeholder denominators
(A1 of 10 or 100, rates of thousands of percent) are recorded for the truth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ketnghia_analysis.core.address import a1
from ketnghia_analysis.core.text import strip_diacritics
from ketnghia_analysis.sample.files import unique_path
from ketnghia_analysis.sample.forms.labels import MINORITY_SPELLINGS
from ketnghia_analysis.sample.forms.official import (
    LETTER,
    SheetStyle,
    UnitRow,
    columns,
    official_sheet,
)
from ketnghia_analysis.sample.grid import Book, write_book
from ketnghia_analysis.sample.plan import Slot

KINDS = ("review_result", "poor_movement", "near_poor_movement", "poverty_groups")
FILE_LABEL = {
    "review_result": ("Bieu 1 - Ket qua ra soat ho ngheo", "KQ rà soát hộ nghèo, cận nghèo"),
    "poor_movement": ("Bieu 2 - Dien bien ho ngheo", "Diễn biến hộ nghèo"),
    "near_poor_movement": ("Bieu 3 - Dien bien ho can ngheo", "Diễn biến hộ cận nghèo"),
    "poverty_groups": ("Bieu 4 - Phan tich nhom doi tuong", "Phân tích theo nhóm đối tượng"),
}
# The forms a district sends (letters), and how often.
FORM_SETS = (("ABCD", 0.6), ("ABC", 0.15), ("AB", 0.1), ("BC", 0.15))


@dataclass
class OfficialWritten:
    """What the official forms wrote: where each commune-year and district row went, by form."""

    commune: dict[tuple[int, str], dict[str, tuple[str, str, int]]] = field(default_factory=dict)
    district: dict[tuple[int, str], dict[str, tuple[str, str, int]]] = field(default_factory=dict)
    district_values: dict[tuple[int, str], dict] = field(default_factory=dict)
    placeholder: set[tuple[int, str]] = field(default_factory=set)
    issues: list[dict] = field(default_factory=list)
    submissions: list[dict] = field(default_factory=list)
    features: dict[str, list[list[str]]] = field(default_factory=dict)

    def feature(self, name: str, file: str, where: str = "") -> None:
        """Record that ``file`` shows layout feature ``name`` (at most three files each)."""
        spots = self.features.setdefault(name, [])
        if len(spots) < 3 and [file, "Sheet1", where] not in spots:
            spots.append([file, "Sheet1", where])


def write_official(
    out: Path,
    world: dict[str, pd.DataFrame],
    units_by_year: dict[int, pd.DataFrame],
    run: list[Slot],
    seed: int,
    used_names: set[str],
) -> OfficialWritten:
    """Write the official forms of every year (see the module docstring)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 16]))
    rec = world["official"].set_index(["year", "commune_code"]).to_dict("index")
    ow = OfficialWritten()
    planted = False
    for year, units in units_by_year.items():
        if year % 2 == 1:
            _province(out, year, units, rec, rng, ow, used_names)
            continue
        slots = [s for s in run if s.year == year]
        quiet = [s for s in slots if not s.plants]
        only_02 = {s.district_code for s in slots if s.plants}
        if quiet:
            only_02.add(quiet[int(rng.integers(len(quiet)))].district_code)
        for slot in slots:
            if slot.district_code in only_02:
                ow.feature("district_sends_only_02HN", f"{year}/", slot.district_code)
                continue
            letters = FORM_SETS[int(rng.choice(len(FORM_SETS), p=[p for _, p in FORM_SETS]))][0]
            part = units[units["district_code"] == slot.district_code]
            plant = not planted and "A" in letters and "B" in letters
            _district(out, year, slot, part, letters, rec, rng, ow, used_names, plant)
            planted = planted or plant
    return ow


def _label(name: str, rng: np.random.Generator) -> str:
    """A commune name as the Sở's tables type it: local spellings (Đắk/Đăk, apostrophes)."""
    if "Đắc" in name and rng.random() < 0.7:
        name = name.replace("Đắc", ("Đắk", "Đăk")[int(rng.integers(2))])
    for official, local in MINORITY_SPELLINGS.items():
        if official in name and rng.random() < 0.5:
            name = name.replace(official, local)
    return name


def _style(unit_line: str, rng: np.random.Generator, **kw: object) -> SheetStyle:
    return SheetStyle(
        unit_line=unit_line,
        title_year=bool(rng.random() < 0.6),
        banner=bool(rng.random() < 0.3),
        flat=bool(rng.random() < 0.3),
        unit_header=int(rng.integers(3)),
        zero_empty=bool(rng.random() < 0.4),
        **kw,  # type: ignore[arg-type]
    )


def _sums(records: list[dict]) -> dict:
    """The district row: every count summed over its communes."""
    keys = [k for k, v in records[0].items() if isinstance(v, int | np.integer) and k != "year"]
    return {k: int(sum(r[k] for r in records)) for k in keys}


def _province(
    out: Path,
    year: int,
    units: pd.DataFrame,
    rec: dict,
    rng: np.random.Generator,
    ow: OfficialWritten,
    used_names: set[str],
) -> None:
    """The province compilation of ``year``: one workbook per form."""
    rows: list[UnitRow] = []
    everything: list[dict] = []
    for di, (dcode, part) in enumerate(units.groupby("district_code", sort=True), start=1):
        recs = [rec[(year, c)] for c in part["commune_code"]]
        everything += recs
        dname = str(part["district_name"].iloc[0])
        dlabel = (dname, dname.upper(), dname)[int(rng.integers(3))]
        sums = _sums(recs)
        ow.district_values[(year, str(dcode))] = sums
        rows.append(UnitRow("district", str(di), dlabel, sums, (year, str(dcode))))
        for ci, (code, name) in enumerate(
            zip(part["commune_code"], part["commune_name"], strict=True), start=1
        ):
            rows.append(
                UnitRow("commune", f"{di}.{ci}", _label(name, rng), rec[(year, code)], (year, code))
            )
    rows.insert(0, UnitRow("total", "", "TOÀN TỈNH", _sums(everything)))
    line = ("TỈNH QUẢNG NAM", "UBND TỈNH QUẢNG NAM")[int(rng.integers(2))]
    for kind in KINDS:
        st = _style(line, rng)
        stem = f"{FILE_LABEL[kind][0]} toan tinh{'' if st.title_year else f' {year}'}"
        _write(out, year, kind, stem, rows, st, "49", ow, used_names, district_level=True)
        ow.feature("province_compilation", f"{year}/{stem}.xlsx")


def _district(
    out: Path,
    year: int,
    slot: Slot,
    part: pd.DataFrame,
    letters: str,
    rec: dict,
    rng: np.random.Generator,
    ow: OfficialWritten,
    used_names: set[str],
    plant: bool,
) -> None:
    """A district compilation: the communes of one district, a total row, one workbook per form."""
    codes = list(part["commune_code"])
    names = list(part["commune_name"])
    records = {c: dict(rec[(year, c)]) for c in codes}
    labels = {c: _label(n, rng) for c, n in zip(codes, names, strict=True)}
    placeholder: frozenset = frozenset()
    if rng.random() < 0.25 and "A" in letters:
        big = max(codes, key=lambda c: records[c]["poor_end"])
        placeholder = frozenset({(year, big)})
        ow.placeholder.add((year, big))
    target = max(codes, key=lambda c: records[c]["poor_end"]) if plant else None
    short = strip_diacritics(
        slot.district_name.split(" ", 1)[1]
        if slot.district_name.startswith("Huyện")
        else slot.district_name
    )
    for kind in KINDS:
        if LETTER[kind] not in letters:
            continue
        st = _style(
            slot.district_name.upper(),
            rng,
            placeholder=placeholder,
            placeholder_value=int(rng.choice([10, 100])),
        )
        values = records
        if kind == "review_result":  # the disagreement and the placeholder, totals summing them
            values = _written_a(records, target, placeholder, st.placeholder_value)
        rows = [
            UnitRow("commune", str(i), labels[c], values[c], (year, c))
            for i, c in enumerate(codes, start=1)
        ]
        total = UnitRow(
            "total",
            "",
            ("Tổng cộng", "Toàn huyện", "Cộng")[int(rng.integers(3))],
            _sums(list(values.values())),
        )
        rows = [total, *rows] if rng.random() < 0.4 else [*rows, total]
        stem = f"{short} - {FILE_LABEL[kind][int(rng.integers(2))]}"
        _write(out, year, kind, stem, rows, st, slot.district_code, ow, used_names)
        ow.feature("district_compilation", f"{year}/{stem}.xlsx")
    if target is not None:
        _plant_disagreement(ow, year, target)


def _written_a(records: dict, target: str | None, placeholder: frozenset, value: int) -> dict:
    """Form A's values as written: three poor households more at ``target`` (the planted
    disagreement with B9) and the placeholder households of ``placeholder``."""
    out = dict(records)
    if target is not None:
        out[target] = {**out[target], "poor_end": out[target]["poor_end"] + 3}
    for _year, code in placeholder:
        out[code] = {**out[code], "households_total": value}
    return out


def _write(
    out: Path,
    year: int,
    kind: str,
    stem: str,
    rows: list[UnitRow],
    st: SheetStyle,
    district_code: str,
    ow: OfficialWritten,
    used_names: set[str],
    district_level: bool = False,
) -> None:
    """Lay out and write one workbook; record its rows, cells, features and submission."""
    rel = unique_path(used_names, year, stem + ".xlsx")
    sheet = official_sheet(kind, rows, st, year)
    book = Book(rel, "xlsxwriter", [sheet.grid], dt.datetime(year + 1, 1, 15, 9, 0),
                title=f"Rà soát hộ nghèo năm {year} - DỮ LIỆU TỔNG HỢP (synthetic)")  # fmt: skip
    path = write_book(book, out)
    letter = LETTER[kind]
    for key, (r_hh, _r_pp) in sheet.rows.items():
        target = ow.district if district_level and key in ow.district_values else ow.commune
        target.setdefault(key, {})[letter] = (rel, sheet.grid.name, r_hh)
    for feat in sorted(sheet.features):
        ow.feature(feat, rel)
    ow.feature("one_form_per_workbook", rel)
    if not st.title_year:
        ow.feature("title_without_year", rel)
    if st.zero_empty:
        ow.feature("zeros_empty", rel)
    ow.submissions.append(
        {"source_file": rel, "size_bytes": path.stat().st_size, "district_code": district_code,
         "year": year, "forms_found": kind, "status": "ingested", "reason": None}
    )  # fmt: skip


def _plant_disagreement(ow: OfficialWritten, year: int, code: str) -> None:
    """FORMS_DISAGREE at the A3 cell (three poor households more than B9), naming B9's cell."""
    a_file, a_sheet, a_row = ow.commune[(year, code)]["A"]
    b_file, b_sheet, b_row = ow.commune[(year, code)]["B"]
    a_col = 2 + [c.field for c in columns("review_result")].index("poor_end")
    b_col = 3 + [c.field for c in columns("poor_movement")].index("poor_end")
    ow.issues.append(
        {
            "code": "FORMS_DISAGREE",
            "severity": "warning",
            "source_file": a_file,
            "source_sheet": a_sheet,
            "cell": a1(a_row - 1, a_col),
            "note": f"A(3) ghi số hộ nghèo nhiều hơn 3 so với B(9) ở {b_file}, {b_sheet}, "
            f"ô {a1(b_row - 1, b_col)}",
        }
    )
    ow.feature("forms_disagree", a_file, a1(a_row - 1, a_col))


def placed(ow: OfficialWritten) -> dict[str, list[list[str]]]:
    """The features with where each is (``truth/official.json``): a district-year (or the
    province-year) whose forms came in several workbooks shows ``forms_split_files``."""
    by: dict[tuple[int, str], list[str]] = {}
    for s in ow.submissions:
        by.setdefault((s["year"], s["district_code"]), []).append(s["source_file"])
    for files in by.values():
        if len(files) > 1:
            ow.feature("forms_split_files", files[0], ", ".join(files[1:]))
    return dict(sorted(ow.features.items()))
