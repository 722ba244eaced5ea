"""Write the sample returns of every district and year, then the truth tables (`write_sample`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ketnghia_analysis.reference import gazetteer
from ketnghia_analysis.sample.broken import write_broken
from ketnghia_analysis.sample.district_year import index_world
from ketnghia_analysis.sample.folder import prepare_output, write_readme
from ketnghia_analysis.sample.official import write_official
from ketnghia_analysis.sample.plan import Slot, plan, slots
from ketnghia_analysis.sample.returns import Written, plan_return, write_return
from ketnghia_analysis.sample.truth import truth_tables, write_truth
from ketnghia_analysis.sample.world.province import check_years, simulate
from ketnghia_analysis.sample.world.target import write_effect
from ketnghia_analysis.sample.world.threats import NONE, Threats


@dataclass(frozen=True)
class SampleManifest:
    """What `write_sample` wrote."""

    out: Path
    files: list[str]
    districts: list[str]
    years: list[int]
    seed: int
    effect: float
    broken: bool
    rejected: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    truth_tables: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """Vietnamese multi-line summary (files, districts, years, synthetic warning)."""
        y = f"{self.years[0]}-{self.years[-1]}" if len(self.years) > 1 else str(self.years[0])
        lines = [
            "DỮ LIỆU TỔNG HỢP (synthetic) — không phải số liệu thật.",
            f"Đã ghi {len(self.files)} tệp báo cáo vào {self.out}",
            f"  {len(self.districts)} huyện, thị xã, thành phố; năm {y}; hạt giống (seed) {self.seed}; "
            f"tác động cài sẵn {self.effect * 100:+.1f} điểm % lên tỷ lệ hộ nghèo",
        ]
        if self.superseded:
            lines.append(
                f"  {len(self.superseded)} tệp bị thay thế bởi bản nộp lại: "
                + ", ".join(self.superseded)
            )
        if self.rejected:
            lines.append(f"  {len(self.rejected)} tệp hỏng (--broken): " + ", ".join(self.rejected))
        tables = ", ".join(f"{k} {v}" for k, v in self.truth_tables.items())
        lines.append(f"Bảng đúng (truth/): {tables}")
        lines.append("Xem README.md trong thư mục này. DỮ LIỆU TỔNG HỢP (synthetic).")
        return "\n".join(lines)


def write_sample(
    out: Path,
    years: Iterable[int] = range(2019, 2025),
    seed: int = 2024,
    effect: float = -0.03,
    broken: bool = False,
    threats: Threats = NONE,
    official: bool = False,
) -> SampleManifest:
    """Write synthetic returns for every district and year, and their truth tables.

    Parameters
    ----------
    out
        Output folder (created). Returns go to ``out/<year>/``, the truth to
        ``out/truth/``, and a bilingual ``out/README.md``. Files this generator
        wrote before (``out/20*/``, ``out/khac/``, ``out/truth/``) are replaced.
    years
        Years 2019-2024 (district returns stop with the 2024 review).
    seed
        Random seed: the same seed writes the same files and truth.
    effect
        Planted effect of twinning on the poverty rate (fraction, -0.03 = -3 points).
    broken
        Also write broken files (truncated, empty, not a spreadsheet,
        password-protected, not a return, renamed CSV): truth lists them as rejected.
    threats
        Threats to the evaluation to plant (``world.threats``, issue #16; none by default).
        ``truth/effect.json`` records them and the true effect the headline aims at.
    official
        Also write the official poverty-review forms A–D (issue #15, ``sample/official.py``):
        province compilations in odd years, district compilations in even ones; the truth's
        poverty rows are then joined from them (``sample/official_truth.py``).

    Returns
    -------
    SampleManifest
        What was written; ``summary()`` is the Vietnamese text printed by the CLI.
    """
    out = Path(out)
    years = check_years(years)
    world = simulate(seed=seed, years=years, effect=effect, threats=threats)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    prepare_output(out)
    units_by_year = {y: gazetteer.communes_in_year(y) for y in years}
    index = index_world(world, units_by_year)
    run = slots(units_by_year, index.klass, set(index.rows["support"]))
    plan(run, rng)
    written = Written()
    for slot in run:
        dy = index.district_year(slot.year, slot.district_code)
        write_return(out, slot, dy, plan_return(slot, dy, rng), index, rng, written)
    if broken:
        written.submissions.extend(write_broken(out, years[-1], written.place))
    forms = None
    if official:
        forms = write_official(out, world, units_by_year, run, seed, written.used_names)
        written.submissions.extend(forms.submissions)
        written.issues.extend(forms.issues)
    truth = truth_tables(world, written, forms)
    write_truth(out, truth, written, world, seed, years, effect, forms)
    write_effect(out / "truth", world, threats)
    write_readme(out, seed, years, effect, broken, official)
    return _manifest(out, run, written, truth, years, seed, effect, broken)


def _manifest(
    out: Path,
    run: list[Slot],
    written: Written,
    truth: dict[str, pd.DataFrame],
    years: list[int],
    seed: int,
    effect: float,
    broken: bool,
) -> SampleManifest:
    """What was written, for the CLI's summary."""
    subs = written.submissions
    return SampleManifest(
        out=out,
        files=sorted(s["source_file"] for s in subs),
        districts=sorted({s.district_code for s in run}),
        years=years,
        seed=seed,
        effect=effect,
        broken=broken,
        rejected=sorted(s["source_file"] for s in subs if s["status"] == "rejected"),
        superseded=sorted(s["source_file"] for s in subs if s["status"] == "superseded"),
        truth_tables={k: len(v) for k, v in truth.items()},
    )
