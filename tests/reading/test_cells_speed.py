"""The shortcuts of the cell readers (issue #18) give exactly what the long way gives.

`Package` keeps the small ZIP members it has read whole (every read is `zipfile`'s): each
member of each package here, ordinary or damaged, must come out byte for byte (or error
for error) as `zipfile` gives it. The file is read once
(sniffed from its bytes), and xlrd's rows are read from its row arrays.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import hostile_files as hf
import pytest

from ketnghia_analysis.reading.cells import read_workbook, sniff_format
from ketnghia_analysis.reading.cells.package import Package, member_bytes, member_head

_BODY = ("<row>" + "".join(f'<c r="A{i}"><v>{i}</v></c>' for i in range(400)) + "</row>").encode()


def _zip(members: dict[str, tuple[bytes, int]]) -> bytes:
    """A ZIP of (bytes, compression) members, written by zipfile."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, (body, how) in members.items():
            zf.writestr(zipfile.ZipInfo(name), body, compress_type=how)
    return buf.getvalue()


def _ordinary() -> bytes:
    return _zip(
        {
            "small.xml": (b"<a>nh\xe1\xbb\x8f</a>", zipfile.ZIP_DEFLATED),
            "big.xml": (_BODY, zipfile.ZIP_DEFLATED),
            "stored.xml": (_BODY, zipfile.ZIP_STORED),
            "Biểu 02.xml": ("<b>Biểu</b>".encode(), zipfile.ZIP_DEFLATED),
            "empty.xml": (b"", zipfile.ZIP_DEFLATED),
        }
    )


def _find_central(data: bytes, name: str) -> int:
    at = data.index(b"PK\x01\x02")
    while True:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        extra, comment = struct.unpack_from("<HH", data, at + 30)
        if data[at + 46 : at + 46 + name_len] == name.encode():
            return at
        at += 46 + name_len + extra + comment


def _damaged() -> dict[str, bytes]:
    """Packages with one unusual member "big.xml" each (how zipfile sees it varies)."""
    good = _zip({"big.xml": (_BODY, zipfile.ZIP_DEFLATED), "x.xml": (b"<x/>", 8)})
    local = good.index(b"PK\x03\x04")
    start = local + 30 + len("big.xml")
    central = _find_central(good, "big.xml")
    out = {}
    bad_crc = bytearray(good)
    bad_crc[central + 16 : central + 20] = b"\0\0\0\0"  # directory CRC
    out["bad_crc"] = bytes(bad_crc)
    flipped = bytearray(good)
    flipped[start + 5] ^= 0xFF  # the deflate stream
    out["flipped_stream"] = bytes(flipped)
    renamed = bytearray(good)
    renamed[local + 30] = ord("B")  # local header name differs from the directory's
    out["renamed_local"] = bytes(renamed)
    encrypted = bytearray(good)
    encrypted[central + 8] |= 0x01  # directory flag: encrypted
    out["encrypted"] = bytes(encrypted)
    method = bytearray(good)
    method[central + 10 : central + 12] = struct.pack("<H", 99)  # unknown compression
    out["unknown_method"] = bytes(method)
    bigger = bytearray(good)
    size = struct.unpack_from("<L", good, central + 24)[0]
    bigger[central + 24 : central + 28] = struct.pack("<L", size + 100)  # says more bytes
    out["size_overstated"] = bytes(bigger)
    smaller = bytearray(good)
    smaller[central + 24 : central + 28] = struct.pack("<L", 3000)  # says fewer bytes
    out["size_understated"] = bytes(smaller)
    magic = bytearray(good)
    magic[local : local + 4] = b"PK\x09\x09"  # the local header is not one
    out["bad_local_magic"] = bytes(magic)
    cut = bytearray(good)
    packed = struct.unpack_from("<L", good, central + 20)[0]
    cut[central + 20 : central + 24] = struct.pack("<L", packed // 2)  # half the stream
    out["stream_cut"] = bytes(cut)
    # Incompressible bytes a little over 4096 with a wrong checksum: zipfile's first read
    # of 4096 may reach the end of the member and check it.
    noise = bytes((i * 7919 + (i >> 3) * 104729) % 251 for i in range(5000))
    noisy = bytearray(_zip({"big.xml": (noise, zipfile.ZIP_DEFLATED)}))
    at = _find_central(bytes(noisy), "big.xml")
    noisy[at + 16 : at + 20] = b"\1\2\3\4"
    out["noise_bad_crc"] = bytes(noisy)
    return out


def _outcome(call: Callable[..., bytes], *args: object) -> object:
    """The bytes a read returns, or the type and text of the error it raises."""
    try:
        return call(*args)
    except Exception as exc:  # noqa: BLE001 - the error itself is what is compared
        return (type(exc).__name__, str(exc))


def _zipfile_head(zf: zipfile.ZipFile, name: str, n: int) -> bytes:
    with zf.open(zf.getinfo(name)) as fh:
        return fh.read(n)


def _head(zf: Package, name: str, n: int) -> bytes:
    return member_head(zf, zf.getinfo(name), n)


def _whole(zf: zipfile.ZipFile, name: str) -> bytes:
    return member_bytes(zf, zf.getinfo(name))


@pytest.mark.parametrize("case", ["ordinary", *sorted(_damaged())])
def test_package_reads_every_member_as_zipfile_does(case: str) -> None:
    data = _ordinary() if case == "ordinary" else _damaged()[case]
    for name in zipfile.ZipFile(io.BytesIO(data)).namelist():
        for n in (1, 10, 4096, 1_000_000):
            expected = _outcome(_zipfile_head, zipfile.ZipFile(io.BytesIO(data)), name, n)
            assert _outcome(_head, Package(data), name, n) == expected, (case, name, n)
        # A whole member: zipfile's read of it (given its ZipInfo, as the readers do).
        expected = _outcome(_whole, zipfile.ZipFile(io.BytesIO(data)), name)
        assert _outcome(_whole, Package(data), name) == expected, (case, name)
        # Read again after its head: the bytes kept are the same.
        ours = Package(data)
        _outcome(_head, ours, name, 4096)
        assert _outcome(_whole, ours, name) == expected, (case, name)


def test_package_inflates_an_ordinary_small_part_once(monkeypatch) -> None:
    data = _ordinary()
    expected = zipfile.ZipFile(io.BytesIO(data)).read("small.xml")
    calls: list[str] = []
    real = zlib.decompressobj

    def counting(*args: object) -> object:
        calls.append("inflate")
        return real(*args)

    monkeypatch.setattr(zlib, "decompressobj", counting)
    zf = Package(data)
    info = zf.getinfo("small.xml")
    head = zf.head(info, 4096)  # the DTD check's head is the whole part
    assert zf.member(info) == head == expected
    assert zf.head(info, 2) == head[:2]
    assert calls == ["inflate"]


def test_read_workbook_reads_the_file_once(tmp_path: Path, monkeypatch) -> None:
    path = hf.write_good_xlsx(tmp_path / "bao_cao.xlsx")
    expected = read_workbook(path)
    opened: list[str] = []
    real_open = io.open

    def counting_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file) == str(path):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", counting_open)  # Path.read_bytes, ZipFile(path)
    monkeypatch.setattr("builtins.open", counting_open)
    book = read_workbook(path)
    assert len(opened) == 1
    assert [(s.name, s.rows, s.merged, s.hidden_rows, s.hidden_cols) for s in book.sheets] == [
        (s.name, s.rows, s.merged, s.hidden_rows, s.hidden_cols) for s in expected.sheets
    ]


