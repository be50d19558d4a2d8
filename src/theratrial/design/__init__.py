"""Dose-finding designs for phase I trials, their decisions and operating characteristics.

Designs (one interface, :class:`~theratrial.design.decision.DoseFindingDesign`):
:class:`ThreePlusThree` (with or without de-escalation), :class:`Boin` (Liu & Yuan 2015),
:class:`Crm` (power model, dfcrm conventions), :class:`Mtpi2` (Guo et al. 2017) and
:class:`I3plus3` (Liu et al. 2020). Given the dose levels and the accrued DLT data per level
(:class:`DoseData`), ``design.decide(data, current=..., start=...)`` returns a
:class:`Decision`: escalate, stay, de-escalate, eliminate, stop or select the MTD, with the
numbers behind it — or ``wait`` while the last cohort is incomplete
(:func:`decide_when_complete`). :func:`simulate` gives operating characteristics (vectorised,
seeded),
:func:`decision_table` the decision grid for the protocol, and :func:`decide_per_cohort` one
decision per independently escalating cohort from :class:`DltRecord` rows.
:func:`enumerate_threeplusthree` gives the 3+3's exact operating characteristics.
"""

from theratrial.design.boin import Boin, BoinBoundaries, boin_boundaries
from theratrial.design.cohorts import (
    CohortDecision,
    CohortPlan,
    DltRecord,
    current_level_from_records,
    decide_per_cohort,
    open_dlt_windows,
    split_by_cohort,
    tally_dlt,
)
from theratrial.design.completeness import decide_when_complete, missing_enrolment
from theratrial.design.crm import Crm, CrmPosterior, crm_posterior_rows, crm_skeleton
from theratrial.design.decision import (
    Action,
    Decision,
    DoseFindingDesign,
    LevelEstimate,
    MissingData,
    MtdSelection,
    infer_current_index,
)
from theratrial.design.dosedata import DoseData, DoseFile, read_dose_data, read_dose_file
from theratrial.design.enumeration import enumerate_threeplusthree
from theratrial.design.factory import DESIGN_NAMES, canonical_name, create_design
from theratrial.design.i3plus3 import I3plus3
from theratrial.design.isotonic import pava, select_isotonic
from theratrial.design.mtpi2 import Mtpi2, mtpi2_intervals
from theratrial.design.simulation import (
    MAX_SAMPLE_SIZE,
    MAX_SEED,
    MAX_TRIALS,
    OperatingCharacteristics,
    check_seed,
    exact_operating_characteristics,
    simulate,
)
from theratrial.design.tables import DecisionRow, DecisionTable, decision_table
from theratrial.design.threeplusthree import ThreePlusThree, escalation_probability

__all__ = [
    "DESIGN_NAMES",
    "MAX_SAMPLE_SIZE",
    "MAX_SEED",
    "MAX_TRIALS",
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
    "DoseFile",
    "DoseFindingDesign",
    "I3plus3",
    "LevelEstimate",
    "MissingData",
    "MtdSelection",
    "Mtpi2",
    "OperatingCharacteristics",
    "ThreePlusThree",
    "boin_boundaries",
    "canonical_name",
    "check_seed",
    "create_design",
    "crm_posterior_rows",
    "crm_skeleton",
    "current_level_from_records",
    "decide_per_cohort",
    "decide_when_complete",
    "decision_table",
    "enumerate_threeplusthree",
    "escalation_probability",
    "exact_operating_characteristics",
    "infer_current_index",
    "missing_enrolment",
    "mtpi2_intervals",
    "open_dlt_windows",
    "pava",
    "read_dose_data",
    "read_dose_file",
    "select_isotonic",
    "simulate",
    "split_by_cohort",
    "tally_dlt",
]
