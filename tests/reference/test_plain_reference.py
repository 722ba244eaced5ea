"""The reference layer without pandas (issue #18): the reader workers build the commune
matcher and the partner registry from plain rows of the gazetteer, and must get exactly
what the DataFrames give."""

from __future__ import annotations

import datetime
import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ketnghia_analysis.core import legacy
from ketnghia_analysis.core.paths import REFERENCE_DIR
from ketnghia_analysis.reference import gazetteer as g
from ketnghia_analysis.reference import glossary, matching, partners
from ketnghia_analysis.reference.matching import CommuneMatcher
from ketnghia_analysis.reference.partners import PartnerRegistry

LEAN = """
import sys

from ketnghia_analysis.reference import gazetteer, glossary, matching, partners

m = matching.shipped_matcher()
assert m.match("X. Trà Mai", "516", 2021).code == "20944"
assert m.match("Trµ Mai", "516", 2021).code == "20944"
assert m.by_code("20938", "516", 2023).code == "20938"
r = partners.PartnerRegistry.load()
assert r.resolve("Sở KH&ĐT").partner_id == "P001"
assert r.lookup("Đồn Biên phòng 661").method == "new"
assert partners.place_names()
assert gazetteer.commune_rows() and gazetteer.commune_name_rows()
assert gazetteer.district_rows() and gazetteer.partner_rows()
assert len(gazetteer.units_in_year(2024)) == len(gazetteer.commune_codes_in_year(2024)) == 241
assert "20944" in gazetteer.target_communes()
assert glossary.label("poverty_rate_end") == "Tỷ lệ hộ nghèo cuối năm (%)"
print(sorted(name for name in ("pandas", "pyarrow") if name in sys.modules))
"""


