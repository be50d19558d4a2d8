"""Who may do what: the roles, the actions and THE permission table of the trial service.

Every route and every page asks :func:`allowed` before it acts; nothing else grants a
right. A role sees the patients of its own sites only, except ``admin`` and ``sponsor``
(:func:`sees_all_sites`); ``monitor`` and ``sponsor`` only read (:func:`read_only`).

The table follows the division of work in a radioligand therapy trial (ICH E6(R3) GCP
section 3, "Investigator"; EANM/SNMMI dosimetry guidance for the physicist's role):

- ``coordinator`` registers and screens patients, enrols them and records cycles;
- ``physicist`` writes imaging results and approves a cycle's dosimetry;
- ``physician`` prescribes the next activity, records cycles, DLTs and RECIST;
- ``statistician`` runs the escalation decision and the analyses;
- ``investigator`` does everything clinical and signs the escalation decision;
- ``monitor`` reads all data of their sites, the audit trail included (source data
  verification needs the pseudonym map);
- ``sponsor`` reads everything at every site, but not the pseudonym map nor the audit trail;
- ``admin`` manages users and sites and may do everything.

Every role may read the trials and create its own API token.

Examples
--------
>>> allowed("physicist", Action.APPROVE_DOSIMETRY), allowed(Role.SPONSOR, Action.READ_AUDIT)
(True, False)
>>> sees_all_sites("sponsor"), read_only("monitor"), read_only("coordinator")
(True, True, False)
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "PERMISSIONS",
    "READ_ACTIONS",
    "Action",
    "Role",
    "allowed",
    "read_only",
    "sees_all_sites",
]


class Role(enum.StrEnum):
    """The roles of the trial service (one per user)."""

    ADMIN = "admin"
    INVESTIGATOR = "investigator"
    PHYSICIAN = "physician"
    PHYSICIST = "physicist"
    COORDINATOR = "coordinator"
    STATISTICIAN = "statistician"
    MONITOR = "monitor"
    SPONSOR = "sponsor"


class Action(enum.StrEnum):
    """One thing a route does; each route asks the table for exactly one."""

    READ_TRIALS = "read_trials"
    MANAGE_USERS = "manage_users"
    MANAGE_SITES = "manage_sites"
    READ_PATIENTS = "read_patients"
    WRITE_PATIENTS = "write_patients"
    SCREEN = "screen"
    ENROL = "enrol"
    READ_IMAGING = "read_imaging"
    WRITE_IMAGING = "write_imaging"
    RECORD_CYCLE = "record_cycle"
    APPROVE_DOSIMETRY = "approve_dosimetry"
    PRESCRIBE = "prescribe"
    RECORD_DLT = "record_dlt"
    RUN_ESCALATION = "run_escalation"
    SIGN_ESCALATION = "sign_escalation"
    WRITE_RECIST = "write_recist"
    RUN_ANALYSES = "run_analyses"
    READ_AUDIT = "read_audit"
    READ_PSEUDONYM_MAP = "read_pseudonym_map"
    RUN_JOBS = "run_jobs"
    CREATE_TOKEN = "create_token"


READ_ACTIONS = frozenset(
    {
        Action.READ_TRIALS,
        Action.READ_PATIENTS,
        Action.READ_IMAGING,
        Action.READ_AUDIT,
        Action.READ_PSEUDONYM_MAP,
        Action.CREATE_TOKEN,
    }
)
"""Actions that change no trial data (a personal token changes only its owner's access)."""

_A, _I, _PN, _PT = Role.ADMIN, Role.INVESTIGATOR, Role.PHYSICIAN, Role.PHYSICIST
_C, _S, _M, _SP = Role.COORDINATOR, Role.STATISTICIAN, Role.MONITOR, Role.SPONSOR
_EVERYONE = frozenset(Role)

PERMISSIONS: Mapping[Action, frozenset[Role]] = MappingProxyType(
    {
        Action.READ_TRIALS: _EVERYONE,
        Action.CREATE_TOKEN: _EVERYONE,
        Action.MANAGE_USERS: frozenset({_A}),
        Action.MANAGE_SITES: frozenset({_A}),
        Action.READ_PATIENTS: _EVERYONE,
        Action.WRITE_PATIENTS: frozenset({_A, _I, _C}),
        Action.SCREEN: frozenset({_A, _I, _C}),
        Action.ENROL: frozenset({_A, _I, _C}),
        Action.READ_IMAGING: _EVERYONE,
        Action.WRITE_IMAGING: frozenset({_A, _I, _PT}),
        Action.RECORD_CYCLE: frozenset({_A, _I, _PN, _C}),
        Action.APPROVE_DOSIMETRY: frozenset({_A, _I, _PT}),
        Action.PRESCRIBE: frozenset({_A, _I, _PN}),
        Action.RECORD_DLT: frozenset({_A, _I, _PN}),
        Action.RUN_ESCALATION: frozenset({_A, _I, _S}),
        Action.SIGN_ESCALATION: frozenset({_A, _I}),
        Action.WRITE_RECIST: frozenset({_A, _I, _PN}),
        Action.RUN_ANALYSES: frozenset({_A, _I, _S}),
        Action.READ_AUDIT: frozenset({_A, _M}),
        Action.READ_PSEUDONYM_MAP: frozenset({_A, _I, _PN, _C, _M}),
        Action.RUN_JOBS: frozenset({_A, _I, _PT, _S}),
    }
)
"""THE permission table: action -> the roles that may do it (nothing else grants a right)."""

_ALL_SITES = frozenset({Role.ADMIN, Role.SPONSOR})
_READ_ONLY = frozenset({Role.MONITOR, Role.SPONSOR})


def _role(role: Role | str) -> Role | None:
    try:
        return Role(role)
    except ValueError:
        return None


def allowed(role: Role | str, action: Action) -> bool:
    """Whether ``role`` may do ``action`` (an unknown role may do nothing).

    Examples
    --------
    >>> allowed("coordinator", Action.ENROL), allowed("monitor", Action.ENROL)
    (True, False)
    >>> allowed("root", Action.READ_TRIALS)
    False
    """
    known = _role(role)
    return known is not None and known in PERMISSIONS.get(action, frozenset())


def sees_all_sites(role: Role | str) -> bool:
    """Whether ``role`` sees the patients of every site (admin and sponsor).

    Examples
    --------
    >>> sees_all_sites("admin"), sees_all_sites("investigator")
    (True, False)
    """
    return _role(role) in _ALL_SITES


def read_only(role: Role | str) -> bool:
    """Whether ``role`` only reads trial data (monitor and sponsor).

    Examples
    --------
    >>> read_only("sponsor"), read_only("physician")
    (True, False)
    """
    return _role(role) in _READ_ONLY
