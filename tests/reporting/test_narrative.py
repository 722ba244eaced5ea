"""The reports' words: the headline paragraph in plain Vietnamese."""

from __future__ import annotations

import pandas as pd

from ketnghia_analysis.reporting import narrative


def test_headline_text_in_plain_vietnamese():
    row = pd.Series(
        {
            "outcome": "poverty_rate_end",
            "estimator": "callaway_santanna",
            "comparison": "similar",
            "estimate": -0.031,
            "ci_low": -0.045,
            "ci_high": -0.017,
            "n_treated": 60,
            "n_control": 40,
            "pre_trend_p": 0.4,
        }
    )
    text = narrative.headline_text(row)
    assert "giảm 3,1 điểm %" in text
    assert "có ý nghĩa thống kê" in text
    assert "60 xã kết nghĩa" in text
    row["ci_high"] = 0.01
    assert "chưa đủ bằng chứng" in narrative.headline_text(row)
