"""Dose-finding designs for phase I trials, their decisions and operating characteristics.

Designs (one interface, :class:`~theratrial.design.decision.DoseFindingDesign`):
:class:`ThreePlusThree` (with or without de-escalation), :class:`Boin` (Liu & Yuan 2015),
:class:`Crm` (power model, dfcrm conventions), :class:`Mtpi2` (Guo et al. 2017) and
:class:`I3plus3` (Liu et al. 2020). Given the dose levels and the accrued DLT data per level
(:class:`DoseData`), ``design.decide(data, current=..., start=...)`` returns a
:class:`Decision`: escalate, stay, de-escalate, eliminate, stop or select the MTD, with the
numbers behind it. :func:`simulate` gives operating characteristics (vectorised, seeded),
:func:`decision_table` the decision grid for the protocol, and :func:`decide_per_cohort` one
decision per independently escalating cohort from :class:`DltRecord` rows.
"""

from theratrial.design.boin import Boin, BoinBoundaries, boin_boundaries
from theratrial.design.cohorts import (
    CohortDecision,
    CohortPlan,
    DltRecord,
    current_level_from_records,
    decide_per_cohort,
    split_by_cohort,
    tally_dlt,
)
from theratrial.design.crm import Crm, CrmPosterior, crm_posterior_rows, crm_skeleton
from theratrial.design.decision import (
    Action,
    Decision,
    DoseFindingDesign,
    LevelEstimate,
    MtdSelection,
    infer_current_index,
)
from theratrial.design.dosedata import DoseData, read_dose_data
from theratrial.design.factory import DESIGN_NAMES, canonical_name, create_design
from theratrial.design.i3plus3 import I3plus3
from theratrial.design.isotonic import pava, select_isotonic
from theratrial.design.mtpi2 import Mtpi2, mtpi2_intervals
from theratrial.design.simulation import (
    OperatingCharacteristics,
    exact_operating_characteristics,
    simulate,
)
from theratrial.design.tables import DecisionRow, DecisionTable, decision_table
from theratrial.design.threeplusthree import ThreePlusThree, escalation_probability

__all__ = [
    "DESIGN_NAMES",
    "Action",
    "Boin",
    "BoinBoundaries",
    "CohortDecision",
    "CohortPlan",
    "Crm",
    "CrmPosterior",
    "Decision",
    "DecisionRow",
    "DecisionTable",
    "DltRecord",
    "DoseData",
    "DoseFindingDesign",
    "I3plus3",
    "LevelEstimate",
    "MtdSelection",
    "Mtpi2",
    "OperatingCharacteristics",
    "ThreePlusThree",
    "boin_boundaries",
    "canonical_name",
    "create_design",
    "crm_posterior_rows",
    "crm_skeleton",
    "current_level_from_records",
    "decide_per_cohort",
    "decision_table",
    "escalation_probability",
    "exact_operating_characteristics",
    "infer_current_index",
    "mtpi2_intervals",
    "pava",
    "read_dose_data",
    "select_isotonic",
    "simulate",
    "split_by_cohort",
    "tally_dlt",
]
