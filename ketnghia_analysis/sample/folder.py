"""The output folder: refuse one holding other data, clear an earlier sample, write the README."""

from __future__ import annotations

import json
import shutil
from pathlib import Path


def prepare_output(out: Path) -> None:
    """Create ``out``; replace an earlier sample there, but never touch other data.

    A folder that already holds files (other than a README.md) and no
    ``truth/world.json`` of ours may hold real returns: refuse rather than mix
    synthetic files into them.
    """
    out.mkdir(parents=True, exist_ok=True)
    marker = out / "truth" / "world.json"
    ours = False
    if marker.is_file():
        try:
            ours = json.loads(marker.read_text(encoding="utf-8")).get("synthetic") is True
        except (OSError, ValueError):
            ours = False
    if not ours:
        others = [p for p in out.iterdir() if p.name not in ("README.md", ".gitkeep")]
        if others:
            raise ValueError(
                f"thư mục {out} đã có dữ liệu không do 'ketnghia sample' tạo ra "
                f"({others[0].name}, …): chọn thư mục trống / output folder is not empty"
            )
        return
    for old in [*out.glob("20[0-9][0-9]"), out / "khac", out / "truth"]:
        if old.is_dir():
            shutil.rmtree(old)


README = """# Báo cáo mẫu — DỮ LIỆU TỔNG HỢP (synthetic) / Sample returns — SYNTHETIC DATA

**Tiếng Việt.** Các tệp trong thư mục này là báo cáo kết nghĩa *giả lập* của các huyện
tỉnh Quảng Nam, do lệnh `ketnghia sample` tạo ra (hạt giống seed = {seed}, năm {years},
tác động cài sẵn {effect_pts:+.1f} điểm % lên tỷ lệ hộ nghèo từ năm kết nghĩa). Đây **không phải
số liệu thật**. Danh sách xã, huyện lấy từ danh mục hành chính thật (gazetteer); mọi con số
đều được mô phỏng. Các tệp cố ý "lộn xộn" như báo cáo thật (tiêu đề, tiêu đề cột nhiều dòng,
ô gộp, số dạng văn bản, mã TCVN3/VNI, tệp .xls/.ods/HTML, bản nộp lại...) để kiểm tra chương
trình đọc. Thư mục `truth/` chứa các bảng đúng mà một lần xây dựng hoàn hảo phải tạo ra.

**English.** Everything here is *synthetic*: district returns of Quảng Nam's twinning
programme simulated by `ketnghia sample` (seed {seed}, years {years}, planted effect
{effect_pts:+.1f} percentage points on the poverty rate from the pairing year on). Unit
lists come from the real gazetteer; every number is simulated. The files are deliberately
messy in all the ways listed in the variation catalogue of returns.md.

- `<year>/` — the returns (one or more files per district and year).
- `khac/` — broken files (only with `--broken`): each must be rejected with a one-line reason.
- `truth/*.parquet` — poverty, ntm_status, ntm_criteria, support, models, partners,
  submissions: exactly what a perfect `ketnghia build` produces (with `source_file`,
  `source_sheet`, `source_row`). Money is million VND rounded to 6 decimals.
- `truth/variations.json` — where each variation was planted; `truth/planted_issues.csv`
  — value errors the build must report; `truth/quarantine.csv` — rows it must reject;
  `truth/world.json` — planted effects, pairing years and pairs.

The build skips `truth/` and this README.
"""


OFFICIAL = """
Run with `--official`: each year also holds the official poverty-review forms A–D (Thông tư
07/2021/TT-BLĐTBXH), one form per workbook: a province compilation in odd years, district
compilations in even years (a few districts send only their 02/HN). For a commune-year in an
official form and in 02/HN the official form's values win for every column it carries; 02/HN
fills the others (`source_form` says which forms a row was joined from).
`truth/poverty_districts.parquet` holds the district rows of the province compilations,
`truth/official.json` where each layout feature of the official forms is.
"""


README_MARK = "# Báo cáo mẫu — DỮ LIỆU TỔNG HỢP (synthetic)"


def write_readme(
    out: Path, seed: int, years: list[int], effect: float, broken: bool, official: bool = False
) -> None:
    """Write ``out/README.md`` and ``out/truth/README.md``.

    A README.md that is not ours (the project's own data/raw/README.md) is kept:
    the sample's README then lives in ``truth/README.md`` only.
    """
    y = f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])
    text = README.format(seed=seed, years=y, effect_pts=effect * 100)
    if broken:
        text += "\nRun with `--broken`: `khac/` holds the broken files.\n"
    if official:
        text += OFFICIAL
    (out / "truth" / "README.md").write_text(text, encoding="utf-8")
    top = out / "README.md"
    if top.exists() and not top.read_text(encoding="utf-8", errors="replace").startswith(
        README_MARK
    ):
        return
    top.write_text(text, encoding="utf-8")
