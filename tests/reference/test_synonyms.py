"""The synonym table: phrases kept folded, criteria columns, value vocabularies."""

from __future__ import annotations

from ketnghia_analysis.reference.synonyms import fold_phrase, load_synonyms, parse_synonyms


def test_phrases_are_folded():
    syn = parse_synonyms(
        {
            "forms": {
                "poverty": {
                    "columns": {"poor_end": {"kind": "count", "synonyms": [["Hộ nghèo", "31/12"]]}}
                }
            },
            "values": {"status": {"new": ["Mới triển khai"]}},
        }
    )
    col = syn.forms["poverty"].columns["poor_end"]
    assert (col.kind, col.synonyms) == ("count", [("ho ngheo", "31 12")])
    assert syn.values == {"status": {"new": ["moi trien khai"]}}
    assert syn.fuzzy_threshold == 88.0
    assert fold_phrase("  Số hộ  NGHÈO ") == "so ho ngheo"


def test_the_ntm_form_has_nineteen_criterion_columns():
    spec = load_synonyms().forms["ntm"]
    marks = [n for n, c in spec.columns.items() if c.kind == "mark"]
    assert marks == [f"c{n:02d}" for n in range(1, 20)]
    assert set(load_synonyms().values["ntm_level"]) == {"dat_chuan", "nang_cao", "kieu_mau"}
