"""One district-year's return: the choices made for it, then each of its files laid out and written.

The choices (`plan_return`) and the layouts (`write_return`) draw from the run's one
random stream, one district-year after another, so a seed always writes the same files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ketnghia_analysis.core.text import strip_diacritics
from ketnghia_analysis.sample.district_year import DistrictYear, WorldIndex
from ketnghia_analysis.sample.files import (
    FORCED_NAME_STYLE,
    FORCED_WRITER,
    SUFFIX,
    file_name,
    record_file,
    unique_path,
)
from ketnghia_analysis.sample.forms.encoding import encode_grid
from ketnghia_analysis.sample.forms.extra_sheets import cover_sheet, notes_sheet
from ketnghia_analysis.sample.forms.models import models_form
from ketnghia_analysis.sample.forms.ntm import ntm_form
from ketnghia_analysis.sample.forms.poverty import poverty_form
from ketnghia_analysis.sample.forms.style import Ctx, FormOut, FormStyle
from ketnghia_analysis.sample.forms.support import support_form
from ketnghia_analysis.sample.grid import Book, Grid, write_book
from ketnghia_analysis.sample.plan import Slot
from ketnghia_analysis.sample.styles import choice, slot_styles
from ketnghia_analysis.sample.variations import Placements

FORM_ORDER = ("support", "poverty", "ntm", "models")
FORM_TAG = {"support": "KN", "poverty": "HN", "ntm": "NTM", "models": "MH"}
SHEET_NAMES = {
    "support": ("Biểu 01", "B01-KN", "Ket nghia {y}", "01 KN", "Kết nghĩa"),
    "poverty": ("Biểu 02", "B02-HN", "Ho ngheo {y}", "02 HN", "Hộ nghèo"),
    "ntm": ("Biểu 03", "B03-NTM", "NTM {y}", "Tieu chi NTM", "Nông thôn mới"),
    "models": ("Biểu 04", "B04-MH", "Mo hinh", "04 MH", "Mô hình KT"),
}
DATE_STYLES = ("date_serial", "date_text", "date_datetime")
TEXT_MODES = ("text_tcvn3", "text_vni", "text_nfd", "text_old_tone")
# Writers that have no formulas without cached values.
CACHED_ONLY = ("xlwt", "ods", "html", "xls_as_xlsx")


@dataclass(frozen=True)
class Written:
    """What the returns of a run wrote: placements, provenance, submissions, issues."""

    place: Placements = field(default_factory=Placements)
    provenance: dict[tuple, tuple[str, str, int]] = field(default_factory=dict)
    dropped_cols: dict[tuple, set[str]] = field(default_factory=dict)
    submissions: list[dict] = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)
    used_names: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class ReturnPlan:
    """Every choice made for one district-year's return before its files are laid out."""

    report_day: dt.date
    report_no: int
    short: str  # district name without "Huyện", "Thành phố", "Thị xã"
    styles: dict[str, FormStyle]
    plant_target: dict[str, dict]  # form -> planted issue -> commune_code
    writer: str
    text_mode: str | None  # nfd | old_tone | tcvn3 | vni
    name_style: str
    cover: bool
    date_style: str
    notes: bool
    stale: bool
    parts: list[list[str]]  # the forms of each file
    writers: list[str]  # the writer of each file
    versions: list[tuple[str, dt.date]]  # ("early" | "final", report date)


@dataclass(frozen=True)
class FileJob:
    """One file of a return: which version, which part, and how it is written."""

    version: str  # early | final
    day: dt.date
    report_no: int
    part_no: int
    part: list[str]
    writer: str

    @property
    def final(self) -> bool:
        """Whether this is the version the build keeps."""
        return self.version == "final"


