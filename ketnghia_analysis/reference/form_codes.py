"""The forms: their internal names and the codes the returns print on them (the four kết
nghĩa forms), or the letters of ../shared/spec/official-forms.md (the official poverty-review
forms A-D, which print no number)."""

from __future__ import annotations

__all__ = ["FORM_CODES", "form_title"]

#: form → the code printed on the form (../shared/spec/returns.md).
FORM_CODES = {
    "support": "01/KN",
    "poverty": "02/HN",
    "ntm": "03/NTM",
    "models": "04/MH",
    "review_result": "A",
    "poor_movement": "B",
    "near_poor_movement": "C",
    "poverty_groups": "D",
}


def form_title(form: str) -> str:
    """How a message names a form.

    >>> form_title("poverty")
    'Biểu 02/HN'
    """
    return f"Biểu {FORM_CODES[form]}"
