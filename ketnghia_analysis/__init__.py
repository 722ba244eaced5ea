"""ketnghia_analysis: read Quảng Nam's twinning (kết nghĩa) returns and judge the programme.

Nothing runs at import. The public entry points for analysts are `load` and `label`;
notebooks check their parameters with `params`; `Builder(raw, out).build()` rebuilds the
tables again and again, reading only the files that changed (building/warm.py).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Builder", "__version__", "label", "load", "params"]


def __getattr__(name: str):
    """`Builder` (building/warm.py) on first use: importing the package imports nothing."""
    if name == "Builder":
        from ketnghia_analysis.building.warm import Builder

        return Builder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load(processed_dir="data/processed"):
    """Load every processed table (see ../shared/spec/tables.md) with proper dtypes."""
    from ketnghia_analysis.analysis.tables import load as _load

    return _load(processed_dir)


def label(name: str) -> str:
    """Vietnamese label of a column or indicator with the unit of its stored values.

    Rates are stored as fractions 0–1: ``label("poverty_rate_end")`` is
    'Tỷ lệ hộ nghèo cuối năm (phân số 0–1, ×100 = %)'. Charts and report tables show
    rates as percents and label them with ``reporting.charts.label`` ('… (%)').
    """
    from ketnghia_analysis.reference.glossary import data_label

    return data_label(name)


def params(year, district_code="", processed_dir="data/processed", *, district_required=False):
    """A notebook's parameters checked and normalised (the rules of `ketnghia report`).

    Returns a `Params` (year: int, district_code: str, "" = province, processed_dir: the
    absolute folder); a wrong value raises one Vietnamese sentence, shown without traceback.
    """
    from ketnghia_analysis.reporting.params import params as _params

    return _params(year, district_code, processed_dir, district_required=district_required)
