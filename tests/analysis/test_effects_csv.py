"""effects.py `evaluate_to_csv`: effects.csv opens right in Excel (UTF-8 with a BOM)."""

from __future__ import annotations

import pandas as pd

from ketnghia_analysis.analysis import effects, tables

NOTE = "Ước lượng chính; xã kết nghĩa so với xã cùng loại"


def _one_row(tables_: object, comparison: str = "similar") -> pd.DataFrame:
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
