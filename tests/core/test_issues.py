"""Issue: frozen once created; its dict form is the columns of issues.parquet plus `row`."""

from __future__ import annotations

import dataclasses

import pytest

from ketnghia_analysis.core.issues import Issue


def test_an_issue_cannot_be_changed_after_it_is_created():
    issue = Issue("error", "VALUE_NEGATIVE", "Ô D12 có giá trị âm.", cell="D12", row=12)
    with pytest.raises(dataclasses.FrozenInstanceError):
        issue.year = 2023  # type: ignore[misc]
    placed = dataclasses.replace(issue, district_code="516", year=2023)
    assert (issue.year, placed.year, placed.cell) == (None, 2023, "D12")


def test_to_dict_holds_every_field():
    issue = Issue("warning", "COMMUNE_FUZZY", "…", source_file="a.xlsx", row=7)
    assert issue.to_dict()["source_file"] == "a.xlsx"
    assert set(issue.to_dict()) == {f.name for f in dataclasses.fields(Issue)}
