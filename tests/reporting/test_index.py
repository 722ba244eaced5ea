"""The year folder's index page: leaders get links they can open in a browser."""

from __future__ import annotations

import json
import re

from ketnghia_analysis.reporting.index import write_index


def _status(folder, name, status, outputs, error=""):
    (folder / "status").mkdir(parents=True, exist_ok=True)
    record = {
        "name": name,
        "title": f"Báo cáo {name}",
        "status": status,
        "outputs": outputs,
        "error": error,
        "seconds": 1.5,
    }
    (folder / "status" / f"{name}.json").write_text(json.dumps(record), encoding="utf-8")


def test_index_links_rendered_pages_not_notebooks(tmp_path):
    _status(
        tmp_path,
        "tinh_2024",
        "ok",
        {
            "notebook": "notebooks/tinh_2024.ipynb",
            "html": "tinh_2024.html",
            "excel": "excel/tinh_2024.xlsx",
        },
    )
    _status(
        tmp_path,
        "huyen_516_2024",
        "failed",
        {"notebook": "notebooks/huyen_516_2024.ipynb"},
        error="báo cáo huyện hỏng",
    )
    page = write_index(tmp_path, 2024, synthetic=True).read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', page)
    assert "tinh_2024.html" in links and "excel/tinh_2024.xlsx" in links
    assert not [link for link in links if link.endswith(".ipynb")]
    assert "Sổ tay" not in page
    assert "chưa có trang báo cáo" in page  # the failed report: no dead link, a plain word
