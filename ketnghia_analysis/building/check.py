"""`ketnghia check FILE|FOLDER...`: the issues of one district's files, printed, nothing written."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ketnghia_analysis.building.assemble import issues_frame
from ketnghia_analysis.building.buildstate import walk
from ketnghia_analysis.building.collect import as_result, isolated
from ketnghia_analysis.building.grouping import count_by_severity, group_issues
from ketnghia_analysis.building.results import FileResult, rejected_result
from ketnghia_analysis.building.rulebook import SEVERITY_ORDER, records_of
from ketnghia_analysis.core.controls import for_terminal
from ketnghia_analysis.core.issues import Issue

#: The poverty counts a return must carry (a blank template has commune names only).
_POVERTY_COUNTS = ("households_total", "poor_start", "poverty_exits", "poor_end")
#: The forms whose rows exist only when someone filled them in.
_FILLED_FORMS = ("support", "models")


# ---------------------------------------------------------------------------------------
# ketnghia check FILE|FOLDER...
# ---------------------------------------------------------------------------------------
def check_files(paths: list[Path], stream: Any = None, isolate: bool = True) -> int:
    """Print the issues of one district's files (nothing is written). Exit 1 if any error.

    A folder means its files, found as the build finds them (``buildstate.walk``: truth/,
    README, lock and hidden files skipped; pipes and links out of the folder rejected).
    Each file is read like in a build (in a worker process with limits unless
    isolate=False), so a district officer sees exactly what the province will see; a return
    with no figure at all (a blank template) is an error. The rules across years and files
    (continuity, history, missing communes) need the whole province and are left to the
    build. With several files every issue line names its file. Every line goes through
    `for_terminal`: a file name or a cell may hold terminal control characters.
    """
    stream = stream or sys.stdout

    def say(line: str) -> None:
        print(for_terminal(line), file=stream)

    results = list(_results(paths, isolate))
    several = len(results) > 1
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    for result in results:
        lines = group_issues(issues_frame(result.issues + _emptiness(result)))
        for severity, n in count_by_severity(lines).items():
            counts[severity] += n
        _say_file(say, result.submission, lines, several)
    say(
        f"Tổng: {len(results)} tệp; {counts['error']} lỗi, {counts['warning']} cảnh báo, "
        f"{counts['info']} ghi chú."
    )
    return 1 if counts["error"] else 0  # notes and warnings never fail a check


def _results(paths: list[Path], isolate: bool) -> Iterator[FileResult]:
    """The result of every file the arguments name: files, and the files of folders."""
    items: list[tuple[str, str]] = []
    for path in paths:
        path = Path(path).absolute()
        if path.is_dir():
            listing = walk(path)
            items += [(str(p.resolve()), str(path.resolve())) for p in listing.paths]
            for entry in listing.rejected:
                yield rejected_result(entry.rel, None, None, str(entry.code), entry.reason)
        elif path.is_file():
            items.append((str(path.resolve()), str(path.resolve().parent)))
        elif path.exists():  # a pipe, socket or device: never opened (it would block)
            yield rejected_result(
                path.name, None, None, "FILE_NOT_REGULAR", "không phải tệp thường (ống, thiết bị)"
            )
        else:
            yield rejected_result(str(path), None, None, "FILE_NOT_FOUND", "không tìm thấy tệp")
    for item, outcome in isolated(items, 1, isolate):
        yield as_result(item, outcome)


def _emptiness(result: FileResult) -> list[Issue]:
    """One error when a read return holds no figure: no poverty count, no support, no model."""
    if result.submission["status"] == "rejected":
        return []
    poverty = result.tables.get("poverty")
    counted = poverty is not None and any(
        column in poverty.columns and poverty[column].notna().any() for column in _POVERTY_COUNTS
    )
    filled = any(name in result.tables and len(result.tables[name]) for name in _FILLED_FORMS)
    if counted or filled:
        return []
    return [
        Issue(
            "error",
            "RETURN_EMPTY",
            "Báo cáo chưa có số liệu: biểu 02-HN chưa có số hộ, biểu 01-KN và 04-MH chưa có "
            "dòng nào [RETURN_EMPTY]",
            source_file=result.source_file,
            suggestion="Điền số liệu vào các biểu rồi kiểm tra lại trước khi gửi.",
        )
    ]


#: How a line of `ketnghia check` names its severity.
LEVELS = {"error": "LỖI", "warning": "cảnh báo", "info": "ghi chú"}


def _say_file(say: Any, sub: dict, frame: pd.DataFrame, several: bool) -> None:
    """The line of one file, then one line per cause (`grouping.group_issues`: the cells of
    one code in one column together), naming the file when there are several."""
    state = "bị từ chối: " + str(sub["reason"]) if sub["status"] == "rejected" else "đọc được"
    say(
        f"{sub['source_file']}: {state} — huyện {sub['district_code'] or '?'}, năm "
        f"{sub['year'] or '?'}; {sub['rows_accepted']} dòng nhận, "
        f"{sub['rows_quarantined']} dòng lỗi{_nulled_text(sub)}."
    )
    for rec in records_of(frame):
        where = ":".join(str(x) for x in (rec["source_sheet"], rec["cell"]) if x and not pd.isna(x))
        if several:
            where = f"{sub['source_file']} {where}".strip()
        level = LEVELS.get(rec["severity"], rec["severity"])
        suggestion = rec["suggestion"]
        hint = f" Gợi ý: {suggestion}" if suggestion and not pd.isna(suggestion) else ""
        say(f"  [{level}] {where or '-'} {rec['message']}{hint}")


def _nulled_text(sub: dict) -> str:
    """The words ", 3 ô để trống vì giá trị sai" when cells of accepted rows were nulled."""
    nulled = int(sub.get("cells_nulled") or 0)
    return f", {nulled} ô để trống vì giá trị sai" if nulled else ""
