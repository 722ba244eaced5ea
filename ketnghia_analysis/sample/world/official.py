"""The quantities of the official poverty-review forms (A–D) for every commune-year.

Drawn from their own random stream after the existing poverty rows, so the default world's
values (and the 02/HN returns written from them) do not move. Every commune-year gets:

* the exits split: ``exits_to_near_poor + exits_above_near_poor = poverty_exits`` (the share
  above the near-poor line is higher in the plains and +0.10 after pairing);
* ``poverty_other_decrease = poverty_from_near_poor + poverty_other_increase``: the three
  terms 02/HN has no column for net to zero, so the 02/HN identity and the generalised one
  (tables.md) both hold with the existing flows;
* persons: ``people_total``, the "Nhân khẩu" row of every B and C term (each balancing),
  ``poor_people_end`` (= B9 persons) and ``near_poor_people_end`` (= C9 persons);
* the near-poor movement C1–C9 (C3 = B5, C5 = B2, C9 = near_poor_end; C1 is last year's C9
  where the commune existed) and the groups D1–D10 (D1 = poor_end, D2 = ethnic-minority poor).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

B_TERMS = (
    "poor_start", "exits_to_near_poor", "exits_above_near_poor", "poverty_other_decrease",
    "poverty_from_near_poor", "poverty_relapses", "poverty_new", "poverty_other_increase",
    "poor_end",
)  # fmt: skip
C_TERMS = (
    "near_poor_start", "near_poor_exits", "near_poor_to_poor", "near_poor_other_decrease",
    "near_poor_from_poor", "near_poor_relapses", "near_poor_new", "near_poor_other_increase",
    "near_poor_end",
)  # fmt: skip
D_TERMS = (
    "poor_total", "poor_ethnic_minority_end", "poor_no_labour", "poor_merit", "poor_other",
    "near_poor_total", "near_poor_ethnic_minority", "near_poor_no_labour", "near_poor_merit",
    "near_poor_other",
)  # fmt: skip
# The columns poverty.parquet gains from the official forms (tables.md).
TRUTH_COLUMNS = (
    "people_total", "exits_to_near_poor", "exits_above_near_poor", "poverty_other_decrease",
    "poverty_from_near_poor", "poverty_other_increase", "poor_people_end",
    "near_poor_people_end",
)  # fmt: skip
# Sign of each movement term in "9 = 1 - 2 - 3 - 4 + 5 + 6 + 7 + 8" (start and end excluded).
SIGNS = (-1, -1, -1, 1, 1, 1, 1)
SUSTAINABLE_EFFECT = 0.10


def official_flows(
    pov: pd.DataFrame, f: pd.DataFrame, first: dict[str, int], seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``pov`` with the official truth columns, and one record per commune-year of every
    quantity forms A–D print (the design's record field names, persons with ``_people``);
    ``f`` is the commune frame (its ``group``), ``first`` the first pairing years."""
    mountain = dict(zip(f["commune_code"], f["group"].eq("mountain"), strict=True))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 15]))
    records: list[dict] = []
    prev_near: dict[str, int] = {}
    for year in sorted(pov["year"].unique()):
        part = pov[pov["year"] == year]
        this_near: dict[str, int] = {}
        for row in part.to_dict("records"):
            code = str(row["commune_code"])
            treated = first.get(code, 9999) <= year
            rec = _one(row, mountain[code], treated, prev_near.get(code), rng)
            records.append(rec)
            this_near[code] = int(row["near_poor_end"])
        prev_near = this_near
    recs = pd.DataFrame(records)
    out = pov.merge(
        recs[["year", "commune_code", *TRUTH_COLUMNS]], on=["year", "commune_code"], how="left"
    )
    return out, recs


