"""Partner ids across the build: every label of every file resolved by one registry, in any
order of the files (issue #19, item 2)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ketnghia_analysis.building.assemble import _resolve_partners

# (label, type as typed) of the support rows of several files
SUPPORT = [
    ("Trường THPT số 1 Nam Giang", "khác"),
    ("Trường THPT số 2 Nam Giang", None),
    ("TRƯỜNG THPT SỐ 2 NAM GIANG", "khác"),
    ("Đồn Biên phòng 661", "lực lượng vũ trang"),
    ("Đồn Biên phòng 665", None),
    ("Đồn Biên phòngg 665", "lực lượng vũ trang"),
    ("NHCSXH huyện Nam Giang", "khác"),
    ("NHCSXH huyện Đông Giang", "doanh nghiệp"),
    ("NHCSXH huyện Đông Giang", "khác"),
    ("Sở Tài chínhh", None),
    ("STC", None),
]
MODELS = ["Đồn Biên phòng 661", "Trường THPT số 1 Nam Giang", "Sở Tài chính"]


def tables(support_order, model_order):
    support = pd.DataFrame(
        [
            {"row": i, "partner_label": label, "partner_type": ptype, "partner_name": label}
            for i, (label, ptype) in ((i, SUPPORT[i]) for i in support_order)
        ]
    )
    models = pd.DataFrame(
        [{"model": i, "partner_label": MODELS[i]} for i in model_order],
        columns=["model", "partner_label"],
    )
    return {"support": support, "models": models}


def outcome(support_order, model_order):
    built = tables(support_order, model_order)
    review = sorted(i.message for i in _resolve_partners(built))
    support = built["support"].sort_values("row").drop(columns="row").reset_index(drop=True)
    models = built["models"].sort_values("model").reset_index(drop=True)
    return support, models, built["partners"], review


def test_distinct_units_keep_distinct_ids():
    support, models, partners, _ = outcome(range(len(SUPPORT)), range(len(MODELS)))
    ids = dict(zip([label for label, _ in SUPPORT], support["partner_id"], strict=True))
    assert ids["Trường THPT số 1 Nam Giang"] != ids["Trường THPT số 2 Nam Giang"]
    assert ids["Trường THPT số 2 Nam Giang"] == ids["TRƯỜNG THPT SỐ 2 NAM GIANG"]
    assert ids["Đồn Biên phòng 661"] != ids["Đồn Biên phòng 665"]
    assert ids["NHCSXH huyện Nam Giang"] != ids["NHCSXH huyện Đông Giang"]
    assert ids["Sở Tài chínhh"] == ids["STC"] == "P002"
    assert list(models["partner_id"]) == [
        ids["Đồn Biên phòng 661"],
        ids["Trường THPT số 1 Nam Giang"],
        "P002",
    ]
    assert partners["partner_id"].str.startswith("PX").sum() == 7


@settings(max_examples=15, deadline=None)
@given(
    st.permutations(range(len(SUPPORT))),
    st.permutations(range(len(MODELS))),
)
def test_shuffling_the_files_never_changes_ids_names_types_or_review(support_order, model_order):
    expected = outcome(range(len(SUPPORT)), range(len(MODELS)))
    found = outcome(support_order, model_order)
    for got, want in zip(found[:3], expected[:3], strict=True):
        pd.testing.assert_frame_equal(got, want)
    assert found[3] == expected[3]
