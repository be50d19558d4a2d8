"""Exact operating characteristics of the 3+3 by enumerating every DLT outcome path.

The 3+3 is a finite tree: at each visit a level receives three patients, whose number of
DLTs is binomial(3, p). Walking every branch with its probability gives the exact
probability of selecting each level, the expected patients and DLTs per level and the
probability of stopping without an MTD — as R's ``bcrm::threep3`` does (Sweeting, Mander &
Sabin, J Stat Softw 2013;54(13)), and as Storer (Biometrics 1989;45:925-937) and Lin & Shih
(Biostatistics 2001;2:203-215) derive in closed form.

The rules are written here from those papers, independently of
:meth:`~theratrial.design.threeplusthree.ThreePlusThree.decide`, so that the two check
each other:

* three patients at level d: 0/3 escalates, 1/3 gets three more, >= 2 DLTs: too toxic;
  after six: <= 1/6 escalates, >= 2/6 too toxic;
* escalating past the top level selects the top level; with ``confirm_top`` a 0/3 top level
  first gets three more (bcrm's ``threep3`` and Storer select it directly:
  ``confirm_top=False``);
* too toxic at d: without de-escalation the MTD is d - 1 (none below the first level; an
  untreated d - 1, below a higher start level, first gets three patients); with
  de-escalation (Lin & Shih, section 2.2) d - 1 gets three more patients if it has three,
  and is the MTD once it has <= 1/6.

The probability of escalating past a level with DLT probability p is
``(1-p)^3 [1 + 3p(1-p)^2]`` (0.9061, 0.7086, 0.4943, 0.3093 for p = 0.1 .. 0.4).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from theratrial.design._checks import binomial_pmf, check_probability_vector
from theratrial.design.dosedata import DoseData
from theratrial.design.simulation import OperatingCharacteristics
from theratrial.errors import ParameterError

__all__ = ["enumerate_threeplusthree"]


def enumerate_threeplusthree(
    truth: Sequence[float],
    *,
    start_level: int = 0,
    confirm_top: bool = True,
    deescalation: bool = False,
    levels: Sequence[float] | None = None,
) -> OperatingCharacteristics:
    """Exact operating characteristics of the 3+3 (every outcome path, no simulation).

    Parameters
    ----------
    truth
        True DLT probability per level, in [0, 1].
    start_level
        0-based start level.
    confirm_top
        Expand a 0/3 top level to six before selecting it (``False``: bcrm ``threep3``).
    deescalation
        Lin & Shih's 3+3 with de-escalation.
    levels
        Dose level values for the report (default 1..L).

    Examples
    --------
    Two levels, the second certainly toxic: level 1 is selected exactly when the trial
    escalates past it:

    >>> oc = enumerate_threeplusthree([0.3, 1.0])
    >>> round(oc.selection_pct[0] / 100, 4)
    0.4943
    >>> oc = enumerate_threeplusthree([0.1], confirm_top=False)
    >>> round(oc.selection_pct[0], 2), round(oc.n_mean, 4)   # 0/3 selects it at once
    (90.61, 3.729)
    """
    p = np.asarray(check_probability_vector(truth, field="truth", open_zero=False))
    n_levels = p.size
    lv = (
        tuple(float(i + 1) for i in range(n_levels))
        if levels is None
        else DoseData.empty(levels).levels
    )
    if len(lv) != n_levels:
        raise ParameterError(
            f"{n_levels} true DLT probabilities for {len(lv)} dose levels", field="truth"
        )
    if not 0 <= start_level < n_levels:
        raise ParameterError(
            f"start level index {start_level} is outside 0..{n_levels - 1}",
            field="start_level",
            hint="choose one of the dose levels",
        )
    top = n_levels - 1
    select = np.zeros(n_levels)
    n_mean = np.zeros(n_levels)
    y_mean = np.zeros(n_levels)
    stop = 0.0
    pmf = [binomial_pmf(3, q) for q in p]

    def finish(mtd: int | None, n: list[int], y: list[int], prob: float) -> None:
        nonlocal stop
        if mtd is None:
            stop += prob
        else:
            select[mtd] += prob
        n_mean[:] += prob * np.asarray(n)
        y_mean[:] += prob * np.asarray(y)

    def too_toxic(d: int, n: list[int], y: list[int], prob: float) -> None:
        below = d - 1
        if below < 0:
            finish(None, n, y, prob)
        elif n[below] == 0 or (deescalation and n[below] < 6):
            treat(below, n, y, prob, down=True)
        else:
            finish(below, n, y, prob)

    def treat(d: int, n: list[int], y: list[int], prob: float, down: bool) -> None:
        for k in range(4):
            pk = float(pmf[d][k])
            if pk == 0.0:
                continue
            n2, y2 = list(n), list(y)
            n2[d] += 3
            y2[d] += k
            branch = prob * pk
            m, dlt = n2[d], y2[d]
            if dlt >= 2:
                too_toxic(d, n2, y2, branch)
            elif m == 3 and dlt == 1:
                treat(d, n2, y2, branch, down)
            elif down:
                # below a too-toxic level: 0/3 is enough without de-escalation
                if m == 3 and deescalation:
                    treat(d, n2, y2, branch, down)
                else:
                    finish(d, n2, y2, branch)
            elif d == top:
                if m == 3 and confirm_top:
                    treat(d, n2, y2, branch, down)
                else:
                    finish(d, n2, y2, branch)
            else:
                treat(d + 1, n2, y2, branch, down)

    treat(start_level, [0] * n_levels, [0] * n_levels, 1.0, down=False)
    return OperatingCharacteristics.from_totals(
        "3+3",
        p,
        lv,
        cohort_size=3,
        max_n=6 * n_levels,
        start_index=start_level,
        n_trials=0,
        seed=None,
        selected=select,
        treated=n_mean,
        dlts=y_mean,
        stopped=stop,
        per=1.0,
    )
