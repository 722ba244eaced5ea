"""The tables lock and the manifest check shared by the build's swap and the readers."""

from __future__ import annotations

import json
import shutil
import time

import pytest
from swapping import in_thread, labelled, swap_in

from ketnghia_analysis.core import snapshot
from ketnghia_analysis.core.snapshot import (
    MANIFEST,
    MixedTablesError,
    check_consistent,
    mismatched,
    reading,
    swapping,
)


@pytest.fixture()
def built(tmp_path):
    """A processed folder written by the build's swap."""
    out = tmp_path / "processed"
    swap_in(out, labelled("old"))
    return out


def test_the_swap_records_hash_size_and_time_of_every_table(built):
    manifest = json.loads((built / MANIFEST).read_text(encoding="utf-8"))
    assert set(manifest["stats"]) == {p.name for p in built.glob("*.parquet")}
    for name, stat in manifest["stats"].items():
        assert stat == snapshot.file_stat(built / name)
        assert manifest["files"][name] == snapshot.file_sha256(built / name)


def test_readers_share_the_lock_and_a_swap_waits_for_them(built):
    def second_reader() -> bool:
        with reading(built, timeout=1):
            return True

    with reading(built):
        other, box = in_thread(second_reader)
        other.join(5)
        assert box == {"result": True}  # a second reader does not wait
        start = time.monotonic()
        with pytest.raises(TimeoutError, match="vẫn có chương trình đang đọc bảng"):
            with swapping(built, timeout=0.2):
                pass
        assert time.monotonic() - start < 5


def test_a_reader_waits_for_a_swap_and_says_why_it_gave_up(built):
    with swapping(built):
        with pytest.raises(TimeoutError, match="lần xây dựng đang thay bảng"):
            with reading(built, timeout=0.2):
                pass


def test_the_check_hashes_only_what_the_stats_cannot_vouch_for(built, monkeypatch):
    manifest = json.loads((built / MANIFEST).read_text(encoding="utf-8"))
    hashed = []
    real = snapshot.file_sha256
    monkeypatch.setattr(snapshot, "file_sha256", lambda p: hashed.append(p.name) or real(p))
    assert mismatched(built, manifest) == []
    assert hashed == []  # sizes and times as recorded: nothing to hash
    copy = built.parent / "copy"
    shutil.copytree(built, copy, copy_function=shutil.copy)  # new times
    assert mismatched(copy, manifest) == []
    assert sorted(hashed) == sorted(manifest["stats"])


def test_a_half_swapped_folder_is_named_and_a_folder_without_manifest_is_trusted(built):
    swap_in(built.parent / "next", labelled("new"))
    shutil.copy2(built.parent / "next" / "poverty_x.parquet", built / "poverty_x.parquet")
    with pytest.raises(MixedTablesError, match=r"poverty_x\.parquet khác với _build\.json"):
        check_consistent(built)
    (built / MANIFEST).unlink()
    check_consistent(built)
