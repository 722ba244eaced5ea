"""The four kết nghĩa forms: their internal names and the codes the returns print on them."""

from __future__ import annotations

__all__ = ["FORM_CODES", "form_title"]

#: form → the code printed on the form (../shared/spec/returns.md).
FORM_CODES = {"support": "01/KN", "poverty": "02/HN", "ntm": "03/NTM", "models": "04/MH"}


def form_title(form: str) -> str:
    """How a message names a form.

    >>> form_title("poverty")
    'Biểu 02/HN'
    """
    return f"Biểu {FORM_CODES[form]}"
