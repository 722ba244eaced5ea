"""The pairing register and each commune's twinning status (issue #16): a commune is twinned,
not twinned or unknown, never a control because its rows are missing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ketnghia_analysis.analysis import effects, register
from ketnghia_analysis.analysis.treatment_panel import treatment_panel

COMMUNE = "20455"  # a mountain commune the sample world twins in 2022


@pytest.fixture(scope="module")
def world() -> dict[str, pd.DataFrame]:
    from ketnghia_analysis.sample import simulate

    return simulate(seed=2024, effect=-0.03)


def _tables(world: dict, **changes: pd.DataFrame) -> dict[str, pd.DataFrame]:
    out = dict(world)
    out.update(changes)
    return out


def _quarantine(rows: pd.DataFrame) -> pd.DataFrame:
    """Quarantine rows standing for the given support rows (form 01/KN)."""
    return pd.DataFrame(
        {
            "form": "support",
            "district_code": rows["district_code"].to_numpy(),
            "year": rows["year"].to_numpy(),
            "commune_label": "Xã X",
            "commune_code": rows["commune_code"].to_numpy(),
            "codes": "VALUE_NOT_NUMERIC",
            "raw_values": "{}",
            "source_file": "a.xlsx",
            "source_sheet": "01-KN",
            "source_row": np.arange(len(rows)) + 8,
        }
    )


def test_the_sample_commune_is_twinned_in_2022(world):
    groups = register.treatment_groups(world).set_index("commune_code")
    assert groups.loc[COMMUNE, "status"] == "twinned"
    assert groups.loc[COMMUNE, "g"] == 2022


def test_a_commune_whose_support_rows_are_all_quarantined_never_enters_the_comparison(world):
    support = world["support"]
    mine = support["commune_code"] == COMMUNE
    tables = _tables(world, support=support[~mine], quarantine=_quarantine(support[mine]))
    panel = treatment_panel(tables)
    assert COMMUNE not in set(panel["commune_code"])  # in neither group
    assert panel.attrs["n_unknown"] == 1
    status = register.commune_year_status(tables).set_index(["commune_code", "year"])
    assert status.loc[(COMMUNE, 2021), "status"] == "unknown"
    assert status.loc[(COMMUNE, 2021), "reason"] == "quarantined"
    assert status.loc[(COMMUNE, 2022), "status"] == "twinned"
    head = effects.evaluate(tables, outcomes=("poverty_rate_end",)).iloc[0]
    assert head["n_unknown"] == 1
    assert "không rõ năm bắt đầu" in head["note"]


def test_a_quarantined_row_after_accepted_ones_keeps_the_start(world):
    support = world["support"]
    later = (support["commune_code"] == COMMUNE) & (support["year"] == 2024)
    tables = _tables(world, support=support[~later], quarantine=_quarantine(support[later]))
    groups = register.treatment_groups(tables).set_index("commune_code")
    assert (groups.loc[COMMUNE, "status"], groups.loc[COMMUNE, "g"]) == ("twinned", 2022)


def test_a_blank_start_year_makes_the_first_year_unknown_not_the_row_year(world):
    support = world["support"].copy()
    mine = support["commune_code"] == COMMUNE
    support.loc[mine, "pair_start_year"] = pd.NA
    tables = _tables(world, support=support)
    groups = register.treatment_groups(tables).set_index("commune_code")
    assert groups.loc[COMMUNE, "status"] == "unknown"
    assert groups.loc[COMMUNE, "reason"] == "start_blank"
    assert COMMUNE not in set(treatment_panel(tables)["commune_code"])
    # pairings.csv gives the year: the commune is back, twinned from then
    edits = pd.DataFrame(
        {
            "commune_code": [COMMUNE],
            "partner_id": [None],
            "partner_name": [support.loc[mine, "partner_name"].iloc[0]],
            "start_year": ["2022"],
            "end_year": [None],
            "note": ["theo quyết định kết nghĩa"],
        }
    )
    reg = register.pairing_register(tables, edits)
    row = reg[reg["commune_code"] == COMMUNE].iloc[0]
    assert (row["start"], row["source"]) == (2022, "01/KN+pairings.csv")
    panel = treatment_panel(tables, pairings=edits)
    assert set(panel.loc[panel["commune_code"] == COMMUNE, "g"]) == {2022.0}


def test_a_start_year_written_late_is_belied_by_the_row_of_the_pairing_year(world):
    """Every row writes the start one year late (2023), but the commune has a support row in
    2022: it was twinned in 2022, as the missing-commune check of the build also reads it."""
    support = world["support"].copy()
    mine = support["commune_code"] == COMMUNE
    support.loc[mine, "pair_start_year"] = support.loc[mine, "pair_start_year"] + 1
    tables = _tables(world, support=support)
    groups = register.treatment_groups(tables).set_index("commune_code")
    assert (groups.loc[COMMUNE, "status"], groups.loc[COMMUNE, "g"]) == ("twinned", 2022)
    status = register.commune_year_status(tables).set_index(["commune_code", "year"])
    assert status.loc[(COMMUNE, 2022), "status"] == "twinned"
    assert status.loc[(COMMUNE, 2021), "status"] == "not_twinned"
    # pairings.csv still has the last word
    edits = pd.DataFrame(
        {
            "commune_code": [COMMUNE],
            "partner_id": [support.loc[mine, "partner_id"].iloc[0]],
            "partner_name": [None],
            "start_year": ["2023"],
            "end_year": [None],
            "note": ["theo quyết định kết nghĩa"],
        }
    )
    assert (
        register.treatment_groups(tables, edits).set_index("commune_code").loc[COMMUNE, "g"] == 2023
    )


def test_a_pairing_seen_in_the_first_year_of_data_is_twinned_before_it(world):
    support = world["support"].copy()
    old = support.groupby("commune_code")["pair_start_year"].transform("min") < 2019
    code = support.loc[old, "commune_code"].iloc[0]
    support.loc[support["commune_code"] == code, "pair_start_year"] = pd.NA
    groups = register.treatment_groups(_tables(world, support=support), first_year=2019)
    row = groups.set_index("commune_code").loc[code]
    assert (row["status"], row["g"]) == ("twinned", 2019)


def test_a_missing_return_makes_the_untwinned_communes_unknown_that_year(world):
    frame = effects.indicators.commune_frame(world)
    frame = frame[frame["commune_type"] == "xã"]
    district = str(frame.loc[~frame["ever_twinned"], "district_code"].value_counts().index[0])
    frame = frame[frame["district_code"].astype(str) == district]
    never = set(frame.loc[~frame["ever_twinned"], "commune_code"])
    twinned = set(frame.loc[frame["first_pair_year"] <= 2023, "commune_code"])
    subs = pd.DataFrame(
        {
            "district_code": district,
            "year": [2019, 2020, 2021, 2022, 2023, 2024],
            "status": "ingested",
            "forms_found": ["poverty,support"] * 5 + ["poverty"],  # 2024: no Biểu 01/KN
        }
    )
    # a district that never sends Biểu 01/KN has no pairing to report: its communes are known
    plains = "503"  # Hội An
    subs = pd.concat(
        [subs, subs.assign(district_code=plains, forms_found="poverty")], ignore_index=True
    )
    tables = _tables(world, submissions=subs)
    status = register.commune_year_status(tables).set_index(["commune_code", "year"])
    all_frame = effects.indicators.commune_frame(world)
    for code in all_frame.loc[all_frame["district_code"].astype(str) == plains, "commune_code"]:
        assert status.loc[(code, 2024), "status"] == "not_twinned"
    for code in never:
        assert status.loc[(code, 2024), "status"] == "unknown"
        assert status.loc[(code, 2024), "reason"] == "return_missing"
        assert status.loc[(code, 2023), "status"] == "not_twinned"
    for code in twinned:  # a pairing already known stays twinned
        assert status.loc[(code, 2024), "status"] == "twinned"
    panel = treatment_panel(tables, comparison="all")
    assert panel[panel["commune_code"].isin(never) & (panel["year"] == 2024)].empty
    assert panel.attrs["n_unknown_years"] >= len(never) > 0


def test_pairings_csv_end_year_and_names(world, tmp_path):
    path = tmp_path / "pairings.csv"
    path.write_text(
        "commune_code,partner_name,start_year,end_year,note\n"
        f"{COMMUNE},Một đơn vị chưa có trong danh mục,2020,2021,kết thúc\n",
        encoding="utf-8-sig",
    )
    edits = register.load_pairings(path)
    reg = register.pairing_register(world, edits)
    added = reg[(reg["commune_code"] == COMMUNE) & (reg["source"] == "pairings.csv")]
    assert len(added) == 1 and added["partner_id"].iloc[0].startswith("?")
    groups = register.treatment_groups(world, edits).set_index("commune_code")
    assert groups.loc[COMMUNE, "g"] == 2020  # the earlier pairing of pairings.csv
    assert register.load_pairings(tmp_path / "absent.csv") is None
