"""Coverage stated in the reports: one commune's end-of-year count changed so the poverty
identity fails; its row is quarantined, and the district report says "9/10 xã", names the
commune and why, and marks the district as incomplete (instead of quietly shrinking totals)."""

from __future__ import annotations

import html
import re
import shutil
import warnings
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from ketnghia_analysis.building.build import build
from ketnghia_analysis.core import paths
from ketnghia_analysis.core.text import fold
from ketnghia_analysis.reporting import jobs
from ketnghia_analysis.reporting.pages import export_html

YEAR = 2024
DISTRICT = "516"
COMMUNE = "Xã Trà Mai"


def _break_identity(path: Path, commune: str, poor_end: int) -> None:
    """Add 40 to the commune's "poor at end of year" cell in the return's poverty form."""
    book = openpyxl.load_workbook(path)
    wanted = fold(commune.removeprefix("Xã "))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            labels = [fold(" ".join(str(c.value).split())) for c in row if isinstance(c.value, str)]
            if not any(label.endswith(wanted) for label in labels):
                continue
            for cell in row:
                if str(cell.value).replace(" ", "").strip() == str(poor_end):
                    text = isinstance(cell.value, str)
                    cell.value = str(poor_end + 40) if text else poor_end + 40
                    book.save(path)
                    return
    raise AssertionError(f"{commune}: no cell holding {poor_end} in {path.name}")


def _visible_text(page: str) -> str:
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture(scope="module")
def broken_report(sample_raw, tmp_path_factory) -> tuple[str, pd.DataFrame]:
    """The district report (visible text) of a build where one commune's row breaks."""
    truth = pd.read_parquet(sample_raw / "truth" / "poverty.parquet")
    row = truth[
        (truth["year"] == YEAR)
        & (truth["district_code"].astype(str) == DISTRICT)
        & (truth["commune_name"].astype(str) == COMMUNE)
    ].iloc[0]
    folder = tmp_path_factory.mktemp("coverage")
    raw = folder / "raw"
    source = sample_raw / str(row["source_file"])
    copy = raw / str(row["source_file"])
    copy.parent.mkdir(parents=True)
    shutil.copy2(source, copy)
    _break_identity(copy, COMMUNE, int(row["poor_end"]))
    processed = folder / "processed"
    result = build(raw, processed, progress=False)
    import papermill

    out = folder / "huyen.ipynb"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        papermill.execute_notebook(
            str(paths.notebooks_dir() / jobs.DISTRICT_NOTEBOOK),
            str(out),
            parameters={"year": YEAR, "district_code": DISTRICT, "processed_dir": str(processed)},
            kernel_name=jobs.KERNEL,
            log_output=False,
            progress_bar=False,
        )
    page = folder / "huyen.html"
    export_html(out, page, "huyen")
    return _visible_text(page.read_text(encoding="utf-8")), result.tables["quarantine"]


def test_the_broken_row_is_quarantined(broken_report):
    _, quarantine = broken_report
    assert "POVERTY_IDENTITY" in ";".join(quarantine["codes"])


def test_the_district_report_states_coverage_and_names_the_missing_commune(broken_report):
    text, _ = broken_report
    assert "9/10 xã có số liệu năm 2024" in text
    assert re.search(r"thiếu: Xã Trà Mai \(dòng bị cách ly: [A-Z_, ]*POVERTY_IDENTITY", text)
    assert "⚠ Chưa đủ số liệu" in text  # the unit is marked


def test_coverage_counts_expected_and_reporting_communes(processed_dir):
    """On the sample build every commune of 2024 reports; indicators agree with the count."""
    import ketnghia_analysis as kn
    from ketnghia_analysis.analysis import indicators

    d = kn.load(processed_dir)
    cov = indicators.coverage(d, level="district", year=YEAR)
    pov = indicators.poverty(d, level="district")
    pov = pov[pov["year"] == YEAR].set_index("district_code")["communes_reporting"]
    assert (cov.set_index("district_code")["communes_with_data"] == pov).all()
    assert cov.loc[cov["district_code"] == DISTRICT, "communes_expected"].item() == 10
