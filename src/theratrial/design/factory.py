"""Build a design from its name and options (what the CLI and protocol files hold).

Names: ``3+3`` (aliases ``3plus3``, ``threeplusthree``), ``boin``, ``crm``, ``mtpi2``
(``mtpi-2``) and ``i3+3`` (``i3plus3``). See the design modules for the methods and their
references.
"""

from __future__ import annotations

from collections.abc import Sequence

from theratrial.design.boin import Boin
from theratrial.design.crm import Crm
from theratrial.design.decision import DoseFindingDesign
from theratrial.design.i3plus3 import I3plus3
from theratrial.design.mtpi2 import Mtpi2
from theratrial.design.threeplusthree import ThreePlusThree
from theratrial.errors import ParameterError

__all__ = ["DESIGN_NAMES", "canonical_name", "create_design"]

DESIGN_NAMES = ("3+3", "boin", "crm", "mtpi2", "i3+3")
_ALIASES = {
    "3+3": "3+3",
    "3plus3": "3+3",
    "threeplusthree": "3+3",
    "boin": "boin",
    "crm": "crm",
    "mtpi2": "mtpi2",
    "mtpi-2": "mtpi2",
    "i3+3": "i3+3",
    "i3plus3": "i3+3",
}


def canonical_name(name: str) -> str:
    """The canonical design name for ``name`` (case- and space-insensitive, aliases accepted).

    Examples
    --------
    >>> canonical_name("mTPI-2"), canonical_name("i3plus3"), canonical_name("3 + 3")
    ('mtpi2', 'i3+3', '3+3')
    """
    key = name.strip().lower().replace(" ", "")
    if key not in _ALIASES:
        raise ParameterError(
            f"unknown design {name!r}",
            field="design",
            hint=f"use one of {', '.join(DESIGN_NAMES)}",
        )
    return _ALIASES[key]


def create_design(
    name: str,
    *,
    target: float | None = None,
    skeleton: Sequence[float] | None = None,
    epsilon1: float = 0.05,
    epsilon2: float = 0.05,
    cutoff_eli: float = 0.95,
    n_earlystop: int = 100,
    extrasafe: bool = False,
    offset: float = 0.05,
    deescalation: bool = False,
    prior_var: float = 1.34,
    confirm_top: bool = True,
) -> DoseFindingDesign:
    """Create a design by name.

    Parameters
    ----------
    name
        Design name (see :data:`DESIGN_NAMES`).
    target
        Target DLT probability (all designs but the 3+3).
    skeleton
        CRM skeleton, one probability per level.
    epsilon1, epsilon2
        Equivalence interval margins of mTPI-2 and i3+3.
    cutoff_eli, n_earlystop
        Elimination cut-off and early-stopping size of the interval designs.
    extrasafe, offset
        BOIN extra-safe stopping rule.
    deescalation
        3+3 with de-escalation.
    confirm_top
        3+3: expand a 0/3 top level to six before selecting it (``False``: select it
        directly, as Storer 1989 and bcrm ``threep3``).
    prior_var
        CRM prior variance of beta.

    Examples
    --------
    >>> create_design("boin", target=0.25).name
    'boin'
    >>> create_design("3+3", deescalation=True)
    ThreePlusThree(deescalation=True, confirm_top=True)
    """
    kind = canonical_name(name)
    if kind == "3+3":
        return ThreePlusThree(deescalation=deescalation, confirm_top=confirm_top)
    if target is None:
        raise ParameterError(
            f"the {kind} design needs a target DLT probability",
            field="target",
            hint="give a target such as 0.25",
        )
    if kind == "boin":
        return Boin(
            target,
            cutoff_eli=cutoff_eli,
            extrasafe=extrasafe,
            offset=offset,
            n_earlystop=n_earlystop,
        )
    if kind == "mtpi2":
        return Mtpi2(
            target,
            epsilon1=epsilon1,
            epsilon2=epsilon2,
            cutoff_eli=cutoff_eli,
            n_earlystop=n_earlystop,
        )
    if kind == "i3+3":
        return I3plus3(
            target,
            epsilon1=epsilon1,
            epsilon2=epsilon2,
            cutoff_eli=cutoff_eli,
            n_earlystop=n_earlystop,
        )
    if skeleton is None:
        raise ParameterError(
            "the CRM needs a skeleton", field="skeleton", hint="give one probability per level"
        )
    return Crm(target, skeleton=tuple(skeleton), prior_var=prior_var)
