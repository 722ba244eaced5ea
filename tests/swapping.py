"""Processed folders written by the build's swap, and a swap paused between two moves.

`swap_in` writes hand-made tables into a processed folder the way a build does (a
temporary folder, then `write.swap`: every file moved with os.replace, the manifest last).
`paused_swap` starts such a swap in a thread and holds it right after its first table is
moved (the moment a report once read half a build): the folder then holds one new table
and the other tables old until the block ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from ketnghia_analysis.building import write
from ketnghia_analysis.core.snapshot import file_sha256


def labelled(label: str) -> dict[str, pd.DataFrame]:
    """Three tables whose every row says which build wrote them."""
    return {
        name: pd.DataFrame({"build": [label] * 2, "row": [1, 2]})
        for name in ("communes_x", "poverty_x", "support_x")
    }


def swap_in(out: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Write the tables into a temporary folder of out, then swap them in like a build."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-test-", dir=out))
    try:
        for name, frame in tables.items():
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
        write.swap(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def hashes(folder: Path) -> dict[str, str]:
    """sha256 of every table of a folder."""
    return {p.name: file_sha256(p) for p in sorted(Path(folder).glob("*.parquet"))}


def in_thread(
    function: Callable[..., Any], *args: Any, name: str | None = None
) -> tuple[threading.Thread, dict]:
    """Run function(*args) in a thread; its result (or exception) lands in the dict."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = function(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread, box


_SWAPPER = "swap under test"


@contextmanager
def paused_swap(out: Path, tables: dict[str, pd.DataFrame], monkeypatch) -> Iterator[None]:
    """A swap of ``tables`` into ``out`` held after its first table is moved; it finishes
    when the block ends."""
    paused, resume = threading.Event(), threading.Event()
    real_replace = os.replace

    def replace(source, target) -> None:
        real_replace(source, target)
        mine = threading.current_thread().name == _SWAPPER
        if mine and str(target).endswith(".parquet") and not paused.is_set():
            paused.set()
            resume.wait(60)

    monkeypatch.setattr(os, "replace", replace)
    thread, box = in_thread(swap_in, out, tables, name=_SWAPPER)
    try:
        assert paused.wait(30), f"the swap never moved a table: {box}"
        yield
    finally:
        resume.set()
        thread.join(60)
    assert "error" not in box, box
