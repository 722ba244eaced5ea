"""Column groups of the processed tables (../shared/spec/tables.md), named once.

Plain tuples, no pandas or pandera, so that every stage (validation, the loader, the
indicators) can share them without importing the schemas.
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

#: Every count column of the processed tables (nullable integers).
COUNT_COLUMNS = (
    *POVERTY_COUNTS,
    "criterion",
    "criteria_met",
    "recognized_year",
    "pair_start_year",
    *SUPPORT_COUNTS,
    "start_year",
    "households",
    "rows_read",
    "rows_accepted",
    "rows_quarantined",
    "rows_structural",
    "size_bytes",
    "source_row",
)
