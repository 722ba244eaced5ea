"""Synthetic district returns with their ground truth (dữ liệu TỔNG HỢP, not real data).

`write_sample(out)` simulates the province (`world.province.simulate`), writes one
return per district and year in the messy shapes of ../shared/spec/returns.md
(`returns`, `forms`, `grid`), and writes ``out/truth/``: the processed tables a perfect
build must produce from those files, where every catalogue variation was
planted, the planted value errors, the quarantined rows and the planted effects.
"""

from __future__ import annotations

from ketnghia_analysis.sample.world.province import simulate
from ketnghia_analysis.sample.writer import SampleManifest, write_sample

__all__ = ["SampleManifest", "simulate", "write_sample"]
