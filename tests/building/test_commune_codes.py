"""A "Mã xã" column is the commune's identity: it outranks a misspelt name (issue #20)."""

from __future__ import annotations

import pytest
from workbooks import TITLE_POVERTY, write_xlsx

from ketnghia_analysis.building.normalise import Normaliser, normalise_return
from ketnghia_analysis.reading.reader import read_return
from ketnghia_analysis.reference import gazetteer
from ketnghia_analysis.reference.matching import CommuneMatcher
from ketnghia_analysis.reference.partners import PartnerRegistry

HEADER = [
    "STT",
    "Mã xã",
    "Xã, thị trấn",
    "Tổng số hộ",
    "Số hộ nghèo đầu năm",
    "Số hộ thoát nghèo trong năm",
    "Số hộ tái nghèo",
    "Số hộ nghèo phát sinh mới",
    "Số hộ nghèo cuối năm",
]


def _build(tmp_path, rows):
    path = write_xlsx(
        tmp_path / "BC ket nghia 2023 - Nam Tra My.xlsx",
        [{"name": "HN", "rows": TITLE_POVERTY + [HEADER] + rows}],
    )
    normaliser = Normaliser(CommuneMatcher(), PartnerRegistry.load(), gazetteer.target_communes())
    return normalise_return(read_return(path, tmp_path), normaliser)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    rows = [
        # typed as a number, as text behind an apostrophe, as plain text
        [1, 20938, "Trà Dơnn", 800, 300, 40, 0, 0, 260],  # misspelt name
        [2, "'20956", "Trà Don (*)", 700, 200, 20, 0, 0, 180],
        [3, "20947", "Trà Leng", 900, 100, 10, 0, 0, 90],  # a name of another commune
        [4, 99999, "Trà Mai", 500, 50, 5, 0, 0, 45],  # a code the gazetteer does not know
        [5, 20959, None, 400, 40, 4, 0, 0, 36],  # no name: the code alone
    ]
    return _build(tmp_path_factory.mktemp("codes"), rows)


def test_the_code_decides_the_commune(built):
    codes = list(built.tables["poverty"].sort_values("source_row")["commune_code"])
    assert codes == ["20938", "20956", "20947", "20944", "20959"]
    assert built.submission["rows_quarantined"] == 0


def test_findings_only_where_code_and_name_disagree(built):
    found = {(i.code, i.cell, i.severity) for i in built.issues}
    assert found == {
        ("COMMUNE_CODE_NAME_MISMATCH", "C9", "warning"),
        ("COMMUNE_CODE_UNKNOWN", "B10", "warning"),
    }