def plan_return(slot: Slot, dy: DistrictYear, rng: np.random.Generator) -> ReturnPlan:
    """Report date and number, form styles, planted issues, format, text, name, extra sheets."""
    force = set(slot.force)
    forms = dy.forms
    day = dt.date(slot.year, 12, 1) + dt.timedelta(days=int(rng.integers(0, 40)))
    report_no = int(rng.integers(20, 400))
    styles = slot_styles(rng, forms, force, slot.plants)
    plant_target = _plant_targets(slot.plants, dy, rng)
    writer = _writer(force, slot.plants, rng)
    if writer == "openpyxl":  # openpyxl writes formulas without cached values
        styles = {
            f: replace(st, formulas="uncached") if st.total and not st.numtext else st
            for f, st in styles.items()
        }
    text_mode = _text_mode(force, slot.plants, rng)
    if text_mode == "old_tone":  # the title block and signature carry "HÒA", "ỦY BAN"
        styles = {f: replace(st, title="full", footer="full") for f, st in styles.items()}
    name_style = choice(
        rng,
        ("ascii", "diacritics", "compact", "copy", "final", "v2"),
        [0.35, 0.3, 0.15, 0.07, 0.07, 0.06],
    )
    for forced, style in FORCED_NAME_STYLE:
        if forced in force:
            name_style = style
    cover, date_style, notes, stale = _extra_sheets(force, writer, rng)
    parts, writers = _parts(forms, writer, "forms_split_files" in force and len(forms) >= 3)
    versions = [("final", day)]
    if "corrected_resubmission" in force:
        versions.insert(0, ("early", day - dt.timedelta(days=10)))
    return ReturnPlan(
        report_day=day,
        report_no=report_no,
        short=_short_name(slot.district_name),
        styles=styles,
        plant_target=plant_target,
        writer=writer,
        text_mode=text_mode,
        name_style=name_style,
        cover=cover,
        date_style=date_style,
        notes=notes,
        stale=stale,
        parts=parts,
        writers=writers,
        versions=versions,
    )


def _short_name(district_name: str) -> str:
    """ "Huyện Nam Trà My" → "Nam Trà My", "Thành phố Tam Kỳ" → "Tam Kỳ"."""
    if district_name.startswith(("Thành phố", "Thị xã")):
        return district_name.split(" ", 2)[2]
    if district_name.startswith("Huyện"):
        return district_name.split(" ", 1)[1]
    return district_name


def _plant_targets(plants: list[str], dy: DistrictYear, rng: np.random.Generator) -> dict:
    """Which commune carries each planted issue ("?" for a row or total of its own)."""
    target: dict[str, dict] = {"poverty": {}, "ntm": {}}
    pov_codes = [r["commune_code"] for r in dy.poverty]
    ntm_codes = [r["commune_code"] for r in dy.ntm_status]
    for p in dict.fromkeys(plants):
        if p == "NTM_TOTAL_MISMATCH" and ntm_codes:
            target["ntm"][p] = ntm_codes[int(rng.integers(len(ntm_codes)))]
        elif p in ("UNKNOWN_COMMUNE", "TOTAL_MISMATCH"):
            target["poverty"][p] = "?"
        elif p != "NTM_TOTAL_MISMATCH":
            target["poverty"][p] = pov_codes[int(rng.integers(len(pov_codes)))]
    return target


def _writer(force: set[str], plants: list[str], rng: np.random.Generator) -> str:
    """The forced writer, else mostly xlsxwriter (a planted issue keeps the plain .xlsx)."""
    writer = "xlsxwriter"
    for forced, w in FORCED_WRITER:
        if forced in force:
            writer = w
    if writer == "xlsxwriter" and not plants:
        writer = choice(rng, ("xlsxwriter", "openpyxl", "xlwt", "xlsm"), [0.86, 0.03, 0.08, 0.03])
    return writer


def _text_mode(force: set[str], plants: list[str], rng: np.random.Generator) -> str | None:
    """The forced legacy text (TCVN3, VNI, NFD, old tones), else rarely a random one."""
    text_mode = None
    for m in TEXT_MODES:
        if m in force:
            text_mode = m[5:]
    if text_mode is None and not plants and rng.random() < 0.08:
        text_mode = choice(rng, ("nfd", "old_tone", "tcvn3", "vni"))
    return text_mode


def _extra_sheets(
    force: set[str], writer: str, rng: np.random.Generator
) -> tuple[bool, str, bool, bool]:
    """Cover sheet, its date style, notes sheet and hidden stale draft (none in an HTML export)."""
    cover = "cover_sheet" in force or rng.random() < 0.25
    date_style = next((d for d in DATE_STYLES if d in force), None)
    if date_style:
        cover = True
    date_style = date_style or choice(rng, DATE_STYLES)
    notes = "notes_sheet" in force or rng.random() < 0.1
    stale = "hidden_stale_sheet" in force or (
        writer in ("xlsxwriter", "openpyxl") and rng.random() < 0.05
    )
    if writer == "html":
        cover = notes = stale = False
    return cover, date_style, notes, stale


