"""Form stage: forms recognised by content, other sheets classified and skipped."""

from __future__ import annotations

from workbooks import POVERTY_HEADER, POVERTY_ROWS, TITLE_POVERTY, poverty_sheet, sheet

from ketnghia_analysis.reading.forms import recognise_forms, recognise_sheet

SUPPORT = [
    ["Biểu 01/KN"],
    ["KẾT QUẢ HỖ TRỢ CỦA CÁC ĐƠN VỊ KẾT NGHĨA NĂM 2023"],
    [
        "STT",
        "Đơn vị kết nghĩa",
        "Loại hình đơn vị",
        "Xã được kết nghĩa",
        "Năm bắt đầu kết nghĩa",
        "Hỗ trợ bằng tiền (triệu đồng)",
        "Hỗ trợ hiện vật (quy ra tiền)",
        "Số mô hình phát triển kinh tế được hỗ trợ",
        "Số hộ được hưởng lợi",
        "Số lượt cán bộ, công chức xã được đào tạo, bồi dưỡng",
        "Số lao động được đào tạo nghề, giải quyết việc làm",
        "Số nhà ở được hỗ trợ xây mới, sửa chữa (nhà Đại đoàn kết)",
        "Ghi chú",
    ],
    [1, "Sở Tài chính", "Sở, ban, ngành tỉnh", "Trà Mai", 2021, 100, 20, 1, 30, 5, 10, 2, None],
]

MODELS = [
    ["Biểu 04/MH"],
    [
        "STT",
        "Tên mô hình",
        "Xã",
        "Đơn vị kết nghĩa",
        "Loại mô hình",
        "Năm triển khai",
        "Số hộ tham gia",
        "Tình trạng",
    ],
    [1, "Nuôi bò sinh sản", "Trà Mai", "Sở Tài chính", "chăn nuôi", 2022, 15, "đang duy trì"],
]

NTM = [
    ["Biểu 03/NTM"],
    ["STT", "Xã"] + [f"TC{n}" for n in range(1, 20)] + ["Tổng số tiêu chí đạt", "Đạt chuẩn NTM"],
    [1, "Trà Mai"] + ["Đạt"] * 19 + [19, 2020],
]


def test_each_form_recognised_by_content_not_sheet_name():
    for rows, form in ((SUPPORT, "support"), (MODELS, "models"), (NTM, "ntm")):
        v = recognise_sheet(sheet(rows, name="Sheet1"))
        assert (v.kind, v.form) == ("form", form)
    v = recognise_sheet(poverty_sheet(name="Biểu 01"))  # misleading sheet name
    assert (v.kind, v.form) == ("form", "poverty")


def test_form_without_title_is_recognised_from_headers():
    v = recognise_sheet(sheet(POVERTY_HEADER + POVERTY_ROWS))
    assert (v.kind, v.form) == ("form", "poverty")


def test_other_sheets_are_classified_with_a_reason():
    sheets = [
        sheet([["THÔNG TIN CHUNG"], ["Đơn vị báo cáo:", "UBND huyện Nam Trà My"]], "Bia", 0),
        sheet([["Hướng dẫn ghi biểu"], ["Cột 3: ghi số hộ"]], "HD", 1),
        sheet([], "Chart1", 2),
        sheet([["Lorem ipsum"], ["a", "b"]], "X", 3),
        poverty_sheet("Biểu 02 (nháp)", 4),
    ]
    sheets[4].visible = False
    found = recognise_forms(sheets)
    assert found.forms == []
    assert found.issues == []
    assert dict(found.skipped) == {
        "Bia": "trang bìa / thông tin chung",
        "HD": "trang ghi chú, hướng dẫn",
        "Chart1": "trang trống (hoặc trang biểu đồ)",
        "X": "không nhận ra biểu mẫu",
        "Biểu 02 (nháp)": "trang tính ẩn: bản nháp hoặc bản cũ của biểu 02/HN, không đọc",
    }


def test_hidden_form_is_never_read():
    s = poverty_sheet("HN")
    s.visible = False
    found = recognise_forms([s])
    assert found.forms == []
    assert found.skipped[0][1].startswith("trang tính ẩn")


def test_duplicate_form_keeps_final_or_later_sheet():
    a = poverty_sheet("HN final", 0)
    b = poverty_sheet("HN", 1)
    found = recognise_forms([a, b], "f.xlsx")
    assert [f.sheet.name for f in found.forms] == ["HN final"]
    assert [i.code for i in found.issues] == ["DUPLICATE_FORM"]
    assert found.issues[0].source_sheet == "HN"
    assert found.issues[0].source_file == "f.xlsx"
    assert found.skipped[0][0] == "HN"
    assert [v.kind for v in found.verdicts] == ["form", "duplicate"]
    # no final/draft word: the later sheet wins
    found = recognise_forms([poverty_sheet("A", 0), poverty_sheet("B", 1)])
    assert [f.sheet.name for f in found.forms] == ["B"]
    # a draft-named later sheet loses
    found = recognise_forms([poverty_sheet("HN", 0), poverty_sheet("HN nháp", 1)])
    assert [f.sheet.name for f in found.forms] == ["HN"]


def test_sheet_with_too_few_columns_is_unknown_with_detail():
    rows = TITLE_POVERTY + [
        ["STT", "Tổng số hộ", "Số hộ nghèo đầu năm", "Thoát nghèo", "Tái nghèo"]
    ]
    v = recognise_sheet(sheet(rows))
    assert v.kind == "unknown"
    assert "thiếu cột: Xã, thị trấn" in v.reason


def test_form_split_over_two_sheets_is_not_a_duplicate():
    a = sheet(POVERTY_HEADER + POVERTY_ROWS, "HN khu vực III", 0)
    other = [[3, "Trà Leng", 500, 100, 10, 0, 1, 91, "18,2", 40, 90]]
    b = sheet(POVERTY_HEADER + other, "HN còn lại", 1)
    found = recognise_forms([a, b])
    assert [f.sheet.name for f in found.forms] == ["HN khu vực III", "HN còn lại"]
    assert found.issues == []


def test_form_with_typos_in_required_headers_is_recognised_by_fuzzy_matching():
    rows = [["Xã thịtrấn", "Tổng số hộ", "Số hộ nghèo đầu năm", "Thoát nghèo", "Tái nghèo"]]
    v = recognise_sheet(sheet(rows + [["Trà Mai", 1, 2, 3, 4]]))
    assert (v.kind, v.form) == ("form", "poverty")
    assert v.colmap.method["commune"] == "fuzzy"
