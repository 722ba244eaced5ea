"""The Issue record: one validation finding with its file, sheet and cell."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Issue:
    """One finding about a return. `message` is Vietnamese; `code` is stable English."""

    severity: str  # "error" | "warning"
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

    def to_dict(self) -> dict:
        return asdict(self)
