"""Column groups of the processed tables (../shared/spec/tables.md), named once.

Plain tuples, in the order of the forms, for the rules and the indicators that work on
these groups; every column's kind and dtype is in `reference.contract`.
"""

from __future__ import annotations

#: Biểu 02/HN counts, in the order of the form.
POVERTY_COUNTS = (
    "households_total",
    "poor_start",
    "poverty_exits",
    "poverty_relapses",
    "poverty_new",
    "poor_end",
    "near_poor_end",
    "poor_ethnic_minority_end",
)

#: Biểu 01/KN counts (money is separate: cash and in kind, million VND).
SUPPORT_COUNTS = (
    "models_supported",
    "beneficiary_households",
    "officials_trained",
    "workers_trained",
    "houses_supported",
)
