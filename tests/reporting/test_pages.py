"""Report pages work offline: nothing fetched from a CDN (require.js, MathJax, fonts)."""

from __future__ import annotations

import re

from ketnghia_analysis.reporting import pages

YEAR = 2024
# A tag or a style that makes the browser fetch from the network.
_FETCHES = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//"
    r"|<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//"
    r"|@import\b|url\(\s*[\"']?(?:https?:)?//"
    r"|import\(\s*[\"'](?:https?:)?//",
    re.I,
)


def test_report_pages_fetch_nothing_from_the_network(rendered_reports):
    year_dir = rendered_reports.out / str(YEAR)
    names = [f"tinh_{YEAR}", f"huyen_{rendered_reports.district}_{YEAR}"]
    for name in names:
        page = (year_dir / f"{name}.html").read_text(encoding="utf-8")
        assert _FETCHES.findall(page) == [], name
        assert "<style" in page and "data:image/png;base64," in page  # styled, charts inline


def test_html_problems_names_control_characters():
    assert pages.html_problems("<p>Sở\x1b[31m Tài chính</p>") == [
        "có ký tự điều khiển (NUL, ESC…) trong trang"
    ]
    assert pages.html_problems("<p>dòng 1\n\tdòng 2</p>") == []