def _parts(forms: list[str], writer: str, split: bool) -> tuple[list[list[str]], list[str]]:
    """Which forms go to which file, and the writer of each file."""
    if writer == "html":
        # A web-system export holds the poverty table; the rest comes in a normal workbook.
        return [["poverty"], [f for f in forms if f != "poverty"]], ["html", "xlsxwriter"]
    if split:
        support = [f for f in forms if f in ("support", "models")]
        return [support, [f for f in forms if f in ("poverty", "ntm")]], [writer, writer]
    return [list(forms)], [writer]


def write_return(
    out: Path,
    slot: Slot,
    dy: DistrictYear,
    rp: ReturnPlan,
    index: WorldIndex,
    rng: np.random.Generator,
    written: Written,
) -> None:
    """Lay out and write every file of one district-year's return (each version, each part)."""
    for vi, (version, day) in enumerate(rp.versions):
        for pi, (part, w) in enumerate(zip(rp.parts, rp.writers, strict=True)):
            job = FileJob(version, day, rp.report_no + vi * 7, pi, part, w)
            _write_file(out, slot, dy, rp, job, index, rng, written)


def _write_file(
    out: Path,
    slot: Slot,
    dy: DistrictYear,
    rp: ReturnPlan,
    job: FileJob,
    index: WorldIndex,
    rng: np.random.Generator,
    written: Written,
) -> None:
    """One file: name, sheets, legacy text, the write, and what it adds to the truth."""
    place = written.place
    rel = unique_path(written.used_names, slot.year, _file_name(slot, rp, job))
    ctx = Ctx(
        file=rel, district_code=slot.district_code, district_name=slot.district_name,
        year=slot.year, report_date=job.day, report_no=job.report_no, rng=rng,
        place=place if job.final else Placements(), klass=index.klass,
        commune_type=dy.commune_type, aliases=index.aliases, partner_names=index.partner_names,
    )  # fmt: skip
    if not job.final:
        place.add("corrected_resubmission", rel, "", "superseded")
    elif len(rp.versions) > 1:
        place.add("corrected_resubmission", rel, "", "supersedes")
    if len(rp.parts) > 1 and job.writer != "html":
        place.add("forms_split_files", rel, "", ",".join(job.part))
    sheets, outs = _sheets(dy, rp, job, ctx, rng)
    if rp.text_mode and job.writer != "html":
        for g in sheets:
            encode_grid(g, rp.text_mode)
        place.add(f"text_{rp.text_mode}", rel, "", "")
    if job.writer == "html":
        _name_html_tables(sheets, ctx, place)
    modified = dt.datetime(job.day.year, job.day.month, job.day.day, 8, 30)
    book = Book(
        rel,
        job.writer,
        sheets,
        modified + dt.timedelta(minutes=job.part_no),
        title=f"Báo cáo kết nghĩa năm {slot.year} - DỮ LIỆU TỔNG HỢP (synthetic)",
    )
    path = write_book(book, out)
    record_file(place, rel, job.writer)
    written.submissions.append(
        {
            "source_file": rel,
            "size_bytes": path.stat().st_size,
            "district_code": slot.district_code,
            "year": slot.year,
            "forms_found": ",".join(f for f in FORM_ORDER if f in outs),
            "status": "ingested" if job.final else "superseded",
            "reason": None,
        }
    )
    if job.final:
        _record_truth(written, rel, ctx, outs)


def _file_name(slot: Slot, rp: ReturnPlan, job: FileJob) -> str:
    """The file's name: the district's style, the forms of a split file, a resubmission tag."""
    suffix = SUFFIX[rp.writer] if job.writer == rp.writer else ".xlsx"
    tag = ""
    if len(rp.parts) > 1:
        tag = " - " + " ".join(FORM_TAG[f] for f in FORM_ORDER if f in job.part)
    if len(rp.versions) > 1 and job.final:
        tag += " (bổ sung, thay thế)"
    ascii_short = strip_diacritics(rp.short)
    return file_name(rp.short, ascii_short, slot.year, rp.name_style, suffix, tag)


