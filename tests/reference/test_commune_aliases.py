"""Registered local spellings of commune names (commune_aliases.csv): matched, not warned.

A district that keeps typing "Trà Mây" for Xã Trà Mai got the same COMMUNE_FUZZY warning
every year; once the spelling is registered, the build matches it silently.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from filled_template import fill_template

from ketnghia_analysis.building import worker
from ketnghia_analysis.building.build import build
from ketnghia_analysis.reading.template import write_template
from ketnghia_analysis.reference import matching
from ketnghia_analysis.reference.gazetteer import communes

YEAR = 2024
LOCAL = "Xã Trà Mây"  # a local spelling of Xã Trà Mai (20944)


def _aliases(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    lines = ["# test aliases", "commune_code,alias,note"] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def fresh_matchers(monkeypatch):
    """The build's matchers rebuilt from the alias file the test names, before and after."""

    def use(path: Path) -> None:
        monkeypatch.setattr(matching, "ALIASES_FILE", path)
        monkeypatch.setattr(worker, "_WORKER_STATE", {})
        matching.shipped_matcher.cache_clear()

    yield use
    matching.shipped_matcher.cache_clear()


def _fuzzy_warnings(tmp_path: Path) -> pd.DataFrame:
    raw, out = tmp_path / "raw", tmp_path / "processed"
    (raw / str(YEAR)).mkdir(parents=True)
    path = fill_template(write_template("516", YEAR, raw / str(YEAR) / "516_2024.xlsx"))
    book = openpyxl.load_workbook(path)
    book["Biểu 01-KN"].cell(7, 3).value = LOCAL  # the supported commune, spelled locally
    book.save(path)
    build(raw, out, workers=1, progress=False, isolate=False, use_cache=False)
    issues = pd.read_parquet(out / "issues.parquet")
    return issues[(issues["code"] == "COMMUNE_FUZZY") & (issues["value"] == LOCAL)]


def test_a_registered_spelling_builds_without_a_fuzzy_warning(tmp_path, fresh_matchers):
    fresh_matchers(_aliases(tmp_path / "aliases.csv", [("20944", "Trà Mây", "Nam Trà My")]))
    assert _fuzzy_warnings(tmp_path).empty
    support = pd.read_parquet(tmp_path / "processed" / "support.parquet")
    assert "20944" in set(support["commune_code"].astype(str))


def test_without_the_alias_the_same_spelling_warns(tmp_path, fresh_matchers):
    fresh_matchers(_aliases(tmp_path / "aliases.csv", []))
    assert len(_fuzzy_warnings(tmp_path)) == 1


def test_the_matcher_reads_aliases_with_any_prefix_case_or_diacritics():
    aliases = pd.DataFrame({"commune_code": ["20944"], "alias": ["Trà Mây"], "note": [""]})
    matcher = matching.CommuneMatcher(aliases=aliases)
    for label in ("Xã Trà Mây", "X. TRÀ MÂY", "tra may", "TràMây"):
        found = matcher.match(label, "516", YEAR)
        assert (found.code, found.method, found.confidence) == ("20944", "alias", 1.0), label
    assert matching.CommuneMatcher(aliases=aliases.iloc[:0]).match(LOCAL, "516", YEAR).method == (
        "fuzzy"
    )


def test_every_shipped_alias_names_a_known_commune():
    shipped = matching.commune_aliases()
    assert list(shipped.columns) == ["commune_code", "alias", "note"]
    assert set(shipped["commune_code"]) <= set(communes()["commune_code"].astype(str))
