"""A notebook's parameters checked and normalised by one call, with the rules of `ketnghia report`.

Every notebook's second code cell calls ``kn.params(year=..., district_code=...,
processed_dir=...)``: papermill hands over whatever the user typed (``-p district_code 516``
is an int), and a wrong value must stop the notebook with one Vietnamese sentence, not a
traceback, an empty table or a seaborn warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ketnghia_analysis.core import paths
from ketnghia_analysis.reporting import jobs


class NotebookParameterError(jobs.ParameterError):
    """A wrong notebook parameter: IPython shows only its Vietnamese sentence.

    IPython calls ``_render_traceback_`` instead of formatting a traceback, so the executed
    notebook (and papermill's error) holds the one sentence and no Python frames.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"Lỗi tham số: {self}"]


@dataclass(frozen=True)
class Params:
    """A notebook's parameters after the check: what its cells use."""

    year: int
    district_code: str  # "" = the whole province
    processed_dir: str  # absolute path of the processed folder


def district_code_text(code: object) -> str:
    """A district code as the tables hold it: digits as text, without padding zeros.

    >>> district_code_text(516), district_code_text(" 0516 "), district_code_text(None)
    ('516', '516', '')
    """
    if code is None:
        return ""
    text = str(code).strip()
    if text.isdigit():
        return str(int(text)).zfill(3)
    return text


def resolve_processed(processed_dir: str | Path) -> Path:
    """The processed folder: a relative path is read against the project root, whatever the
    working directory (papermill runs from the repo root or from notebooks/); a relative
    path that exists only from the working directory is kept for users who pass one."""
    path = Path(processed_dir).expanduser()
    if path.is_absolute():
        return path
    from_root = paths.project_root() / path
    if from_root.exists() or not path.exists():
        return from_root.resolve()
    return path.resolve()


def _year(year: object) -> int:
    """The year as an int (papermill may hand over "2024")."""
    try:
        return int(str(year).strip())
    except ValueError:
        raise NotebookParameterError(
            f"Năm '{year}' không hợp lệ: cần một năm bằng số, ví dụ 2024."
        ) from None


def params(
    year: object,
    district_code: object = "",
    processed_dir: str | Path = "data/processed",
    *,
    district_required: bool = False,
) -> Params:
    """Check a notebook's parameters against the data; return them normalised.

    Same rules and messages as ``ketnghia report`` (``reporting.jobs.validate``): the
    processed folder must exist and hold the tables, the year must have data, the district
    (an int or text, zero-padded or not) must exist and have data that year.
    ``district_required``: the notebook reports one district (an empty code is refused).

    Raises
    ------
    NotebookParameterError
        With one Vietnamese sentence, shown by IPython without a traceback.
    """
    folder = resolve_processed(processed_dir)
    code = district_code_text(district_code)
    if district_required and not code:
        raise NotebookParameterError(
            "Chưa chọn huyện: hãy truyền mã huyện, ví dụ -p district_code 516."
        )
    try:
        checked = jobs.validate(_year(year), code or None, False, folder)
    except NotebookParameterError:
        raise
    except jobs.ParameterError as error:
        raise NotebookParameterError(str(error)) from None
    return Params(_year(year), checked[0] if code else "", str(folder))
