"""`ketnghia evaluate`: by default into the processed folder, as effects.csv (UTF-8 with a BOM,
so that Excel opens it right) and effects.xlsx with Vietnamese headers."""

from __future__ import annotations

import openpyxl
import pandas as pd

from ketnghia_analysis.analysis import effects, tables
from ketnghia_analysis.cli import main

NOTE = "Ước lượng chính; xã kết nghĩa so với xã cùng loại"


def _one_row(tables_: object, comparison: str = "similar", **_: object) -> pd.DataFrame:
    """A hand-made evaluate() result: the headline row only."""
    row = dict.fromkeys(effects.EFFECT_COLUMNS)
    row.update(
        outcome="poverty_rate_end",
        estimator="callaway_santanna",
        comparison=comparison,
        estimate=-0.03,
        std_error=0.01,
        ci_low=-0.05,
        ci_high=-0.01,
        n_treated=40,
        n_control=120,
        note=NOTE,
    )
    return pd.DataFrame([row], columns=effects.EFFECT_COLUMNS)


def test_evaluate_writes_csv_and_xlsx_into_the_processed_folder(tmp_path, monkeypatch, capsys):
    processed, elsewhere = tmp_path / "processed", tmp_path / "cwd"
    processed.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setattr(tables, "load", lambda folder: {"poverty": pd.DataFrame({"year": [2024]})})
    monkeypatch.setattr(effects, "evaluate", _one_row)
    assert main(["evaluate", "--processed", str(processed)]) == 0
    assert list(elsewhere.iterdir()) == []  # nothing in the current directory
    assert (processed / "effects.csv").is_file()
    book = openpyxl.load_workbook(processed / "effects.xlsx")
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["Chỉ tiêu kết quả", "Phương pháp ước lượng", "Nhóm so sánh"]
    assert "Ước lượng tác động (đơn vị của chỉ tiêu)" in headers
    assert (
        sheet.cell(2, headers.index("Ước lượng tác động (đơn vị của chỉ tiêu)") + 1).value == -0.03
    )
    out = capsys.readouterr().out
    assert str(processed / "effects.xlsx") in out


def test_effects_csv_carries_a_bom_and_keeps_vietnamese(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tables, "load", lambda folder: {"poverty": pd.DataFrame({"year": [2024]})})
    monkeypatch.setattr(effects, "evaluate", _one_row)
    out_csv = tmp_path / "effects.csv"
    assert effects.evaluate_to_csv(tmp_path, out_csv) == 0
    raw = out_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # what tells Excel the file is UTF-8
    text = raw[3:].decode("utf-8")
    assert text.startswith("outcome,estimator,")  # the BOM is not doubled
    assert NOTE in text
    assert pd.read_csv(out_csv, encoding="utf-8-sig").loc[0, "note"] == NOTE
    assert "Đã ghi 1 dòng" in capsys.readouterr().out
