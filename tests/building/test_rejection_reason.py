"""A rejected return's reason in submissions is one short line; its finding keeps the detail."""

from __future__ import annotations

from workbooks import write_xlsx

from ketnghia_analysis.building.normalise import Normaliser, normalise_return
from ketnghia_analysis.building.results import one_line, rejected_result
from ketnghia_analysis.reading.reader import read_return
from ketnghia_analysis.reference import gazetteer
from ketnghia_analysis.reference.matching import CommuneMatcher
from ketnghia_analysis.reference.partners import PartnerRegistry

# An export of a database (the sample's khac/export_ho_ngheo.xls): codes, names, a count.
EXPORT = [["ma_xa", "ten_xa", "so_ho"], ["20944", "Trà Mai", "812"], ["20947", "Trà Dơn", "640"]]


def _normalised(path, root):
    normaliser = Normaliser(CommuneMatcher(), PartnerRegistry.load(), gazetteer.target_communes())
    return normalise_return(read_return(path, root), normaliser)


def test_an_export_without_forms_is_rejected_in_one_short_line(tmp_path):
    path = write_xlsx(tmp_path / "export_ho_ngheo.xlsx", [{"name": "export", "rows": EXPORT}])
    result = _normalised(path, tmp_path)
    reason = result.submission["reason"]
    assert result.submission["status"] == "rejected"
    assert len(reason) < 200 and "\n" not in reason
    assert "'export' (có 2 dòng số liệu nhưng không nhận ra biểu mẫu" in reason
    (issue,) = [i for i in result.issues if i.code == "NO_FORMS"]
    assert "thiếu cột" in issue.message


def test_a_long_reason_is_cut_after_a_word_and_kept_whole_in_the_finding(tmp_path):
    sheets = [{"name": f"Bảng số liệu số {k}", "rows": EXPORT} for k in range(1, 6)]
    path = write_xlsx(tmp_path / "nhieu_trang.xlsx", sheets)
    result = _normalised(path, tmp_path)
    reason = result.submission["reason"]
    assert len(reason) < 200 and reason.endswith("…")
    (issue,) = [i for i in result.issues if i.code == "NO_FORMS"]
    assert "'Bảng số liệu số 5'" in issue.message and "'Bảng số liệu số 5'" not in reason
    assert issue.message.split(": ", 1)[1].startswith(reason[:-1])


def test_one_line():
    assert one_line("Lỗi\nkhi  đọc tệp\t(ValueError)") == "Lỗi khi đọc tệp (ValueError)"
    long = "từ " * 100
    assert one_line(long) == ("từ " * 66).strip() + "…" and len(one_line(long)) <= 199
    sub = rejected_result("a.xlsx", None, None, "FILE_CRASHED", "x\n" + "y " * 150).submission
    assert len(sub["reason"]) < 200 and "\n" not in sub["reason"]
