"""Tests of ketnghia_analysis.core.text: normalisation, folding, TCVN3/VNI mojibake."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketnghia_analysis.core.legacy import (
    decode_legacy,
    detect_legacy,
    detect_legacy_many,
    encode_legacy,
    fix_mojibake,
    fix_mojibake_many,
    legacy_candidates,
)
from ketnghia_analysis.core.text import VIETNAMESE_LETTERS, fold, normalize

REFERENCE = Path(__file__).resolve().parents[2] / "ketnghia_analysis" / "reference"

# Real names and phrases, every tone and vowel, typed by hand.
PHRASES = [
    "Đông Giang", "Trà My", "Tây Giang", "Quế Sơn", "Điện Bàn", "Hội An", "Zuôih",
    "La Êê", "Ch'ơm", "Tr'Hy", "A Tiêng", "Phước Năng", "ĐVT: triệu đồng", "Tổng cộng",
    "Hỗ trợ bằng tiền", "Nam Trà My", "Bắc Trà My", "Phước Sơn", "Nông Sơn", "Hiệp Đức",
    "Thăng Bình", "Duy Xuyên", "Núi Thành", "Tiên Phước", "Đại Lộc", "Phú Ninh",
    "Nam Giang", "Tam Kỳ", "Khâm Đức", "Trà Mai", "Trà Leng", "Trà Dơn", "Trà Vân",
    "Tà Pơơ", "Sông Kôn", "A Xan", "Bhalêê", "Lăng", "Dang", "Tư", "Ba", "Mà Cooih",
    "Quế Xuân 1", "Tam Xuân I", "Điện Thắng Trung", "Duy Nghĩa", "Bình Quý",
    "Tam Anh Nam", "Ủy ban nhân dân", "Cộng hòa xã hội chủ nghĩa Việt Nam",
    "Độc lập - Tự do - Hạnh phúc", "Người lập biểu", "Số hộ nghèo cuối năm",
    "Tỷ lệ hộ nghèo (%)", "Đạt chuẩn nông thôn mới", "Chưa đạt", "không đánh giá",
    "Hỗ trợ hiện vật (quy ra tiền)", "Số lao động được đào tạo nghề",
    "Đơn vị kết nghĩa", "Sở Tài chính", "Bộ Chỉ huy Quân sự tỉnh", "Ghi chú",
    "Kèm theo Báo cáo số 123/BC-UBND ngày 15/12/2023", "Thôn Ấp Bắc", "Quỳnh Nga",
    "Nguyễn Văn Thuấn", "Huỳnh Thị Ngọc Yến", "Lê Thị Thủy", "Khỏe mạnh", "Hòa Hải",
    "Thuận Yên", "Bình Phục", "Điện Phước", "Tiên Hiệp", "Ấm no", "Ưu tiên", "Ơn nghĩa",
    "Ẩn", "Ỷ Lan",
]  # fmt: skip


def _reference_names() -> list[str]:
    """Every official commune and district name (with and without the unit word)."""
    names: set[str] = set()
    files = {
        "communes.csv": ("commune_name", "district_name", "unit_2025_name"),
        "commune_names.csv": ("name",),
        "districts.csv": ("district_name",),
    }
    for file, columns in files.items():
        path = REFERENCE / file
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as fh:
            rows = csv.DictReader(line for line in fh if not line.startswith("#"))
            for row in rows:
                for column in columns:
                    value = (row.get(column) or "").strip()
                    if value:
                        names.add(value)
                        names.add(value.split(" ", 1)[-1])
    return sorted(names)


NAMES = sorted(set(_reference_names()) | {normalize(p) for p in PHRASES})


def _tcvn3_caps_ambiguous(x: str) -> bool:
    """A word starting with a toned capital that TCVN3 .VnTime cannot write ("Ái")."""
    plain_capitals = set("ĂÂÊÔƠƯĐ")
    for word in x.split():
        c = word[0]
        if c.isupper() and not c.isascii() and c not in plain_capitals:
            return True
    return False


def test_name_list_is_large():
    assert len(NAMES) >= 60


# --- normalize -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hoà", "Hòa"),
        ("Hòa", "Hòa"),
        ("Thuỷ", "Thủy"),
        ("Khoẻ", "Khỏe"),
        ("HOÀ", "HÒA"),
        ("Hoàng", "Hoàng"),
        ("Toàn", "Toàn"),
        ("Quý", "Quý"),
        ("quỳ", "quỳ"),
        ("Quỳnh", "Quỳnh"),
        ("Nguyễn", "Nguyễn"),
        ("Thuý", "Thúy"),
        ("hoạ", "họa"),
        ("khuya", "khuya"),
        ("Xã Điện Hoà", "Xã Điện Hòa"),
        ("Thuở", "Thuở"),
        ("già", "già"),
        ("\u00a0Trà\u2007My\u202f", "Trà My"),
        ("Trà\u2009\u3000My", "Trà My"),
        ("Tr\u200bà My\ufeff", "Trà My"),
        ("Trà \n\t My", "Trà My"),
        ("Tổng   cộng  ", "Tổng cộng"),
        ("", ""),
    ],
)
def test_normalize_examples(raw, expected):
    assert normalize(raw) == expected


def test_normalize_nfd_equals_nfc():
    assert normalize(unicodedata.normalize("NFD", "Điện Hoà")) == "Điện Hòa"
    assert normalize("Thuỷ") == normalize(unicodedata.normalize("NFD", "Thủy"))


def test_normalize_keeps_soft_hyphen_for_tcvn3():
    assert normalize("Ph\xadíc") == "Ph\xadíc"


# --- fold ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ch’Ơm", "chom"),
        ("Ch'ơm", "chom"),
        ("CHʼƠM", "chom"),
        ("Tr‘Hy", "trhy"),
        ("Đông Giang", "dong giang"),
        ("X. Trà-Mai", "x tra mai"),
        ("TT Khâm Đức", "tt kham duc"),
        ("Điện Hoà", "dien hoa"),
        ("ĐIỆN HÒA", "dien hoa"),
        ("Tam Xuân 1", "tam xuan 1"),
        ("  (Zuôih)  ", "zuoih"),
    ],
)
def test_fold_examples(raw, expected):
    assert fold(raw) == expected


# --- legacy encodings: fixed examples --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tcvn3", "vni"),
    [
        ("Trà My", "Trµ My", "Traø My"),
        ("Đông Giang", "§«ng Giang", "Ñoâng Giang"),
        ("Quế Sơn", "QuÕ S¬n", "Queá Sôn"),
        ("Hội An", "Héi An", "Hoäi An"),
        ("Phước", "Ph\xadíc", "Phöôùc"),
        ("ĐVT: triệu đồng", "§VT: triÖu ®ång", "ÑVT: trieäu ñoàng"),
        ("Tổng cộng", "Tæng céng", "Toång coäng"),
        ("Hỗ trợ bằng tiền", "Hç trî b»ng tiÒn", "Hoã trôï baèng tieàn"),
        ("Nghĩa Ỷ", "NghÜa û", "Nghóa YÛ"),
        ("Ăn ở", "¡n ë", "AÊn ôû"),
    ],
)
def test_legacy_tables(text, tcvn3, vni):
    assert encode_legacy(text, "tcvn3") == tcvn3
    assert encode_legacy(text, "vni") == vni
    assert decode_legacy(vni, "vni") == text
    if not _tcvn3_caps_ambiguous(text):
        assert decode_legacy(tcvn3, "tcvn3") == text


def test_tcvn3_capitals_font():
    # .VnTimeH: capitals drawn at the lowercase code points.
    assert encode_legacy("TRÀ MY", "tcvn3") == "TRµ MY"
    assert decode_legacy("TRµ MY", "tcvn3") == "TRÀ MY"
    assert decode_legacy("UBND HUYÖN NAM TRµ MY", "tcvn3") == "UBND HUYỆN NAM TRÀ MY"
    assert decode_legacy("§¾K", "tcvn3") == "ĐẮK"
    assert decode_legacy("Hµ Néi", "tcvn3") == "Hà Nội"  # title case stays title case


@pytest.mark.parametrize(
    ("mojibake", "expected_encoding", "expected_text"),
    [
        ("Trµ My", "tcvn3", "Trà My"),
        ("§«ng Giang", "tcvn3", "Đông Giang"),
        ("Traø My", "vni", "Trà My"),
        ("Ñoâng Giang", "vni", "Đông Giang"),
        ("Taây Giang", "vni", "Tây Giang"),
        ("T©y Giang", "tcvn3", "Tây Giang"),
        ("Héi An", "tcvn3", "Hội An"),
        ("Tæng sè hé", "tcvn3", "Tổng số hộ"),  # æ is also VNI, but è and é are not
        ("GHI CHó", "tcvn3", "GHI CHÚ"),  # .VnTimeH capitals at lowercase codes
        ("X. TRAØ MAI", "vni", "X. TRÀ MAI"),  # TCVN3 "TRAỈ" puts a tone on a glide
    ],
)
def test_detect_and_fix(mojibake, expected_encoding, expected_text):
    assert detect_legacy(mojibake) == expected_encoding
    assert fix_mojibake(mojibake) == expected_text


@pytest.mark.parametrize(
    "genuine",
    ["Trà My", "Hoà", "Hòa Hải", "3 × 4", "½ ha", "«Tổng»", "Tây Giang", "Laêê", "Trà Kót",
     "Sông Kôn", "café", "Phó Chủ tịch", "", "123", "Müller"],
)  # fmt: skip
def test_genuine_text_is_not_decoded(genuine):
    assert detect_legacy(genuine) is None
    assert fix_mojibake(genuine) == genuine


def test_ambiguous_cell_is_left_alone_but_group_decides():
    # "Phó Ninh" is both a possible Unicode text and TCVN3 for "Phú Ninh".
    assert fix_mojibake("Phó Ninh") == "Phó Ninh"
    assert ("tcvn3", "Phú Ninh") in legacy_candidates("Phó Ninh")
    column = ["Phó Ninh", "Trµ My", None, 3.0, "Hội An"]
    assert detect_legacy_many(column) == "tcvn3"
    assert fix_mojibake_many(column) == ["Phú Ninh", "Trà My", None, 3.0, "Hội An"]
    # A group with evidence for both tables is not decided.
    assert detect_legacy_many(["Trµ My", "Traø My"]) is None


def test_unknown_encoding_rejected():
    with pytest.raises(ValueError):
        encode_legacy("Trà My", "viscii")


# --- legacy encodings over every official name ---------------------------------------


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_round_trip_every_name(encoding):
    for x in NAMES:
        decoded = decode_legacy(encode_legacy(x, encoding), encoding)
        if encoding == "tcvn3" and _tcvn3_caps_ambiguous(x):
            assert decoded.lower() == x.lower(), x
        else:
            assert decoded == x, x


def test_genuine_names_never_decoded():
    for x in NAMES:
        assert detect_legacy(x) is None, x
        assert fix_mojibake(x) == x, x


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_fix_mojibake_every_name(encoding):
    """Cell by cell: right or untouched, never wrong; as a column: all decoded."""
    fixed_alone = 0
    mojibake = []
    for x in NAMES:
        m = encode_legacy(x, encoding)
        mojibake.append(m)
        f = fix_mojibake(m)
        if encoding == "tcvn3" and _tcvn3_caps_ambiguous(x):
            assert f in (m, x) or f.lower() == x.lower(), (x, m, f)
            continue
        assert f in (m, x), (x, m, f)  # never a wrong decoding
        if f == x:
            fixed_alone += 1
        else:
            assert x in [text for _, text in legacy_candidates(m)]
    # Most cells carry enough evidence on their own (measured: ~94%).
    assert fixed_alone >= 0.85 * len(NAMES)
    column = fix_mojibake_many(mojibake)
    for x, f in zip(NAMES, column, strict=True):
        if encoding == "tcvn3" and _tcvn3_caps_ambiguous(x):
            assert f.lower() == x.lower()
        else:
            assert f == x


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_brief_examples_fixed_alone(encoding):
    for x in ["Đông Giang", "Trà My", "Tây Giang", "Quế Sơn", "Điện Bàn", "Hội An",
              "Phước Năng", "ĐVT: triệu đồng", "Tổng cộng", "Hỗ trợ bằng tiền"]:  # fmt: skip
        assert fix_mojibake(encode_legacy(x, encoding)) == x


# --- property tests ------------------------------------------------------------------

_ONSETS = ["", "b", "c", "ch", "d", "đ", "g", "gi", "h", "kh", "l", "m", "n", "ng", "nh",
           "ph", "qu", "r", "s", "t", "th", "tr", "v", "x"]  # fmt: skip
_OPEN_NUCLEI = ["a", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ai", "ao", "au", "ay",
                "âu", "ây", "eo", "êu", "ia", "iu", "oa", "oe", "oi", "ôi", "ơi", "ua",
                "ui", "uy", "ưa", "ưi", "ưu", "iêu", "uôi", "ươi"]  # fmt: skip
_CLOSED_NUCLEI = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "iê", "oa", "uô",
                  "ươ", "uyê"]  # fmt: skip
_CODAS = ["c", "ch", "m", "n", "ng", "nh", "p", "t"]
_TONES = ["", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"]
_MAIN_VOWEL = {"oa": 1, "oe": 1, "uy": 1, "uyê": 2, "uô": 1, "ươ": 1, "iê": 1}


def _syllable(onset: str, nucleus: str, coda: str, tone: str) -> str:
    """Build a syllable, tone on the main vowel (new style)."""
    if onset == "qu" and nucleus[0] in "oôuư":  # "quo", "quu" are not Vietnamese
        onset = "c"
    if onset in ("c", "g", "ng") and nucleus[0] in "ieêy":
        onset = {"c": "k", "g": "gh", "ng": "ngh"}[onset]
    if onset == "gi" and nucleus.startswith("i"):
        onset = "g"
    if coda in ("nh", "ch") and nucleus[-1] not in "aêi":  # "ơnh" is not a rhyme
        coda = {"nh": "n", "ch": "t"}[coda]
    if coda in ("ng", "c") and nucleus in ("i", "ơ"):  # nor "ing", "ơng"
        coda = {"ng": "n", "c": "t"}[coda]
    if coda in ("c", "ch", "p", "t") and tone not in ("\u0301", "\u0323"):
        tone = "\u0301"
    if nucleus in _MAIN_VOWEL:
        i = _MAIN_VOWEL[nucleus]
    elif len(nucleus) > 1 and not coda:
        i = 0 if nucleus[-1] in "iyuo" else len(nucleus) - 1
    else:
        i = len(nucleus) - 1 if coda else 0
    if nucleus == "ia" or nucleus == "ua" or nucleus == "ưa":
        i = 0
    marked = nucleus[:i] + unicodedata.normalize("NFC", nucleus[i] + tone) + nucleus[i + 1 :]
    return unicodedata.normalize("NFC", onset + marked + coda)


syllables = st.one_of(
    st.builds(_syllable, st.sampled_from(_ONSETS), st.sampled_from(_OPEN_NUCLEI),
              st.just(""), st.sampled_from(_TONES)),
    st.builds(_syllable, st.sampled_from(_ONSETS), st.sampled_from(_CLOSED_NUCLEI),
              st.sampled_from(_CODAS), st.sampled_from(_TONES)),
)  # fmt: skip
words = st.tuples(syllables, st.booleans()).map(lambda t: t[0].capitalize() if t[1] else t[0])
phrases = st.lists(words, min_size=1, max_size=5).map(" ".join)
spaces = st.sampled_from([" ", "  ", "\u00a0", "\u2007", "\u202f", "\u2009", "\u3000", "\t"])
messy = st.lists(st.tuples(words, spaces), min_size=1, max_size=4).map(
    lambda pairs: "".join(w + s for w, s in pairs)
)


@settings(max_examples=150, deadline=None)
@given(messy)
def test_normalize_properties(text):
    once = normalize(text)
    assert normalize(once) == once
    assert normalize(unicodedata.normalize("NFD", text)) == once
    assert "  " not in once and once == once.strip()
    assert fold(once) == fold(text) == fold(unicodedata.normalize("NFD", text))
    assert fold(text).isascii()


@settings(max_examples=150, deadline=None)
@given(phrases)
def test_legacy_round_trip_properties(text):
    text = normalize(text)
    assert decode_legacy(encode_legacy(text, "vni"), "vni") == text
    tcvn3 = decode_legacy(encode_legacy(text, "tcvn3"), "tcvn3")
    assert tcvn3.lower() == text.lower()
    if not _tcvn3_caps_ambiguous(text):
        assert tcvn3 == text
    # Genuine text is never decoded; mojibake is decoded right or left alone.
    assert fix_mojibake(text) == text
    for encoding in ("tcvn3", "vni"):
        m = encode_legacy(text, encoding)
        assert fix_mojibake(m).lower() in (m.lower(), text.lower())


letter_soup = st.text(
    alphabet=st.sampled_from(sorted(VIETNAMESE_LETTERS) + [" ", "\u00a0", "'", "-", "1"]),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(letter_soup)
def test_properties_over_any_vietnamese_letters(s):
    once = normalize(s)
    assert normalize(once) == once
    assert normalize(unicodedata.normalize("NFD", s)) == once
    assert fold(s) == fold(once)
    assert decode_legacy(encode_legacy(s, "vni"), "vni") == unicodedata.normalize("NFC", s)
    tcvn3 = decode_legacy(encode_legacy(s, "tcvn3"), "tcvn3")
    assert tcvn3.lower() == unicodedata.normalize("NFC", s).lower()


def test_group_decoding_keeps_unicode_cells_that_would_be_misspelt():
    # A Unicode cell left in a TCVN3 sheet: as TCVN3, "Tây" would read "Tõy".
    assert fix_mojibake_many(["Trµ My", "Tây Giang", "Phó Ninh"]) == [
        "Trà My",
        "Tây Giang",
        "Phú Ninh",
    ]
    # An explicit encoding skips detection.
    assert fix_mojibake_many(["Phó Ninh"], encoding="tcvn3") == ["Phú Ninh"]
    assert fix_mojibake_many(["Phó Ninh"]) == ["Phó Ninh"]