def test_the_matcher_registry_and_plain_rows_need_no_pandas(tmp_path: Path) -> None:
    script = tmp_path / "lean.py"
    script.write_text(textwrap.dedent(LEAN), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# ---- plain rows = the DataFrames' cells --------------------------------------------------
def _cell(value: object) -> object:
    if value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def _frame_rows(frame: pd.DataFrame) -> list[dict]:
    return [{k: _cell(v) for k, v in row.items()} for row in frame.to_dict("records")]


@pytest.mark.parametrize(
    ("plain", "frame"),
    [
        ("commune_rows", "communes"),
        ("commune_name_rows", "commune_names"),
        ("district_rows", "districts"),
        ("partner_rows", "partners"),
    ],
)
def test_plain_rows_hold_the_dataframe_cells(plain: str, frame: str) -> None:
    rows, table = getattr(g, plain)(), getattr(g, frame)()
    assert isinstance(rows, tuple) and len(rows) == len(table) > 0
    assert all(list(row) == list(table.columns) for row in rows)
    assert list(rows) == _frame_rows(table)


def test_plain_values_are_plain_python() -> None:
    kinds = {type(v) for row in g.commune_rows() for v in row.values()}
    assert kinds == {str, datetime.date, bool, type(None)}
    assert any(row["ethnic_region"] == "III" for row in g.commune_rows())
    nong_son = next(r for r in g.district_rows() if r["district_code"] == "519")
    assert nong_son["valid_to"] == datetime.date(2024, 12, 31)
    assert nong_son["successor_code"] == "509"


def _outcome(convert, value) -> object:
    """What a conversion gives, or ValueError when it refuses the value."""
    try:
        return convert(value)
    except ValueError:
        return ValueError


@pytest.mark.parametrize(
    "text", ["2019-01-01", "2024-12-31", "2019-1-5", "2019/01/05", "2019-02-30", " 2019-01-01", "x"]
)
def test_plain_dates_and_flags_convert_as_pandas_does(text: str) -> None:
    want = _outcome(lambda t: g._to_date(pd.Series([t])).iloc[0].date(), text)
    assert _outcome(g._plain_date, text) == want
    for flag in ("True", " false ", "có", "X", "", "maybe"):
        expected = _outcome(lambda f: _cell(g._to_bool(pd.Series([f])).iloc[0]), flag)
        assert _outcome(g._plain_bool, flag) == expected, flag


@pytest.mark.parametrize("year", range(2018, 2027))
def test_units_in_year_are_the_rows_of_communes_in_year(year: int) -> None:
    table = g.communes_in_year(year)
    assert list(g.units_in_year(year)) == _frame_rows(table)
    assert g.commune_codes_in_year(year) == frozenset(table["commune_code"])


def test_units_in_year_take_the_name_and_type_of_the_year() -> None:
    # 20560 became a phường on 10/4/2023 (test_matching): its type word follows the year.
    kinds = {year: {r["commune_code"]: r for r in g.units_in_year(year)} for year in (2022, 2023)}
    assert kinds[2022]["20560"]["commune_type"] == "xã"
    assert kinds[2023]["20560"]["commune_type"] == "phường"
    assert kinds[2023]["20560"]["commune_name"].startswith("Phường ")
    assert len(g.units_in_year(2025.0)) == 233  # type: ignore[arg-type]


def test_target_communes_are_those_the_normaliser_computed() -> None:
    flags = g.communes().set_index("commune_code")
    mountain = flags["mountainous"].astype("boolean").fillna(False)
    border = flags["border"].astype("boolean").fillna(False)
    region = flags["ethnic_region"].notna()
    expected = set(flags.index[(mountain | border | region).to_numpy(dtype=bool)])
    assert g.target_communes() == frozenset(expected)
    assert 0 < len(expected) < len(flags)


def test_clear_cache_forgets_the_plain_rows_too() -> None:
    before = (g.commune_rows(), g.target_communes(), g.units_in_year(2024))
    g.clear_cache()
    after = (g.commune_rows(), g.target_communes(), g.units_in_year(2024))
    assert all(a is not b and a == b for a, b in zip(before, after, strict=True))


def test_records_reads_frames_and_rows_alike() -> None:
    frame = pd.DataFrame({"a": ["x", "y"], "b": [1, 2]})
    assert list(g.records(frame)) == [{"a": "x", "b": 1}, {"a": "y", "b": 2}]
    rows = ({"a": "x"},)
    assert g.records(rows) is rows


@pytest.mark.parametrize(
    ("value", "year"),
    [
        (None, -1),
        (float("nan"), -1),
        (pd.NaT, -1),
        (pd.NA, -1),
        (np.datetime64("NaT"), -1),
        (datetime.date(2021, 5, 1), 2021),
        (pd.Timestamp("2023-04-10"), 2023),
        (np.datetime64("2019-01-01"), 2019),
        ("2024-12-31", 2024),
    ],
)
def test_year_of_a_date_cell(value: object, year: int) -> None:
    assert matching._year_of(value, -1) == year


# ---- the matcher: rows or DataFrames, the same answers ----------------------------------
def _no_marks(s: str) -> str:
    s = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    return s.replace("đ", "d").replace("Đ", "D")


def _labels() -> list[object]:
    names = sorted({r["name"] for r in g.commune_name_rows()})[::4]
    labels: list[object] = [None, float("nan"), "", "???", 20944, "Phước Hòa", "Trà Mây"]
    labels += ["Xã Quế Phước", "Xã Quế Cường", "Thị trấn Tân An"]  # merged away in 2020
    for name in names:
        bare = name.split(" ", 1)[1] if name.startswith(("Xã ", "Phường ")) else name
        labels += [name, bare.upper(), _no_marks(bare), legacy.encode_legacy(name, "tcvn3")]
        labels.append(bare[:-1] + "x")  # a typo: fuzzy or none
    return labels


CONTEXTS = [("516", 2021), (None, 2019), ("509", 2025), ("519", 2024), ("502", None)]


def test_plain_and_frame_built_matchers_answer_alike() -> None:
    by_rows = CommuneMatcher(
        g.commune_name_rows(), g.commune_rows(), g.district_rows(), matching.alias_rows()
    )
    by_frames = CommuneMatcher(
        g.commune_names(), g.communes(), g.districts(), matching.commune_aliases()
    )
    shipped = matching.shipped_matcher()
    checked = set()
    for label in _labels():
        for district, year in CONTEXTS:
            want = by_frames.match(label, district, year)
            assert by_rows.match(label, district, year) == want, (label, district, year)
            assert shipped.match(label, district, year) == want, (label, district, year)
            checked.add(want.method)
    assert checked >= {"exact", "folded", "fuzzy", "renamed", "merged", "ambiguous", "none"}
    for code in ("20938", "20674", 20944.0, "99999"):
        for district, year in CONTEXTS:
            want = by_frames.by_code(code, district, year)
            assert by_rows.by_code(code, district, year) == want
            assert shipped.by_code(code, district, year) == want


def test_commune_aliases_frame_is_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text(
        "# comment\ncommune_code,alias,note\n20944, Xã Trà Mây ,x\n,Trà Mây,\n20944,,\n"
        "20938,Trà Đơn,\n",
        encoding="utf-8",
    )
    frame = matching.commune_aliases(path)
    want = pd.DataFrame(
        [["20944", "Xã Trà Mây", "x"], ["20938", "Trà Đơn", ""]],
        columns=["commune_code", "alias", "note"],
        dtype="object",
    )
    pd.testing.assert_frame_equal(frame, want)
    assert matching.alias_rows(path) == want.to_dict("records")
    empty = tmp_path / "empty.csv"
    empty.write_text("commune_code,alias,note\n,,\n", encoding="utf-8")
    assert matching.commune_aliases(empty).columns.tolist() == ["commune_code", "alias", "note"]
    assert matching.commune_aliases(empty).empty


# ---- the partner registry -----------------------------------------------------------------
SPELLINGS = [
    "Sở KH&ĐT",
    "Sở Kế hoạch và Đầu tư tỉnh Quảng Nam",
    "SỞ TÀI CHÍNH",
    "Sở Tài chínhh",
    "Đồn Biên phòng 661",
    "Đồn Biên phòng 665",
    "BCHQS tænh",
    "Trường THPT số 1 Nam Giang",
    "Trường THPT số 2 Nam Giang",
    "Công ty Điện lực Quảng Nam",
    "Công ty Điện lực Quảng Nom",
    None,
    float("nan"),
    "",
]


def test_registry_from_rows_is_the_registry_from_the_frame() -> None:
    by_frame = PartnerRegistry(g.partners())
    by_rows = PartnerRegistry(g.partner_rows())
    loaded = PartnerRegistry.load()
    for spelling in SPELLINGS + [r["partner_name"] for r in g.partner_rows()]:
        want = by_frame.resolve(spelling, "khác")
        assert by_rows.resolve(spelling, "khác") == want, spelling
        assert loaded.resolve(spelling, "khác") == want, spelling
        assert by_rows.lookup(spelling) == by_frame.lookup(spelling)
    for reg in (by_rows, loaded):
        pd.testing.assert_frame_equal(reg.table(), by_frame.table())
        pd.testing.assert_frame_equal(reg.review(), by_frame.review())
    assert not by_frame.review().empty


def test_place_names_are_those_of_the_frames() -> None:
    names = [
        *g.commune_names()["name"],
        *g.communes()["commune_name"],
        *g.districts()["district_name"],
    ]
    expected = {partners._PLACE_TYPE.sub("", partners.fold(n)) for n in names} - {""}
    assert partners.place_names() == frozenset(expected)
    assert "nam giang" in expected


# ---- the glossary ---------------------------------------------------------------------------
def _pandas_glossary(folder: Path) -> pd.DataFrame:
    """The glossary as the product read it with pandas before issue #18."""
    frames = []
    for path in glossary._files(folder):
        frame = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False, encoding="utf-8")
        for column in glossary.COLUMNS:
            if column not in frame.columns:
                frame[column] = ""
        frame = frame[glossary.COLUMNS].copy()
        frame["name"] = frame["name"].str.strip()
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    return table.drop_duplicates("name", keep="last").reset_index(drop=True)


