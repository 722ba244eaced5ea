"""Shared fixtures: one processed folder for the whole session (`processed_dir`).

The folder is made, in order of preference:

1. sample returns (``ketnghia_analysis.sample.write_sample``) built by
   ``ketnghia_analysis.build.build`` — the real pipeline;
2. TEMPORARY FALLBACK while the build is not ready: the sample's ``truth/*.parquet``
   (exactly what a perfect build writes) plus ``communes.parquet`` from the gazetteer;
3. TEMPORARY FALLBACK while the sample generator is not ready: a small hand-made
   processed folder (`make_tiny_processed`), three districts, 2019–2024.

Set ``KETNGHIA_TEST_PROCESSED=tiny|truth|build`` to force one source.
(Fallbacks 2 and 3 are to be removed once the build lands.)
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

TINY_DISTRICTS = ("502", "510", "516")
YEARS = range(2019, 2025)


def _standard(year: int) -> str:
    return "2016-2020" if year <= 2021 else "2022-2025"


def _criteria_set(year: int) -> str:
    return "2016-2020" if year <= 2021 else "2021-2025"


def _prov(form: str, district: str, year: int, row: int) -> dict:
    return {
        "source_file": f"{district}/{year}/bao_cao_ket_nghia_{district}_{year}.xlsx",
        "source_sheet": form,
        "source_row": row,
    }


def make_tiny_processed(out: Path, seed: int = 7) -> Path:
    """Write a small, plausible processed folder (hand-made test data, not the sample).

    Three districts (Tam Kỳ 502 plains; Nam Giang 510 and Nam Trà My 516 mountain),
    every commune valid in each year 2019–2024; mountain communes are twinned in
    2020 or 2022 or never (staggered), with a planted drop of 3 points in the poverty
    rate after pairing, so the notebooks have something to estimate.
    """
    from ketnghia_analysis import gazetteer

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    communes = gazetteer.communes()
    communes.drop(columns=["source"], errors="ignore").to_parquet(out / "communes.parquet")
    partners = gazetteer.partners().head(12)
    partners.to_parquet(out / "partners.parquet")

    pov, crit, status, support, models, subs, issues, quarantine = ([] for _ in range(8))
    first_pair: dict[str, int | None] = {}
    base: dict[str, tuple[int, float]] = {}
    for code in communes["commune_code"]:
        district = communes.loc[communes["commune_code"] == code, "district_code"].iloc[0]
        mountain = district in ("510", "516")
        base[code] = (
            int(rng.integers(600, 1800)),
            float(rng.uniform(0.25, 0.5) if mountain else rng.uniform(0.02, 0.08)),
        )
        first_pair[code] = rng.choice([2020, 2022, None]) if mountain else None
    for year in YEARS:
        in_year = gazetteer.communes_in_year(year)
        for district in TINY_DISTRICTS:
            rows = in_year[in_year["district_code"] == district].reset_index(drop=True)
            file_prov = _prov("02-HN", district, year, 0)
            for i, unit in rows.iterrows():
                code = unit["commune_code"]
                households, rate0 = base[code]
                households += 10 * (year - 2019)
                paired = first_pair[code] is not None and year >= first_pair[code]
                rate = rate0 * (0.9 ** (year - 2019)) - (0.03 if paired else 0.0)
                rate += 0.04 if year >= 2022 else 0.0  # the new standard counts more households
                rate = max(rate + rng.normal(0, 0.005), 0.005)
                poor_end = int(round(households * rate))
                exits = int(rng.integers(5, 40))
                relapses = int(rng.integers(0, 5))
                new = int(rng.integers(0, 10))
                poor_start = poor_end + exits - relapses - new
                pov.append(
                    {
                        "year": year,
                        "district_code": district,
                        "commune_code": code,
                        "commune_name": unit["commune_name"],
                        "households_total": households,
                        "poor_start": poor_start,
                        "poverty_exits": exits,
                        "poverty_relapses": relapses,
                        "poverty_new": new,
                        "poor_end": poor_end,
                        "near_poor_end": int(households * 0.05),
                        "poor_ethnic_minority_end": int(
                            poor_end * (0.9 if district != "502" else 0.0)
                        ),
                        "poverty_rate_end": poor_end / households,
                        "poverty_standard": _standard(year),
                        **_prov("02-HN", district, year, 10 + i),
                    }
                )
                if unit["commune_type"] == "xã":
                    level = min(19, 8 + (year - 2019) + (0 if district != "502" else 9))
                    met_n = int(np.clip(level + rng.integers(-2, 3) + (1 if paired else 0), 0, 19))
                    met = rng.permutation([True] * met_n + [False] * (19 - met_n))
                    for k in range(19):
                        crit.append(
                            {
                                "year": year,
                                "district_code": district,
                                "commune_code": code,
                                "criterion": k + 1,
                                "met": bool(met[k]),
                                **_prov("03-NTM", district, year, 10 + i),
                            }
                        )
                    status.append(
                        {
                            "year": year,
                            "district_code": district,
                            "commune_code": code,
                            "criteria_met": met_n,
                            "criteria_set": _criteria_set(year),
                            "ntm_level": "dat_chuan" if met_n == 19 else None,
                            "recognized_year": year if met_n == 19 else None,
                            **_prov("03-NTM", district, year, 10 + i),
                        }
                    )
                if paired:
                    partner = partners.iloc[int(code) % len(partners)]
                    support.append(
                        {
                            "year": year,
                            "district_code": district,
                            "commune_code": code,
                            "partner_id": partner["partner_id"],
                            "partner_name": partner["partner_name"],
                            "partner_type": partner["partner_type"],
                            "pair_start_year": int(first_pair[code]),
                            "cash_mvnd": round(float(rng.uniform(50, 400)), 1),
                            "in_kind_mvnd": round(float(rng.uniform(0, 150)), 1),
                            "models_supported": int(rng.integers(0, 3)),
                            "beneficiary_households": int(rng.integers(10, 80)),
                            "officials_trained": int(rng.integers(0, 20)),
                            "workers_trained": int(rng.integers(0, 30)),
                            "houses_supported": int(rng.integers(0, 4)),
                            "note": None,
                            **_prov("01-KN", district, year, 10 + i),
                        }
                    )
                    if year == first_pair[code] or year == first_pair[code] + 2:
                        models.append(
                            {
                                "year": year,
                                "district_code": district,
                                "commune_code": code,
                                "partner_id": partner["partner_id"],
                                "model_name": f"Mô hình nuôi bò sinh sản {code}-{year}",
                                "model_type": "chăn nuôi",
                                "start_year": int(first_pair[code]),
                                "households": int(rng.integers(5, 30)),
                                "status": str(rng.choice(["maintained", "replicated", "stopped"])),
                                **_prov("04-MH", district, year, 10 + i),
                            }
                        )
            n = len(rows)
            bad = int(rng.integers(0, 3))
            subs.append(
                {
                    "source_file": file_prov["source_file"],
                    "sha256": f"{abs(hash((district, year))):064x}"[:64],
                    "size_bytes": 40_000 + n * 100,
                    "district_code": district,
                    "year": year,
                    "forms_found": "support,poverty,ntm,models",
                    "status": "ingested",
                    "reason": None,
                    "rows_read": 4 * n + 40 + bad,
                    "rows_accepted": 4 * n,
                    "rows_quarantined": bad,
                    "rows_structural": 40,
                    "read_at": pd.Timestamp("2025-01-15T08:00:00Z"),
                }
            )
            for b in range(bad):
                issues.append(
                    {
                        "severity": "error",
                        "code": "POVERTY_IDENTITY",
                        "message": "Số hộ nghèo cuối năm khác đầu năm − thoát + tái + mới "
                        "[POVERTY_IDENTITY]",
                        "district_code": district,
                        "year": year,
                        "source_file": file_prov["source_file"],
                        "source_sheet": "02-HN",
                        "cell": f"K{40 + b}",
                        "value": "123",
                        "expected": "120",
                        "suggestion": "Kiểm tra lại số hộ thoát nghèo",
                    }
                )
                quarantine.append(
                    {
                        "form": "poverty",
                        "district_code": district,
                        "year": year,
                        "source_file": file_prov["source_file"],
                        "source_sheet": "02-HN",
                        "source_row": 40 + b,
                        "codes": "POVERTY_IDENTITY",
                        "raw_values": '{"commune": "Xã lạ"}',
                    }
                )
            issues.append(
                {
                    "severity": "warning",
                    "code": "TOTAL_MISMATCH",
                    "message": "Dòng tổng cộng khác tổng các xã [TOTAL_MISMATCH]",
                    "district_code": district,
                    "year": year,
                    "source_file": file_prov["source_file"],
                    "source_sheet": "02-HN",
                    "cell": "E60",
                    "value": "1000",
                    "expected": "1001",
                    "suggestion": None,
                }
            )
    subs.append(
        {
            "source_file": "khac/tep_hong.xlsx",
            "sha256": "0" * 64,
            "size_bytes": 0,
            "district_code": None,
            "year": None,
            "forms_found": "",
            "status": "rejected",
            "reason": "Tệp rỗng (0 byte)",
            "rows_read": 0,
            "rows_accepted": 0,
            "rows_quarantined": 0,
            "rows_structural": 0,
            "read_at": pd.Timestamp("2025-01-15T08:00:00Z"),
        }
    )
    frames = {
        "poverty": pov,
        "ntm_criteria": crit,
        "ntm_status": status,
        "support": support,
        "models": models,
        "submissions": subs,
        "issues": issues,
        "quarantine": quarantine,
    }
    for name, rows in frames.items():
        frame = pd.DataFrame(rows)
        for column in frame.columns:
            if column in ("year", "district_code") and name in ("submissions",):
                continue
            if frame[column].dtype == object and frame[column].isna().all():
                frame[column] = frame[column].astype("string")
        if name == "submissions":
            frame["year"] = frame["year"].astype("Int64")
        for column in ("recognized_year",):
            if column in frame.columns:
                frame[column] = frame[column].astype("Int64")
        frame.to_parquet(out / f"{name}.parquet", index=False)
    return out


def _from_truth(raw: Path, out: Path) -> Path:
    """TEMPORARY FALLBACK: the sample's truth tables + communes from the gazetteer."""
    from ketnghia_analysis import gazetteer

    out.mkdir(parents=True, exist_ok=True)
    for path in (raw / "truth").glob("*.parquet"):
        shutil.copy(path, out / path.name)
    if not (out / "communes.parquet").exists():
        gazetteer.communes().drop(columns=["source"], errors="ignore").to_parquet(
            out / "communes.parquet"
        )
    # truth/ has no issues table (the build writes it): an empty one with the spec columns.
    if not (out / "issues.parquet").exists():
        columns = [
            "severity",
            "code",
            "message",
            "district_code",
            "year",
            "source_file",
            "source_sheet",
            "cell",
            "value",
            "expected",
            "suggestion",
        ]
        frame = pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
        frame["year"] = frame["year"].astype("Int64")
        frame.to_parquet(out / "issues.parquet", index=False)
    return out


