"""The continual reassessment method (CRM), one-parameter power ("empiric") model.

O'Quigley J, Pepe M, Fisher L. Continual reassessment method: a practical design for phase 1
clinical trials in cancer. Biometrics 1990;46:33-48. Conventions of Cheung's R package
``dfcrm`` (``crm``, ``crmsim``; Cheung, Dose Finding by the Continual Reassessment Method,
CRC 2011):

* ``p_i = s_i ** exp(beta)`` on a skeleton ``s``; prior ``beta ~ Normal(0, 1.34)``;
* the posterior of ``beta`` by numerical integration; the toxicity estimates are the plug-in
  values at the posterior mean of beta, ``s_i ** exp(E[beta | data])`` (not posterior means of
  ``p_i``), with a 90 % interval from ``E[beta] -/+ 1.645 sd``;
* the recommended level is the one whose estimate is closest to the target;
* escalation restrictions (``crmsim(restrict=TRUE)``): never more than one level above the
  current level (no skipping), and no escalation right after a cohort whose DLT rate was at
  or above the target (coherence); the first cohort is treated at the start level;
* at the end the MTD is the unrestricted recommendation from all data.

The integral is a trapezoid rule on a fixed grid of beta over +/- 10 prior SDs, evaluated for
many trials at once (one matrix product per cohort); the prior tails beyond the grid carry
less than 1e-16 of the mass, and a grid step of 0.06 keeps the error far below 1e-9 for the
posterior spreads of phase I sample sizes. An optional safety rule stops the trial when
``Pr(p_1 > target | data) > stop_threshold`` with at least ``stop_min_n`` patients at the
lowest level (not part of dfcrm; off by default).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from theratrial.design._checks import check_count, check_probability_vector, check_target
from theratrial.design.decision import (
    Action,
    Decision,
    LevelEstimate,
    MtdSelection,
    resolve_current,
)
from theratrial.design.dosedata import DoseData
from theratrial.errors import ParameterError

__all__ = ["Crm", "CrmPosterior", "crm_posterior_rows", "crm_skeleton"]

Z90 = 1.6448536269514722  # standard normal 0.95 quantile (dfcrm conf.level = 0.90)


@dataclass(frozen=True, slots=True)
class CrmPosterior:
    """Posterior summaries of many trials (one row per trial).

    Attributes
    ----------
    beta_mean, beta_var
        Posterior mean and variance of beta, shape ``(trials,)``.
    ptox
        Plug-in DLT probability per level, ``s ** exp(beta_mean)``, shape ``(trials, levels)``.
    p_overdose
        ``Pr(p_i > target | data)`` per level, shape ``(trials, levels)``.
    """

    beta_mean: NDArray[np.float64]
    beta_var: NDArray[np.float64]
    ptox: NDArray[np.float64]
    p_overdose: NDArray[np.float64]


def _grid(prior_var: float, points: int) -> NDArray[np.float64]:
    half = 10.0 * math.sqrt(prior_var)
    return np.linspace(-half, half, points)


def crm_posterior_rows(
    skeleton: Sequence[float],
    n: NDArray[np.int64],
    dlt: NDArray[np.int64],
    *,
    target: float,
    prior_var: float = 1.34,
    points: int = 401,
    overdose: bool = True,
) -> CrmPosterior:
    """Posterior of the power-model CRM for every row (trial) of ``n`` and ``dlt``.

    ``overdose=False`` skips the tail probabilities (NaN), which the conduct rules need only
    when the optional safety stop is on.

    Examples
    --------
    >>> post = crm_posterior_rows([0.05, 0.1, 0.25, 0.4, 0.6], np.array([[3, 3, 0, 0, 0]]),
    ...                           np.array([[0, 1, 0, 0, 0]]), target=0.25)
    >>> int(np.argmin(np.abs(post.ptox[0] - 0.25)))   # escalation package example: dose 2
    1
    """
    s = np.asarray(skeleton, dtype=np.float64)
    log_s = np.log(s)
    beta = _grid(prior_var, points)
    scale = np.exp(beta)  # (G,)
    # log p and log(1 - p) on the grid, shape (L, G)
    log_p = log_s[:, None] * scale[None, :]
    log_q = np.log(-np.expm1(log_p))
    n_f = np.atleast_2d(np.asarray(n, dtype=np.float64))
    y_f = np.atleast_2d(np.asarray(dlt, dtype=np.float64))
    loglik = y_f @ log_p + (n_f - y_f) @ log_q
    log_post = loglik - beta[None, :] ** 2 / (2.0 * prior_var)
    log_post -= log_post.max(axis=1, keepdims=True)
    w = np.exp(log_post)
    w[:, 0] *= 0.5
    w[:, -1] *= 0.5
    total = w.sum(axis=1)
    mean = (w @ beta) / total
    var = (w @ beta**2) / total - mean**2
    ptox = s[None, :] ** np.exp(mean)[:, None]
    if not overdose:
        return CrmPosterior(mean, var, ptox, np.full(ptox.shape, np.nan))
    # Pr(p_i > target) = Pr(beta < log(log(target) / log(s_i))): cumulative trapezoid with the
    # Euler-Maclaurin end correction, then cubic Hermite interpolation (error O(h^4)).
    cut = np.log(np.log(target) / log_s)  # (L,)
    dens = np.exp(log_post)
    step = beta[1] - beta[0]
    cum = (
        np.concatenate(
            [np.zeros((dens.shape[0], 1)), np.cumsum(0.5 * (dens[:, 1:] + dens[:, :-1]), axis=1)],
            axis=1,
        )
        * step
    )
    slope = np.gradient(dens, step, axis=1)
    cum -= step**2 / 12.0 * (slope - slope[:, :1])
    norm = cum[:, -1:].copy()
    cum /= norm
    dens_h = dens * step / norm  # h * normalised density: the Hermite slope terms
    pos = np.clip((cut - beta[0]) / step, 0.0, points - 1.0 - 1e-9)
    k = np.floor(pos).astype(np.int64)
    t = (pos - k)[None, :]
    h00 = 2 * t**3 - 3 * t**2 + 1
    h10 = t**3 - 2 * t**2 + t
    h01 = -2 * t**3 + 3 * t**2
    h11 = t**3 - t**2
    p_over = h00 * cum[:, k] + h10 * dens_h[:, k] + h01 * cum[:, k + 1] + h11 * dens_h[:, k + 1]
    p_over = np.clip(p_over, 0.0, 1.0)
    return CrmPosterior(beta_mean=mean, beta_var=var, ptox=ptox, p_overdose=p_over)


def crm_skeleton(
    target: float, n_levels: int, *, prior_mtd: int, halfwidth: float = 0.05
) -> tuple[float, ...]:
    """Skeleton by the indifference-interval method (Lee & Cheung 2009; dfcrm ``getprior``).

    Parameters
    ----------
    target
        Target DLT probability.
    n_levels
        Number of dose levels.
    prior_mtd
        0-based level believed to be the MTD (its skeleton value is the target).
    halfwidth
        Half-width of the indifference interval around the target.

    Examples
    --------
    >>> [round(v, 4) for v in crm_skeleton(0.25, 5, prior_mtd=2)]
    [0.084, 0.1567, 0.25, 0.3545, 0.4603]
    """
    target = check_target(target)
    n_levels = check_count(n_levels, field="n_levels", minimum=1)
    if not 0 <= prior_mtd < n_levels:
        raise ParameterError(
            f"prior MTD level {prior_mtd} is outside 0..{n_levels - 1}", field="prior_mtd"
        )
    if not 0 < halfwidth < min(target, 1 - target):
        raise ParameterError(
            f"half-width {halfwidth} does not fit around the target {target}", field="halfwidth"
        )
    s = [math.nan] * n_levels
    s[prior_mtd] = target
    for k in range(prior_mtd, 0, -1):
        b = math.log(math.log(target + halfwidth) / math.log(s[k]))
        s[k - 1] = math.exp(math.log(target - halfwidth) / math.exp(b))
    for k in range(prior_mtd, n_levels - 1):
        b = math.log(math.log(target - halfwidth) / math.log(s[k]))
        s[k + 1] = math.exp(math.log(target + halfwidth) / math.exp(b))
    return tuple(s)


@dataclass(frozen=True, slots=True)
class Crm:
    """CRM with the power model (dfcrm conventions).

    Parameters
    ----------
    target
        Target DLT probability.
    skeleton
        Prior guesses of the DLT probability per level, strictly increasing in (0, 1).
    prior_var
        Variance of the normal prior on beta (1.34).
    no_skip_escalation
        Escalate at most one level above the current level.
    coherent_escalation
        No escalation right after a cohort with a DLT rate >= target (needs ``last_cohort``).
    stop_threshold
        Stop (no MTD) when ``Pr(p_1 > target) > stop_threshold``; ``None`` (default) never.
    stop_min_n
        Patients needed at the lowest level before the safety rule applies.
    grid_points
        Points of the beta grid.

    Examples
    --------
    >>> crm = Crm(0.25, skeleton=(0.05, 0.1, 0.25, 0.4, 0.6))
    >>> data = DoseData((1, 2, 3, 4, 5), n=(3, 3, 0, 0, 0), dlt=(0, 1, 0, 0, 0))
    >>> decision = crm.decide(data, current=2)
    >>> decision.action.value, decision.next_level
    ('stay', 2.0)
    """

    target: float
    skeleton: tuple[float, ...]
    prior_var: float = 1.34
    no_skip_escalation: bool = True
    coherent_escalation: bool = True
    stop_threshold: float | None = None
    stop_min_n: int = 3
    grid_points: int = 401

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", check_target(self.target))
        object.__setattr__(
            self,
            "skeleton",
            check_probability_vector(self.skeleton, field="skeleton", increasing=True),
        )
        if not (math.isfinite(self.prior_var) and self.prior_var > 0):
            raise ParameterError(
                f"prior variance {self.prior_var} is not positive", field="prior_var"
            )
        if self.stop_threshold is not None:
            check_target(self.stop_threshold, field="stop_threshold")
        check_count(self.grid_points, field="grid_points", minimum=51)

    @property
    def name(self) -> str:
        """``"crm"``."""
        return "crm"

    def posterior(self, data: DoseData, *, points: int = 4001) -> CrmPosterior:
        """Posterior summaries for one trial's data (a fine grid by default)."""
        self._check_levels(data)
        return crm_posterior_rows(
            self.skeleton,
            data.n_array()[None, :],
            data.dlt_array()[None, :],
            target=self.target,
            prior_var=self.prior_var,
            points=points,
        )

    def _check_levels(self, data: DoseData) -> None:
        if data.n_levels != len(self.skeleton):
            raise ParameterError(
                f"{len(self.skeleton)} skeleton values for {data.n_levels} dose levels",
                field="skeleton",
                hint="give one skeleton probability per dose level",
            )

    def recommend(self, ptox: NDArray[np.float64]) -> int:
        """Level whose estimate is closest to the target (lowest on a tie)."""
        return int(np.argmin(np.abs(ptox - self.target)))

    def select_mtd(self, data: DoseData) -> MtdSelection:
        """Unrestricted recommendation from all data (dfcrm ``crmsim`` final MTD)."""
        post = self.posterior(data)
        ptox = post.ptox[0]
        stopped = self._stops(data, post)
        estimates = tuple(float(v) for v in ptox)
        if stopped:
            return MtdSelection(
                None,
                None,
                estimates,
                (True,) * data.n_levels,
                "no MTD: the lowest level is too likely above the target",
            )
        best = self.recommend(ptox)
        return MtdSelection(
            best,
            data.levels[best],
            estimates,
            (False,) * data.n_levels,
            f"level {data.levels[best]:g} has the model estimate {ptox[best]:.3f} closest to "
            f"the target {self.target:g}",
        )

    def _stops(self, data: DoseData, post: CrmPosterior) -> bool:
        if self.stop_threshold is None or data.n[0] < self.stop_min_n:
            return False
        return bool(post.p_overdose[0, 0] > self.stop_threshold)

    def decide(
        self,
        data: DoseData,
        *,
        current: float | None = None,
        start: float | None = None,
        max_n: int | None = None,
        last_cohort: tuple[int, int] | None = None,
    ) -> Decision:
        """CRM decision for the next cohort.

        Parameters
        ----------
        data, current, start, max_n
            As :meth:`Boin.decide`.
        last_cohort
            ``(patients, DLTs)`` of the most recent cohort, for the coherence restriction;
            without it only the no-skipping restriction applies.
        """
        self._check_levels(data)
        d, _, inferred = resolve_current(data, current=current, start=start)
        post = self.posterior(data)
        ptox = post.ptox[0]
        sd = math.sqrt(max(float(post.beta_var[0]), 0.0))
        mean = float(post.beta_mean[0])
        s = np.asarray(self.skeleton)
        rec = self.recommend(ptox)
        evidence: dict[str, object] = {
            "skeleton": self.skeleton,
            "prior_var": self.prior_var,
            "beta_mean": mean,
            "beta_var": float(post.beta_var[0]),
            "ptox": tuple(float(v) for v in ptox),
            "ptox_lower_90": tuple(float(v) for v in s ** math.exp(mean + Z90 * sd)),
            "ptox_upper_90": tuple(float(v) for v in s ** math.exp(mean - Z90 * sd)),
            "recommended_unrestricted": data.levels[rec],
        }
        estimates = tuple(
            LevelEstimate(
                level=v,
                n=data.n[i],
                dlt=data.dlt[i],
                observed_rate=data.dlt[i] / data.n[i] if data.n[i] else None,
                estimated_rate=float(ptox[i]),
                p_overdose=float(post.p_overdose[0, i]),
                eliminated=False,
            )
            for i, v in enumerate(data.levels)
        )

        def make(action: Action, nxt: int | None, reason: str, mtd: int | None = None) -> Decision:
            return Decision(
                design=self.name,
                target=self.target,
                action=action,
                current_index=d,
                current_level=data.levels[d],
                current_inferred=inferred,
                next_index=nxt,
                next_level=None if nxt is None else data.levels[nxt],
                mtd_index=mtd,
                mtd_level=None if mtd is None else data.levels[mtd],
                eliminated_levels=data.levels if action is Action.STOP else (),
                estimates=estimates,
                evidence=evidence,
                reason=reason,
            )

        if data.total_n == 0:
            return make(Action.STAY, d, "no patient treated yet: treat at the start level")
        if self._stops(data, post):
            return make(
                Action.STOP,
                None,
                f"Pr(DLT rate at the lowest level > {self.target:g}) = "
                f"{post.p_overdose[0, 0]:.3f} exceeds {self.stop_threshold:g}: stop",
            )
        if max_n is not None and data.total_n >= max_n:
            return make(
                Action.SELECT_MTD,
                None,
                f"the maximum sample size {max_n} is reached; level {data.levels[rec]:g} has "
                f"the estimate {ptox[rec]:.3f} closest to the target",
                mtd=rec,
            )
        nxt = rec
        notes = []
        if self.no_skip_escalation and nxt > d + 1:
            nxt = d + 1
            notes.append("no skipping: one level up at most")
        last_rate = last_cohort[1] / last_cohort[0] if last_cohort and last_cohort[0] > 0 else None
        if (
            self.coherent_escalation
            and last_rate is not None
            and last_rate >= self.target
            and nxt > d
        ):
            nxt = d
            notes.append("coherence: no escalation after a cohort at or above the target")
        evidence["restrictions_applied"] = tuple(notes)
        action = Action.ESCALATE if nxt > d else Action.DEESCALATE if nxt < d else Action.STAY
        reason = (
            f"the model estimate {ptox[rec]:.3f} at level {data.levels[rec]:g} is closest to "
            f"the target {self.target:g}"
        )
        if notes:
            reason += " (" + "; ".join(notes) + ")"
        return make(action, nxt, reason)
