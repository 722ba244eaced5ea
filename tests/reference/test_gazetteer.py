"""Tests of the shipped reference tables (ketnghia_analysis/reference/*.csv)."""

from __future__ import annotations

import pandas as pd
import pytest

from ketnghia_analysis.reference import gazetteer as g


# ---- communes and vintages ------------------------------------------------------------
@pytest.mark.parametrize(
    ("year", "expected"),
    [(2019, 244), (2020, 241), (2021, 241), (2022, 241), (2023, 241), (2024, 241)],
)
def test_commune_counts_per_vintage(year: int, expected: int) -> None:
    units = g.communes_in_year(year)
    assert len(units) == expected
    assert units["commune_code"].is_unique


def test_commune_count_2025_after_nong_son_merger() -> None:
    # vietnam-provinces 0.5.8 lists 234 rows, one of them (20674 Xã Quế Phước) stale:
    # merged into Ninh Phước in 2020 and absent from vietnam-address-converter. 241 − 8 = 233.
    units = g.communes_in_year(2025)
    assert len(units) == 233
    assert "20674" not in set(units["commune_code"])


def test_districts_18_until_2024_and_17_in_2025() -> None:
    d = g.districts()
    assert len(d) == 18

    def valid_on(day: str) -> int:
        t = pd.Timestamp(day)
        return int(((d.valid_from <= t) & (d.valid_to.isna() | (d.valid_to >= t))).sum())

    assert valid_on("2019-12-31") == 18
    assert valid_on("2024-12-31") == 18
    assert valid_on("2025-01-01") == 17
    nong_son = d.set_index("district_code").loc["519"]
    assert nong_son["district_name"] == "Huyện Nông Sơn"
    assert nong_son["successor_code"] == "509"
    assert nong_son["valid_to"] == pd.Timestamp("2024-12-31")


def test_codes_are_digit_strings() -> None:
    c = g.communes()
    for col in ("commune_code", "district_code", "unit_2025_code"):
        assert c[col].map(lambda v: isinstance(v, str) and v.isdigit()).all(), col
    assert g.districts()["district_code"].str.fullmatch(r"5\d\d").all()
    assert set(c["commune_type"]) == {"xã", "phường", "thị trấn"}


def test_dtypes() -> None:
    c = g.communes()
    assert pd.api.types.is_datetime64_any_dtype(c["valid_from"])
    assert pd.api.types.is_datetime64_any_dtype(c["valid_to"])
    assert c["mountainous"].dtype == "boolean"
    assert c["border"].dtype == "boolean"
    assert g.districts()["mountainous"].dtype == "boolean"


def test_loaders_return_copies() -> None:
    c = g.communes()
    c.loc[:, "commune_name"] = "x"
    assert g.communes()["commune_name"].iloc[0] != "x"
    p = g.partners()
    p.at[0, "aliases"].append("zzz")
    assert "zzz" not in g.partners().at[0, "aliases"]


def _names(code: str) -> list[tuple[str, str, str]]:
    n = g.commune_names()
    n = n[n.commune_code == code].sort_values("valid_from")
    fmt = lambda t: "" if pd.isna(t) else t.strftime("%Y-%m-%d")  # noqa: E731
    return [(r.name, fmt(r.valid_from), fmt(r.valid_to)) for r in n.itertuples()]


def test_rename_dien_thang_bac_becomes_phuong() -> None:
    # NQ 727/NQ-UBTVQH15, effective 10/4/2023
    assert _names("20560") == [
        ("Xã Điện Thắng Bắc", "2019-01-01", "2023-04-09"),
        ("Phường Điện Thắng Bắc", "2023-04-10", ""),
    ]
    assert g.communes_in_year(2022).set_index("commune_code").at["20560", "commune_name"] == (
        "Xã Điện Thắng Bắc"
    )
    assert g.communes_in_year(2023).set_index("commune_code").at["20560", "commune_name"] == (
        "Phường Điện Thắng Bắc"
    )


def test_rename_que_trung_becomes_trung_phuoc() -> None:
    assert [n for n, _, _ in _names("20656")] == ["Xã Quế Trung", "Thị trấn Trung Phước"]
    row = g.communes().set_index("commune_code").loc["20656"]
    assert row["commune_name"] == "Thị trấn Trung Phước"
    assert row["commune_type"] == "thị trấn"


def test_nong_son_communes_keep_their_return_district_and_merged_ones_have_successors() -> None:
    c = g.communes().set_index("commune_code")
    # Nông Sơn (519) communes in 2019–2024 keep 519 although in Quế Sơn from 2025
    assert c.at["20656", "district_code"] == "519"
    assert c.at["20656", "district_name"] == "Huyện Nông Sơn"
    # Sơn Viên merged with Quế Lộc on 1/1/2025
    assert c.at["20672", "successor_code"] == "20671"
    assert c.at["20672", "valid_to"] == pd.Timestamp("2024-12-31")
    # NQ 863 (2020): Quế Cường + Phú Thọ → Quế Mỹ (code of Phú Thọ)
    assert c.at["20653", "successor_code"] == "20665"
    assert c.at["20665", "commune_name"] == "Xã Quế Mỹ"
    # every unit that ended has a successor valid after it
    ended = c[c.valid_to.notna()]
    assert len(ended) == 3 + 8  # 2020: Quế Cường, Quế Phước, Tân An; 2025: 8 mergers
    assert ended["successor_code"].notna().all()
    assert c.loc[ended["successor_code"], "valid_to"].isna().all()


