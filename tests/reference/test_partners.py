"""Partner registry: spellings folded into one id, unknown partners added and listed."""

import pandas as pd

from ketnghia_analysis.reference.partners import PartnerRegistry, fold


def registry() -> PartnerRegistry:
    known = pd.DataFrame(
        [
            {"partner_id": "P002", "partner_name": "Sở Tài chính", "partner_type": "sở, ban, ngành tỉnh", "aliases": ["STC", "Sở TC"]},
            {"partner_id": "P004", "partner_name": "Sở Y tế", "partner_type": "sở, ban, ngành tỉnh", "aliases": "SYT|Sở Y tế tỉnh Quảng Nam"},
            {"partner_id": "P030", "partner_name": "Thành phố Tam Kỳ", "partner_type": "huyện, thị xã, thành phố đồng bằng", "aliases": []},
        ]
    )  # fmt: skip
    return PartnerRegistry(known)


def test_spellings_of_one_unit_share_an_id():
    reg = registry()
    for spelling in (
        "Sở Tài chính",
        "Sở Tài Chính tỉnh Quảng Nam",
        "STC",
        "SỞ TÀI CHÍNH",
        "So tai chinh",
    ):
        res = reg.resolve(spelling)
        assert (res.partner_id, res.partner_name, res.method) == ("P002", "Sở Tài chính", "exact")


def test_close_typo_matches_fuzzily_and_is_listed_for_review():
    reg = registry()
    res = reg.resolve("Sở Tài chínhh")
    assert (res.partner_id, res.method) == ("P002", "fuzzy")
    review = reg.review()
    assert list(review["partner_id"]) == ["P002"]
    assert review["method"].iloc[0].startswith("fuzzy")


def test_different_units_are_not_merged():
    reg = registry()
    assert reg.resolve("Sở Y tế").partner_id == "P004"
    # a short, different name must not be pulled into a known unit
    new = reg.resolve("Sở Tư pháp")
    assert new.method == "new" and new.partner_id not in ("P002", "P004")


def test_unknown_partner_is_added_not_dropped_with_a_stable_id():
    reg, other = registry(), registry()
    res = reg.resolve("Công ty TNHH Quế Trà My", "doanh nghiệp")
    again = reg.resolve("CÔNG TY TNHH QUẾ TRÀ MY")
    assert res.method == "new" and again.partner_id == res.partner_id
    assert other.resolve("Công ty TNHH Quế Trà My").partner_id == res.partner_id  # order-free
    table = reg.table().set_index("partner_id")
    assert table.loc[res.partner_id, "partner_name"] == "Công ty TNHH Quế Trà My"
    assert table.loc[res.partner_id, "partner_type"] == "doanh nghiệp"
    assert "CÔNG TY TNHH QUẾ TRÀ MY" in table.loc[res.partner_id, "aliases"]
    assert list(reg.review()["method"]) == ["new"]


def test_aliases_collect_spellings_seen():
    reg = registry()
    reg.resolve("Sở Tài Chính tỉnh Quảng Nam")
    aliases = reg.table().set_index("partner_id").loc["P002", "aliases"]
    assert aliases[:2] == ["STC", "Sở TC"]
    assert "Sở Tài Chính tỉnh Quảng Nam" in aliases


def test_blank_spelling_resolves_to_nothing():
    assert registry().resolve("  ") is None
    assert registry().resolve(None) is None


def test_fold():
    assert fold("Sở Tài Chính tỉnh Quảng Nam") == "so tai chinh"
    assert fold("Sở KH&ĐT") == "so kh&dt"


def test_shipped_registry_loads():
    reg = PartnerRegistry.load()
    assert reg.resolve("Sở Tài Chính tỉnh Quảng Nam").partner_id == "P002"
