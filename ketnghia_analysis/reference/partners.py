"""Partner registry: fold the spellings of one twinning unit into one partner_id."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from rapidfuzz import fuzz, process

from ketnghia_analysis.core.legacy import fix_mojibake, legacy_candidates
from ketnghia_analysis.core.paths import REFERENCE_DIR
from ketnghia_analysis.core.text import normalize

# Conservative fuzzy matching: a spelling joins a known partner only when it is
# very close AND clearly closer to it than to any other partner.
FUZZY_MIN = 92.0
FUZZY_MARGIN = 4.0

# Words that do not distinguish a unit: "Sở Tài Chính tỉnh Quảng Nam" is "Sở Tài chính".
_TRAILING = re.compile(r"\s*(?:-|,)?\s*(?:(?:tinh|tp\.?|thanh pho)\s+)?quang nam\s*$")


def fold(text: object) -> str:
    """Fold a partner spelling to a comparison key: no tone marks, lower case, single spaces.

    >>> fold("Sở Tài Chính tỉnh Quảng Nam")
    'so tai chinh'
    >>> fold("  Sở  KH&ĐT ")
    'so kh&dt'
    """
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    value = (
        unicodedata.normalize("NFD", fix_mojibake(str(text)))
        .replace("\u0111", "d")
        .replace("\u0110", "D")
    )
    value = "".join(ch for ch in value if unicodedata.category(ch) != "Mn")
    value = value.lower().replace("\u00a0", " ").replace("\u200b", "")
    value = re.sub(r"[^\w&]+", " ", value)
    value = re.sub(r"\s+", " ", value).strip()
    value = _TRAILING.sub("", value).strip()
    return value


def clean(text: object) -> str:
    """The spelling as shown to people: TCVN3/VNI mojibake decoded, NFC, single spaces."""
    return normalize(fix_mojibake(str(text)))


def _new_id(key: str) -> str:
    # Stable across builds and independent of file order: a hash of the folded name.
    return "PX" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:6].upper()


@dataclass
class Resolution:
    """How one spelling was resolved."""

    partner_id: str
    partner_name: str
    partner_type: str | None
    method: str  # "exact" | "fuzzy" | "new"
    score: float = 100.0


@dataclass
class PartnerRegistry:
    """The registry of twinning units, grown by the spellings met in returns.

    Parameters
    ----------
    known : DataFrame
        partner_id, partner_name, partner_type, aliases (list of str or '|'-joined text).
    """

    known: pd.DataFrame
    _keys: dict[str, str] = field(default_factory=dict, init=False)
    _rows: dict[str, dict] = field(default_factory=dict, init=False)
    _seen: dict[str, set[str]] = field(default_factory=dict, init=False)
    _review: dict[str, dict] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for rec in self.known.to_dict("records"):
            pid = str(rec["partner_id"]).strip()
            aliases = rec.get("aliases")
            if isinstance(aliases, str):
                aliases = [a for a in aliases.split("|") if a.strip()]
            elif aliases is None or (isinstance(aliases, float) and pd.isna(aliases)):
                aliases = []
            aliases = [clean(a) for a in aliases]
            ptype = rec.get("partner_type")
            self._rows[pid] = {
                "partner_id": pid,
                "partner_name": clean(rec["partner_name"]),
                "partner_type": None if ptype is None or pd.isna(ptype) else str(ptype),
                "aliases": list(dict.fromkeys(aliases)),
            }
            for spelling in [rec["partner_name"], *aliases]:
                key = fold(spelling)
                if key:
                    self._keys.setdefault(key, pid)

    @classmethod
    def load(cls, path: Path | None = None) -> PartnerRegistry:
        """The shipped registry (gazetteer.partners(), else reference/partners.csv)."""
        if path is None:
            try:
                from ketnghia_analysis.reference import gazetteer

                return cls(gazetteer.partners())
            except (ImportError, AttributeError):
                path = REFERENCE_DIR / "partners.csv"
        frame = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
        return cls(frame)

    def resolve(self, spelling: object, partner_type: object = None) -> Resolution | None:
        """The partner a spelling denotes; an unknown partner is added, never dropped.

        Returns None only for a blank spelling.
        """
        key = fold(spelling)
        if not key:
            return None
        text = clean(spelling)
        pid = self._keys.get(key)
        if pid is None:
            # short legacy-font texts ("BCHQS tænh") carry too little evidence for
            # fix_mojibake: try each decoding against the known spellings
            for _, decoded in legacy_candidates(str(spelling)):
                pid = self._keys.get(fold(decoded))
                if pid is not None:
                    text = clean(decoded)
                    break
        method, score = "exact", 100.0
        if pid is None:
            pid, score = self._fuzzy(key)
            method = "fuzzy" if pid else "new"
        if pid is None:
            pid = _new_id(key)
            ptype = None if partner_type is None or pd.isna(partner_type) else str(partner_type)
            self._rows[pid] = {
                "partner_id": pid,
                "partner_name": text,
                "partner_type": ptype,
                "aliases": [],
            }
            self._review[pid] = {"partner_id": pid, "partner_name": text, "method": "new"}
        elif method == "fuzzy":
            self._review.setdefault(
                pid + "|" + text,
                {"partner_id": pid, "partner_name": text, "method": f"fuzzy {score:.0f}"},
            )
        self._keys[key] = pid
        row = self._rows[pid]
        if text != row["partner_name"]:
            self._seen.setdefault(pid, set()).add(text)
        return Resolution(pid, row["partner_name"], row["partner_type"], method, score)

    def _fuzzy(self, key: str) -> tuple[str | None, float]:
        choices = list(self._keys)
        if not choices:
            return None, 0.0
        best = process.extract(key, choices, scorer=fuzz.ratio, limit=5)
        if not best or best[0][1] < FUZZY_MIN:
            return None, 0.0
        top_id = self._keys[best[0][0]]
        rivals = [s for k, s, _ in best[1:] if self._keys[k] != top_id]
        if rivals and best[0][1] - rivals[0] < FUZZY_MARGIN:
            return None, 0.0
        return top_id, float(best[0][1])

    def table(self) -> pd.DataFrame:
        """partners.parquet: partner_id, partner_name, partner_type, aliases (spellings seen)."""
        rows = []
        for pid, row in self._rows.items():
            aliases = list(dict.fromkeys([*row["aliases"], *sorted(self._seen.get(pid, ()))]))
            rows.append({**row, "aliases": aliases})
        frame = pd.DataFrame(
            rows, columns=["partner_id", "partner_name", "partner_type", "aliases"]
        )
        return frame.sort_values("partner_id", kind="stable").reset_index(drop=True)

    def review(self) -> pd.DataFrame:
        """Partners added or matched fuzzily in this build, for an analyst to confirm."""
        return pd.DataFrame(
            list(self._review.values()), columns=["partner_id", "partner_name", "method"]
        )
