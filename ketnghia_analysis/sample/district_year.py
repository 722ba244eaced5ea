"""The world's rows of each district-year, as the forms of one return need them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

Key = tuple[int, str]  # (year, district_code)


@dataclass(frozen=True)
class DistrictYear:
    """The units and truth rows of one district-year, and the forms its return holds."""

    units: list[dict]  # commune_code, commune_name, commune_type of every unit
    poverty: list[dict]
    ntm_status: list[dict]
    criteria: dict[str, list[bool]]  # commune_code -> the 19 met flags
    support: list[dict]
    models: list[dict]

    @property
    def commune_type(self) -> dict[str, str]:
        """commune_code -> xã / phường / thị trấn."""
        return {r["commune_code"]: r["commune_type"] for r in self.units}

    @property
    def names(self) -> dict[str, str]:
        """commune_code -> official name of the year."""
        return {r["commune_code"]: r["commune_name"] for r in self.units}

    @property
    def forms(self) -> list[str]:
        """02/HN and 03/NTM always; 01/KN and 04/MH where the district has pairs (and models)."""
        forms = ["poverty", "ntm"] + (["support", "models"] if self.support else [])
        if self.support and not self.models:
            forms.remove("models")
        return forms


@dataclass(frozen=True)
class WorldIndex:
    """The world's tables split by district-year, and the lookups every return uses."""

    rows: dict[str, dict[Key, list[dict]]]  # table -> (year, district) -> records
    criteria: dict[tuple[int, str, str], list[bool]]
    units: dict[Key, list[dict]]
    klass: dict[str, str]  # commune_code -> kv3 / kv12 / mtn / plain
    aliases: dict[str, list[str]]
    partner_names: dict[str, str]

    def district_year(self, year: int, district_code: str) -> DistrictYear:
        """The rows of one district-year."""
        key = (year, district_code)
        status = self.rows["ntm_status"].get(key, [])
        return DistrictYear(
            units=self.units[key],
            poverty=self.rows["poverty"].get(key, []),
            ntm_status=status,
            criteria={
                r["commune_code"]: self.criteria[(year, district_code, r["commune_code"])]
                for r in status
            },
            support=self.rows["support"].get(key, []),
            models=self.rows["models"].get(key, []),
        )


def index_world(
    world: dict[str, pd.DataFrame], units_by_year: dict[int, pd.DataFrame]
) -> WorldIndex:
    """Split the world's tables by district-year (records in key order)."""
    registry = world["partners"]
    return WorldIndex(
        rows={
            "poverty": _split(world["poverty"], ["commune_code"]),
            "ntm_status": _split(world["ntm_status"], ["commune_code"]),
            "support": _split(world["support"], ["commune_code", "partner_id"]),
            "models": _split(world["models"], ["commune_code", "partner_id", "model_name"]),
        },
        criteria=_criteria(world["ntm_criteria"]),
        units=_units(units_by_year),
        klass=world["communes"].set_index("commune_code")["klass"].to_dict(),
        aliases={
            p: list(a) for p, a in zip(registry["partner_id"], registry["aliases"], strict=True)
        },
        partner_names=dict(zip(registry["partner_id"], registry["partner_name"], strict=True)),
    )


def _split(frame: pd.DataFrame, sort: list[str]) -> dict[Key, list[dict]]:
    out: dict[Key, list[dict]] = {}
    frame = frame.sort_values(["year", "district_code", *sort])
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for rec in records:
        out.setdefault((int(rec["year"]), str(rec["district_code"])), []).append(rec)
    return out


def _criteria(frame: pd.DataFrame) -> dict[tuple[int, str, str], list[bool]]:
    out: dict[tuple[int, str, str], list[bool]] = {}
    cr = frame.sort_values(["year", "commune_code", "criterion"])
    for y, d, c, m in zip(
        cr["year"].tolist(),
        cr["district_code"].tolist(),
        cr["commune_code"].tolist(),
        cr["met"].tolist(),
        strict=True,
    ):
        out.setdefault((int(y), d, c), []).append(bool(m))
    return out


def _units(units_by_year: dict[int, pd.DataFrame]) -> dict[Key, list[dict]]:
    out: dict[Key, list[dict]] = {}
    for y, frame in units_by_year.items():
        u = frame.sort_values("commune_code")
        for code, name, ctype, dcode in zip(
            u["commune_code"].tolist(),
            u["commune_name"].tolist(),
            u["commune_type"].tolist(),
            u["district_code"].tolist(),
            strict=True,
        ):
            out.setdefault((y, str(dcode)), []).append(
                {"commune_code": code, "commune_name": name, "commune_type": ctype}
            )
    return out
