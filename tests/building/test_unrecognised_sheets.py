"""A sheet of figures that no form fits: one error, its rows quarantined, the accounting closed."""

from __future__ import annotations

import json

from workbooks import KN_UNKNOWN_PARTNER, POVERTY_HEADER, POVERTY_ROWS, TITLE_POVERTY, write_xlsx

from ketnghia_analysis.building.normalise import Normaliser, normalise_return
from ketnghia_analysis.reading.reader import read_return
from ketnghia_analysis.reference import gazetteer
from ketnghia_analysis.reference.matching import CommuneMatcher
from ketnghia_analysis.reference.partners import PartnerRegistry

POVERTY = TITLE_POVERTY + POVERTY_HEADER + POVERTY_ROWS


def test_unrecognised_sheet_rows_are_quarantined_and_counted(tmp_path):
    path = write_xlsx(
        tmp_path / "BC ket nghia 2023 - Nam Tra My.xlsx",
        [{"name": "Ho ngheo", "rows": POVERTY}, {"name": "Ket nghia", "rows": KN_UNKNOWN_PARTNER}],
    )
    normaliser = Normaliser(CommuneMatcher(), PartnerRegistry.load(), gazetteer.target_communes())
    result = normalise_return(read_return(path, tmp_path), normaliser)
    sub = result.submission
    assert sub["status"] == "ingested" and sub["forms_found"] == "poverty"
    assert sub["rows_unrecognised"] == 14
    assert (
        sub["rows_read"] == sub["rows_accepted"] + sub["rows_quarantined"] + sub["rows_structural"]
    )
    errors = [i for i in result.issues if i.code == "SHEET_UNRECOGNISED"]
    assert len(errors) == 1 and errors[0].district_code == "516" and errors[0].year == 2023
    q = result.quarantine[result.quarantine["codes"] == "SHEET_UNRECOGNISED"]
    assert len(q) == 14
    assert set(q["source_sheet"]) == {"Ket nghia"} and set(q["form"]) == {"support"}
    assert list(q["source_row"])[:2] == [5, 6]
    first = json.loads(q["raw_values"].iloc[0])
    assert first["Bên hỗ trợ"] == "Sở số 1" and first["Xã được kết nghĩa"] == "Trà Mai"
