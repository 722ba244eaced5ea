"""Partner registry: spellings folded into one id, unknown partners added and listed."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketnghia_analysis.reference import gazetteer
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


# ---------------------------------------------------------------------------------------
# Distinct units are never merged; ids do not depend on order (issue #19, item 2)
# ---------------------------------------------------------------------------------------
DISTINCT_PAIRS = [
    ("Trường THPT số 1 Nam Giang", "Trường THPT số 2 Nam Giang"),
    ("Đồn Biên phòng 661", "Đồn Biên phòng 665"),
    ("NHCSXH huyện Nam Giang", "NHCSXH huyện Đông Giang"),
    ("Trường THCS Nam Giang", "Trường THPT Nam Giang"),
    ("Hội Nông dân huyện Tây Giang", "Hội Nông dân xã Tây Giang"),
]


@pytest.mark.parametrize(("first", "second"), DISTINCT_PAIRS)
def test_names_differing_by_a_number_place_or_unit_word_get_distinct_ids(first, second):
    reg = PartnerRegistry.load()
    ids = {reg.resolve(first).partner_id, reg.resolve(second).partner_id}
    assert len(ids) == 2


@pytest.mark.parametrize(("first", "second"), DISTINCT_PAIRS)
def test_a_known_name_does_not_absorb_a_name_with_another_number_or_place(first, second):
    known = pd.DataFrame(
        [{"partner_id": "P900", "partner_name": first, "partner_type": "khác", "aliases": []}]
    )
    reg = PartnerRegistry(known)
    res = reg.resolve(second)
    assert res.partner_id != "P900" and res.method == "new"


def test_a_typo_of_a_known_numbered_unit_still_matches_it():
    known = pd.DataFrame(
        [{"partner_id": "P900", "partner_name": "Đồn Biên phòng 661", "partner_type": "lực lượng vũ trang", "aliases": []}]
    )  # fmt: skip
    res = PartnerRegistry(known).resolve("Đồn Biên phòngg 661")
    assert (res.partner_id, res.method) == ("P900", "fuzzy")


def test_close_new_names_go_to_review_not_to_a_merge():
    reg = PartnerRegistry.load()
    a = reg.resolve("Công ty TNHH Xây dựng Hoàng Phát Đạt").partner_id
    b = reg.resolve("Công ty TNHH Xây dựng Hoàng Phát Đạtt").partner_id
    assert a != b
    review = reg.review().set_index("partner_id")
    assert review.loc[a, "similar"] == b and review.loc[b, "similar"] == a


LABELS = [
    "Trường THPT số 1 Nam Giang",
    "Trường THPT số 2 Nam Giang",
    "TRƯỜNG THPT SỐ 2 NAM GIANG",
    "Đồn Biên phòng 661",
    "Đồn Biên phòng 665",
    "Đồn Biên phòngg 665",
    "NHCSXH huyện Nam Giang",
    "NHCSXH huyện Đông Giang",
    "Sở Tài chínhh",
    "Sở Tài chính",
    "STC",
    "Công ty TNHH Quế Trà My",
    "CÔNG TY TNHH QUẾ TRÀ MY",
]


@settings(max_examples=25, deadline=None)
@given(st.permutations(LABELS), st.lists(st.sampled_from(LABELS), max_size=10))
def test_the_order_of_the_labels_never_changes_an_id_name_or_review(order, extra):
    def outcome(labels):
        reg = PartnerRegistry.load()
        ids = {label: reg.resolve(label).partner_id for label in labels}
        return ids, reg.table().to_dict("records"), reg.review().to_dict("records")

    labels = [*LABELS, *extra]
    shuffled = [*order, *extra[::-1]]
    assert outcome(shuffled) == outcome(labels)


def test_each_load_is_a_registry_of_its_own():
    """The shipped registry is parsed once per process (issue #18); the spellings one build
    resolves never reach the registry of the next."""
    first = PartnerRegistry.load()
    shipped = len(first.table())
    first.resolve("Công ty TNHH Hoàn Toàn Mới Chưa Có", "enterprise")
    assert len(first.table()) == shipped + 1 and len(first.review())
    second = PartnerRegistry.load()
    assert len(second.table()) == shipped and second.review().empty
    assert second.table().equals(PartnerRegistry(gazetteer.partners()).table())
