"""`ketnghia check FILE...`: the issues of one district's files, printed, nothing written."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd

from ketnghia_analysis.building.assemble import issues_frame
from ketnghia_analysis.building.collect import as_result, isolated
from ketnghia_analysis.building.rulebook import records_of
from ketnghia_analysis.core.controls import for_terminal
from ketnghia_analysis.core.issues import Issue


# ---------------------------------------------------------------------------------------
# ketnghia check FILE...
# ---------------------------------------------------------------------------------------
def check_files(paths: list[Path], stream: Any = None, isolate: bool = True) -> int:
    """Print the issues of one district's files (nothing is written). Exit 1 if any error.

    Each file is read like in a build (in a worker process with limits unless
    isolate=False), so a district officer sees exactly what the province will see; the
    rules across years and files (continuity, history, missing communes) need the whole
    province and are left to the build. Every line goes through `for_terminal`: a file name
    or a cell may hold terminal control characters.
    """
    stream = stream or sys.stdout

    def say(line: str) -> None:
        print(for_terminal(line), file=stream)

    issues: list[Issue] = []
    items = []
    for path in paths:
        path = Path(path).resolve()
        if not path.is_file():
            say(f"{path}: không tìm thấy tệp.")
            issues.append(Issue("error", "FILE_NOT_FOUND", "không tìm thấy tệp [FILE_NOT_FOUND]"))
            continue
        items.append((str(path), str(path.parent)))
    subs = []
    for item, outcome in isolated(items, 1, isolate):
        result = as_result(item, outcome)
        subs.append(result.submission)
        issues += result.issues
    frame = issues_frame(issues)
    for sub in subs:
        state = "bị từ chối: " + str(sub["reason"]) if sub["status"] == "rejected" else "đọc được"
        say(
            f"{sub['source_file']}: {state} — huyện {sub['district_code'] or '?'}, năm "
            f"{sub['year'] or '?'}; {sub['rows_accepted']} dòng nhận, "
            f"{sub['rows_quarantined']} dòng lỗi."
        )
    for rec in records_of(frame):
        where = ":".join(str(x) for x in (rec["source_sheet"], rec["cell"]) if x and not pd.isna(x))
        level = "LỖI" if rec["severity"] == "error" else "cảnh báo"
        hint = (
            f" Gợi ý: {rec['suggestion']}"
            if rec["suggestion"] and not pd.isna(rec["suggestion"])
            else ""
        )
        say(f"  [{level}] {where or '-'} {rec['message']}{hint}")
    errors = int((frame["severity"] == "error").sum())
    warnings = int((frame["severity"] == "warning").sum())
    say(f"Tổng: {errors} lỗi, {warnings} cảnh báo.")
    return 1 if errors else 0