def test_sniff_format_decides_from_given_bytes(tmp_path: Path) -> None:
    path = hf.write_good_xlsx(tmp_path / "a.xlsx")
    data = path.read_bytes()
    gone = tmp_path / "khong_con.xlsx"  # the bytes decide; the path is not opened
    assert sniff_format(gone, data) == sniff_format(path) == "xlsx"
    assert sniff_format(gone, b"a;b\n1;2\n") == "csv"


def test_xlrd_rows_are_read_as_cell_by_cell(tmp_path: Path) -> None:
    import xlrd

    from ketnghia_analysis.reading.cells.xls import _xlrd_book, _xlrd_row, _xlrd_value

    book = _xlrd_book(hf.write_good_xls(tmp_path / "a.xls").read_bytes(), formatting=True)
    sh = book.sheet_by_index(0)
    assert sh.nrows > 3
    for r in range(sh.nrows):
        by_cell = [_xlrd_value(sh.cell(r, c), book.datemode) for c in range(sh.ncols)]
        assert _xlrd_row(sh, r, book.datemode) == by_cell
        assert [type(v) for v in _xlrd_row(sh, r, book.datemode)] == [type(v) for v in by_cell]
    assert xlrd.XL_CELL_DATE in {t for r in range(sh.nrows) for t in sh.row_types(r)}


def test_package_keeps_at_most_its_budget(monkeypatch) -> None:
    from ketnghia_analysis.reading.cells import package

    monkeypatch.setattr(package, "_KEPT_BYTES", 2000)
    parts = {f"p{i}.xml": (f"<p>{i:0500d}</p>".encode(), zipfile.ZIP_DEFLATED) for i in range(30)}
    data = _zip(parts)
    plain, ours = zipfile.ZipFile(io.BytesIO(data)), Package(data)
    for name in plain.namelist():
        assert ours.head(ours.getinfo(name), 4096) == _zipfile_head(plain, name, 4096)
        assert ours.member(ours.getinfo(name)) == plain.read(name)
    kept = sum(len(body) for body in ours._whole.values())
    assert 0 < kept <= 2000
    ours.member(ours.getinfo("p29.xml"))  # a whole read is never kept
    assert sum(len(body) for body in ours._whole.values()) == kept


def test_a_repeated_text_is_read_once_and_each_cell_keeps_its_error() -> None:
    from ketnghia_analysis.reading import values

    values._read_short_text.cache_clear()
    col = values.parse_count_column(["1.234", "1.234", "năm", "năm", "-", 7.0, None, "1.234"])
    assert col.values == [1234, 1234, None, None, 0, 7, None, 1234]
    assert col.errors[2] is not col.errors[3]
    assert [col.errors[i].message for i in (2, 3)] == ["Giá trị “năm” không phải là số"] * 2
    assert col.sentinels == {4: "dash"}
    info = values._read_short_text.cache_info()
    assert (info.hits, info.misses) == (3, 3)


def test_not_assessed_phrases_are_read_afresh_when_the_list_changes() -> None:
    from ketnghia_analysis.reading.parsers import is_not_assessed
    from ketnghia_analysis.reference.synonyms import Synonyms

    syn = Synonyms({}, {"not_assessed": ["khong danh gia"]}, {}, 0.9)
    assert is_not_assessed("khong danh gia phuong", syn)
    assert not is_not_assessed("khong xet thi tran", syn)
    syn.values["not_assessed"].append("khong xet")
    assert is_not_assessed("khong xet thi tran", syn)
    assert is_not_assessed("khong xet", syn)
