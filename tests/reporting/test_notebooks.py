"""The committed notebooks: clean (no outputs, kernelspec, parameters tag, no functions,
Load/Compute/Show sections) and each runs top to bottom through papermill on sample data,
with an HTML export free of code cells, errors and raw values (the runs: `executed_notebooks`, once per
session)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from ketnghia_analysis.core import paths
from ketnghia_analysis.reporting.pages import html_problems

NOTEBOOK_DIR = paths.notebooks_dir()
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = {
    "00_explore",
    "01_data_quality",
    "02_poverty",
    "03_ntm",
    "04_twinning_inputs",
    "05_effectiveness",
    "10_district_report",
    "20_province_report",
}
# The sections Load / Compute / Show, headed in the readers' language.
SECTIONS = ("Tải dữ liệu", "Tính toán", "Kết quả")
DEFINITION = re.compile(r"^\s*(async\s+def|def|class)\s", re.M)


def _ids(paths_: list[Path]) -> list[str]:
    return [p.stem for p in paths_]


def test_the_notebook_set_is_complete():
    assert EXPECTED <= {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_committed_notebook_is_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    spec = nb.metadata.get("kernelspec", {})
    assert spec.get("name") == "ketnghia", "kernelspec must be 'ketnghia'"
    assert spec.get("display_name") == "Python (ketnghia)"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "no code cell"
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell lacks the tag"
    for cell in code:
        assert not cell.get("outputs"), f"committed with outputs: {cell.source[:60]!r}"
        assert cell.get("execution_count") is None, "committed with execution counts"
        assert not DEFINITION.search(cell.source), f"function/class defined: {cell.source[:60]!r}"
    headings = " ".join(
        line
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith("#")
    )
    for section in SECTIONS:
        assert f"## {section}" in headings, f"missing the '{section}' section heading"
    assert not re.search(r"\((Load|Compute|Show)\)", headings), "English section names"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_parameters_are_checked_by_one_library_call(path):
    """The cell after `parameters` checks them with `kn.params` before anything else."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "kn.params(" in code[1].source
    assert sum("kn.params(" in c.source for c in code) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_parameters_are_typed_and_explained(path):
    import papermill

    params = papermill.inspect_notebook(str(path))
    assert {"year", "processed_dir"} <= set(params)
    assert params["year"]["inferred_type_name"] == "int"
    for name, spec in params.items():
        assert spec["inferred_type_name"] not in ("None", None), f"{name} has no type"
        assert spec["help"].strip(), f"{name} has no (Vietnamese) help comment"
    if "district_code" in params:
        assert params["district_code"]["inferred_type_name"] == "str"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_on_sample_data(path, executed_notebooks):
    run = executed_notebooks[path.stem]
    nb = nbformat.read(run.notebook, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", cell.source[:80]
            if output.output_type == "stream":
                assert output.name != "stderr", f"warning shown to readers: {output.text[:300]}"
    page = run.html.read_text(encoding="utf-8")
    assert html_problems(page) == []
    assert "Mục lục" in page
    print(f"{path.stem}: {run.seconds:.1f} s")


REPORTS = ["10_district_report", "20_province_report"]
# Raw values and English a leader must not see in a report page.
RAW_WORDS = re.compile(
    r"\b(True|False|NaN|None|province|mountain_area|mountain_districts|kv3_communes"
    r"|Load|Compute|Show)\b|\.\.\.|Mã huyện NaN"
)


def _visible_text(page: str) -> str:
    import html

    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.mark.parametrize("stem", REPORTS)
def test_report_pages_show_no_raw_values_and_state_coverage(stem, executed_notebooks):
    text = _visible_text(executed_notebooks[stem].html.read_text(encoding="utf-8"))
    assert RAW_WORDS.findall(text) == []
    assert re.search(r"\d+/\d+ xã có số liệu năm 2024", text), "no coverage statement"


def test_province_report_explains_the_effect_method(executed_notebooks):
    text = _visible_text(executed_notebooks["20_province_report"].html.read_text(encoding="utf-8"))
    for words in ("Callaway–Sant'Anna", "Nhóm so sánh", "2022", "so sánh thô", "TWFE"):
        assert words.lower() in text.lower(), words
    assert "Xã có số liệu" in text  # the coverage column of the district table


# Notebooks that draw fractions as percents label them with the display label (charts.label);
# `kn.label` (the stored unit, "phân số 0–1") only in the explorer's table of stored columns.
STORED_LABEL_ALLOWED = {"00_explore"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_charts_and_tables_use_the_display_label(path):
    source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    if path.stem not in STORED_LABEL_ALLOWED:
        assert "kn.label" not in source


# Categorical data get categorical charts (quality_charts), not a continuous colour scale.
CATEGORICAL_CALLS = {
    "01_data_quality": ["quality_charts.files_by_district(", "quality_charts.files_chart("],
    "03_ntm": ["quality_charts.criteria_grid("],
    "10_district_report": ["quality_charts.criteria_grid("],
    "20_province_report": ["quality_charts.files_by_district(", "quality_charts.files_chart("],
}


@pytest.mark.parametrize("stem", sorted(CATEGORICAL_CALLS))
def test_categorical_data_get_categorical_charts(stem):
    cells = nbformat.read(NOTEBOOK_DIR / f"{stem}.ipynb", as_version=4).cells
    source = "\n".join(c.source for c in cells if c.cell_type == "code")
    for call in CATEGORICAL_CALLS[stem]:
        assert call in source, call
    heatmaps = [c.source for c in cells if "charts.heatmap(" in c.source]
    # the remaining heatmaps are of rates or counts, never of the status or đạt / chưa đạt
    assert not any('ylabel=charts.label("status")' in s for s in heatmaps)
    if stem == "10_district_report":
        assert not any('values="share_met"' in s for s in heatmaps)


def test_district_report_tables_fit_the_screen():
    source = "\n".join(
        c.source
        for c in nbformat.read(NOTEBOOK_DIR / "10_district_report.ipynb", as_version=4).cells
    )
    assert 'fit.fit_table(tables["Hộ nghèo theo xã"])' in source
    assert "fit.fit_table(partners)" in source
    assert 'readable.show_table(tables["Hộ nghèo theo xã"])' not in source


def test_rendered_reports_label_rates_in_percent(executed_notebooks):
    """Report tables show rates as percents, so their headers say "(%)", not the stored unit."""
    for stem in REPORTS:
        text = _visible_text(executed_notebooks[stem].html.read_text(encoding="utf-8"))
        assert "Tỷ lệ hộ nghèo cuối năm (%)" in text, stem
        assert "phân số 0–1" not in text, stem
