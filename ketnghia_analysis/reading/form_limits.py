"""The limit of one form: a form too large for a reader worker is left out, alone.

A sheet beyond `Limits.max_form_rows` rows, or one that runs out of the worker's memory
while it is read (`reader`) or normalised (`building.normalise`), becomes one FORM_TOO_LARGE
error naming the limit; a sheet whose cells reach beyond `Limits.max_rows`, `max_cols` or
`max_cells` is never read (`cells`, `Workbook.refused`) and becomes one FILE_LIMIT error on
that sheet. Either way the file's other forms are read and ingested (issue #19).
"""

from __future__ import annotations

from ketnghia_analysis.core.fmt import fmt_number
from ketnghia_analysis.core.issues import Issue
from ketnghia_analysis.core.limits import Limits
from ketnghia_analysis.reference.form_codes import FORM_CODES


def form_too_large(form: str, sheet: str, source_file: str | None, why: str) -> Issue:
    """FORM_TOO_LARGE: one form beyond a limit (its rows, or the worker's memory) is not
    read; the file's other forms are. `why` names the limit."""
    code = FORM_CODES[form]
    return Issue(
        severity="error",
        code="FORM_TOO_LARGE",
        message=f"Biểu {code} ở trang tính này {why}: biểu này không được nhận, "
        "các biểu khác của tệp vẫn được đọc",
        source_file=source_file,
        source_sheet=sheet,
        suggestion=f"Chia biểu {code} thành nhiều tệp nhỏ hơn giới hạn rồi gửi lại.",
    )


def sheets_refused(
    refused: list[tuple[str, str]], source_file: str
) -> tuple[list[tuple[str, str]], list[Issue]]:
    """The skipped-sheet entries and the FILE_LIMIT errors of the sheets left unread for a
    bounding box beyond the limits (`Workbook.refused`: sheet name, why).

    >>> skipped, (issue,) = sheets_refused(
    ...     [("Rác", "có ô ở dòng 300.001, vượt giới hạn 250.000 dòng")], "a.xlsx"
    ... )
    >>> skipped
    [('Rác', 'trang tính có ô ở dòng 300.001, vượt giới hạn 250.000 dòng: không được đọc')]
    >>> issue.message
    "Trang tính 'Rác' có ô ở dòng 300.001, vượt giới hạn 250.000 dòng: trang này không được đọc, các trang khác của tệp vẫn được đọc"
    """
    skipped = [(name, f"trang tính {why}: không được đọc") for name, why in refused]
    issues = [
        Issue(
            severity="error",
            code="FILE_LIMIT",
            message=f"Trang tính '{name}' {why}: trang này không được đọc, "
            "các trang khác của tệp vẫn được đọc",
            source_file=source_file,
            source_sheet=name,
            suggestion="Xóa các ô thừa ở xa vùng số liệu (hoặc chia trang tính) rồi gửi lại.",
        )
        for name, why in refused
    ]
    return skipped, issues


def too_many_rows(n_rows: int, limits: Limits) -> str | None:
    """Why a form sheet of `n_rows` rows is beyond the row limit of one form, or None.

    >>> too_many_rows(60, Limits(max_form_rows=50))
    'có 60 dòng, vượt giới hạn 50 dòng của một biểu'
    >>> too_many_rows(50, Limits(max_form_rows=50)) is None
    True
    """
    if n_rows <= limits.max_form_rows:
        return None
    return (
        f"có {fmt_number(n_rows)} dòng, vượt giới hạn {fmt_number(limits.max_form_rows)} "
        "dòng của một biểu"
    )
