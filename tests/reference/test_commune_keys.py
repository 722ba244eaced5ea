"""Tests of the label-only part of commune matching (reference.commune_keys) and of its caches."""

from __future__ import annotations

import pytest

from ketnghia_analysis.core import legacy
from ketnghia_analysis.reference.commune_keys import (
    label_keys,
    label_variants,
    lookup_keys,
    same_text,
)
from ketnghia_analysis.reference.matching import CommuneMatcher


def test_label_keys_are_a_fresh_list_each_call() -> None:
    keys = label_keys("Xã Trà Mai")
    keys.append(("spoilt", None))
    assert label_keys("Xã Trà Mai") == [("xa tra mai", None), ("tra mai", "xã")]


def test_lookup_keys_carry_the_key_without_spaces() -> None:
    assert lookup_keys("Thị trấn Tân An") == (
        ("thi tran tan an", "thitrantanan", None),
        ("tan an", "tanan", "thị trấn"),
    )


def test_variants_are_the_label_then_its_legacy_decodings() -> None:
    tcvn3 = legacy.encode_legacy("Xã Trà Mai", "tcvn3")
    assert label_variants(tcvn3)[0] == "Xã Trà Mai"
    assert label_variants("Trà Mai (*)") == ("Trà Mai",)


@pytest.mark.parametrize(
    ("label", "fold_case", "expected"),
    [
        ("X. Trà Mai", False, True),
        ("TràMai", False, True),
        ("xã trà mai", False, False),
        ("xã trà mai", True, True),
        ("Tra Mai", True, False),
    ],
)
def test_same_text(label: str, fold_case: bool, expected: bool) -> None:
    assert same_text(label, "Trà Mai", "Xã Trà Mai", fold_case) is expected


@pytest.mark.parametrize(
    "label", ["Xã Trà Mai", "Tra Mia", "Bình Tr", "Phước Hòa", "Xã Điện Thắng"]
)
def test_answers_do_not_depend_on_what_was_matched_before(label: str) -> None:
    """The label caches and the per-district candidates are shared across districts and
    years: a matcher that has seen other contexts answers like a fresh one."""
    contexts = [(d, y) for d in ("516", "515", "507", None) for y in (2018, 2021, 2024, 2026)]
    used = CommuneMatcher()
    for district, year in contexts:
        used.match(label, district, year)
    for district, year in reversed(contexts):
        assert used.match(label, district, year) == CommuneMatcher().match(label, district, year)
