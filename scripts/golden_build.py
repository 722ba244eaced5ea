"""Value-level digests of the sample build: the processed tables, issues and quarantine.

Used by tests/building/test_golden.py to prove that a refactoring changes no output:
``python scripts/golden_build.py --write`` records the digests of the current code in
tests/building/golden_sample_build.json; the test rebuilds the sample and compares.
Run ``--write`` only when an output is meant to change, and say why in the commit.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "building" / "golden_sample_build.json"
# Columns that change from run to run by design: the time of reading, and the hash of a
# generated workbook (its zip entries carry the time it was written).
VOLATILE = {"submissions": ["read_at", "sha256"]}


def table_digest(frame: pd.DataFrame, name: str) -> dict:
    """Row count, column names and a sha256 of the rows as CSV text (order-independent)."""
    frame = frame.drop(columns=[c for c in VOLATILE.get(name, []) if c in frame.columns])
    frame = frame.astype("object").where(frame.notna(), None)
    text = frame.map(
        lambda v: repr(list(v)) if hasattr(v, "__len__") and not isinstance(v, str) else v
    )
    buffer = io.StringIO()
    rows = sorted(text.to_csv(index=False, header=False, lineterminator="\n").splitlines())
    buffer.write("\n".join(rows))
    return {
        "rows": len(frame),
        "columns": list(frame.columns),
        "sha256": hashlib.sha256(buffer.getvalue().encode()).hexdigest(),
    }


def workbook_digest(path: Path) -> str:
    """sha256 of every cell value of every sheet of a workbook (not its styles)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    h = hashlib.sha256()
    for sheet in book.worksheets:
        h.update(f"[{sheet.title}]".encode())
        for row in sheet.iter_rows(values_only=True):
            h.update(repr(row).encode())
    book.close()
    return h.hexdigest()


def effects_digest(processed: Path) -> dict:
    """The effect estimates of the processed tables, rounded to 9 decimals."""
    import ketnghia_analysis as kn
    from ketnghia_analysis.analysis import effects

    frame = effects.evaluate(kn.load(processed)).round(9)
    return table_digest(frame, "effects")


def digests(processed: Path) -> dict:
    """Digest of every Parquet table, workbook and the effect estimates of a processed folder."""
    processed = Path(processed)
    found: dict = {
        path.stem: table_digest(pd.read_parquet(path), path.stem)
        for path in sorted(processed.glob("*.parquet"))
    }
    for path in sorted(processed.rglob("*.xlsx")):
        found[path.relative_to(processed).as_posix()] = workbook_digest(path)
    found["effects"] = effects_digest(processed)
    return found


def build_sample(workdir: Path) -> Path:
    """The default sample (with broken files), built; returns the processed folder."""
    from ketnghia_analysis.cli import main

    raw, out = workdir / "raw", workdir / "processed"
    for argv in (
        ["sample", "--out", str(raw), "--broken"],
        ["build", "--raw", str(raw), "--out", str(out), "--no-progress"],
    ):
        code = main(argv)
        if code not in (0, 1):
            sys.exit(f"ketnghia {argv[0]} exited {code}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record the digests as golden")
    parser.add_argument("--processed", type=Path, help="digest this folder instead of building")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        processed = args.processed or build_sample(Path(tmp))
        found = digests(processed)
    if args.write:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {GOLDEN}")
        return 0
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    differ = sorted(k for k in set(found) | set(expected) if found.get(k) != expected.get(k))
    print("identical" if not differ else f"differ: {', '.join(differ)}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
