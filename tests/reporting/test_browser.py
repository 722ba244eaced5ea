"""Acceptance: the rendered reports as a leader sees them, in Chromium at 1280 px.

Playwright drives the system's Chromium (the Debian package ``chromium``, at
/usr/bin/chromium; ``.ci/run`` installs it when absent). Browser downloads are not
reachable here, so ``playwright install`` is never used; without that executable (or
without the ``playwright`` package) the test skips and says why. Screenshots of every
page go to ``reports/screenshots/`` (and next to the rendered pages) for a human look.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from ketnghia_analysis.core import paths

YEAR = 2024
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTH = 1280
# English words and raw values a leader must never see (matched as whole words, case as
# written: "nan giải" is Vietnamese, "NaN" is not).
DENY = (
    "Show",
    "Load",
    "Compute",
    "True",
    "False",
    "NaN",
    "None",
    "province",
    "district_code",
    "mountain_area",
    "callaway",
    "callaway_santanna",
    "similar",
    "estimate",
    "poverty_rate_end",
)
SYNTHETIC_LABEL = "DỮ LIỆU TỔNG HỢP"
COVERAGE_WORDS = "xã có số liệu"

# For every table: fits its container, or sits in a box that scrolls sideways.
_OVERFLOW_JS = """
() => {
  const found = [];
  document.querySelectorAll("table").forEach((table, index) => {
    let box = table.parentElement;
    let scrolls = false;
    for (let node = box; node && node !== document.body; node = node.parentElement) {
      const overflow = getComputedStyle(node).overflowX;
      if ((overflow === "auto" || overflow === "scroll") && node.clientWidth <= innerWidth) {
        scrolls = true;
        break;
      }
    }
    if (!scrolls && table.scrollWidth > box.clientWidth + 1) {
      found.push({index, table: table.scrollWidth, box: box.clientWidth,
                  head: (table.innerText || "").slice(0, 60)});
    }
  });
  const wide = [];
  document.querySelectorAll("table").forEach((table, index) => {
    const box = table.closest(".jp-OutputArea-output, .kn-table") || table.parentElement;
    if (table.scrollWidth > box.clientWidth + 1) {
      wide.push({index, table: table.scrollWidth, box: box.clientWidth,
                 head: (table.innerText || "").slice(0, 60)});
    }
  });
  return {tables: found, wide, page: document.documentElement.scrollWidth, view: innerWidth};
}
"""


def _visible_text(page) -> str:
    """What a reader can see: the body's text (no styles, no scripts)."""
    return page.inner_text("body")


def _browser():
    """The system Chromium through Playwright, or a skip that says what is missing."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright chưa cài (pip install -e '.[dev]')"
    )
    if not CHROMIUM.is_file():
        pytest.skip(
            f"không có Chromium ở {CHROMIUM}: cài gói Debian 'chromium' "
            "(apt-get install chromium; .ci/run tự cài khi chạy bằng root)"
        )
    return sync_api


def _pages(reports) -> dict[str, Path]:
    year_dir = reports.out / str(YEAR)
    return {
        "tinh": year_dir / f"tinh_{YEAR}.html",
        "huyen": year_dir / f"huyen_{reports.district}_{YEAR}.html",
        "index": year_dir / "index.html",
    }


@pytest.fixture(scope="module")
def seen(rendered_reports) -> dict[str, dict]:
    """Each page opened at 1280 px: its visible text, overflow findings and screenshot."""
    sync_api = _browser()
    shots = rendered_reports.out / str(YEAR) / "screenshots"
    shots.mkdir(exist_ok=True)
    result: dict[str, dict] = {}
    with sync_api.sync_playwright() as play:
        browser = play.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 900})
            for name, path in _pages(rendered_reports).items():
                page.goto(path.as_uri(), wait_until="load")
                shot = shots / f"{name}.png"
                page.screenshot(path=str(shot), full_page=True)
                result[name] = {
                    "text": _visible_text(page),
                    "overflow": page.evaluate(_OVERFLOW_JS),
                    "shot": shot,
                }
        finally:
            browser.close()
    # A copy in the project's reports/ folder, where a person looks for them.
    keep = paths.reports_dir() / "screenshots"
    keep.mkdir(parents=True, exist_ok=True)
    for name, seen_page in result.items():
        shutil.copyfile(seen_page["shot"], keep / f"{name}_{YEAR}.png")
    return result


@pytest.mark.parametrize("name", ["tinh", "huyen", "index"])
def test_no_table_is_cut_at_1280_px(seen, name):
    overflow = seen[name]["overflow"]
    assert overflow["tables"] == [], json.dumps(overflow["tables"], ensure_ascii=False)
    assert overflow["page"] <= overflow["view"], "trang cuộn ngang"


def test_district_tables_fit_the_screen_without_scrolling(seen):
    wide = seen["huyen"]["overflow"]["wide"]
    assert wide == [], json.dumps(wide, ensure_ascii=False)


@pytest.mark.parametrize("name", ["tinh", "huyen", "index"])
def test_no_english_words_or_raw_values(seen, name):
    text = seen[name]["text"]
    found = sorted({w for w in DENY if re.search(rf"(?<![\w.]){re.escape(w)}(?![\w.])", text)})
    assert found == [], f"{name}: {found}"


@pytest.mark.parametrize("name", ["tinh", "huyen", "index"])
def test_synthetic_label_is_shown(seen, name):
    assert SYNTHETIC_LABEL in seen[name]["text"]


@pytest.mark.parametrize("name", ["tinh", "huyen"])
def test_coverage_is_stated(seen, name):
    assert COVERAGE_WORDS in seen[name]["text"]


def test_screenshots_are_saved(seen):
    for name in ("tinh", "huyen", "index"):
        shot = paths.reports_dir() / "screenshots" / f"{name}_{YEAR}.png"
        assert shot.stat().st_size > 10_000, shot
