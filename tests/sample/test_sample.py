"""The sample-return generator: determinism, counts, invariants, calibration, and the catalogue.

One default run (6 years, ``--broken``) is generated once per session. Every
variation of the catalogue is confirmed by opening the files written
(python-calamine, openpyxl, xlrd, zipfile, raw bytes): variations.json only
says *where* to look; the content must show the variation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ketnghia_analysis.sample import simulate, write_sample
from ketnghia_analysis.sample.variations import BROKEN, CATALOGUE

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TOTAL_LABELS = {"Tổng cộng", "Cộng", "Toàn huyện"}


@pytest.fixture(scope="session")
def run(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("sample") / "raw"
    manifest = write_sample(out, broken=True)
    return out, manifest


@pytest.fixture(scope="session")
def truth(run) -> dict[str, pd.DataFrame]:
    out, _ = run
    return {p.stem: pd.read_parquet(p) for p in (out / "truth").glob("*.parquet")}


@pytest.fixture(scope="session")
def places(run) -> dict[str, list[list[str]]]:
    out, _ = run
    return json.loads((out / "truth" / "variations.json").read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- reading helpers


@lru_cache(maxsize=64)
def _calamine(path: str) -> dict[str, list[list[object]]]:
    from python_calamine import CalamineWorkbook

    data = Path(path).read_bytes()
    if data[:8] == OLE:  # binary .xls, whatever its extension: read with xlrd
        import xlrd

        book = xlrd.open_workbook(file_contents=data)
        out = {}
        for sh in book.sheets():
            out[sh.name] = [
                [None if c.ctype == xlrd.XL_CELL_EMPTY else c.value for c in sh.row(r)]
                for r in range(sh.nrows)
            ]
        return out
    wb = CalamineWorkbook.from_path(path)
    return {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}


def _html_rows(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8")
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", text, flags=re.S):
        rows.append(
            [
                re.sub(r"<[^>]+>", "", td)
                for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, flags=re.S)
            ]
        )
    return rows


def rows_of(out: Path, file: str, sheet: str) -> list[list[object]]:
    path = out / file
    if path.read_bytes()[:6].lower().startswith(b"<html"):
        return _html_rows(path)
    return _calamine(str(path))[sheet]


def cell(rows: list[list[object]], address: str) -> object:
    m = re.fullmatch(r"([A-Z]+)(\d+)", address)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    r, c = int(m.group(2)) - 1, col - 1
    if r >= len(rows) or c >= len(rows[r]):
        return None
    return rows[r][c]


def texts(rows) -> list[str]:
    return [v for row in rows for v in row if isinstance(v, str) and v]


@lru_cache(maxsize=32)
def _openpyxl(path: str, data_only: bool):
    from openpyxl import load_workbook

    return load_workbook(path, data_only=data_only)


# ----------------------------------------------------------------------------- counts, invariants


def test_counts_districts_and_communes(run, truth):
    out, manifest = run
    assert len(manifest.districts) == 18
    assert manifest.years == [2019, 2020, 2021, 2022, 2023, 2024]
    pov = truth["poverty"]
    quarantined = pd.read_csv(out / "truth" / "quarantine.csv")
    n_q = int(
        (quarantined["codes"] != "UNKNOWN_COMMUNE").sum()
    )  # the unknown label is an extra row
    per_year = pov.groupby("year").size()
    # 244 communes in 2019, 241 from 2020 (2020 mergers); quarantined rows are left out.
    assert per_year.sum() + n_q == 244 + 5 * 241
    assert 244 - n_q <= per_year[2019] <= 244
    assert all(241 - n_q <= per_year[y] <= 241 for y in range(2020, 2025))
    assert pov.groupby("year")["district_code"].nunique().eq(18).all()
    subs = truth["submissions"]
    assert set(subs["status"]) == {"ingested", "superseded", "rejected"}
    assert (subs["status"] == "rejected").sum() == len(BROKEN)
    # Every district-year has at least one ingested file.
    ing = subs[subs["status"] == "ingested"]
    assert len(ing.groupby(["district_code", "year"])) == 18 * 6


def test_truth_columns_and_dtypes(truth):
    pov = truth["poverty"]
    assert list(pov.columns) == [
        "year", "district_code", "commune_code", "commune_name", "households_total", "poor_start",
        "poverty_exits", "poverty_relapses", "poverty_new", "poor_end", "near_poor_end",
        "poor_ethnic_minority_end", "poverty_rate_end", "poverty_standard", "people_total",
        "exits_to_near_poor", "exits_above_near_poor", "poverty_other_decrease",
        "poverty_from_near_poor", "poverty_other_increase", "poor_people_end",
        "near_poor_people_end", "source_form", "source_file", "source_sheet", "source_row",
    ]  # fmt: skip
    assert pov["year"].dtype == np.int64
    assert str(pov["poor_end"].dtype) == "Int64"
    assert str(pov["source_row"].dtype) == "Int64"
    assert pov["commune_code"].map(type).eq(str).all()
    assert truth["ntm_criteria"]["met"].dtype == bool
    assert truth["support"]["cash_mvnd"].dtype == np.float64
    assert set(truth["models"]["status"]) <= {"maintained", "replicated", "stopped", "new"}
    assert set(truth["ntm_status"]["ntm_level"].dropna()) <= {"dat_chuan", "nang_cao", "kieu_mau"}
    # Money converts exactly from nghìn đồng: at most 3 decimals in million VND.
    money = pd.concat([truth["support"]["cash_mvnd"], truth["support"]["in_kind_mvnd"]])
    assert np.allclose(money * 1000, (money * 1000).round(), atol=1e-6)


def _counted(poverty: pd.DataFrame) -> pd.DataFrame:
    """The poverty truth rows with their households: the row of the planted bad value
    (VALUE_NOT_NUMERIC) is kept with its households, and so its rate, null (issue #20)."""
    return poverty.dropna(subset=["households_total"])


def test_poverty_identity_and_rates(truth):
    p = _counted(truth["poverty"])
    lhs = p["poor_start"] - p["poverty_exits"] + p["poverty_relapses"] + p["poverty_new"]
    assert (lhs == p["poor_end"]).all()
    assert np.allclose(p["poverty_rate_end"], p["poor_end"] / p["households_total"])
    assert (p["poverty_exits"] >= 0).all() and (p["poverty_new"] >= 0).all()
    assert set(p.loc[p["year"] <= 2021, "poverty_standard"]) == {"2016-2020"}
    assert set(p.loc[p["year"] >= 2022, "poverty_standard"]) == {"2022-2025"}


def test_poor_start_follows_previous_end_except_at_the_standard_break():
    w = simulate(seed=7)
    p = w["poverty"].set_index(["commune_code", "year"])
    merged_into = {"20653": "20665", "20674": "20668", "20755": "20779"}  # the 2020 mergers
    checked = 0
    for (code, year), row in p.iterrows():
        if year in (2019, 2022):
            continue
        prev = p["poor_end"].get((code, year - 1))
        if year == 2020:
            prev += sum(
                p["poor_end"].get((old, 2019), 0) for old, new in merged_into.items() if new == code
            )
        assert row["poor_start"] == prev, (code, year)
        checked += 1
    assert checked > 900
    # The 2022 start is a new-standard count: a jump in mountain communes.
    c = w["communes"].set_index("commune_code")
    start22 = w["poverty"][w["poverty"]["year"] == 2022].set_index("commune_code")
    end21 = w["poverty"][w["poverty"]["year"] == 2021].set_index("commune_code")
    mtn = [k for k in start22.index if c.at[k, "group"] == "mountain"]
    ratio = start22.loc[mtn, "poor_start"].sum() / end21.loc[mtn, "poor_end"].sum()
    assert 1.2 <= ratio <= 1.6


def test_ntm_invariants(truth):
    crit, status = truth["ntm_criteria"], truth["ntm_status"]
    counted = crit.groupby(["year", "commune_code"])["met"].sum()
    s = status.set_index(["year", "commune_code"])["criteria_met"]
    assert (counted.reindex(s.index) == s).all()
    assert crit.groupby(["year", "commune_code"]).size().eq(19).all()
    assert set(status.loc[status["year"] <= 2021, "criteria_set"]) == {"2016-2020"}
    assert set(status.loc[status["year"] >= 2022, "criteria_set"]) == {"2021-2025"}
    # Only xã are assessed.
    from ketnghia_analysis.reference import gazetteer

    for year in (2019, 2024):
        xa = set(gazetteer.communes_in_year(year).query("commune_type == 'xã'")["commune_code"])
        assert set(status.loc[status["year"] == year, "commune_code"]) <= xa
    # Hard criteria (10, 11, 13, 17) are met least often; the 2022 set makes criteria dip.
    share = crit.groupby("criterion")["met"].mean()
    assert set(share.nsmallest(4).index) <= {10, 11, 13, 17, 5, 6}
    mean = status.groupby("year")["criteria_met"].mean()
    assert mean[2022] < mean[2021]
    assert mean[2024] > mean[2019]
    rec = status.dropna(subset=["ntm_level"])
    assert rec["recognized_year"].notna().all() and (rec["recognized_year"] <= rec["year"]).all()


def test_supersession_and_quarantine(run, truth):
    out, manifest = run
    subs = truth["submissions"]
    sup = subs[subs["status"] == "superseded"]
    assert len(sup) >= 1
    for row in sup.itertuples():
        later = subs[
            (subs["district_code"] == row.district_code)
            & (subs["year"] == row.year)
            & (subs["status"] == "ingested")
        ]
        assert len(later) >= 1
        for table in ("poverty", "ntm_status", "support"):
            assert row.source_file not in set(truth[table]["source_file"])
        # The later file's report date (title block or cover) is later.
        assert _report_date(out, later.iloc[0]["source_file"]) > _report_date(out, row.source_file)
    q = pd.read_csv(out / "truth" / "quarantine.csv")
    issues = pd.read_csv(out / "truth" / "planted_issues.csv")
    assert sorted(issues["code"]) == sorted(
        ["POVERTY_IDENTITY", "POVERTY_IDENTITY", "POVERTY_RATE_MISMATCH", "NTM_TOTAL_MISMATCH",
         "TOTAL_MISMATCH", "UNKNOWN_COMMUNE", "VALUE_NOT_NUMERIC"]
    )  # fmt: skip
    assert set(issues.loc[issues["severity"] == "error", "code"]) == set(q["codes"])
    pov = truth["poverty"]
    keys = set(zip(pov["source_file"], pov["source_sheet"], pov["source_row"], strict=True))
    for r in q.itertuples():
        assert (r.source_file, r.source_sheet, r.source_row) not in keys
    # The planted errors are visible in the cells.
    for r in issues.itertuples():
        rows = rows_of(out, r.source_file, r.source_sheet)
        if r.code == "VALUE_NOT_NUMERIC":
            assert cell(rows, r.cell) == "1.2O4"
            # issue #20: the row is kept, its households (and so its rate) null in the truth
            assert r.severity == "warning"
            row = int(re.sub(r"\D", "", r.cell))
            kept = pov[(pov["source_file"] == r.source_file) & (pov["source_row"] == row)]
            assert len(kept) == 1 and kept["poor_end"].notna().all()
            assert kept[["households_total", "poverty_rate_end"]].isna().all(axis=None)
        if r.code == "UNKNOWN_COMMUNE":
            assert "Làng Thanh niên" in str(cell(rows, r.cell))


def _report_date(out: Path, file: str) -> dt.date:
    for rows in _calamine(str(out / file)).values():
        for t in texts(rows):
            m = re.search(r"ngày (\d\d)/(\d\d)/(\d{4})", t)
            if m:
                return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        for row in rows:
            if row and row[0] == "Ngày báo cáo:":
                v = row[1]
                if isinstance(v, dt.date):
                    return v if not isinstance(v, dt.datetime) else v.date()
                if isinstance(v, float):
                    return dt.date(1899, 12, 30) + dt.timedelta(days=int(v))
                return dt.datetime.strptime(v, "%d/%m/%Y").date()
    raise AssertionError(f"no report date in {file}")


def test_provenance_points_at_the_written_rows(run, truth):
    """Each poverty truth row's source row holds its commune's households (number or text)."""
    out, _ = run
    pov = _counted(truth["poverty"])
    checked = 0
    for (file, sheet), part in pov.groupby(["source_file", "source_sheet"]):
        rows = rows_of(out, file, sheet)
        for r in part.itertuples():
            row = rows[int(r.source_row) - 1]
            values = set()
            for v in row:
                if isinstance(v, float | int) and not isinstance(v, bool):
                    values.add(int(v))
                elif isinstance(v, str) and re.fullmatch(r"[\d., ]+", v.strip()):
                    values.add(int(re.sub(r"[., ]", "", v)))
            assert int(r.households_total) in values, (file, sheet, r.source_row)
            checked += 1
    assert checked == len(pov)


# ----------------------------------------------------------------------------- calibration


def test_calibration(truth):
    """Mountain (KV III) communes 20-65 % poor, plains under 6 %, province near the published rates.

    Tolerance for the province: ±0.6 points. The plains offsets are solved so that the
    *expected* province rate equals the published one; commune noise (sd ≈ 1 point in
    ~100 mountain communes) and rounding move the realised rate by a few tenths.
    """
    from ketnghia_analysis.reference import gazetteer

    pov = _counted(truth["poverty"])
    c = gazetteer.communes().set_index("commune_code")
    er = pov["commune_code"].map(c["ethnic_region"].astype(object))
    mountain = (
        pov["commune_code"].map(c["mountainous"].astype("boolean").fillna(False)).astype(bool)
        | er.notna()
    )
    kv3 = pov[er == "III"]
    assert kv3["poverty_rate_end"].between(0.15, 0.65).all()
    assert kv3.groupby("year")["poverty_rate_end"].median().between(0.20, 0.65).all()
    plains = pov[~mountain]
    assert (plains["poverty_rate_end"] < 0.06).all()
    rate = pov.groupby("year")[["poor_end", "households_total"]].sum()
    rate = rate["poor_end"] / rate["households_total"]
    published = {2019: 0.0606, 2022: 0.0663, 2023: 0.0557}
    for year, value in published.items():
        assert abs(rate[year] - value) < 0.006, (year, rate[year])
    start22 = pov[pov["year"] == 2022]
    assert abs(start22["poor_start"].sum() / start22["households_total"].sum() - 0.0759) < 0.006
    hh = pov.groupby("year")["households_total"].sum()
    assert abs(hh[2021] - 436_310) / 436_310 < 0.02


def test_planted_effect_and_selection():
    w = simulate(seed=11, effect=-0.03)
    cf = w["counterfactual"]
    t = cf[cf["treated"]]
    assert abs((t["rate"] - t["rate_counterfactual"]).mean() + 0.03) < 0.003
    c = w["communes"]
    mtn = c[(c["group"] == "mountain") & (c["commune_type"] == "xã")]
    assert mtn["first_pair_year"].isna().sum() >= 15  # many mountain communes never twinned
    assert (mtn["first_pair_year"] < 2019).sum() >= 10  # some before 2019
    assert mtn["first_pair_year"].isin([2021, 2022, 2023]).sum() >= 20
    # Selection: poorer communes are paired earlier (2019 rates by cohort).
    p19 = w["poverty"][w["poverty"]["year"] == 2019].set_index("commune_code")["poverty_rate_end"]
    early = p19.reindex(mtn.loc[mtn["first_pair_year"] < 2019, "commune_code"]).mean()
    never = p19.reindex(mtn.loc[mtn["first_pair_year"].isna(), "commune_code"]).mean()
    assert early > never + 0.1
    n = w["ntm_counterfactual"]
    gain = (n["criteria_met"] - n["criteria_met_counterfactual"])[n["treated"]].mean()
    assert 0.8 <= gain <= 2.2


def test_simulate_is_fast_and_deterministic():
    import time

    simulate(seed=1)
    t0 = time.perf_counter()
    a = simulate(seed=3)
    assert time.perf_counter() - t0 < 5  # < 1 s on an idle machine; CI machines are shared
    b = simulate(seed=3)
    for name in ("poverty", "ntm_status", "support", "models"):
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["poverty"].equals(simulate(seed=4)["poverty"])


def test_write_sample_is_deterministic(tmp_path):
    m1 = write_sample(tmp_path / "a", years=range(2021, 2022), seed=5)
    m2 = write_sample(tmp_path / "b", years=range(2021, 2022), seed=5)
    assert m1.files == m2.files
    for name in ("poverty", "ntm_criteria", "support", "models", "submissions"):
        a = pd.read_parquet(tmp_path / "a" / "truth" / f"{name}.parquet")
        b = pd.read_parquet(tmp_path / "b" / "truth" / f"{name}.parquet")
        pd.testing.assert_frame_equal(a, b)
    for f in m1.files:
        ha = hashlib.sha256((tmp_path / "a" / f).read_bytes()).hexdigest()
        hb = hashlib.sha256((tmp_path / "b" / f).read_bytes()).hexdigest()
        assert ha == hb, f
        assert (tmp_path / "a" / f).stat().st_mtime == (tmp_path / "b" / f).stat().st_mtime
    assert "DỮ LIỆU TỔNG HỢP (synthetic)" in m1.summary()
    assert len(m1.districts) == 18


def test_every_file_says_synthetic(run, truth):
    out, _ = run
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in readme and "TỔNG HỢP" in readme
    subs = truth["submissions"]
    for f in subs.loc[subs["status"] != "rejected", "source_file"]:
        path = out / f
        if path.read_bytes()[:6].lower().startswith(b"<html"):
            assert "synthetic" in path.read_text(encoding="utf-8")
            continue
        allt = " ".join(t for rows in _calamine(str(path)).values() for t in texts(rows))
        assert "synthetic" in allt, f


# ----------------------------------------------------------------------------- the catalogue


def _header_text(rows) -> list[str]:
    return [t for row in rows[:14] for t in row if isinstance(t, str)]


def _is_num_text(v, pattern):
    return isinstance(v, str) and re.fullmatch(pattern, v) is not None


def _any_cell(rows, pred) -> bool:
    return any(pred(v) for row in rows for v in row)


POVERTY_ORDER = (
    "tổng số hộ",
    "đầu",
    "thoát",
    "tái nghèo",
    "phát sinh",
    "nghèo cuối",
    "tỷ lệ",
    "cận nghèo",
    "dân tộc",
)
SUPPORT_ORDER = (
    "năm",
    "bằng tiền|kinh phí",
    "hiện vật",
    "mô hình",
    "hưởng lợi|thụ hưởng",
    "cán bộ",
    "lao động",
    "nhà ở",
    "ghi chú",
)
MISSING_WORD = {
    "near_poor_end": "cận nghèo",
    "poor_ethnic_minority_end": "dân tộc",
    "poverty_rate_end": "tỷ lệ",
    "note": "ghi chú",
    "beneficiary_households": "hưởng lợi|thụ hưởng",
    "houses_supported": "nhà ở|đại đoàn kết",
    "households": "số hộ tham gia",
}


def _order_broken(header: list[str], order) -> bool:
    idx = []
    for h in header:
        low = h.lower().replace("\n", " ")
        for i, pat in enumerate(order):
            if re.search(pat, low):
                idx.append(i)
                break
    return idx != sorted(idx)


@lru_cache(maxsize=1)
def _official_names() -> frozenset[str]:
    from ketnghia_analysis.reference import gazetteer

    return frozenset(gazetteer.commune_names()["name"])


def _bare(name: str) -> str:
    for prefix in ("Xã ", "Phường ", "Thị trấn "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def check_variation(name: str, out: Path, file: str, sheet: str, where: str) -> bool:
    """True when the file content shows the variation at (file, sheet, where)."""
    path = out / file
    data = path.read_bytes()
    stem = Path(file).name
    if name.startswith("format_"):
        ext = path.suffix.lower()
        return {
            "format_xlsx": ext == ".xlsx" and data[:2] == b"PK" and b"xl/workbook" in data,
            "format_xlsm": ext == ".xlsm"
            and b"macroEnabled" in zipfile.ZipFile(path).read("[Content_Types].xml"),
            "format_xls": ext == ".xls" and data[:8] == OLE,
            "format_ods": ext == ".ods"
            and zipfile.ZipFile(path).read("mimetype")
            == b"application/vnd.oasis.opendocument.spreadsheet",
            "format_html_xls": ext == ".xls" and data[:6].lower() == b"<html>",
            "format_xls_named_xlsx": ext == ".xlsx" and data[:8] == OLE,
        }[name]
    if name.startswith("filename_"):
        folded = unicodedata.normalize("NFD", stem).encode("ascii", "ignore").decode()
        return {
            "filename_diacritics": folded != stem,
            "filename_ascii": stem.isascii(),
            "filename_copy_suffix": " (1)" in stem,
            "filename_final": "final" in stem,
            "filename_v2": "_v2" in stem,
        }[name]
    if name.startswith("broken_"):
        if name == "broken_empty":
            return len(data) == 0
        if name == "broken_truncated":
            try:
                zipfile.ZipFile(path)
            except zipfile.BadZipFile:
                return data[:2] == b"PK"
            return False
        if name == "broken_not_spreadsheet":
            return data.startswith(b"%PDF")
        if name == "broken_password":
            import olefile

            return data[:8] == OLE and olefile.OleFileIO(path).exists("EncryptionInfo")
        if name == "broken_csv_renamed":
            return path.suffix == ".xls" and b";" in data.splitlines()[0]
        if name == "broken_not_return":
            allt = " ".join(texts(next(iter(_calamine(str(path)).values()))))
            return "DANH SÁCH ĐẠI BIỂU" in allt and "Biểu số" not in allt
    if name == "forms_split_files":
        return False  # checked in test_forms_split_and_resubmission
    if name == "corrected_resubmission":
        return False  # checked in test_supersession_and_quarantine
    if name in ("text_tcvn3", "text_vni", "text_nfd", "text_old_tone"):
        allt = [t for rows in _calamine(str(path)).values() for t in texts(rows)]
        if name == "text_tcvn3":
            return any(t.startswith("Ghi chó") for t in allt)
        if name == "text_vni":
            return any(t.startswith("Ghi chuù") for t in allt)
        if name == "text_nfd":
            return any(unicodedata.normalize("NFC", t) != t for t in allt)
        # Our fixed texts are written in the new style ("HÒA", "ỦY BAN", "Văn hóa").
        return any(w in t for t in allt for w in ("CỘNG HOÀ", "UỶ BAN", "Văn hoá", "Thuỷ lợi"))
    if name in ("hidden_stale_sheet", "cover_sheet", "notes_sheet"):
        if path.suffix.lower() in (".xlsx", ".xlsm") and data[:2] == b"PK":
            wb = _openpyxl(str(path), False)
            ws = wb[sheet]
            if name == "hidden_stale_sheet":
                return ws.sheet_state == "hidden" and any(
                    "02/HN" in str(c.value) or "Tổng số hộ" in str(c.value)
                    for row in ws.iter_rows()
                    for c in row
                )
            if name == "cover_sheet":
                return ws.sheet_state == "visible" and any(
                    c.value == "Năm báo cáo:" for row in ws.iter_rows() for c in row
                )
            return any("HƯỚNG DẪN" in str(c.value) for row in ws.iter_rows() for c in row)
        if name == "hidden_stale_sheet":
            if data[:8] != OLE:
                return False
            import xlrd

            return xlrd.open_workbook(file_contents=data).sheet_by_name(sheet).visibility == 1
        allt = texts(_calamine(str(path))[sheet])
        return (
            "Năm báo cáo:" in allt if name == "cover_sheet" else any("HƯỚNG DẪN" in t for t in allt)
        )
    if name in (
        "hidden_rows",
        "hidden_cols",
        "merged_commune_cells",
        "total_formula_cached",
        "total_formula_uncached",
    ):
        if not (path.suffix.lower() in (".xlsx", ".xlsm") and data[:2] == b"PK"):
            return False
        ws = _openpyxl(str(path), False)[sheet]
        if name == "hidden_rows":
            return bool(ws.row_dimensions[int(where)].hidden)
        if name == "hidden_cols":
            return bool(ws.column_dimensions[where].hidden)
        if name == "merged_commune_cells":
            return where in {str(r) for r in ws.merged_cells.ranges}
        formula = ws[where].value
        cached = _openpyxl(str(path), True)[sheet][where].value
        if not (isinstance(formula, str) and formula.startswith("=")):
            return False
        return (
            cached is None if name == "total_formula_uncached" else isinstance(cached, int | float)
        )
    rows = rows_of(out, file, sheet)
    if name == "title_none":
        first = next(row for row in rows if any(v not in (None, "") for v in row))
        return rows.index(first) == 0 and first[0] == "STT"
    if name == "title_national":
        allt = texts(rows)
        return (
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in allt and "Độc lập - Tự do - Hạnh phúc" in allt
        )
    if name == "title_ubnd":
        return str(cell(rows, where)).startswith("UBND ")
    if name == "title_kem_theo":
        return (
            re.search(
                r"Kèm theo Báo cáo số \d+/BC-UBND ngày \d\d/\d\d/\d{4}", str(cell(rows, where))
            )
            is not None
        )
    if name == "title_dvt":
        return str(cell(rows, where)).startswith("ĐVT: ")
    if name.startswith("header_") and name != "header_linebreak":
        depth = {"header_1row": 1, "header_2rows": 2, "header_3rows": 3}[name]
        r0 = int(where) - 1
        if rows[r0][0] != "STT":
            return False
        below = [rows[r][0] for r in range(r0 + 1, r0 + depth)]
        after = rows[r0 + depth][0] if r0 + depth < len(rows) else None
        return all(v in (None, "") for v in below) and after not in (None, "")
    if name == "header_linebreak":
        return "\n" in str(cell(rows, where))
    if name.startswith("numbering_"):
        row = rows[int(where) - 1]
        want = {
            "numbering_parens": ["(1)", "(2)", "(3)"],
            "numbering_letters": ["A", "B", "1"],
            "numbering_digits": [1, 2, 3],
        }[name]
        got = [int(v) if isinstance(v, float) else v for v in row[:3]]
        return got == want
    if name == "columns_shuffled":
        first = next(row for row in rows if row and row[0] == "STT")
        header = [t for t in first if isinstance(t, str) and t and t != "STT"]
        return _order_broken(
            header, POVERTY_ORDER if "Tổng số hộ" in " ".join(header) else SUPPORT_ORDER
        )
    if name == "columns_missing":
        header = " ".join(_header_text(rows)).lower()
        keys = [k for k in where.split(",") if k in MISSING_WORD]
        return bool(keys) and all(re.search(MISSING_WORD[k], header) is None for k in keys)
    if name == "columns_extra":
        return where in _header_text(rows)
    if name == "section_rows":
        row = rows[int(where) - 1]
        return (
            row[0] in ("I", "II", "III", "IV")
            or re.match(r"^(I|II|III|IV)\. ", str(row[1])) is not None
        )
    if name in ("subtotal_rows", "total_top", "total_bottom"):
        r0 = int(where) - 1
        row = rows[r0]
        if not any(v in TOTAL_LABELS for v in row):
            return False
        numbers = [v for v in row if isinstance(v, float | int) and v]
        if name == "subtotal_rows":
            return row[1] == "Cộng" or "Cộng" in row and bool(numbers)
        stt = [r for r, rr in enumerate(rows) if isinstance(rr[0], float | int) and rr[0] == 1]
        return bool(stt) and (stt[0] > r0 if name == "total_top" else stt[0] < r0)
    if name == "footer_notes":
        return str(cell(rows, where)).startswith("Ghi chú:")
    if name == "footer_signature":
        allt = texts(rows)
        return all(x in allt for x in ("NGƯỜI LẬP BIỂU", "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"))
    if name == "footer_blank_rows":
        r0 = int(where) - 1
        return all(v in (None, "") for v in rows[r0]) and any(
            str(t).startswith("Ghi chú") for row in rows[r0:] for t in row
        )
    if name in ("criteria_numbers", "criteria_names", "criteria_tc"):
        flat = [str(int(v)) if isinstance(v, float) else str(v) for row in rows[:14] for v in row]
        seq = {
            "criteria_numbers": [str(i) for i in range(1, 20)],
            "criteria_tc": [f"TC{i}" for i in range(1, 20)],
            "criteria_names": ["Quy hoạch", "Giao thông"],
        }[name]
        joined = "|".join(flat)
        if name == "criteria_numbers" and "Tiêu chí 1|Tiêu chí 2" in joined:
            return True
        return "|".join(seq) in joined
    v = cell(rows, where) if where else None
    if name.startswith("marks_"):
        allowed = {
            "marks_met_dat": ("Đạt", "đạt"), "marks_met_x": ("x", "X"), "marks_met_check": ("✓",),
            "marks_met_digit": (1, 1.0), "marks_met_co": ("có",), "marks_not_chua_dat": ("Chưa đạt",),
            "marks_not_cd": ("CĐ",), "marks_not_dash": ("-",), "marks_not_zero": (0, 0.0),
            "marks_not_khong": ("không",), "marks_not_blank": (None, ""),
        }[name]  # fmt: skip
        if name == "marks_not_blank":  # a blank in a row that has marks
            r0 = int(re.sub(r"[A-Z]", "", where)) - 1
            return v in allowed and any(
                x in ("Đạt", "đạt", "x", "X", "✓", "có", 1.0) for x in rows[r0]
            )
        return v in allowed and not isinstance(v, bool)
    if name == "ntm_not_assessed":
        return "Không đánh giá" in str(v)
    if name == "ntm_level_year":
        return isinstance(v, float | int) and 2000 <= v <= 2024 and v == int(v)
    if name == "numbers_text_dot":
        return _is_num_text(v, r"\d{1,3}(\.\d{3})+")
    if name == "numbers_text_space":
        return _is_num_text(v, r"\d{1,3}( \d{3})+")
    if name == "numbers_text_comma":
        return _is_num_text(v, r"\d{1,3}(,\d{3})+")
    if name == "numbers_text_decimal_comma":
        return _is_num_text(v, r"\d{1,3}(\.\d{3})*,\d{1,2}")
    if name == "dash_zero":
        return v == "-"
    if name == "percent_number":
        return isinstance(v, float | int) and 0 < v < 100 and "%" in " ".join(_header_text(rows))
    if name == "percent_fraction":
        return isinstance(v, float) and 0 < v < 1
    if name == "percent_text":
        return _is_num_text(v, r"\d{1,2},\d{1,2}%?")
    if name.startswith("money_") or name.startswith("unit_"):
        head = " ".join(_header_text(rows))
        unit = {
            "money_trieu": r"triệu đồng",
            "money_nghin": r"nghìn đồng|1\.000đ",
            "money_dong": r"\(đồng\)|ĐVT: đồng",
        }
        if name in unit:
            return re.search(unit[name], head) is not None
        dvt = any(t.startswith("ĐVT: ") and "đồng" in t for t in _header_text(rows))
        in_header = re.search(r"\((triệu đồng|1\.000đ|đồng)\)", head) is not None
        return dvt if name == "unit_in_dvt_line" else in_header
    if name == "date_serial":
        return isinstance(v, float) and 43000 < v < 46500
    if name == "date_text":
        return _is_num_text(v, r"\d\d/\d\d/\d{4}")
    if name == "date_datetime":
        return isinstance(v, dt.date)
    if name == "text_nbsp":
        return "\u00a0" in str(v)
    if name == "text_zero_width":
        return "\u200b" in str(v)
    if name == "text_double_spaces":
        return "  " in str(v) or str(v).endswith(" ")
    if name == "text_all_caps":
        return (
            isinstance(v, str)
            and v.upper() == v
            and any(_bare(n).upper() in v for n in _official_names())
        )
    if name.startswith("name_"):
        s = str(v)
        return {
            "name_unit_word": s.startswith(("Xã ", "Phường ", "Thị trấn ")),
            "name_lowercase_unit": s.startswith(("xã ", "phường ", "thị trấn ")),
            "name_bare": s in {_bare(n) for n in _official_names()} - set(_official_names()),
            "name_abbrev_x": s.startswith(("X. ", "P. ")),
            "name_abbrev_tt": s.startswith("TT "),
            "name_arabic_numeral": re.search(r" [123]$", s) is not None,
            "name_minority_spelling": s.endswith(
                ("Ch’ơm", "Tr’Hy", "La Êê", "Zuôih", "Prao", "ARooi")
            ),
        }[name]
    if name == "partner_alias":
        from ketnghia_analysis.reference import gazetteer

        reg = gazetteer.partners()
        aliases = {a for al in reg["aliases"] for a in al}
        return v in aliases and v not in set(reg["partner_name"])
    raise AssertionError(f"no detector for {name}")


def test_catalogue_is_complete_in_a_default_run(places):
    missing = [k for k in [*CATALOGUE, *BROKEN] if not places.get(k)]
    assert missing == []


@pytest.mark.parametrize(
    "name",
    [k for k in [*CATALOGUE, *BROKEN] if k not in ("forms_split_files", "corrected_resubmission")],
)
def test_variation_present_in_files(name, run, places):
    """At least one recorded place shows the variation in the file itself."""
    out, _ = run
    entries = places.get(name, [])
    assert entries, f"{name} not planted"
    for file, sheet, where in entries[:40]:
        try:
            if check_variation(name, out, file, sheet, where):
                return
        except (KeyError, IndexError, ValueError, AttributeError):
            continue
    pytest.fail(f"{name}: none of {entries[:5]} shows it")


def test_forms_split_and_resubmission_in_files(run, truth):
    out, _ = run
    subs = truth["submissions"]
    ing = subs[subs["status"] == "ingested"]
    multi = ing.groupby(["district_code", "year"]).filter(lambda g: len(g) >= 2)
    assert len(multi) >= 2
    # A split district-year: its files hold different forms (form numbers in their content).
    found_split = False
    for _, g in multi.groupby(["district_code", "year"]):
        forms = []
        for f in g["source_file"]:
            path = out / f
            if path.read_bytes()[:6].lower().startswith(b"<html"):
                allt = " ".join(" ".join(r) for r in _html_rows(path))
            else:
                allt = " ".join(t for rows in _calamine(str(path)).values() for t in texts(rows))
            forms.append(
                {
                    k
                    for k in ("01/KN", "02/HN", "03/NTM", "04/MH")
                    if k in allt or k.split("/")[1] in allt
                }
            )
        if all(forms) and not set.intersection(*forms):
            found_split = True
    assert found_split
    # A resubmission: same district-year twice, both name it in their content.
    sup = subs[subs["status"] == "superseded"].iloc[0]
    later = ing[(ing["district_code"] == sup["district_code"]) & (ing["year"] == sup["year"])]
    assert len(later) >= 1
    first = " ".join(
        t for rows in _calamine(str(out / sup["source_file"])).values() for t in texts(rows)
    )
    assert str(sup["year"]) in first


def test_refuses_a_folder_with_other_data_and_replaces_its_own(tmp_path):
    real = tmp_path / "raw"
    (real / "2023").mkdir(parents=True)
    (real / "2023" / "BC that.xlsx").write_bytes(b"real data")
    with pytest.raises(ValueError, match="không do 'ketnghia sample'"):
        write_sample(real, years=[2023])
    assert (real / "2023" / "BC that.xlsx").read_bytes() == b"real data"
    ours = tmp_path / "sample"
    first = write_sample(ours, years=[2023], seed=1)
    second = write_sample(ours, years=[2023], seed=2)  # a second run replaces the first
    on_disk = sorted(
        str(p.relative_to(ours).as_posix())
        for p in ours.rglob("*")
        if p.is_file() and p.parts[-2] != "truth" and p.name != "README.md"
    )
    assert on_disk == second.files
    assert first.seed == 1


def test_keeps_a_foreign_readme(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "README.md").write_text("# data/raw — district returns as received\n", encoding="utf-8")
    write_sample(raw, years=[2024], seed=3)
    assert (raw / "README.md").read_text(encoding="utf-8").startswith("# data/raw")
    assert "synthetic" in (raw / "truth" / "README.md").read_text(encoding="utf-8")
