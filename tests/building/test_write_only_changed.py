"""Write only what changed (issue #18): a workbook whose content did not change keeps its file
(same inode, same time, same hash in the manifest); one whose content changed, or whose file
was touched by hand, is written again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ketnghia_analysis.building.build import build
from ketnghia_analysis.building.buildstate import outputs_intact, read_manifest
from ketnghia_analysis.building.unchanged import DIGESTS, Reuse, frame_digest
from ketnghia_analysis.core.snapshot import file_sha256


@pytest.fixture(scope="module")
def sample_2024(tmp_path_factory) -> Path:
    """The synthetic sample, one year: a feedback workbook for most districts."""
    from ketnghia_analysis.sample import write_sample

    raw = tmp_path_factory.mktemp("sample-2024") / "raw"
    write_sample(raw, years=range(2024, 2025))
    return raw


def workbooks(out: Path) -> dict[str, tuple[int, int]]:
    """(inode, modification time in ns) of every workbook of a build."""
    paths = [out / "issues.xlsx", out / "codebook.xlsx", out / "codebook.md"]
    paths += sorted((out / "feedback").glob("*.xlsx"))
    return {p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns) for p in paths}


def quick(raw: Path, out: Path, **kw):
    return build(raw, out, workers=1, progress=False, isolate=False, **kw)


def test_only_the_workbooks_whose_content_changed_are_written_again(tmp_path, sample_2024):
    raw = tmp_path / "raw"
    shutil.copytree(sample_2024, raw)
    out = tmp_path / "out"
    first = quick(raw, out)
    assert first.exit_code in (0, 1), first.summary()
    before, manifest_before = workbooks(out), read_manifest(out)["files"]
    feedback = sorted(before)
    district = next(n for n in feedback if n.startswith("feedback/"))[len("feedback/") :][:3]
    # the district's return leaves: its feedback goes, issues.xlsx changes, nothing else
    for path in sorted(raw.rglob("*")):
        if path.is_file() and _district_of(first.tables, raw, path) == district:
            path.unlink()
    second = quick(raw, out)
    assert second.read_files == 0 and not second.unchanged, second.summary()
    after, manifest_after = workbooks(out), read_manifest(out)["files"]
    kept = [n for n in after if n in before and after[n] == before[n]]
    assert set(kept) == {n for n in before if n != "issues.xlsx" and f"/{district}-" not in n}
    assert after["issues.xlsx"] != before["issues.xlsx"]
    assert not any(f"/{district}-" in n for n in after)
    assert all(manifest_after[n] == manifest_before[n] for n in kept)
    assert outputs_intact(out, read_manifest(out))


def _district_of(tables: dict[str, pd.DataFrame], raw: Path, path: Path) -> str | None:
    subs = tables["submissions"]
    rows = subs[subs["source_file"] == path.relative_to(raw).as_posix()]
    return None if rows.empty else str(rows["district_code"].iloc[0])


def test_a_workbook_changed_by_hand_or_a_forced_build_is_written_again(tmp_path, sample_2024):
    out = tmp_path / "out"
    quick(sample_2024, out)
    name = sorted((out / "feedback").glob("*.xlsx"))[0]
    name.write_bytes(name.read_bytes() + b"edited")  # not the bytes the build recorded
    again = quick(sample_2024, out)
    assert not again.unchanged
    assert not name.read_bytes().endswith(b"edited")
    assert outputs_intact(out, read_manifest(out))
    before = workbooks(out)
    quick(sample_2024, out, use_cache=False)  # --no-cache: every workbook is written
    after = workbooks(out)
    assert all(after[n] != before[n] for n in before)


def test_the_digests_are_recorded_beside_the_workbooks(tmp_path, sample_2024, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = Path("out")  # relative, as `ketnghia build --out out` gives it
    assert quick(sample_2024, out).exit_code in (0, 1)
    before = workbooks(out)
    assert quick(sample_2024, out, use_cache=True).unchanged
    (out / "_build.json").unlink()  # not up to date: built again, every workbook taken
    quick(sample_2024, out)
    assert workbooks(out) == before
    digests = json.loads((out / DIGESTS).read_text(encoding="utf-8"))
    assert {"issues.xlsx", "codebook.xlsx", "codebook.md"} <= set(digests)
    for rel, entry in digests.items():
        assert file_sha256(out / rel) == entry["sha256"]
    assert DIGESTS in read_manifest(out)["files"]


def test_reuse_takes_a_file_only_when_content_and_bytes_are_the_recorded_ones(tmp_path):
    frame = pd.DataFrame({"code": ["A", "B"], "n": [1, 2]})
    previous, tmp = tmp_path / "out", tmp_path / "out" / ".tmp-1"
    tmp.mkdir(parents=True)
    (previous / "book.xlsx").write_bytes(b"old workbook")
    first = Reuse(None, previous, fingerprint="code-1")
    assert not first.take(previous / "book.xlsx", frame)
    first.finish()  # as if the previous build had written book.xlsx

    assert Reuse(previous, tmp, fingerprint="code-1").take(tmp / "book.xlsx", frame.copy())
    assert (tmp / "book.xlsx").stat().st_ino == (previous / "book.xlsx").stat().st_ino
    (tmp / "book.xlsx").unlink()
    changed = frame.assign(n=[1, 3])
    assert not Reuse(previous, tmp, fingerprint="code-1").take(tmp / "book.xlsx", changed)
    assert not Reuse(previous, tmp, fingerprint="code-2").take(tmp / "book.xlsx", frame)
    (previous / "book.xlsx").write_bytes(b"new bytes, digest of the old ones")  # swap cut short
    assert not Reuse(previous, tmp, fingerprint="code-1").take(tmp / "book.xlsx", frame)
    assert not (tmp / "book.xlsx").exists()


def test_frame_digest_sees_values_types_and_order():
    frame = pd.DataFrame({"x": [1, 2], "y": ["a", None]})
    assert frame_digest(frame) == frame_digest(frame.copy())
    assert frame_digest(frame) != frame_digest(frame.astype({"x": "float64"}))
    assert frame_digest(frame) != frame_digest(frame.assign(y=["a", "b"]))
    assert frame_digest(frame.iloc[:0]) != frame_digest(frame)


def test_the_digest_of_rows_of_a_prepared_table_is_their_frame_digest(tmp_path):
    frame = pd.DataFrame({"code": ["A", "B", "C"], "n": [1, 2, 3], "s": ["x", None, "z"]})
    frame.index = [10, 11, 12]
    reuse = Reuse(None, tmp_path, "f")
    reuse.prepare(frame)
    for labels in ([10, 11, 12], [10, 12], [], [11]):
        assert reuse.rows(pd.Index(labels)) == frame_digest(frame.loc[labels])
    assert reuse.rows(pd.Index([10])) != reuse.rows(pd.Index([11]))
