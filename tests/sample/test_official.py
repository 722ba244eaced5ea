"""`ketnghia sample --official`: the official poverty-review forms A–D and their truth (#15)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

YEARS = [2021, 2022]  # 2021 a province compilation, 2022 district compilations


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path]:
    """(official run, default run) of the same seed and years."""
    from ketnghia_analysis.cli import main

    base = tmp_path_factory.mktemp("official")
    years = f"{YEARS[0]}-{YEARS[-1]}"
    assert main(["sample", "--out", str(base / "off"), "--years", years, "--official"]) == 0
    assert main(["sample", "--out", str(base / "def"), "--years", years]) == 0
    return base / "off", base / "def"


@pytest.fixture(scope="module")
def off(runs) -> Path:
    return runs[0]


@pytest.fixture(scope="module")
def features(off) -> dict:
    return json.loads((off / "truth" / "official.json").read_text(encoding="utf-8"))


def _rows(path: Path) -> list[tuple]:
    book = load_workbook(path)
    assert book.sheetnames == ["Sheet1"]  # one form per workbook
    return list(book.active.iter_rows(values_only=True))


def _official_files(off: Path) -> pd.DataFrame:
    subs = pd.read_parquet(off / "truth" / "submissions.parquet")
    kinds = {"review_result", "poor_movement", "near_poor_movement", "poverty_groups"}
    return subs[subs["forms_found"].isin(kinds)]


def test_every_layout_feature_is_planted(features):
    for name in ("province_compilation", "district_compilation", "paired_rows", "formula_row",
                 "placeholder_denominator", "forms_split_files", "one_form_per_workbook",
                 "forms_disagree", "district_sends_only_02HN", "title_without_year",
                 "zeros_empty", "header_2rows", "header_3rows"):  # fmt: skip
        assert features.get(name), name


def test_province_compilation_numbers_districts_then_communes(off):
    files = _official_files(off)
    prov = files[(files["district_code"] == "49") & (files["forms_found"] == "poor_movement")]
    assert list(prov["year"]) == [2021]
    rows = _rows(off / prov["source_file"].iloc[0])
    stt = [r[0] for r in rows if r[2] == "Hộ" and r[0] is not None]
    assert stt[:2] == ["1", "1.1"]
    assert {s for s in stt if "." not in s} == {str(i) for i in range(1, 19)}  # 18 districts
    # Paired rows: "Hộ" then "Nhân khẩu", the TT and name only on the first.
    i = next(k for k, r in enumerate(rows) if r[0] == "1.1")
    assert rows[i + 1][:3] == (None, None, "Nhân khẩu")
    assert "9=1-2-3-4+5+6+7+8" in next(r for r in rows if r[0] == "A")


def test_district_compilations_split_forms_across_workbooks(off):
    files = _official_files(off)
    dist = files[files["year"] == 2022]
    assert set(dist["district_code"]) and "49" not in set(dist["district_code"])
    per = dist.groupby("district_code")["source_file"].count()
    assert (per >= 2).all()  # every district's forms arrive as several files
    assert len(per) < 18  # a few districts send only 02/HN
    a_file = dist[dist["forms_found"] == "review_result"]["source_file"].iloc[0]
    numbers = next(r for r in _rows(off / a_file) if r[0] == "A")
    assert "4=3/1*100" in numbers and "14=13/2*100" in numbers


def test_placeholder_denominators_with_absurd_rates(off, features):
    rel = features["placeholder_denominator"][0][0]
    rows = _rows(off / rel)
    bad = [r for r in rows if r[2] in (10, 100) and isinstance(r[4], int) and r[4] > r[2]]
    assert bad and bad[0][5] > 100  # rate (4) = 3/1*100 of thousands of percent
    t = pd.read_parquet(off / "truth" / "poverty.parquet")
    assert not t["households_total"].isin([10, 100]).any()  # a placeholder is never a count


def test_planted_disagreement_names_both_cells(off):
    issues = pd.read_csv(off / "truth" / "planted_issues.csv")
    row = issues[issues["code"] == "FORMS_DISAGREE"].iloc[0]
    assert row["severity"] == "warning"
    a_value = load_workbook(off / row["source_file"]).active[row["cell"]].value
    b_file, b_cell = row["note"].split(" ở ")[1].rsplit(", ô ", 1)
    b_file = b_file.rsplit(", ", 1)[0]
    b_value = load_workbook(off / b_file).active[b_cell].value
    assert a_value == b_value + 3
    t = pd.read_parquet(off / "truth" / "poverty.parquet")
    assert b_value in set(t.loc[t["source_file"] == b_file, "poor_end"])  # B(9) is the truth


def test_truth_identities_hold(off):
    t = pd.read_parquet(off / "truth" / "poverty.parquet")
    k = t.dropna(subset=["poverty_other_decrease", "households_total"])
    assert len(k) > 300
    ident = (
        k["poor_start"] - k["poverty_exits"] - k["poverty_other_decrease"]
        + k["poverty_from_near_poor"] + k["poverty_relapses"] + k["poverty_new"]
        + k["poverty_other_increase"]
    )  # fmt: skip
    assert (ident == k["poor_end"]).all()
    assert (k["exits_to_near_poor"] + k["exits_above_near_poor"] == k["poverty_exits"]).all()
    assert (k["poor_people_end"] >= k["poor_end"]).all()
    assert (k["people_total"] >= k["households_total"]).all()
    # The 02/HN identity holds too: the three new terms net to zero.
    old = k["poor_start"] - k["poverty_exits"] + k["poverty_relapses"] + k["poverty_new"]
    assert (old == k["poor_end"]).all()


def test_form_rows_balance_in_files(off):
    """Every "Hộ" and "Nhân khẩu" row of a movement form balances 9 = 1-2-3-4+5+6+7+8."""
    files = _official_files(off)
    for rel in files[files["forms_found"].isin(["poor_movement", "near_poor_movement"])][
        "source_file"
    ][:6]:
        rows = [r for r in _rows(off / rel) if r[2] in ("Hộ", "Nhân khẩu")]
        assert rows
        for r in rows:
            v = [x or 0 for x in r[3:12]]
            assert v[0] - v[1] - v[2] - v[3] + v[4] + v[5] + v[6] + v[7] == v[8], (rel, r)


def test_source_form_and_provenance_rule(off):
    t = pd.read_parquet(off / "truth" / "poverty.parquet")
    forms = set(t["source_form"])
    assert {"02/HN", "A+B+C+D+02/HN"} <= forms
    assert all(f.endswith("02/HN") or "+" in f for f in forms)
    only = t[t["source_form"] == "02/HN"]
    assert only[["people_total", "exits_above_near_poor", "poor_people_end"]].isna().all().all()
    subs = pd.read_parquet(off / "truth" / "submissions.parquet").set_index("source_file")
    with_b = t[t["source_form"].str.contains("B")]
    assert (subs.loc[with_b["source_file"], "forms_found"] == "poor_movement").all()
    a_only = t[t["source_form"].str.startswith("A+") & ~t["source_form"].str.contains("B")]
    assert (subs.loc[a_only["source_file"], "forms_found"] == "review_result").all()
    # Values of a form's row: the B "Hộ" row carries poor_start and poor_end at its cells.
    row = with_b.iloc[0]
    cells = _rows(off / row["source_file"])[int(row["source_row"]) - 1]
    assert cells[2] == "Hộ" and cells[3] == row["poor_start"] and cells[11] == row["poor_end"]


def test_district_rows_are_kept_apart_and_sum_their_communes(off):
    t = pd.read_parquet(off / "truth" / "poverty.parquet")
    d = pd.read_parquet(off / "truth" / "poverty_districts.parquet")
    assert len(d) == 18 and set(d["year"]) == {2021}
    sums = t[t["year"] == 2021].groupby("district_code")[["poor_end", "poverty_exits"]].sum()
    d = d.set_index("district_code")
    assert (d.loc[sums.index, "poor_end"] == sums["poor_end"]).all()
    assert (d.loc[sums.index, "poverty_exits"] == sums["poverty_exits"]).all()
    keys = set(zip(d["source_file"], d["source_row"], strict=True))
    assert not keys & set(zip(t["source_file"], t["source_row"], strict=True))
    rows = _rows(off / d["source_file"].iloc[0])
    assert rows[int(d["source_row"].iloc[0]) - 1][0] in {str(i) for i in range(1, 19)}


def test_official_changes_no_return_and_default_has_no_official_data(runs):
    off, default = runs
    for path in sorted(default.glob("20*/*")):
        assert path.read_bytes() == (off / path.relative_to(default)).read_bytes(), path
    t = pd.read_parquet(default / "truth" / "poverty.parquet")
    assert set(t["source_form"]) == {"02/HN"}
    assert t["people_total"].isna().all()
    assert pd.read_parquet(default / "truth" / "poverty_districts.parquet").empty
    assert not (default / "truth" / "official.json").exists()
    # A commune-year whose 02/HN row is quarantined still comes from its official forms.
    t_off = pd.read_parquet(off / "truth" / "poverty.parquet")
    extra = len(t_off) - len(t)
    assert extra >= 0
    assert (~t_off["source_form"].str.endswith("02/HN")).sum() == extra
