"""Indicators: the single home of every formula (pure functions of the processed tables).

Every function takes ``tables`` (a ``dict[str, DataFrame]`` such as the object returned
by ``ketnghia_analysis.load``) and returns a tidy DataFrame. ``level`` is one of
``"commune"``, ``"district"``, ``"province"``, ``"unit_2025"``; ``by`` adds grouping
columns from :func:`commune_frame` (``"twinned"``, ``"ever_twinned"``, ``"similar"``,
``"mountainous"``, ``"ethnic_region"``, ``"border"``, ...) or, for :func:`support`, from
the support table (``"partner_id"``, ``"partner_type"``).

Rules kept everywhere:

- rates are recomputed from summed counts, never averaged; a commune enters a rate only
  when both its numerator and its denominator are reported;
- every poverty series carries its ``poverty_standard`` and ``standard_break`` marks the
  first year of a new standard (2022): levels on either side are not comparable (the
  standard of a year comes from ``reference.standards``);
- NTM criteria 3, 11, 12, 13 changed content with the 2021-2025 set (``changed_2022``).

Every total states its coverage: ``coverage`` counts the communes of a unit with data
against those of the unit that year, ``coverage_gaps`` names the missing ones and why.

One module per subject: ``frames`` (grouping keys and shared arithmetic), ``coverage``, ``poverty``,
``exits`` (sustainable exit and flows into poverty, from the official review forms), ``ntm``, ``support`` (inputs, model survival, partner scorecards), ``panels`` (commune
outcome panels and excess changes) and ``reconcile`` (returns against published figures).
"""

from ketnghia_analysis.analysis.indicators.coverage import (
    COVERAGE_FORMS,
    coverage,
    coverage_gaps,
    expected_communes,
)
from ketnghia_analysis.analysis.indicators.exits import (
    EXIT_RATES,
    exit_coverage,
    exits,
    sustainable_exit_rate,
)
from ketnghia_analysis.analysis.indicators.frames import (
    COMMUNE_ATTRIBUTES,
    LEVEL_KEYS,
    commune_frame,
    ratio,
    twinning_status,
)
from ketnghia_analysis.analysis.indicators.ntm import (
    bottlenecks,
    criteria_gained,
    criteria_shares,
    ntm,
)
from ketnghia_analysis.analysis.indicators.panels import (
    commune_excess_change,
    commune_outcome_panel,
)
from ketnghia_analysis.analysis.indicators.poverty import POVERTY_RATES, poverty
from ketnghia_analysis.analysis.indicators.reconcile import reconcile_published
from ketnghia_analysis.analysis.indicators.support import (
    SURVIVING_STATUSES,
    model_survival,
    partner_scorecard,
    support,
)

__all__ = [
    "COMMUNE_ATTRIBUTES",
    "COVERAGE_FORMS",
    "EXIT_RATES",
    "LEVEL_KEYS",
    "POVERTY_RATES",
    "SURVIVING_STATUSES",
    "bottlenecks",
    "commune_excess_change",
    "commune_frame",
    "commune_outcome_panel",
    "coverage",
    "coverage_gaps",
    "criteria_gained",
    "criteria_shares",
    "exit_coverage",
    "exits",
    "expected_communes",
    "model_survival",
    "ntm",
    "partner_scorecard",
    "poverty",
    "ratio",
    "reconcile_published",
    "support",
    "sustainable_exit_rate",
    "twinning_status",
]