def test_every_commune_has_a_2025_unit() -> None:
    c = g.communes()
    assert c["unit_2025_code"].notna().all()
    assert c["unit_2025_name"].notna().all()
    assert c["unit_2025_code"].nunique() == 78  # NQ 1659/NQ-UBTVQH15: 78 in former Quảng Nam
    # domain brief: Nam Trà My = Trà Mai + Trà Don; Sông Kôn = Sông Kôn + Jơ Ngây + A Ting
    by_name = c.set_index("commune_name")["unit_2025_name"]
    assert by_name["Xã Trà Mai"] == by_name["Xã Trà Don"] == "Xã Nam Trà My"
    assert by_name["Xã Sông Kôn"] == by_name["Xã Jơ Ngây"] == by_name["Xã A Ting"]
    assert by_name["Xã Sông Kôn"] == "Xã Sông Kôn"


def test_attributes_ethnic_regions() -> None:
    c = g.communes().set_index("commune_name")
    assert c.at["Xã A Tiêng", "ethnic_region"] == "II"
    assert c.at["Xã Trà Mai", "ethnic_region"] == "I"
    assert c.at["Thị trấn Khâm Đức", "ethnic_region"] == "I"
    assert c.at["Thị trấn Thạnh Mỹ", "ethnic_region"] == "II"
    counts = g.communes()["ethnic_region"].value_counts()
    assert counts["I"] == 9 and counts["II"] == 3
    # KV III derived only where the listed count equals the district's units: 58 − 9
    # (Bắc Trà My) − 3 (Hiệp Đức) = 46 known; the rest stay unknown.
    assert counts["III"] == 46
    # plains communes: not mountainous-known, no region
    assert pd.isna(c.at["Phường Minh An", "mountainous"])
    assert bool(c.at["Xã Trà Mai", "mountainous"]) is True


def test_attribute_edits_apply(tmp_path, monkeypatch) -> None:
    import shutil

    for f in g.REFERENCE_DIR.glob("*.csv"):
        shutil.copy(f, tmp_path / f.name)
    path = tmp_path / "commune_attributes.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    # an analyst marks Đại Sơn (Đại Lộc) as border and khu vực III (fictitious edit)
    lines = [
        "20503,Xã Đại Sơn,506,,True,III,sửa thử" if ln.startswith("20503,") else ln for ln in lines
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(g, "REFERENCE_DIR", tmp_path)
    g.clear_cache()
    try:
        row = g.communes().set_index("commune_code").loc["20503"]
        assert bool(row["border"]) is True and row["ethnic_region"] == "III"
    finally:
        monkeypatch.undo()
        g.clear_cache()


# ---- criteria, standards, published figures, partners ----------------------------------
def test_criteria_19_times_2_with_changed_flags() -> None:
    cr = g.criteria()
    assert len(cr) == 38
    assert sorted(cr["criteria_set"].unique()) == ["2016-2020", "2021-2025"]
    for _, grp in cr.groupby("criteria_set"):
        assert sorted(grp["criterion"].tolist()) == list(range(1, 20))
        assert sorted(grp.loc[grp.changed_2022, "criterion"].tolist()) == [3, 11, 12, 13]
    new = cr[cr.criteria_set == "2021-2025"].set_index("criterion")["name_vi"]
    assert new[11] == "Nghèo đa chiều"
    assert new[3] == "Thủy lợi và phòng, chống thiên tai"


def test_poverty_standards_and_published() -> None:
    ps = g.poverty_standards().set_index("standard")
    assert ps.at["2016-2020", "last_year"] == 2021
    assert ps.at["2022-2025", "income_poor_rural_vnd"] == 1_500_000
    pub = g.published_poverty()
    prov = pub[pub.scope == "province"].set_index("year")
    assert prov.at[2023, "poor_households"] == 24669
    assert prov.at[2021, "households_total"] == 436310
    assert prov.at[2021, "rate"] == pytest.approx(0.0759)
    assert prov.at[2021, "standard"] == "2022-2025"


def test_partners_registry() -> None:
    p = g.partners()
    assert 70 <= len(p) <= 95
    assert p["partner_id"].is_unique and p["partner_id"].str.fullmatch(r"P\d{3}").all()
    assert set(p["partner_type"]) <= set(g.PARTNER_TYPES)
    assert p["aliases"].map(lambda a: isinstance(a, list)).all()
    tc = p.set_index("partner_name").loc["Sở Tài chính"]
    assert "STC" in tc["aliases"] and tc["partner_type"] == "sở, ban, ngành tỉnh"
    plains = p[p.partner_type == "huyện, thị xã, thành phố đồng bằng"]
    assert len(plains) == 9
