"""kn.load: every processed table as a DataFrame with proper dtypes, attribute and dict access."""

from __future__ import annotations

import hashlib
import json
import shutil

import pandas as pd
import pytest

import ketnghia_analysis as kn
from ketnghia_analysis.analysis.tables import Tables, load
from ketnghia_analysis.core.snapshot import MixedTablesError


@pytest.fixture()
def small_dir(tmp_path):
    """Three hand-made tables; codes deliberately stored as numbers in one of them."""
    pd.DataFrame(
        {
            "commune_code": ["20335", "20944", "20947"],
            "commune_name": ["Phường Tân Thạnh", "Xã Trà Mai", "Xã Trà Don"],
            "district_code": ["502", "516", "516"],
            "district_name": ["Thành phố Tam Kỳ", "Huyện Nam Trà My", "Huyện Nam Trà My"],
        }
    ).to_parquet(tmp_path / "communes.parquet")
    pd.DataFrame(
        {
            "year": [2024, 2024],
            "district_code": [516, 516],  # numbers: the loader must give "516"
            "commune_code": [20947.0, 20944.0],
            "commune_name": ["Xã Trà Don", "Xã Trà Mai"],
            "households_total": [800.0, None],
            "poor_end": [200, 150],
            "poverty_rate_end": [0.25, None],
        }
    ).to_parquet(tmp_path / "poverty.parquet")
    pd.DataFrame(
        {
            "year": [2024],
            "district_code": ["516"],
            "commune_code": ["20944"],
            "criterion": [3],
            "met": [True],
        }
    ).to_parquet(tmp_path / "ntm_criteria.parquet")
    return tmp_path


def test_every_table_by_attribute_and_key(small_dir):
    d = load(small_dir)
    assert isinstance(d, Tables) and isinstance(d, dict)
    assert list(d) == ["communes", "ntm_criteria", "poverty"]
    assert d.poverty is d["poverty"]
    assert "poverty" in d and "support" not in d


def test_codes_are_strings_and_counts_nullable(small_dir):
    d = load(small_dir)
    assert d.poverty["district_code"].tolist() == ["516", "516"]
    assert d.poverty["commune_code"].tolist() == ["20947", "20944"]
    assert str(d.poverty["households_total"].dtype) == "Int64"
    assert d.poverty["households_total"].isna().tolist() == [False, True]
    assert str(d.poverty["poor_end"].dtype) == "Int64"
    assert d.poverty["year"].dtype == "int64"
    assert str(d.ntm_criteria["criterion"].dtype) == "Int64"


def test_names_are_categories_in_official_order(small_dir):
    d = load(small_dir)
    names = d.poverty["commune_name"]
    assert isinstance(names.dtype, pd.CategoricalDtype) and names.dtype.ordered
    # official order = code order: Trà Mai (20944) before Trà Don (20947)
    assert sorted(names.tolist()) == ["Xã Trà Don", "Xã Trà Mai"]
    assert names.sort_values().tolist() == ["Xã Trà Mai", "Xã Trà Don"]
    districts = d.communes["district_name"].cat.categories.tolist()
    assert districts == ["Thành phố Tam Kỳ", "Huyện Nam Trà My"]


def test_missing_table_and_folder_messages_are_vietnamese(small_dir, tmp_path_factory):
    d = load(small_dir)
    with pytest.raises(AttributeError, match="Không có bảng 'support'"):
        _ = d.support
    with pytest.raises(KeyError, match="các bảng hiện có"):
        _ = d["support"]
    with pytest.raises(FileNotFoundError, match="Không tìm thấy thư mục"):
        load(small_dir / "khong_co")
    empty = tmp_path_factory.mktemp("empty")
    with pytest.raises(FileNotFoundError, match="không có bảng .parquet"):
        load(empty)


def test_kn_load_and_label_are_the_public_entry_points(small_dir):
    d = kn.load(small_dir)
    assert "poverty" in repr(d)
    assert kn.label("poverty_rate_end") == "Tỷ lệ hộ nghèo cuối năm (phân số 0–1, ×100 = %)"


def test_processed_fixture_loads_with_spec_tables(processed_dir):
    d = kn.load(processed_dir)
    for name in ("communes", "poverty", "ntm_criteria", "ntm_status", "support", "submissions"):
        assert name in d, name
    for name in d:
        frame = d[name]
        for column in ("district_code", "commune_code"):
            if column in frame.columns and len(frame):
                values = frame[column].dropna()
                assert values.map(type).eq(str).all(), (name, column)
                assert values.str.fullmatch(r"\d+").all(), (name, column)


def _manifest(folder, **extra):
    """The build manifest of a folder as a build writes it: the sha256 of every file."""
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*"))}
    manifest = {"built_at": "2025-01-01T00:00:00+00:00", "files": files, **extra}
    (folder / "_build.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_a_folder_whose_tables_disagree_with_its_manifest_is_refused(small_dir):
    _manifest(small_dir)
    assert load(small_dir).poverty["poor_end"].tolist() == [200, 150]
    # a build killed inside its swap: poverty.parquet is the next build's, the rest not
    pd.DataFrame({"year": [2025], "district_code": ["516"], "poor_end": [90]}).to_parquet(
        small_dir / "poverty.parquet"
    )
    with pytest.raises(MixedTablesError) as refused:
        load(small_dir)
    message = str(refused.value)
    assert message.startswith(f"Các bảng trong {small_dir} không thuộc cùng một lần xây dựng")
    assert "poverty.parquet khác với _build.json" in message
    assert message.endswith("hãy chạy lại 'ketnghia build' rồi tải lại bảng.")


def test_copies_and_tables_the_manifest_does_not_list_still_load(small_dir, tmp_path_factory):
    _manifest(small_dir, stats={"poverty.parquet": [1, 2]})  # stale stats: the hash decides
    pd.DataFrame({"year": [2024], "note": ["bảng của chuyên viên"]}).to_parquet(
        small_dir / "extra.parquet"
    )
    copy = tmp_path_factory.mktemp("copy") / "processed"
    shutil.copytree(small_dir, copy)
    for folder in (small_dir, copy):
        d = load(folder)
        assert list(d) == ["communes", "extra", "ntm_criteria", "poverty"]
        assert d.poverty["poor_end"].tolist() == [200, 150]


def test_a_raw_folder_is_explained_without_building_into_it(tmp_path):
    """kn.load on a folder of returns (issue 17): build into another folder, never into the
    raw folder; and nothing (not even a lock file) is written into the raw folder."""
    raw = tmp_path / "data" / "raw"
    (raw / "2024").mkdir(parents=True)
    (raw / "2024" / "BC Nam Tra My 2024.xlsx").write_bytes(b"PK\x03\x04 a return")
    with pytest.raises(FileNotFoundError) as caught:
        kn.load(raw)
    message = str(caught.value)
    assert "báo cáo gốc" in message
    assert f"--raw {raw}" in message and f"--out {tmp_path / 'data' / 'processed'}" in message
    assert f"--out {raw}" not in message  # never build into the returns
    assert sorted(p.name for p in raw.rglob("*")) == ["2024", "BC Nam Tra My 2024.xlsx"]
