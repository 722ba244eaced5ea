"""The codebook is made from the contract and the columns' glossary entries without building
the pandera schemas (issue #18); every row must still say what the schema says."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ketnghia_analysis.building import codebook, schemas
from ketnghia_analysis.reference.contract import TABLES


def _from_schemas() -> list[dict]:
    """The codebook rows as the pandera schemas state them (how the codebook was made)."""
    rows = []
    for table, (cols, _key) in TABLES.items():
        schema = schemas.schema(table)
        for col in cols:
            column = schema.columns[col.name]
            rows.append(
                {
                    "table": f"{table}.parquet",
                    "column": col.name,
                    "label": column.title,
                    "unit": (column.metadata or {}).get("unit", ""),
                    "nullable": "có" if column.nullable else "không",
                    "description": column.description or "",
                }
            )
    return rows


def test_every_row_says_what_its_schema_says():
    frame = codebook.codebook()
    ours = frame[["table", "column", "label", "unit", "nullable", "description"]]
    assert ours.to_dict("records") == _from_schemas()
    assert len(frame) == sum(len(cols) for cols, _ in TABLES.values())


@pytest.mark.parametrize("kind", ["label", "unit", "description"])
def test_a_glossary_change_reaches_both(monkeypatch, kind):
    """The codebook and the schema read the same entry: change it, both change."""
    real = schemas.column_info

    def changed(name: str) -> dict:
        entry = dict(real(name))
        if name == "commune_code":
            entry[kind] = "đã sửa"
        return entry

    monkeypatch.setattr(schemas, "column_info", changed)
    rows = codebook.codebook()
    row = rows[rows["column"] == "commune_code"].iloc[0]
    assert row[kind] == "đã sửa"
    assert (
        codebook.codebook()[
            ["table", "column", "label", "unit", "nullable", "description"]
        ].to_dict("records")
        == _from_schemas()
    )


def test_the_codebook_does_not_import_pandera():
    code = (
        "import sys\n"
        "from ketnghia_analysis.building import codebook\n"
        "codebook.rendered()\n"
        "print('pandera' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_recorded_codebook_of_this_code_needs_no_making(tmp_path, monkeypatch):
    """After a build, the next one keeps the codebook (same code): its warm-up skips
    `rendered`; another code, or no record, and it makes it."""
    from ketnghia_analysis.building import assemble, unchanged, warm_up
    from ketnghia_analysis.building.write import write_all

    out = tmp_path / "out"
    out.mkdir()
    assert not codebook.recorded(out)  # nothing recorded
    write_all({name: schemas.empty(name) for name in TABLES}, out, None, None)
    assert codebook.recorded(out)

    made = []
    monkeypatch.setattr(codebook, "rendered", lambda: made.append(1))
    monkeypatch.setattr(assemble, "rehearsal", lambda _gazetteer: iter(()))
    warm_up.warm_up_assembly(out).finish()
    assert made == []
    warm_up.warm_up_assembly(None).finish()  # --no-cache: every workbook is written
    assert made == [1]

    monkeypatch.setattr(unchanged, "code_fingerprint", lambda: "another code")
    assert not codebook.recorded(out)
    warm_up.warm_up_assembly(out).finish()
    assert made == [1, 1]
