"""The kinds of job and their parameters.

=====================  ==================================================================
kind                   does what this command does (parameters: its options, ``_`` for ``-``)
=====================  ==================================================================
``design_simulation``  ``theratrial design simulate`` (result: its ``--json`` object)
``virtual_cohort``     ``theratrial phantom-cohort OUT_DIR`` (``out_dir`` a new folder)
``quantify``           ``theratrial quantify STUDY --masks M --db URL`` (stored table)
``dosimetry``          ``theratrial dosimetry PATIENT_DIR`` (result: per-cycle doses)
``pacs_import``        pull a study (WADO-RS), de-identify it under a pseudonym, quantify, store
=====================  ==================================================================

Paths in the parameters are resolved to absolute paths when the job is submitted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from theratrial.errors import ParameterError
from theratrial.jobs._base import JobKind, Outcome, jsonable
from theratrial.jobs._design_kinds import DESIGN_SIMULATION, VIRTUAL_COHORT
from theratrial.jobs._image_kinds import DOSIMETRY, QUANTIFY
from theratrial.jobs._pacs_kinds import PACS_IMPORT

__all__ = ["JOB_KINDS", "KINDS", "JobKind", "Outcome", "check_params"]

KINDS: Mapping[str, JobKind] = {
    k.name: k for k in (DESIGN_SIMULATION, VIRTUAL_COHORT, QUANTIFY, DOSIMETRY, PACS_IMPORT)
}
JOB_KINDS = ("design_simulation", "virtual_cohort", "quantify", "dosimetry", "pacs_import")


def check_params(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The checked, complete parameters of a ``kind`` job (defaults filled, paths absolute).

    Raises
    ------
    ParameterError
        Naming ``kind`` or ``params.FIELD`` and what to give instead.

    Examples
    --------
    >>> check_params("design_simulation", {"truth": "0.1,0.3", "target": 0.3})["n_trials"]
    10000
    """
    if kind not in KINDS:
        raise ParameterError(
            f"unknown job kind {kind!r}", field="kind", hint=f"one of {', '.join(JOB_KINDS)}"
        )
    spec = KINDS[kind].parse(params)
    checked: dict[str, Any] = jsonable(spec)
    return checked
