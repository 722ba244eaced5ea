"""The Issue record: one finding about a return, with its file, sheet and cell."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Issue:
    """One finding about a return. `message` is Vietnamese; `code` is stable English.

    Frozen: a finding is created with everything known where it is born (the reader knows
    the file and the cell; the building stage adds the district and year of the return once,
    with `dataclasses.replace`, in `building.normalise.placed`).
    """

    severity: str  # "error" | "warning" | "info" (reference.contract.SEVERITIES)
    code: str
    message: str
    source_file: str | None = None
    source_sheet: str | None = None
    cell: str | None = None
    value: str | None = None
    expected: str | None = None
    suggestion: str | None = None
    district_code: str | None = None
    year: int | None = None
    row: int | None = None  # 1-based Excel row the issue concerns

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (the columns of issues.parquet, plus `row`)."""
        return asdict(self)
