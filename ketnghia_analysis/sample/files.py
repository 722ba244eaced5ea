"""A return's file: its format (writer and suffix) and its name, and the variations they show."""

from __future__ import annotations

from pathlib import Path

from ketnghia_analysis.core.text import strip_diacritics
from ketnghia_analysis.sample.variations import Placements

# The writer a forced format variation asks for (the last one forced wins).
FORCED_WRITER = (
    ("format_xls", "xlwt"),
    ("format_xlsm", "xlsm"),
    ("format_ods", "ods"),
    ("format_html_xls", "html"),
    ("format_xls_named_xlsx", "xls_as_xlsx"),
    ("total_formula_uncached", "openpyxl"),
)
SUFFIX = {
    "xlsxwriter": ".xlsx",
    "openpyxl": ".xlsx",
    "xlsm": ".xlsm",
    "xlwt": ".xls",
    "ods": ".ods",
    "html": ".xls",
    "xls_as_xlsx": ".xlsx",
}
FORMAT_VARIATION = {
    "xlsxwriter": "format_xlsx",
    "openpyxl": "format_xlsx",
    "xlsm": "format_xlsm",
    "xlwt": "format_xls",
    "ods": "format_ods",
    "html": "format_html_xls",
    "xls_as_xlsx": "format_xls_named_xlsx",
}
# The file-name style a forced file-name variation asks for (the last one forced wins).
FORCED_NAME_STYLE = (
    ("filename_copy_suffix", "copy"),
    ("filename_final", "final"),
    ("filename_v2", "v2"),
    ("filename_ascii", "ascii"),
    ("filename_diacritics", "diacritics"),
)
NAME_MARKERS = (
    (" (1)", "filename_copy_suffix"),
    ("final", "filename_final"),
    ("v2", "filename_v2"),
)


def file_name(name: str, ascii_name: str, year: int, style: str, suffix: str, tag: str = "") -> str:
    """The file name a district gives its return, in one of six styles.

    >>> file_name("Nam Trà My", "Nam Tra My", 2021, "compact", ".xlsx")
    'NamTraMy_KN_2021.xlsx'
    """
    compact = ascii_name.replace(" ", "")
    names = {
        "ascii": f"BC ket nghia {year} - {ascii_name}{tag}",
        "diacritics": f"Báo cáo kết nghĩa năm {year} - {name}{tag}",
        "compact": f"{compact}_KN_{year}{tag}",
        "copy": f"Bao cao {year} {name}{tag} (1)",
        "final": f"Bieu mau ket nghia {year} {ascii_name}{tag} final",
        "v2": f"BC_KN_{year}_{compact}{tag}_v2",
    }
    return names[style] + suffix


def unique_path(used: set[str], year: int, fname: str) -> str:
    """``<year>/<fname>``, numbered " (2)", " (3)", … if a file of that name was written."""
    rel = f"{year}/{fname}"
    k = 2
    while rel in used:
        rel = f"{year}/{Path(fname).stem} ({k}){Path(fname).suffix}"
        k += 1
    used.add(rel)
    return rel


def record_file(place: Placements, rel: str, writer: str) -> None:
    """Record the format and file-name variations a written file shows."""
    place.add(FORMAT_VARIATION[writer], rel, "", "")
    stem = Path(rel).name
    if stem != strip_diacritics(stem):
        place.add("filename_diacritics", rel, "", "")
    else:
        place.add("filename_ascii", rel, "", "")
    for marker, var in NAME_MARKERS:
        if marker in stem:
            place.add(var, rel, "", "")
