"""CRM: posterior by numerical integration (dfcrm conventions), restrictions, skeleton."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate

from theratrial.design import Action, Crm, DoseData, crm_posterior_rows, crm_skeleton
from theratrial.errors import ParameterError

SKELETON = (0.05, 0.1, 0.25, 0.4, 0.6)
LEVELS = (1.0, 2.0, 3.0, 4.0, 5.0)


def _quad_posterior(n: tuple[int, ...], y: tuple[int, ...], target: float) -> tuple[float, ...]:
    s = np.asarray(SKELETON)
    n_a, y_a = np.asarray(n), np.asarray(y)

    def density(b: float) -> float:
        log_p = np.log(s) * math.exp(b)
        loglik = np.sum(y_a * log_p + (n_a - y_a) * np.log(-np.expm1(log_p)))
        return math.exp(loglik - b * b / (2 * 1.34))

    opts = {"epsabs": 0.0, "epsrel": 1e-13, "limit": 500}
    z = integrate.quad(density, -15, 15, points=[0.0], **opts)[0]
    mean = integrate.quad(lambda b: b * density(b), -15, 15, points=[0.0], **opts)[0] / z
    second = integrate.quad(lambda b: b * b * density(b), -15, 15, points=[0.0], **opts)[0] / z
    cut = math.log(math.log(target) / math.log(SKELETON[0]))
    tail = integrate.quad(density, -15, cut, **opts)[0] / z
    return mean, second - mean**2, tail


@pytest.mark.parametrize(
    ("n", "y"),
    [
        ((3, 3, 0, 0, 0), (0, 1, 0, 0, 0)),
        ((3, 3, 6, 9, 0), (0, 1, 2, 5, 0)),
        ((60, 0, 0, 0, 0), (20, 0, 0, 0, 0)),
        ((3, 3, 3, 3, 48), (3, 3, 3, 3, 40)),
    ],
)
def test_posterior_matches_adaptive_quadrature(n: tuple[int, ...], y: tuple[int, ...]) -> None:
    mean, var, tail = _quad_posterior(n, y, 0.25)
    for points in (401, 4001):
        post = crm_posterior_rows(
            SKELETON, np.array([n]), np.array([y]), target=0.25, points=points
        )
        assert post.beta_mean[0] == pytest.approx(mean, abs=1e-10)
        assert post.beta_var[0] == pytest.approx(var, abs=1e-10)
    fine = crm_posterior_rows(SKELETON, np.array([n]), np.array([y]), target=0.25, points=4001)
    assert fine.p_overdose[0, 0] == pytest.approx(tail, abs=1e-7)


def test_estimates_are_plug_in_at_the_posterior_mean_of_beta() -> None:
    data = DoseData(LEVELS, n=(3, 3, 6, 0, 0), dlt=(0, 1, 2, 0, 0))
    crm = Crm(0.25, skeleton=SKELETON)
    post = crm.posterior(data)
    expected = np.asarray(SKELETON) ** math.exp(float(post.beta_mean[0]))
    decision = crm.decide(data, current=3)
    assert [e.estimated_rate for e in decision.estimates] == pytest.approx(expected.tolist())
    # the plug-in estimate differs from the posterior mean of p_i (Jensen)
    assert decision.evidence["beta_mean"] == pytest.approx(float(post.beta_mean[0]))


def test_escalation_package_example_recommends_dose_two() -> None:
    # escalation::get_dfcrm(skeleton, target 0.25) %>% fit('1NNN 2NTN') -> dose 2
    data = DoseData(LEVELS, n=(3, 3, 0, 0, 0), dlt=(0, 1, 0, 0, 0))
    decision = Crm(0.25, skeleton=SKELETON).decide(data, current=2)
    assert decision.evidence["recommended_unrestricted"] == 2.0
    assert (decision.action, decision.next_level) == (Action.STAY, 2.0)


def test_no_skipping_on_escalation() -> None:
    data = DoseData(LEVELS, n=(6, 0, 0, 0, 0), dlt=(0, 0, 0, 0, 0))
    crm = Crm(0.25, skeleton=SKELETON)
    decision = crm.decide(data, current=1)
    assert decision.evidence["recommended_unrestricted"] > 2.0  # type: ignore[operator]
    assert (decision.action, decision.next_level) == (Action.ESCALATE, 2.0)
    free = Crm(0.25, skeleton=SKELETON, no_skip_escalation=False).decide(data, current=1)
    assert free.next_level == free.evidence["recommended_unrestricted"]


def test_coherence_blocks_escalation_after_a_toxic_cohort() -> None:
    data = DoseData(LEVELS, n=(3, 3, 0, 0, 0), dlt=(0, 1, 0, 0, 0))
    crm = Crm(0.4, skeleton=SKELETON)
    assert crm.decide(data, current=2).action is Action.ESCALATE
    blocked = crm.decide(data, current=2, last_cohort=(3, 1))  # 1/3 < 0.4: allowed
    assert blocked.action is Action.ESCALATE
    crm_low = Crm(0.3, skeleton=SKELETON)
    data_low = DoseData(LEVELS, n=(6, 3, 0, 0, 0), dlt=(0, 1, 0, 0, 0))
    assert crm_low.decide(data_low, current=2).action is Action.ESCALATE
    assert crm_low.decide(data_low, current=2, last_cohort=(3, 1)).action is Action.STAY


def test_first_cohort_goes_to_the_start_level() -> None:
    decision = Crm(0.25, skeleton=SKELETON).decide(DoseData.empty(LEVELS), start=3)
    assert (decision.action, decision.next_level) == (Action.STAY, 3.0)


def test_maximum_sample_size_selects_the_unrestricted_recommendation() -> None:
    data = DoseData(LEVELS, n=(12, 0, 0, 0, 0), dlt=(0, 0, 0, 0, 0))
    decision = Crm(0.25, skeleton=SKELETON).decide(data, current=1, max_n=12)
    assert decision.action is Action.SELECT_MTD
    assert decision.mtd_index == decision.evidence["recommended_unrestricted"] - 1  # type: ignore[operator]
    assert decision.mtd_index is not None
    assert decision.mtd_index >= 2


def test_optional_safety_stop() -> None:
    data = DoseData(LEVELS, n=(6, 0, 0, 0, 0), dlt=(5, 0, 0, 0, 0))
    assert Crm(0.25, skeleton=SKELETON).decide(data, current=1).action is Action.STAY
    safe = Crm(0.25, skeleton=SKELETON, stop_threshold=0.9)
    decision = safe.decide(data, current=1)
    assert decision.action is Action.STOP
    assert decision.estimates[0].p_overdose is not None
    assert decision.estimates[0].p_overdose > 0.9
    assert safe.select_mtd(data).mtd_index is None


def test_skeleton_satisfies_the_indifference_intervals() -> None:
    target, half = 0.25, 0.05
    s = crm_skeleton(target, 5, prior_mtd=2, halfwidth=half)
    assert s[2] == target
    for k in range(4):
        # at the boundary beta between levels k and k+1: p_k = target - h, p_k+1 = target + h
        b = math.log(math.log(target - half) / math.log(s[k]))
        b_next = math.log(math.log(target + half) / math.log(s[k + 1]))
        assert b == pytest.approx(b_next, abs=1e-12)
    assert all(a < b for a, b in itertools.pairwise(s))


@pytest.mark.parametrize(
    "skeleton", [(0.1, 0.1, 0.3), (0.3, 0.2, 0.1), (0.0, 0.2, 0.3), (0.1, 0.2, 1.0)]
)
def test_bad_skeleton_is_refused(skeleton: tuple[float, ...]) -> None:
    with pytest.raises(ParameterError, match="skeleton"):
        Crm(0.25, skeleton=skeleton)


def test_skeleton_length_must_match_levels() -> None:
    with pytest.raises(ParameterError, match="skeleton"):
        Crm(0.25, skeleton=(0.1, 0.2)).decide(DoseData.empty(LEVELS))
