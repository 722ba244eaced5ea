"""A report's scope and the counts of its data-quality tables."""

from __future__ import annotations

import pandas as pd

from ketnghia_analysis.reporting import scoping


def test_submission_statuses_are_counted_in_vietnamese():
    subs = pd.DataFrame(
        {"year": [2024, 2024, 2024], "status": ["ingested", "ingested", "rejected"]}
    )
    out = scoping.count_by(subs, ["year", "status"]).set_index("status")["count"].to_dict()
    assert out == {"đã nhận": 2, "bị từ chối": 1}
