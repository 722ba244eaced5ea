"""Perturb sample returns, build them as `ketnghia build` does, and compare with truth.

`load_base` opens one consistent sample return once (its layout and the truth of each
row); `perturb` writes a copy edited by some transforms; `build_files` reads the copies in
this process exactly as a build's workers do (`building.worker.process_file`) and
assembles them (`building.assemble.assemble`: partners, cross-file rules, schemas),
without writing the output files; `problems` lists, in words, every truth value lost or
changed (rows matched by content key, not by row: transforms move rows), every false
alarm and any break of the accounting identity.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

from perturbations.book import Book, Layout, find_layout
from perturbations.transforms import TRANSFORMS

#: Form kind → the truth table of its rows.
TABLE_OF = {"poverty": "poverty", "ntm": "ntm_status", "support": "support", "models": "models"}
#: Rows are matched by content, never by provenance (row-moving transforms change source_row).
KEYS = {
    "poverty": ["commune_code", "year"],
    "ntm_status": ["commune_code", "year"],
    "ntm_criteria": ["commune_code", "year", "criterion"],
    "support": ["commune_code", "year", "partner_id"],
    "models": ["commune_code", "year", "partner_id", "model_name"],
}
PROVENANCE = {"source_file", "source_sheet", "source_row"}
#: Findings that are false alarms on a consistent return whatever their level (unless
#: "info"): a mismatch of rate, totals or identity, or a commune the reader lost.
MISMATCH_CODES = {
    "POVERTY_RATE_MISMATCH",
    "TOTAL_MISMATCH",
    "NTM_TOTAL_MISMATCH",
    "POVERTY_IDENTITY",
    "POOR_EXCEEDS_HOUSEHOLDS",
    "EXITS_EXCEED_POOR",
    "IDENTITY_CONFLICT",
    "IDENTITY_UNKNOWN",
    "MISSING_COMMUNE",
    "DUPLICATE_COMMUNE",
    "UNKNOWN_COMMUNE",
    "AMBIGUOUS_COMMUNE",
}


@dataclass(frozen=True)
class Base:
    """A consistent sample return, ready to be perturbed."""

    rel: str  # path under the raw folder
    path: Path
    layout: Layout
    truth: dict[tuple[str, int], dict[str, Any]]  # (form kind, row) → truth record
    tables: dict[str, pd.DataFrame]  # truth rows of this file, by table

    def __repr__(self) -> str:  # hypothesis prints the drawn base: its file is enough
        return f"Base({self.rel!r})"


def load_base(raw: Path, rel: str) -> Base:
    """Open one return of the sample: its layout (by the reader) and its truth (truth/)."""
    tables = {}
    for name in KEYS:
        frame = pd.read_parquet(raw / "truth" / f"{name}.parquet")
        tables[name] = frame[frame["source_file"] == rel].reset_index(drop=True)
    truth: dict[tuple[str, int], dict[str, Any]] = {}
    for kind, table in TABLE_OF.items():
        for rec in tables[table].to_dict("records"):
            truth[(kind, int(rec["source_row"]))] = rec
    criteria = tables["ntm_criteria"]
    for (row, _), group in criteria.groupby(["source_row", "commune_code"]):
        rec = truth.setdefault(("ntm", int(row)), {})
        rec["criteria"] = {
            int(c): bool(m) for c, m in zip(group["criterion"], group["met"], strict=True)
        }
    return Base(rel, raw / rel, find_layout(raw / rel, raw), truth, tables)


@dataclass(frozen=True)
class Perturbed:
    """A perturbed copy of a base return."""

    base: Base
    names: tuple[str, ...]
    rel: str  # its path under the folder it was written to
    may_be_missing: frozenset[tuple[str, str]]
    changed: bool  # the transforms changed the workbook (values, looks, sheets or name)


def perturb(base: Base, names: tuple[str, ...], seed: int, folder: Path) -> Perturbed:
    """Write `base` edited by the transforms `names` (in order) under `folder`."""
    wb = openpyxl.load_workbook(base.path)
    book = Book(wb, copy.deepcopy(base.layout), base.truth, Path(base.rel).name)
    before = fingerprint(book)
    for name in names:
        TRANSFORMS[name].apply(book, random.Random(f"{seed}/{name}/{base.rel}"))
    rel = f"{Path(base.rel).parent.as_posix()}/{book.name}"
    (folder / rel).parent.mkdir(parents=True, exist_ok=True)
    wb.save(folder / rel)
    return Perturbed(base, names, rel, frozenset(book.may_be_missing), fingerprint(book) != before)


def fingerprint(book: Book) -> str:
    """A digest of what a transform may change: cells and their formats, merged ranges,
    hidden or resized rows and columns, charts, filters, print set-up, properties, names."""
    h = hashlib.sha256(repr((book.name, book.wb.sheetnames)).encode())
    p = book.wb.properties
    h.update(repr((p.creator, p.title, p.created)).encode())
    for ws in book.wb.worksheets:
        parts: list[Any] = [sorted(str(m) for m in ws.merged_cells.ranges), len(ws._charts)]
        parts += [
            ws.auto_filter.ref,
            ws.freeze_panes,
            ws.print_title_rows,
            ws.page_setup.orientation,
        ]
        parts += [(k, d.hidden, d.height) for k, d in sorted(ws.row_dimensions.items())]
        parts += [(k, d.hidden, d.width) for k, d in sorted(ws.column_dimensions.items())]
        h.update(repr(parts).encode())
        for (r, c), cell in sorted(ws._cells.items()):
            if cell.value is not None:
                h.update(repr((r, c, cell.value, cell.number_format)).encode())
    h.update(repr(len(book.wb.chartsheets)).encode())
    return h.hexdigest()


def build_files(folder: Path, rels: list[str]) -> dict[str, pd.DataFrame]:
    """The tables a build makes of these files (read in this process, not written)."""
    from ketnghia_analysis.building.assemble import assemble
    from ketnghia_analysis.building.worker import process_file

    results = [process_file((str(folder / rel), str(folder))) for rel in rels]
    tables, _ = assemble(results)
    return tables


# ---------------------------------------------------------------------------------------
# Comparing with truth
# ---------------------------------------------------------------------------------------
def _same(a: Any, b: Any) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) <= 1e-6
        except (TypeError, ValueError):
            return False
    return str(a) == str(b)


def value_problems(p: Perturbed, tables: dict[str, pd.DataFrame]) -> list[str]:
    """Every truth value of the base file that the build of its copy lost or changed."""
    out = []
    for table, key in KEYS.items():
        truth = p.base.tables[table]
        got = tables[table]
        got = got[got["source_file"] == p.rel]
        merged = truth.merge(got, on=key, how="left", suffixes=("", "_got"), indicator=True)
        lost = merged[merged["_merge"] == "left_only"]
        if len(lost):
            out.append(f"{table}: {len(lost)} of {len(truth)} rows lost, e.g. {_key(lost, key)}")
        both = merged[merged["_merge"] == "both"]
        for col in truth.columns:
            if col in key or col in PROVENANCE or f"{col}_got" not in both:
                continue
            allowed = (table, col) in p.may_be_missing
            bad = [
                (t, g, r)
                for t, g, r in zip(
                    both[col], both[f"{col}_got"], both.to_dict("records"), strict=True
                )
                if not _same(t, g) and not (allowed and pd.isna(g))
            ]
            if bad:
                t, g, r = bad[0]
                out.append(
                    f"{table}.{col}: {len(bad)} wrong, e.g. {_key1(r, key)} truth {t!r} got {g!r}"
                )
        extra = len(got) - len(both)
        if extra > 0:
            out.append(f"{table}: {extra} rows not in truth")
    return out


def _key(frame: pd.DataFrame, key: list[str]) -> str:
    return _key1(frame.iloc[0].to_dict(), key)


def _key1(rec: dict, key: list[str]) -> str:
    return "(" + ", ".join(str(rec[k]) for k in key) + ")"


def false_alarms(p: Perturbed, tables: dict[str, pd.DataFrame]) -> list[str]:
    """Error-level findings, and mismatch findings of any level but info, on the copy."""
    issues = tables["issues"]
    mine = issues[issues["source_file"] == p.rel]
    bad = mine[
        (mine["severity"] == "error")
        | (mine["code"].isin(MISMATCH_CODES) & (mine["severity"] != "info"))
    ]
    return [
        f"{r.severity} {r.code} {r.source_sheet}!{r.cell}: {r.message}"
        for r in bad.itertuples(index=False)
    ]


def accounting_problems(p: Perturbed, tables: dict[str, pd.DataFrame]) -> list[str]:
    """The copy must be ingested, with rows_read = accepted + quarantined + structural."""
    subs = tables["submissions"]
    row = subs[subs["source_file"] == p.rel]
    if len(row) != 1:
        return [f"submissions: {len(row)} rows for the file"]
    s = row.iloc[0]
    out = []
    if s["status"] != "ingested":
        out.append(f"submissions: status {s['status']} ({s['reason']})")
    total = s["rows_accepted"] + s["rows_quarantined"] + s["rows_structural"]
    if s["rows_read"] != total:
        out.append(
            f"submissions: rows_read {s['rows_read']} ≠ accepted+quarantined+structural {total}"
        )
    return out


def problems(p: Perturbed, tables: dict[str, pd.DataFrame]) -> list[str]:
    """Everything wrong with the build of one perturbed copy (empty: it passed)."""
    return value_problems(p, tables) + false_alarms(p, tables) + accounting_problems(p, tables)


def run(
    bases: list[Base], names: tuple[str, ...], seed: int, folder: Path, require_change: bool = False
) -> dict[str, list[str]]:
    """Perturb each base (those the transforms apply to), build them together, and return
    the problems of each copy by its base file. With `require_change`, transforms that
    changed none of the copies are a problem too (they would test nothing)."""
    chosen = [b for b in bases if all(TRANSFORMS[n].applies_to(b.layout) for n in names)]
    copies = [perturb(b, names, seed, folder) for b in chosen]
    tables = build_files(folder, [c.rel for c in copies])
    found = {c.base.rel: problems(c, tables) for c in copies}
    if require_change and copies and not any(c.changed for c in copies):
        found[copies[0].base.rel].insert(0, f"{'+'.join(names)} changed none of the returns")
    return found


def consistent_returns(raw: Path) -> list[str]:
    """Returns with no planted issue and no quarantined row, ingested, written as .xlsx."""
    planted = pd.read_csv(raw / "truth" / "planted_issues.csv")
    quarantined = pd.read_csv(raw / "truth" / "quarantine.csv")
    bad = set(planted["source_file"]) | set(quarantined["source_file"])
    subs = pd.read_parquet(raw / "truth" / "submissions.parquet")
    formats = json.loads((raw / "truth" / "variations.json").read_text(encoding="utf-8"))
    xlsx = {place[0] for place in formats.get("format_xlsx", [])}
    ok = subs[(subs["status"] == "ingested") & ~subs["source_file"].isin(bad)]
    return sorted(f for f in ok["source_file"] if f in xlsx and f.endswith(".xlsx"))
