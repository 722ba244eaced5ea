"""The limit of one form: a form too large for a reader worker is left out, alone.

A sheet beyond `Limits.max_form_rows` rows, or one that runs out of the worker's memory
while it is read (`reader`) or normalised (`building.normalise`), becomes one FORM_TOO_LARGE
error naming the limit; the file's other forms are read and ingested (issue #19).
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
