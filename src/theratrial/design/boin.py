"""The Bayesian optimal interval (BOIN) design.

Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials.
J R Stat Soc C 2015;64:507-523. Yuan Y, Hess KR, Hilsenbeck SG, Gilbert MR. Bayesian optimal
interval design: a simple and well-performing design for phase I oncology trials. Clin Cancer
Res 2016;22:4291-4301. Conventions follow the BOIN R package 2.7 (Yan et al. J Stat Softw
2020;94(13)): ``get.boundary``, ``get.oc``, ``select.mtd``.

With target ``phi``, ``phi1 = 0.6 phi`` (highest rate deemed sub-therapeutic) and
``phi2 = 1.4 phi`` (lowest rate deemed overly toxic)::

    lambda_e = ln((1 - phi1)/(1 - phi)) / ln(phi (1 - phi1) / (phi1 (1 - phi)))
    lambda_d = ln((1 - phi)/(1 - phi2)) / ln(phi2 (1 - phi) / (phi (1 - phi2)))

Escalate when ``y/n <= lambda_e`` (``y <= floor(lambda_e n)``), de-escalate when
``y/n >= lambda_d`` (``y >= ceil(lambda_d n)``), otherwise stay. A level and all above it are
eliminated when ``n >= 3`` and ``Pr(p > phi | y, n) > 0.95`` (Beta(1, 1) prior); the
de-escalation count is capped at the elimination count. For phi = 0.25, lambda_e = 0.1968 and
lambda_d = 0.2984. A de-escalation design (ACTION-1: start at 120 kBq/kg, then 90 and 60)
is the same design started at the top level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from theratrial.design._checks import (
    check_count,
    check_probability,
    check_sample_size,
    check_target,
)
from theratrial.design._interval import (
    DU,
    NO_BOUND,
    D,
    E,
    S,
    decide_interval,
    elimination_bound,
    elimination_bounds,
    overdose_probability,
    select_mtd_interval,
)
from theratrial.design.decision import Decision, MtdSelection
from theratrial.design.dosedata import DoseData
from theratrial.errors import ParameterError

__all__ = ["Boin", "BoinBoundaries", "boin_boundaries"]


@dataclass(frozen=True, slots=True)
class BoinBoundaries:
    """BOIN boundaries and the per-n decision counts.

    Attributes
    ----------
    target, p_saf, p_tox
        phi, phi1, phi2.
    lambda_e, lambda_d
        Escalation and de-escalation boundaries on the observed DLT rate.
    n
        Patients treated at the current level, 1..max_n.
    escalate_if_dlt_le
        Escalate if the DLT count is at most this.
    deescalate_if_dlt_ge
        De-escalate if the DLT count is at least this (capped at the elimination count).
    eliminate_if_dlt_ge
        Eliminate the level (and above) if the DLT count is at least this; ``None`` when no
        count qualifies (always for n < 3).
    """

    target: float
    p_saf: float
    p_tox: float
    cutoff_eli: float
    lambda_e: float
    lambda_d: float
    n: tuple[int, ...]
    escalate_if_dlt_le: tuple[int, ...]
    deescalate_if_dlt_ge: tuple[int, ...]
    eliminate_if_dlt_ge: tuple[int | None, ...]


def _lambdas(target: float, p_saf: float, p_tox: float) -> tuple[float, float]:
    lam_e = math.log((1 - p_saf) / (1 - target)) / math.log(
        target * (1 - p_saf) / (p_saf * (1 - target))
    )
    lam_d = math.log((1 - target) / (1 - p_tox)) / math.log(
        p_tox * (1 - target) / (target * (1 - p_tox))
    )
    return lam_e, lam_d


def boin_boundaries(
    target: float,
    *,
    max_n: int = 30,
    p_saf: float | None = None,
    p_tox: float | None = None,
    cutoff_eli: float = 0.95,
) -> BoinBoundaries:
    """BOIN escalation, de-escalation and elimination boundaries (``get.boundary``).

    Parameters
    ----------
    target
        Target DLT probability phi, in (0, 1).
    max_n
        Largest number of patients at a level to tabulate.
    p_saf, p_tox
        phi1 and phi2; default 0.6 phi and 1.4 phi.
    cutoff_eli
        Posterior probability cut-off of the elimination rule.

    Examples
    --------
    >>> b = boin_boundaries(0.25, max_n=12)
    >>> round(b.lambda_e, 4), round(b.lambda_d, 4)
    (0.1968, 0.2984)
    >>> [b.eliminate_if_dlt_ge[n - 1] for n in (3, 6, 9, 12)]
    [3, 4, 5, 6]
    """
    phi = check_target(target)
    phi1 = 0.6 * phi if p_saf is None else check_probability(p_saf, field="p_saf")
    phi2 = 1.4 * phi if p_tox is None else check_probability(p_tox, field="p_tox")
    if not phi1 < phi < phi2 < 1:
        raise ParameterError(
            f"p_saf={phi1:g} < target={phi:g} < p_tox={phi2:g} < 1 does not hold",
            field="p_tox" if phi2 <= phi or phi2 >= 1 else "p_saf",
            hint="choose p_saf below and p_tox above the target (defaults 0.6 and 1.4 x target)",
        )
    cutoff = check_probability(cutoff_eli, field="cutoff_eli")
    max_n = check_sample_size(max_n, field="max_n")
    lam_e, lam_d = _lambdas(phi, phi1, phi2)
    elim = elimination_bounds(phi, max_n, cutoff)
    ns = tuple(range(1, max_n + 1))
    esc = tuple(math.floor(lam_e * n) for n in ns)
    deesc_raw = [math.ceil(lam_d * n) for n in ns]
    elim_list: list[int | None] = [None if elim[n] == NO_BOUND else int(elim[n]) for n in ns]
    deesc = tuple(
        min(b, e) if e is not None else b for b, e in zip(deesc_raw, elim_list, strict=True)
    )
    return BoinBoundaries(
        target=phi,
        p_saf=phi1,
        p_tox=phi2,
        cutoff_eli=cutoff,
        lambda_e=lam_e,
        lambda_d=lam_d,
        n=ns,
        escalate_if_dlt_le=esc,
        deescalate_if_dlt_ge=deesc,
        eliminate_if_dlt_ge=tuple(elim_list),
    )


@dataclass(frozen=True, slots=True)
class Boin:
    """BOIN design (Liu & Yuan 2015) with the BOIN package's conduct rules.

    Parameters
    ----------
    target
        Target DLT probability phi in (0, 1); ACTION-1 used 0.25.
    p_saf, p_tox
        phi1 and phi2 (default 0.6 phi and 1.4 phi).
    cutoff_eli
        Elimination cut-off on ``Pr(p > phi | data)`` (0.95).
    extrasafe
        Stop when ``Pr(p_1 > phi) > cutoff_eli - offset`` at the lowest level (n >= 3).
    offset
        See ``extrasafe`` (0.05).
    n_earlystop
        Stop and select the MTD when this many patients are at the current level and the
        decision is to stay (100: off).
    bound_mtd
        Select as MTD only a level whose isotonic estimate lies below lambda_d.

    Examples
    --------
    ACTION-1-like de-escalation start at 120 kBq/kg with 2 DLTs in 6 patients:

    >>> data = DoseData((60, 90, 120), n=(0, 0, 6), dlt=(0, 0, 2))
    >>> decision = Boin(0.25).decide(data, start=120)
    >>> decision.action.value, decision.next_level
    ('de-escalate', 90.0)
    >>> decision.evidence["deescalate_if_dlt_ge"]
    2
    """

    target: float
    p_saf: float | None = None
    p_tox: float | None = None
    cutoff_eli: float = 0.95
    extrasafe: bool = False
    offset: float = 0.05
    n_earlystop: int = 100
    bound_mtd: bool = False

    def __post_init__(self) -> None:
        b = boin_boundaries(
            self.target, max_n=3, p_saf=self.p_saf, p_tox=self.p_tox, cutoff_eli=self.cutoff_eli
        )
        object.__setattr__(self, "target", b.target)
        object.__setattr__(self, "p_saf", b.p_saf)
        object.__setattr__(self, "p_tox", b.p_tox)
        object.__setattr__(self, "cutoff_eli", b.cutoff_eli)
        if not 0 <= self.offset < 0.5:
            raise ParameterError(
                f"offset {self.offset} is outside [0, 0.5)", field="offset", hint="use 0.05"
            )
        object.__setattr__(
            self, "n_earlystop", check_count(self.n_earlystop, field="n_earlystop", minimum=1)
        )

    @property
    def name(self) -> str:
        """``"boin"``."""
        return "boin"

    @property
    def lambdas(self) -> tuple[float, float]:
        """``(lambda_e, lambda_d)``."""
        assert self.p_saf is not None
        assert self.p_tox is not None
        return _lambdas(self.target, self.p_saf, self.p_tox)

    @property
    def mtd_max_rate(self) -> float | None:
        """lambda_d when ``bound_mtd`` is set, else ``None``."""
        return self.lambdas[1] if self.bound_mtd else None

    def boundaries(self, max_n: int = 30) -> BoinBoundaries:
        """The boundary table of this design up to ``max_n`` patients at a level."""
        return boin_boundaries(
            self.target,
            max_n=max_n,
            p_saf=self.p_saf,
            p_tox=self.p_tox,
            cutoff_eli=self.cutoff_eli,
        )

    def code_table(self, max_n: int) -> NDArray[np.int8]:
        """Decision codes E/S/D/DU (0..3) for ``n = 0..max_n`` (rows) and ``y`` (columns)."""
        lam_e, lam_d = self.lambdas
        elim = elimination_bounds(self.target, max_n, self.cutoff_eli)
        table = np.full((max_n + 1, max_n + 1), S, dtype=np.int8)
        for n in range(1, max_n + 1):
            b_e = math.floor(lam_e * n)
            b_d = min(math.ceil(lam_d * n), int(elim[n]))
            for y in range(n + 1):
                if y >= elim[n]:
                    table[n, y] = DU
                elif y <= b_e:
                    table[n, y] = E
                elif y >= b_d:
                    table[n, y] = D
        return table

    def code(self, n: int, dlt: int) -> int:
        """Decision code E/S/D/DU for ``dlt`` DLTs among ``n`` patients at the current level."""
        lam_e, lam_d = self.lambdas
        elim = elimination_bound(self.target, n, self.cutoff_eli)
        if dlt >= elim:
            return DU
        if dlt <= math.floor(lam_e * n):
            return E
        return D if dlt >= min(math.ceil(lam_d * n), elim) else S

    def rule_evidence(self, n: int, dlt: int) -> dict[str, object]:
        """The boundaries used for ``n`` patients at the current level."""
        lam_e, lam_d = self.lambdas
        evidence: dict[str, object] = {
            "lambda_e": lam_e,
            "lambda_d": lam_d,
            "p_saf": self.p_saf,
            "p_tox": self.p_tox,
            "cutoff_eli": self.cutoff_eli,
        }
        if n > 0:
            elim = elimination_bound(self.target, n, self.cutoff_eli)
            evidence.update(
                observed_rate=dlt / n,
                escalate_if_dlt_le=math.floor(lam_e * n),
                deescalate_if_dlt_ge=min(math.ceil(lam_d * n), elim),
                eliminate_if_dlt_ge=None if elim == NO_BOUND else elim,
                p_overdose=overdose_probability(n, dlt, self.target),
            )
        return evidence

    def decide(
        self,
        data: DoseData,
        *,
        current: float | None = None,
        start: float | None = None,
        max_n: int | None = None,
    ) -> Decision:
        """BOIN decision for the next cohort.

        Parameters
        ----------
        data
            Accrued patients and DLTs per level.
        current
            Level treated now; inferred when ``None``
            (:func:`~theratrial.design.decision.infer_current_index`).
        start
            Start level (default: the lowest; the top level for a de-escalation design).
        max_n
            Maximum sample size; the MTD is selected when it is reached.
        """
        return decide_interval(self, data, current=current, start=start, max_n=max_n)

    def select_mtd(self, data: DoseData) -> MtdSelection:
        """MTD by isotonic regression, closest to the target (``select.mtd``)."""
        return select_mtd_interval(self, data)
