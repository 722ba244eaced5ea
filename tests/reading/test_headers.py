"""Header stage: finding the block, flattening merged headers, mapping to canonical names."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbooks import POVERTY_HEADER, POVERTY_ROWS, TITLE_POVERTY, sheet

from ketnghia_analysis.reading.grid import Grid
from ketnghia_analysis.reading.headers import (
    HeaderBlock,
    find_header_block,
    flatten_header,
    is_numbering_row,
    map_columns,
    unit_line_scale,
)
from ketnghia_analysis.reference.synonyms import load_synonyms, parse_synonyms


@pytest.fixture(scope="module")
def syn():
    return load_synonyms()


#: The 19 criteria of the national NTM set by name, in order.
CRITERIA_NAMES = [
    "Quy hoạch",
    "Giao thông",
    "Thủy lợi",
    "Điện",
    "Trường học",
    "Cơ sở vật chất văn hóa",
    "Cơ sở hạ tầng thương mại nông thôn",
    "Thông tin và Truyền thông",
    "Nhà ở dân cư",
    "Thu nhập",
    "Hộ nghèo",
    "Lao động có việc làm",
    "Tổ chức sản xuất",
    "Giáo dục và Đào tạo",
    "Y tế",
    "Văn hóa",
    "Môi trường và an toàn thực phẩm",
    "Hệ thống chính trị và tiếp cận pháp luật",
    "Quốc phòng và An ninh",
]


def _map(rows, form, syn, merged=None):
    grid = Grid(sheet(rows, merged=merged))
    spec = syn.forms[form]
    block = find_header_block(grid, spec)
    parts = flatten_header(grid, block.first, block.last, block.joined)
    return block, map_columns(parts, spec, syn.fuzzy_threshold)


def test_header_under_title_rows(syn):
    block, cmap = _map(TITLE_POVERTY + POVERTY_HEADER + POVERTY_ROWS, "poverty", syn)
    assert (block.first, block.last) == (5, 5)
    assert cmap.columns == {
        "commune": 1,
        "households_total": 2,
        "poor_start": 3,
        "poverty_exits": 4,
        "poverty_relapses": 5,
        "poverty_new": 6,
        "poor_end": 7,
        "poverty_rate_end": 8,
        "near_poor_end": 9,
        "poor_ethnic_minority_end": 10,
    }


def test_header_without_title_rows(syn):
    block, cmap = _map(POVERTY_HEADER + POVERTY_ROWS, "poverty", syn)
    assert (block.first, block.last) == (0, 0)
    assert cmap.columns["commune"] == 1


def test_two_row_header_with_merged_group(syn):
    # "Hộ nghèo cuối năm" over "Tổng số | Trong đó DTTS | Tỷ lệ (%)"
    rows = [
        ["Biểu 02/HN"],
        ["STT", "Tên xã", "Tổng số hộ", "Hộ nghèo cuối năm", None, None, "Hộ cận nghèo"],
        [None, None, None, "Tổng số", "Trong đó DTTS", "Tỷ lệ (%)", None],
        [1, "Trà Mai", 100, 40, 38, "40", 10],
    ]
    merged = [(1, 0, 2, 0), (1, 1, 2, 1), (1, 2, 2, 2), (1, 3, 1, 5), (1, 6, 2, 6)]
    block, cmap = _map(rows, "poverty", syn, merged)
    assert (block.first, block.last) == (1, 2)
    assert cmap.columns == {
        "commune": 1,
        "households_total": 2,
        "poor_end": 3,
        "poor_ethnic_minority_end": 4,
        "poverty_rate_end": 5,
        "near_poor_end": 6,
    }
    assert cmap.labels[4] == "Hộ nghèo cuối năm / Trong đó DTTS"


def test_three_row_header(syn):
    rows = [
        ["STT", "Xã", "Hộ nghèo", None, None, None, None],
        [None, None, "Đầu năm", "Biến động trong năm", None, None, "Cuối năm"],
        [None, None, None, "Thoát nghèo", "Tái nghèo", "Phát sinh mới", None],
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)"],
        [1, "Trà Mai", 40, 5, 1, 2, 38],
    ]
    merged = [(0, 0, 2, 0), (0, 1, 2, 1), (0, 2, 0, 6), (1, 2, 2, 2), (1, 3, 1, 5), (1, 6, 2, 6)]
    block, cmap = _map(rows, "poverty", syn, merged)
    assert (block.first, block.last, block.numbering_row) == (0, 2, 3)
    assert cmap.columns == {
        "commune": 1,
        "poor_start": 2,
        "poverty_exits": 3,
        "poverty_relapses": 4,
        "poverty_new": 5,
        "poor_end": 6,
    }


def test_line_breaks_and_caps_in_headers(syn):
    rows = [["TT", "XÃ, THỊ TRẤN", "TỔNG SỐ\nHỘ", "Số hộ nghèo\nđầu năm", "Thoát\nnghèo"]]
    _block, cmap = _map(rows + [[1, "Trà Mai", 1, 2, 3]], "poverty", syn)
    assert cmap.columns == {
        "commune": 1,
        "households_total": 2,
        "poor_start": 3,
        "poverty_exits": 4,
    }


def test_fuzzy_fallback_records_confidence(syn):
    rows = [["Xã, thị trấn", "Tổng số hộ", "Số hộ thoát nghè trong năm", "Số hộ tái nghèo"]]
    _block, cmap = _map(rows + [["Trà Mai", 1, 2, 3]], "poverty", syn)
    assert cmap.columns["poverty_exits"] == 2
    assert cmap.method["poverty_exits"] == "fuzzy"
    assert 0.88 <= cmap.confidence["poverty_exits"] < 1.0
    assert cmap.confidence["households_total"] == 1.0


def test_ntm_criteria_as_numbers_names_and_tc(syn):
    for subs in (
        list(range(1, 20)),
        [f"TC{n}" for n in range(1, 20)],
        CRITERIA_NAMES,
    ):
        top = ["STT", "Tên xã", "Tiêu chí"] + [None] * 18 + ["Số TC đạt", "Đạt chuẩn NTM"]
        sub = [None, None] + subs + [None, None]
        merged = [(0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 0, 20), (0, 21, 1, 21), (0, 22, 1, 22)]
        _block, cmap = _map(
            [top, sub, [1, "Trà Mai"] + ["x"] * 19 + [19, 2020]], "ntm", syn, merged
        )
        assert [cmap.columns[f"c{n:02d}"] for n in range(1, 20)] == list(range(2, 21)), subs[0]
        assert cmap.columns["criteria_met"] == 21
        assert cmap.columns["ntm_level"] == 22


def test_numbering_rows():
    assert is_numbering_row(["(1)", "(2)", "(3)", "(4)"])
    assert is_numbering_row(["A", "B", "1", "2", "3"])
    assert is_numbering_row([1, 2, 3, 4, 5])
    assert is_numbering_row(["(1)", "(2)", "(3)", "(4)=(1)-(2)+(3)"])
    assert not is_numbering_row([1, "Trà Mai", 1200, 400])
    assert not is_numbering_row([None, None, 1, 2, 3], first_col=0)  # criteria numbers
    assert not is_numbering_row([3, 2, 1])


def test_unit_line_scale():
    grid = Grid(sheet([["ĐVT: nghìn đồng"], ["Đơn vị kết nghĩa", "Xã", "Kinh phí hỗ trợ"]]))
    assert unit_line_scale(grid, 1)[0] == 0.001
    grid = Grid(sheet([["Đơn vị kết nghĩa", "Xã", "Kinh phí hỗ trợ"]]))
    assert unit_line_scale(grid, 0)[0] is None


def test_synonyms_are_data_an_analyst_can_extend():
    data = {
        "forms": {
            "poverty": {
                "required": ["commune"],
                "min_columns": 1,
                "columns": {
                    "commune": {"kind": "label", "synonyms": ["Đơn vị hành chính cấp xã"]},
                    "poor_end": {"kind": "count", "synonyms": [["nghèo", "31/12"]]},
                },
            }
        }
    }
    syn = parse_synonyms(data)
    rows = [["Đơn vị hành chính cấp xã", "Hộ nghèo tại 31/12"], ["Trà Mai", 5]]
    _block, cmap = _map(rows, "poverty", syn)
    assert cmap.columns == {"commune": 0, "poor_end": 1}


# ---------------------------------------------------------------------------
# Property: flattening a merged header gives each column its path of labels
# ---------------------------------------------------------------------------


@st.composite
def header_trees(draw):
    """A header of depth 1-3 as a list of top-level nodes (label, children)."""
    depth = draw(st.integers(1, 3))
    counter = iter(range(10_000))

    def node(level: int):
        label = f"H{next(counter)}"
        if level < depth - 1 and draw(st.booleans()):
            n = draw(st.integers(2, 3))
            return (label, [node(level + 1) for _ in range(n)])
        return (label, [])

    tops = [node(0) for _ in range(draw(st.integers(1, 5)))]
    return depth, tops


def _render(depth, tops, with_merges):
    """Grid rows and merges of a header tree; the expected path of each column."""
    paths: list[list[str]] = []
    cells: dict[tuple[int, int], str] = {}
    merged = []

    def place(nd, level, col, path):
        label, kids = nd
        if not kids:
            cells[(level, col)] = label
            if level < depth - 1:
                merged.append((level, col, depth - 1, col))
            paths.append(path + [label])
            return col + 1
        start = col
        for k in kids:
            col = place(k, level + 1, col, path + [label])
        cells[(level, start)] = label
        merged.append((level, start, level, col - 1))
        return col

    col = 0
    for t in tops:
        col = place(t, 0, col, [])
    rows = [[cells.get((r, c)) for c in range(col)] for r in range(depth)]
    return rows, (merged if with_merges else []), paths


@settings(max_examples=150, deadline=None)
@given(header_trees(), st.booleans())
def test_flatten_property(tree, with_merges):
    depth, tops = tree
    rows, merged, paths = _render(depth, tops, with_merges)
    grid = Grid(sheet(rows, merged=merged))
    assert flatten_header(grid, 0, depth - 1) == paths


TITLE_LINES = [
    ["UBND HUYỆN NAM TRÀ MY", None, None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
    [None, None, None, None, "Độc lập - Tự do - Hạnh phúc"],
    [],
    ["Biểu số 02/HN"],
    ["KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO NĂM 2023"],
    ["(Kèm theo Báo cáo số 123/BC-UBND ngày 15/12/2023 của UBND huyện Nam Trà My)"],
    [None, None, None, "ĐVT: hộ"],
    [],
]


@settings(max_examples=100, deadline=None)
@given(
    st.permutations(list(range(2, 11))),
    st.integers(0, 8),
    st.sampled_from([None, "parens", "letters", "digits"]),
)
def test_header_found_under_any_title_and_column_order(order, n_title, numbering):
    """Any number of title rows, columns in any order, any numbering row: same mapping."""
    cols = [0, 1] + list(order)
    header = [POVERTY_HEADER[0][c] for c in cols]
    data = [[row[c] for c in cols] for row in POVERTY_ROWS]
    rows = [list(r) for r in TITLE_LINES[:n_title]] + [header]
    if numbering == "parens":
        rows.append([f"({i + 1})" for i in range(len(cols))])
    elif numbering == "letters":
        rows.append(["A", "B"] + [str(i + 1) for i in range(len(cols) - 2)])
    elif numbering == "digits":
        rows.append([i + 1 for i in range(len(cols))])
    rows += data
    grid = Grid(sheet(rows))
    syn = load_synonyms()
    block = find_header_block(grid, syn.forms["poverty"])
    assert (block.first, block.last) == (n_title, n_title)
    assert block.numbering_row == (n_title + 1 if numbering else None)
    cmap = map_columns(flatten_header(grid, block.first, block.last), syn.forms["poverty"])
    canon = [
        None, "commune", "households_total", "poor_start", "poverty_exits", "poverty_relapses",
        "poverty_new", "poor_end", "poverty_rate_end", "near_poor_end", "poor_ethnic_minority_end",
    ]  # fmt: skip
    assert cmap.columns == {canon[c]: i for i, c in enumerate(cols) if canon[c]}


def test_hidden_copy_of_a_column_loses_to_the_visible_one(syn):
    rows = [["Xã, thị trấn", "Tổng số hộ", "Tổng số hộ", "Số hộ nghèo cuối năm", "Tái nghèo"]]
    grid = Grid(sheet(rows + [["Trà Mai", 90, 100, 2, 1]]))
    spec = syn.forms["poverty"]
    parts = flatten_header(grid, 0, 0)
    assert map_columns(parts, spec, hidden={1}).columns["households_total"] == 2
    assert map_columns(parts, spec, hidden={2}).columns["households_total"] == 1


@pytest.mark.parametrize(
    ("form", "label", "name"),
    [
        ("poverty", "HN ĐK", "poor_start"),
        ("poverty", "HN CK", "poor_end"),
        ("poverty", "HCN", "near_poor_end"),
        ("poverty", "Tỉ lệ hộ nghèo cuối năm (%)", "poverty_rate_end"),
        ("support", "DV giúp đỡ", "partner_name"),
        ("support", "ĐV kết nghĩa", "partner_name"),
        ("support", "Nhà ĐĐK", "houses_supported"),
        ("support", "HV quy đổi", "in_kind"),
        ("support", "Số MH PTKT", "models_supported"),
        ("support", "Lượt CBCC xã được ĐT, BD", "officials_trained"),
        ("support", "LĐ được ĐTN, GQVL", "workers_trained"),
        ("ntm", "TC đạt", "criteria_met"),
        ("ntm", "1. Quy hoạch", "c01"),
        ("models", "SL hộ", "households"),
    ],
)
def test_abbreviated_headers_are_written_out_before_matching(syn, form, label, name):
    """Officers' abbreviations (SL, HN, HCN, ĐV, TC, CK, ĐK, MH, ĐĐK …) are written out from
    the `abbreviations:` of synonyms.yaml, not listed spelling by spelling (issue #20)."""
    cmap = map_columns([["STT"], [label]], syn.forms[form], syn.fuzzy_threshold)
    assert cmap.columns.get(name) == 1
    assert cmap.method[name] != "fuzzy"


def test_an_abbreviation_is_data_and_never_hides_a_header(syn):
    data = {
        "abbreviations": {"SLHN": "số lượng hộ nghèo"},
        "forms": {
            "poverty": {
                "columns": {
                    "poor_end": {"kind": "count", "synonyms": ["Số lượng hộ nghèo cuối năm"]},
                    "near_poor_end": {"kind": "count", "synonyms": ["SLHN cận"]},
                }
            }
        },
    }
    spec = parse_synonyms(data).forms["poverty"]
    cmap = map_columns([["SLHN cuối năm"], ["SLHN cận"]], spec, 88)
    assert cmap.columns == {"poor_end": 0, "near_poor_end": 1}


# ---------------------------------------------------------------------------
# Labels typed over two rows, groups known by their columns (issue #20)
# ---------------------------------------------------------------------------


def _typed_over_two_rows(labels: list) -> tuple[list, list]:
    """A header row typed as two: a label of four words or more keeps its first half, its
    last words go in the cell below (no merge); a shorter label stays whole above."""
    top: list = []
    below: list = []
    for label in labels:
        words = str(label).split() if label is not None else []
        cut = len(words) // 2 if len(words) >= 4 else len(words)
        top.append(" ".join(words[:cut]) or None)
        below.append(" ".join(words[cut:]) or None)
    return top, below


SUPPORT_LABELS = [
    "STT",
    "Xã được kết nghĩa",
    "Đơn vị kết nghĩa",
    "Loại hình đơn vị",
    "Năm bắt đầu kết nghĩa",
    "Hỗ trợ bằng tiền (triệu đồng)",
    "Hỗ trợ hiện vật (quy ra tiền) (triệu đồng)",
    "Số hộ được hưởng lợi",
    "Ghi chú",
]


def test_labels_continued_in_the_row_above_the_numbering_row(syn):
    top, below = _typed_over_two_rows(SUPPORT_LABELS)
    numbering = [f"({i})" for i in range(1, 10)]
    data = [1, "Trà Leng", "Sở Tài chính", "sở, ban, ngành tỉnh", 2017, 490, 53.4, 59]
    block, cmap = _map([top, below, numbering, data], "support", syn)
    assert block == HeaderBlock(0, 1, 2, frozenset({1}))
    assert cmap.labels[1] == "Xã được kết nghĩa"  # one label, not "Xã được / kết nghĩa"
    assert cmap.columns == {
        "commune": 1,
        "partner_name": 2,
        "partner_type": 3,
        "pair_start_year": 4,
        "cash": 5,
        "in_kind": 6,
        "beneficiary_households": 7,
        "note": 8,
    }


def test_labels_continued_below_name_more_columns_than_either_row(syn):
    # no numbering row: the data (counts typed as text) start right under the second row,
    # which names more columns than the first, and the title rows stay out of the header
    top, below = _typed_over_two_rows(POVERTY_HEADER[0])
    data = [[str(v) for v in row] for row in POVERTY_ROWS]
    merged = [(3, 0, 3, 10)]  # the merged title: the sheet has merges, none in the header
    block, cmap = _map(TITLE_POVERTY + [top, below] + data, "poverty", syn, merged)
    assert (block.first, block.last, block.numbering_row) == (5, 6, None)
    assert cmap.labels[4] == "Số hộ thoát nghèo trong năm"
    assert cmap.columns == {
        "commune": 1,
        "households_total": 2,
        "poor_start": 3,
        "poverty_exits": 4,
        "poverty_relapses": 5,
        "poverty_new": 6,
        "poor_end": 7,
        "poverty_rate_end": 8,
        "near_poor_end": 9,
        "poor_ethnic_minority_end": 10,
    }


def test_criteria_names_continued_below_and_a_row_of_marks_is_data(syn):
    labels = ["STT", "Xã"] + CRITERIA_NAMES + ["Số TC đạt"]
    top, below = _typed_over_two_rows(labels)
    numbering = [f"({i})" for i in range(1, 23)]
    block, cmap = _map([top, below, numbering, [1, "Trà Sơn"] + ["có"] * 19 + [19]], "ntm", syn)
    assert block == HeaderBlock(0, 1, 2, frozenset({1}))
    assert [cmap.columns[f"c{n:02d}"] for n in range(1, 20)] == list(range(2, 21))
    assert cmap.columns["criteria_met"] == 21
    # the same header in one row, then a row of words only (a commune and its marks, no
    # number): it names nothing more, so it is data, not the header's continuation
    marks = [None, "xã Trà Sơn", "có", "CĐ"] + ["có"] * 17
    block, cmap = _map([labels, marks, marks], "ntm", syn)
    assert block == HeaderBlock(0, 0, None)
    assert [cmap.columns[f"c{n:02d}"] for n in range(1, 20)] == list(range(2, 21))


def test_criteria_named_under_a_group_label_no_synonym_knows(syn):
    # "Kết quả thực hiện" merged over the criteria's names: its columns make it a group of
    # criteria (three or more criterion names under one label), whatever its words
    top = ["STT", "Xã", "Kết quả thực hiện"] + [None] * 19
    sub = [None, None] + CRITERIA_NAMES + ["Số TC đạt"]
    merged = [(0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 0, 21)]
    block, cmap = _map([top, sub, [1, "Trà Sơn"] + ["có"] * 19 + [19]], "ntm", syn, merged)
    assert (block.first, block.last) == (0, 1)
    assert [cmap.columns[f"c{n:02d}"] for n in range(1, 20)] == list(range(2, 21))
    assert cmap.columns["criteria_met"] == 21
    assert cmap.labels[3] == "Kết quả thực hiện / Giao thông"
    # two criterion names under a group are not evidence enough
    parts = [["Kết quả", "Điện"], ["Kết quả", "Giao thông"], ["Xã"]]
    assert "c04" not in map_columns(parts, syn.forms["ntm"], fuzzy=False).columns