def _one(
    row: dict, mountain: bool, treated: bool, prev_near: int | None, rng: np.random.Generator
) -> dict:
    """Every official quantity of one commune-year, consistent with its 02/HN counts."""
    h, start, end = int(row["households_total"]), int(row["poor_start"]), int(row["poor_end"])
    exits, near_end = int(row["poverty_exits"]), int(row["near_poor_end"])
    share = (0.25 if mountain else 0.45) + 0.2 * rng.random() + SUSTAINABLE_EFFECT * treated
    above = int(round(exits * min(share, 0.95)))
    from_near = int(round(start * 0.03 * rng.random()))
    other_inc = int(round(start * 0.01 * rng.random()))
    b = dict(
        zip(
            B_TERMS,
            (start, exits - above, above, from_near + other_inc, from_near,
             int(row["poverty_relapses"]), int(row["poverty_new"]), other_inc, end),
            strict=True,
        )
    )  # fmt: skip
    size = (3.9 + 0.7 * rng.random()) if mountain else (3.4 + 0.6 * rng.random())
    people_total = int(round(h * size))
    bp = _people(b, B_TERMS, {}, rng, cap=people_total)
    near_start = (
        prev_near if prev_near is not None else int(round(near_end * (0.85 + 0.3 * rng.random())))
    )
    c = _near_flows(near_start, near_end, from_near, b["exits_to_near_poor"], rng)
    fixed = {
        "near_poor_to_poor": bp["poverty_from_near_poor"],
        "near_poor_from_poor": bp["exits_to_near_poor"],
    }
    cp = _people(c, C_TERMS, fixed, rng, cap=max(people_total - bp["poor_end"], near_end))
    d = _groups(end, int(row["poor_ethnic_minority_end"]), near_end, rng)
    d_people = _group_people(d, bp["poor_end"], cp["near_poor_end"])
    average = int(round(h * (0.02 + 0.06 * rng.random())))
    rec = {
        "year": int(row["year"]),
        "commune_code": str(row["commune_code"]),
        "households_total": h,
        "people_total": people_total,
        "poor_end": end,
        "near_poor_end": near_end,
        "average_living_end": average,
        "average_living_people": int(round(average * size)),
        "poor_people_end": bp["poor_end"],
        "near_poor_people_end": cp["near_poor_end"],
        "poverty_exits": exits,
        **b, **{f"{k}_people": v for k, v in bp.items()},
        **c, **{f"{k}_people": v for k, v in cp.items()},
        **d, **{f"{k}_people": v for k, v in d_people.items()},
    }  # fmt: skip
    return rec


def _near_flows(
    start: int, end: int, to_poor: int, from_poor: int, rng: np.random.Generator
) -> dict[str, int]:
    """C1–C9 with C3 = ``to_poor``, C5 = ``from_poor`` and C9 = ``end``; C7 balances."""
    exits = int(round(start * (0.15 + 0.2 * rng.random())))
    other_dec = int(round(start * 0.02 * rng.random()))
    relapse = int(round(start * 0.01 * rng.random()))
    other_inc = int(round(start * 0.01 * rng.random()))
    new = end - start + exits + to_poor + other_dec - from_poor - relapse - other_inc
    if new < 0:
        exits, new = exits - new, 0
    values = (start, exits, to_poor, other_dec, from_poor, relapse, new, other_inc, end)
    return dict(zip(C_TERMS, values, strict=True))


def _people(
    hh: dict[str, int],
    terms: tuple[str, ...],
    fixed: dict[str, int],
    rng: np.random.Generator,
    cap: int,
) -> dict[str, int]:
    """The "Nhân khẩu" row of a movement: 3.2–4.8 persons a household per term, the start
    balancing ``9 = 1 - 2 - 3 - 4 + 5 + 6 + 7 + 8``, never fewer persons than households."""
    out = {t: fixed.get(t, int(round(hh[t] * (3.2 + 1.6 * rng.random())))) for t in terms[1:]}
    out[terms[-1]] = min(out[terms[-1]], max(cap, hh[terms[-1]]))
    moves = sum(s * out[t] for s, t in zip(SIGNS, terms[1:-1], strict=True))
    start = out[terms[-1]] - moves
    deficit = hh[terms[0]] - start
    if deficit > 0:  # too few persons at the start: more persons left during the year
        outs = [t for t in terms[1:4] if t not in fixed and hh[t] > 0]
        target = max(outs, key=lambda t: hh[t]) if outs else terms[-1]
        out[target] += deficit
        start += deficit
    return {terms[0]: start, **out}


def _groups(poor: int, em: int, near: int, rng: np.random.Generator) -> dict[str, int]:
    """D1–D10: ethnic minority, no labour, merit, other (= total minus the three)."""
    no_labour = min(int(round(poor * (0.05 + 0.15 * rng.random()))), poor - em)
    merit = min(int(round(poor * 0.04 * rng.random())), poor - em - no_labour)
    near_em = min(near, int(round(near * (em / poor if poor else 0.3 * rng.random()))))
    near_nl = min(int(round(near * (0.03 + 0.1 * rng.random()))), near - near_em)
    near_merit = min(int(round(near * 0.05 * rng.random())), near - near_em - near_nl)
    values = (
        poor, em, no_labour, merit, poor - em - no_labour - merit,
        near, near_em, near_nl, near_merit, near - near_em - near_nl - near_merit,
    )  # fmt: skip
    return dict(zip(D_TERMS, values, strict=True))


def _group_people(d: dict[str, int], poor_people: int, near_people: int) -> dict[str, int]:
    """The groups' persons in proportion to their households (the remainder in "Khác")."""
    out: dict[str, int] = {}
    for total, parts, persons in (
        ("poor_total", D_TERMS[1:4], poor_people),
        ("near_poor_total", D_TERMS[6:9], near_people),
    ):
        out[total] = persons
        for p in parts:
            out[p] = persons * d[p] // d[total] if d[total] else 0
        rest = D_TERMS[D_TERMS.index(parts[-1]) + 1]
        out[rest] = persons - sum(out[p] for p in parts)
    return out
