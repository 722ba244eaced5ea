"""What a form sheet is drawn from: its style, the file context, columns, and what it hands back.

Each form is drawn from a `FormStyle` (title block, header depth, numbering row,
column order, sections, totals, footers, number/percent/money/mark styles); a
style is random but the plan of a run forces chosen variations on it. A form
returns, for every data row, the key of the truth row it carries and its
1-based Excel row, so the truth tables get exact provenance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ketnghia_analysis.sample.grid import Grid
from ketnghia_analysis.sample.variations import Placements

# How an NTM criterion is marked as met (one of the values, drawn per cell) or not met.
MET_STYLES: dict[str, tuple[object, ...]] = {
    "marks_met_dat": ("Đạt", "đạt"),
    "marks_met_x": ("x", "X"),
    "marks_met_check": ("✓",),
    "marks_met_digit": (1,),
    "marks_met_co": ("có",),
}
NOT_STYLES: dict[str, object] = {
    "marks_not_chua_dat": "Chưa đạt",
    "marks_not_cd": "CĐ",
    "marks_not_dash": "-",
    "marks_not_zero": 0,
    "marks_not_khong": "không",
    "marks_not_blank": None,
}


@dataclass(frozen=True)
class FormStyle:
    """Every layout and value choice of one form sheet."""

    title: str = "full"  # none | short | full
    depth: int = 2
    linebreaks: bool = False
    numbering: str | None = None  # parens | letters | digits
    hide_numbering: bool = False
    shuffle: bool = False
    missing: tuple[str, ...] = ()
    extra: bool = False
    hidden_extra: bool = False
    sections: bool = False
    subtotals: bool = False
    total: str | None = "bottom"  # top | bottom | None
    total_label: str = "Tổng cộng"
    formulas: str = "cached"  # values | cached | uncached
    footer: str = "full"  # none | notes | full
    blank_before_footer: int = 1
    numtext: str | None = None  # dot | space | comma
    dash_zero: bool = False
    percent: str = "number"  # number | fraction | text | text_plain
    money_unit: str = "trieu"
    unit_where: str = "header"  # header | dvt
    met: str = "marks_met_dat"
    notmet: str = "marks_not_chua_dat"
    crit_header: str = "criteria_numbers"
    level_style: str = "two_cols"  # two_cols | combined | year
    not_assessed: bool = False
    label_mode: str = "official"  # official | lower | bare | abbrev | mixed
    caps: bool = False
    spaces: str | None = None  # nbsp | zw | double
    alias: float = 0.4  # probability of a partner alias spelling
    commune_first: bool = True  # 01/KN: commune column before partner columns
    merge_communes: bool = True


@dataclass
class Ctx:
    """One file being laid out; the forms add to its placements, issues and quarantine."""

    file: str
    district_code: str
    district_name: str  # official, e.g. "Huyện Nam Trà My"
    year: int
    report_date: dt.date
    report_no: int
    rng: np.random.Generator
    place: Placements
    klass: dict[str, str] = field(default_factory=dict)  # commune_code -> kv3/kv12/mtn/plain
    commune_type: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, list[str]] = field(default_factory=dict)
    partner_names: dict[str, str] = field(default_factory=dict)
    issues: list[dict] = field(default_factory=list)  # planted issues (filled by layouts)
    quarantine: list[dict] = field(default_factory=list)

    @property
    def short(self) -> str:
        """District name without "Huyện", "Thành phố" or "Thị xã"."""
        for prefix in ("Huyện ", "Thành phố ", "Thị xã "):
            if self.district_name.startswith(prefix):
                return self.district_name[len(prefix) :]
        return self.district_name

    @property
    def ubnd(self) -> str:
        """The issuing authority line, "UBND HUYỆN …"."""
        return "UBND " + self.district_name.upper()


@dataclass(frozen=True)
class Col:
    """One column: canonical key, header paths by depth, value kind, whether it is summed."""

    key: str
    paths: Mapping[int, tuple[str, ...]]
    kind: str = "count"  # text | count | money | percent | mark | year | status
    total: bool = False


@dataclass(frozen=True)
class FormOut:
    """A laid-out form: its sheet, the truth rows it carries and the columns it lacks."""

    grid: Grid
    rows: list[tuple[tuple, int]]  # (truth key, 1-based Excel row)
    dropped: set[str]  # canonical columns absent from the sheet (NA in truth)