def make_processed(base: Path) -> Path:
    """The best processed folder available now (see the module docstring)."""
    forced = os.environ.get("KETNGHIA_TEST_PROCESSED", "")
    out = base / "processed"
    if forced in ("", "build", "truth"):
        try:
            from ketnghia_analysis.sample import write_sample

            raw = base / "raw"
            write_sample(raw, years=YEARS, seed=2024)
        except Exception as exc:  # noqa: BLE001 - the generator may be mid-change
            if forced:
                raise
            warnings.warn(f"sample generator unusable ({exc!r}): hand-made data", stacklevel=1)
        else:
            if forced in ("", "build"):
                try:
                    from ketnghia_analysis.build import build

                    build(raw, out, workers=1, progress=False)
                    if (out / "poverty.parquet").exists():
                        return out
                    raise RuntimeError("the build wrote no poverty.parquet")
                except Exception as exc:  # noqa: BLE001
                    if forced:
                        raise
                    warnings.warn(f"build unusable ({exc!r}): sample truth tables", stacklevel=1)
                    shutil.rmtree(out, ignore_errors=True)
            return _from_truth(raw, out)
    return make_tiny_processed(out)


@pytest.fixture(scope="session")
def processed_dir(tmp_path_factory) -> Path:
    """A processed folder shared by the whole test session (read-only for tests)."""
    return make_processed(tmp_path_factory.mktemp("kn_data"))
