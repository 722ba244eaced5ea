"""The official poverty-review forms A–D (../shared/spec/official-forms.md) as the build sees
them: their kinds, letters, record columns, and how each maps to the columns of poverty.

The reader hands over one record per unit (the "Hộ" and "Nhân khẩu" rows of forms B, C, D
merged: a people count is the household column's name + ``_people``); `tabulate` turns the
records into poverty rows of one form each, and `form_join` joins the forms of one
commune-year by the precedence stated here.
"""

from __future__ import annotations

from ketnghia_analysis.reading.model import OFFICIAL_VALUES

#: form kind (the reader's FormTable.form) → its letter in poverty.source_form.
LETTERS = {
    "review_result": "A",
    "poor_movement": "B",
    "near_poor_movement": "C",
    "poverty_groups": "D",
}
OFFICIAL_KINDS = tuple(LETTERS)
#: The code of Biểu 02/HN in poverty.source_form.
HN = "02/HN"
#: The order of the forms in poverty.source_form ("A+B+C", "A+02/HN").
SOURCE_ORDER = ("A", "B", "C", "D", HN)
#: Where a joined row's provenance (file, sheet, row) points: the first of these present.
PROVENANCE_ORDER = ("B", "A", "C", "D", HN)

# The forms' counts in the order of their printed column numbers, as the reader hands them
# over (reading/model.py OFFICIAL_VALUES).
#: Form A, one row per unit: counts (1), (2), (3), (5), (7), (9), (11); rates (4), (6).
A_RATES = ("poverty_rate_reported", "near_poor_rate_reported")
A_COUNTS = tuple(c for c in OFFICIAL_VALUES["review_result"] if c not in A_RATES)
#: Form B, columns (1)–(9): (9) = 1 − 2 − 3 − 4 + 5 + 6 + 7 + 8.
B_FLOWS = tuple(OFFICIAL_VALUES["poor_movement"])
#: Form C, columns (1)–(9), the same shape for near-poor households.
C_FLOWS = tuple(OFFICIAL_VALUES["near_poor_movement"])
#: Form D, columns (1)–(10): poor households by group, then near-poor ones.
D_GROUPS = tuple(OFFICIAL_VALUES["poverty_groups"])


def people(columns: tuple[str, ...]) -> tuple[str, ...]:
    """The columns of the "Nhân khẩu" row of a paired form.

    >>> people(("poor_end",))
    ('poor_end_people',)
    """
    return tuple(f"{name}_people" for name in columns)


#: form kind → its count columns, as the records carry them (the rules check them).
COUNTS: dict[str, tuple[str, ...]] = {
    "review_result": A_COUNTS,
    "poor_movement": B_FLOWS + people(B_FLOWS),
    "near_poor_movement": C_FLOWS + people(C_FLOWS),
    "poverty_groups": D_GROUPS + people(D_GROUPS),
}

#: letter → poverty column → the record column it is taken from (official-forms.md,
#: "Mapping to poverty.parquet"); poverty_exits of form B is (2) + (3), made by `tabulate`.
MAPPING: dict[str, dict[str, str]] = {
    "A": {
        "households_total": "households_total",
        "people_total": "people_total",
        "poor_end": "poor_end",
        "near_poor_end": "near_poor_end",
        "poor_people_end": "poor_people_end",
        "near_poor_people_end": "near_poor_people_end",
    },
    "B": {
        **{name: name for name in B_FLOWS},
        "poverty_exits": "exits_to_near_poor",  # (2) + (3): the cell named is (2)'s
        "poor_people_end": "poor_end_people",
    },
    "C": {"near_poor_end": "near_poor_end", "near_poor_people_end": "near_poor_end_people"},
    "D": {
        "poor_end": "poor_total",
        "poor_ethnic_minority_end": "poor_ethnic_minority_end",
        "near_poor_end": "near_poor_total",
        "poor_people_end": "poor_total_people",
        "near_poor_people_end": "near_poor_total_people",
    },
    HN: {},  # Biểu 02/HN: the poverty columns themselves
}

#: poverty column → the forms it is taken from, first present wins (official forms before
#: 02/HN: they are the reviewed figures the Sở Lao động holds); any other form holding a
#: different value is a FORMS_DISAGREE finding.
PRECEDENCE: dict[str, tuple[str, ...]] = {
    "households_total": ("A", HN),
    "people_total": ("A",),
    "poor_start": ("B", HN),
    "poverty_exits": ("B", HN),
    "exits_to_near_poor": ("B",),
    "exits_above_near_poor": ("B",),
    "poverty_other_decrease": ("B",),
    "poverty_from_near_poor": ("B",),
    "poverty_relapses": ("B", HN),
    "poverty_new": ("B", HN),
    "poverty_other_increase": ("B",),
    "poor_end": ("B", "A", "D", HN),
    "near_poor_end": ("C", "A", "D", HN),
    "poor_ethnic_minority_end": ("D", HN),
    "poor_people_end": ("A", "B", "D"),
    "near_poor_people_end": ("A", "C", "D"),
}

#: The printed column number of a record column, for messages: "cột 9".
NUMBERS: dict[str, dict[str, str]] = {
    "A": {c: n for c, n in zip(A_COUNTS, ("1", "2", "3", "5", "7", "9", "11"), strict=True)},
    "B": {c: str(i) for i, c in enumerate(B_FLOWS, 1)} | {"poverty_exits": "2+3"},
    "C": {c: str(i) for i, c in enumerate(C_FLOWS, 1)},
    "D": {c: str(i) for i, c in enumerate(D_GROUPS, 1)},
}


def where(letter: str, column: str) -> str:
    """How a message names the source of a poverty column: its form and printed column.

    >>> where("B", "poor_end"), where("A", "poor_people_end"), where("02/HN", "poor_end")
    ('Biểu B cột 9', 'Biểu A cột 9', 'Biểu 02/HN')
    >>> where("B", "poor_people_end")
    'Biểu B cột 9 (dòng Nhân khẩu)'
    """
    if letter == HN:
        return "Biểu 02/HN"
    source = MAPPING[letter].get(column, column)
    if column == "poverty_exits":
        source = column
    base = source.removesuffix("_people")
    text = f"Biểu {letter} cột {NUMBERS[letter].get(base, '?')}"
    return text + (" (dòng Nhân khẩu)" if source.endswith("_people") else "")
