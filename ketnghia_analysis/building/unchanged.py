"""Write only what changed: a workbook whose content is the one the previous build wrote keeps
its file (issue #18).

Each workbook of a build (issues.xlsx, feedback/*.xlsx, the codebook) has a *content digest*:
the sha256 of the code fingerprint (the package's modules, its reference data, the libraries'
versions: `buildstate.code_fingerprint`) and of the rows that go into it. The build records
the digest of every workbook it leaves, with the sha256 of the file, in ``_workbooks.json``
beside the workbooks. The next build computes the digest of each workbook before writing it;
when the recorded digest is the same and the file in the out folder still has the recorded
sha256, the old file is hard-linked into the build's temporary folder instead of written
(copied where the file system has no hard links). The swap then moves it back onto itself:
the file keeps its bytes, its inode and its modification time, and the manifest lists the
same hash as before. The sha256 check ties a digest to the exact bytes it describes: a file
edited by hand, or left behind by a swap cut short, is written again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ketnghia_analysis.building.buildstate import code_fingerprint
from ketnghia_analysis.core.snapshot import file_sha256

#: Beside the workbooks: {relative path: {"content": digest, "sha256": of the file}}.
DIGESTS = "_workbooks.json"


def frame_digest(frame: pd.DataFrame) -> str:
    """sha256 of a table's columns, types and values (row order counts, the index not).

    >>> a = pd.DataFrame({"x": [1, 2], "y": ["a", None]})
    >>> frame_digest(a) == frame_digest(a.copy()), frame_digest(a) == frame_digest(a[::-1])
    (True, False)
    """
    digest = hashlib.sha256(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    if len(frame):
        hashed = pd.util.hash_pandas_object(frame, index=False)
        digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()


def read_digests(folder: Path) -> dict[str, dict[str, str]]:
    """The digests a build recorded in `folder` ({} when none or unreadable)."""
    try:
        data = json.loads((Path(folder) / DIGESTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)}


class Reuse:
    """The workbooks of one build: which to take from the previous build, which to write.

    ``previous`` is the out folder (None: write everything, e.g. ``--no-cache``); ``tmp`` the
    folder the build writes into. Writers call `take` before writing a workbook and skip
    the writing when it answers True; `finish` records the digests of every workbook in tmp.
    """

    def __init__(self, previous: Path | None, tmp: Path, fingerprint: str | None = None):
        self.previous = None if previous is None else Path(previous).resolve()
        self.tmp = Path(tmp).resolve()  # writers may name their files by resolved paths
        self.base = fingerprint or code_fingerprint()
        self.old = read_digests(self.previous) if self.previous is not None else {}
        self.new: dict[str, dict[str, str]] = {}
        self.taken: list[str] = []
        self._whole: pd.DataFrame | None = None
        self._rows: np.ndarray | None = None  # the hash of each row of the prepared table
        self._types = b""

    def prepare(self, frame: pd.DataFrame) -> None:
        """Hash the rows of a table once, for `rows`: one feedback workbook per district-year
        then costs a slice of the hashes, not a pass over its own frame."""
        self._whole = frame
        self._rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        self._types = repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode()

    def rows(self, index: pd.Index) -> str:
        """`frame_digest` of the rows of the prepared table at `index` (its labels)."""
        assert self._whole is not None and self._rows is not None, "prepare() first"
        digest = hashlib.sha256(self._types)
        if len(index):
            digest.update(self._rows[self._whole.index.get_indexer(index)].tobytes())
        return digest.hexdigest()

    def digest(self, *parts: Any) -> str:
        """The content digest of a workbook from its parts (frames digested by value)."""
        digest = hashlib.sha256(self.base.encode())
        for part in parts:
            text = frame_digest(part) if isinstance(part, pd.DataFrame) else repr(part)
            digest.update(f"|{text}".encode())
        return digest.hexdigest()

    def take(self, path: Path, *parts: Any) -> bool:
        """True when the previous build's workbook at `path`'s place has this content (it is
        then linked into `path`); False when the caller must write `path`."""
        return self.take_all([path], *parts)

    def take_all(self, paths: list[Path], *parts: Any) -> bool:
        """`take` for workbooks written together (the codebook's .xlsx and .md): all are
        taken, or none (a linked file must never be written over: it is the old one)."""
        content = self.digest(*parts)
        rels = [Path(p).resolve().relative_to(self.tmp).as_posix() for p in paths]
        for rel in rels:
            self.new[rel] = {"content": content}
        if self.previous is None or not all(self._same(rel, content) for rel in rels):
            return False
        for rel in rels:
            _link(self.previous / rel, self.tmp / rel)
            self.new[rel]["sha256"] = self.old[rel]["sha256"]
            self.taken.append(rel)
        return True

    def _same(self, rel: str, content: str) -> bool:
        old = self.old.get(rel, {})
        if old.get("content") != content or not old.get("sha256"):
            return False
        try:
            return file_sha256(self.previous / rel) == old["sha256"]  # type: ignore[operator]
        except OSError:
            return False

    def finish(self) -> Path:
        """Write the digests of the workbooks in tmp into tmp/_workbooks.json."""
        record = {}
        for rel, entry in sorted(self.new.items()):
            path = self.tmp / rel
            if path.is_file():
                sha = entry.get("sha256") or file_sha256(path)
                record[rel] = {"content": entry["content"], "sha256": sha}
        target = self.tmp / DIGESTS
        target.write_text(json.dumps(record, indent=1), encoding="utf-8")
        return target


def _link(source: Path, target: Path) -> None:
    """The previous file at `target`: a hard link (same inode), else a copy with its times."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