def test_glossary_reads_as_pandas_did(tmp_path: Path) -> None:
    shipped = Path(REFERENCE_DIR)
    pd.testing.assert_frame_equal(glossary.table(), _pandas_glossary(shipped))
    (tmp_path / "glossary.csv").write_text(
        "# a comment\nname,label,description\n"
        "a,Nhãn A  # after a hash\n"
        ' b ,"B, có # trong ngoặc","hai\ndòng"\n'
        "   \n# a comment line\n"
        "c,C,mô tả\n"
        " , ,\n",
        encoding="utf-8",
    )
    (tmp_path / "glossary_more.csv").write_text(
        "name,label,unit,description\nc,C mới,%,thay thế\nd,D\n", encoding="utf-8"
    )
    table = glossary.table(tmp_path)
    pd.testing.assert_frame_equal(table, _pandas_glossary(tmp_path))
    assert table["name"].tolist() == ["a", "b", "", "c", "d"]
    assert glossary.entry("c", tmp_path) == {
        "label": "C mới",
        "unit": "%",
        "description": "thay thế",
    }
    assert glossary.label("b", tmp_path) == "B, có # trong ngoặc"
    header_only = tmp_path / "header_only"
    header_only.mkdir()
    (header_only / "glossary.csv").write_text("name,label\n", encoding="utf-8")
    pd.testing.assert_frame_equal(glossary.table(header_only), _pandas_glossary(header_only))
    none = glossary.table(tmp_path / "no_files")
    pd.testing.assert_frame_equal(none, pd.DataFrame(columns=glossary.COLUMNS))