def _sheets(
    dy: DistrictYear, rp: ReturnPlan, job: FileJob, ctx: Ctx, rng: np.random.Generator
) -> tuple[list[Grid], dict[str, FormOut]]:
    """The file's sheets: cover, the forms (in a random order), a stale draft, notes."""
    sheets: list[Grid] = []
    if rp.cover and job.part_no == len(rp.parts) - 1 and job.writer != "html":
        sheets.append(cover_sheet(ctx, rp.date_style))
    outs: dict[str, FormOut] = {}
    sheet_names: set[str] = set()
    ordered = list(job.part)
    if len(ordered) > 1 and rng.random() < 0.4:
        ordered = [ordered[int(i)] for i in rng.permutation(len(ordered))]
    for f in ordered:
        sname = _sheet_name(f, ctx.year, len(sheets), sheet_names, rng)
        st = rp.styles[f]
        if job.writer in CACHED_ONLY and st.formulas == "uncached":
            st = replace(st, formulas="cached")
        outs[f] = _form(f, sname, st, ctx, dy, rp, job.final, rng)
        sheets.append(outs[f].grid)
    if rp.stale and job.part_no == 0 and job.final and "poverty" in job.part:
        scratch = replace(ctx, place=Placements(), issues=[], quarantine=[])
        rows = stale_rows(dy.poverty, rng)
        g = poverty_form("Biểu 02 (nháp)", rows, rp.styles["poverty"], scratch).grid
        g.hidden = True
        sheets.append(g)
        ctx.place.add("hidden_stale_sheet", ctx.file, g.name, "")
    if rp.notes and job.part_no == 0 and job.writer != "html":
        sheets.append(notes_sheet(ctx))
    return sheets, outs


def _sheet_name(
    form: str, year: int, n_sheets: int, taken: set[str], rng: np.random.Generator
) -> str:
    """One of the form's usual sheet names, sometimes "SheetN"; never one already taken."""
    opts = SHEET_NAMES[form]
    name = opts[int(rng.integers(len(opts)))].format(y=year)
    if rng.random() < 0.1:
        name = f"Sheet{n_sheets + 1}"
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def _form(
    form: str,
    sheet: str,
    st: FormStyle,
    ctx: Ctx,
    dy: DistrictYear,
    rp: ReturnPlan,
    final: bool,
    rng: np.random.Generator,
) -> FormOut:
    """Lay out one form; an early version has stale poverty counts and one partner fewer."""
    if form == "poverty":
        rows = dy.poverty if final else stale_rows(dy.poverty, rng)
        plants = rp.plant_target["poverty"] if final else None
        return poverty_form(sheet, rows, st, ctx, plants)
    if form == "ntm":
        plants = rp.plant_target["ntm"] if final else None
        return ntm_form(sheet, dy.ntm_status, dy.criteria, st, ctx, dy.units, plants)
    if form == "support":
        sup = dy.support
        rows = sup if final else sup[:-1] if len(sup) > 1 else sup
        return support_form(sheet, rows, dy.names, st, ctx)
    return models_form(sheet, dy.models, dy.names, st, ctx)


def stale_rows(rows: list[dict], rng: np.random.Generator) -> list[dict]:
    """An earlier draft of the poverty rows: a few counts differ (identity still holds)."""
    out = []
    for row in rows:
        r = dict(row)
        if rng.random() < 0.3:
            d = int(rng.integers(1, 6))
            r["poverty_exits"] = max(0, r["poverty_exits"] - d)
            r["poor_end"] = (
                r["poor_start"] - r["poverty_exits"] + r["poverty_relapses"] + r["poverty_new"]
            )
        out.append(r)
    return out


def _name_html_tables(sheets: list[Grid], ctx: Ctx, place: Placements) -> None:
    """A web export has no sheet names: readers call its tables "Bảng 1", "Bảng 2", …"""
    visible = [g for g in sheets if not g.hidden]
    rename = {g.name: f"Bảng {i + 1}" for i, g in enumerate(visible)}
    for g in visible:
        g.name = rename[g.name]
    for item in ctx.issues + ctx.quarantine:
        item["source_sheet"] = rename.get(item["source_sheet"], item["source_sheet"])
    place.rename_sheets(ctx.file, rename)


def _record_truth(written: Written, rel: str, ctx: Ctx, outs: dict[str, FormOut]) -> None:
    """A final file's issues, quarantined rows, and the provenance of every truth row."""
    written.issues.extend(ctx.issues)
    written.quarantine.extend(ctx.quarantine)
    for fo in outs.values():
        for key, row in fo.rows:
            written.provenance[key] = (rel, fo.grid.name, row)
            if fo.dropped:
                written.dropped_cols[key] = fo.dropped
