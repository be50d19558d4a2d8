"""The sums of exponentials fitted to time-activity curves (private to ``fit``).

Every model is written with effective decay constants lambda = lambda_phys + lambda_bio,
lambda_bio >= 0 (no clearance slower than physical decay; Kletting et al., Med. Phys. 40
(2013) 102504, NUKFIT), with internal parameters that are all >= 0 so that ordering
constraints (uptake faster than washout, fast phase before slow) hold by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["MODELS", "VISIBLE", "TacModel"]

VISIBLE = 1e-3
"""Fraction of the fitted curve below which a phase is not seen at a time point."""

Terms = tuple[NDArray[np.float64], NDArray[np.float64]]


@dataclass(frozen=True, slots=True)
class TacModel:
    """One fit function: a sum of exponentials linear in the internal parameters.

    Amplitudes are ``A theta`` (MBq) and decay constants ``lambda_phys + B theta`` (1/h), so
    the Jacobian is analytic; the reported parameters are ``M theta + c`` with
    ``c = lambda_phys x report_offset``.
    """

    name: str
    formula: str
    labels: tuple[str, ...]
    amp_matrix: NDArray[np.float64]
    rate_matrix: NDArray[np.float64]
    report_matrix: NDArray[np.float64]
    report_offset: NDArray[np.float64]
    amplitude_index: tuple[int, ...]

    @property
    def n_params(self) -> int:
        """Number of fitted parameters."""
        return len(self.labels)

    def terms(self, theta: NDArray[np.float64], lam_p: float) -> Terms:
        """Amplitudes (MBq) and decay constants (1/h) of the exponential sum."""
        return self.amp_matrix @ theta, lam_p + self.rate_matrix @ theta

    def activity_and_jacobian(
        self, theta: NDArray[np.float64], lam_p: float, t: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Model activity at ``t`` and its derivatives with respect to ``theta``."""
        amps, rates = self.terms(theta, lam_p)
        e = np.exp(-np.outer(t, rates))  # (n, k)
        value = e @ amps
        jac = e @ self.amp_matrix - (e * amps[None, :] * t[:, None]) @ self.rate_matrix
        return value, jac

    def phase_seen_once(
        self, theta: NDArray[np.float64], lam_p: float, t: NDArray[np.float64]
    ) -> bool:
        """Whether a phase with an amplitude of its own shows at one time point at most.

        A phase below :data:`VISIBLE` of the fitted curve at every time point but one is
        fixed by that single value, which its amplitude and rate cannot both be estimated
        from: any pair on the curve ``A e^(-lambda t_i) = const`` fits equally, and its
        integral ``A / lambda`` is arbitrary (a non-identifiable phase; Jacquez, Compartmental
        Analysis in Biology and Medicine, 3rd ed., BioMedware 1996, ch. 16). Models with a
        single free amplitude (mono-exponential, uptake-washout) have no such phase.
        """
        if len(self.amplitude_index) < 2:
            return False
        amps, rates = self.terms(theta, lam_p)
        e = np.exp(-np.outer(t, rates))
        value = np.abs(e @ amps)
        own = [k for k, row in enumerate(self.amp_matrix) if np.count_nonzero(row) == 1]
        for k in own:  # terms whose amplitude is one parameter (not the tied uptake term)
            shown = np.abs(amps[k]) * e[:, k] > VISIBLE * value
            if int(np.count_nonzero(shown)) <= 1:
                return True
        return False

    def tia_and_gradient(
        self, theta: NDArray[np.float64], lam_p: float
    ) -> tuple[float, NDArray[np.float64]]:
        """Integral to infinity, sum a_k / lambda_k, and its gradient."""
        amps, rates = self.terms(theta, lam_p)
        grad = (1.0 / rates) @ self.amp_matrix - (amps / rates**2) @ self.rate_matrix
        return float(np.sum(amps / rates)), grad

    def report(self, lam_p: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Matrix and offset of the reported parameters."""
        return self.report_matrix, lam_p * self.report_offset


def _m(rows: list[list[float]]) -> NDArray[np.float64]:
    return np.asarray(rows, dtype=np.float64)


def _arr(*values: float) -> NDArray[np.float64]:
    return np.asarray(values, dtype=np.float64)


# Internal parameters (all >= 0):
#   mono  [A, b]                 lambda = lp + b
#   bi    [A1, A2, b2, e1]       lambda2 = lp + b2, lambda1 = lambda2 + e1
#   uw    [A, bw, e]             lambda_w = lp + bw, lambda_u = lambda_w + e
#   tri   [A1, A2, b2, e1, e3]   lambda2 = lp + b2, lambda1 = lambda2 + e1, lambda_u = lambda1 + e3
MODELS: dict[str, TacModel] = {
    m.name: m
    for m in (
        TacModel(
            "mono_exponential",
            "A e^(-lambda t)",
            ("a_mbq", "lambda_per_h"),
            _m([[1, 0]]),
            _m([[0, 1]]),
            np.eye(2),
            _arr(0, 1),
            (0,),
        ),
        TacModel(
            "bi_exponential",
            "A1 e^(-lambda1 t) + A2 e^(-lambda2 t), lambda1 > lambda2",
            ("a1_mbq", "lambda1_per_h", "a2_mbq", "lambda2_per_h"),
            _m([[1, 0, 0, 0], [0, 1, 0, 0]]),
            _m([[0, 0, 1, 1], [0, 0, 1, 0]]),
            _m([[1, 0, 0, 0], [0, 0, 1, 1], [0, 1, 0, 0], [0, 0, 1, 0]]),
            _arr(0, 1, 0, 1),
            (0, 1),
        ),
        TacModel(
            "uptake_washout",
            "A (e^(-lambda_washout t) - e^(-lambda_uptake t))",
            ("a_mbq", "lambda_washout_per_h", "lambda_uptake_per_h"),
            _m([[1, 0, 0], [-1, 0, 0]]),
            _m([[0, 1, 0], [0, 1, 1]]),
            _m([[1, 0, 0], [0, 1, 0], [0, 1, 1]]),
            _arr(0, 1, 1),
            (0,),
        ),
        TacModel(
            "tri_exponential",
            "A1 e^(-lambda1 t) + A2 e^(-lambda2 t) - (A1 + A2) e^(-lambda_uptake t)",
            ("a1_mbq", "lambda1_per_h", "a2_mbq", "lambda2_per_h", "lambda_uptake_per_h"),
            _m([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [-1, -1, 0, 0, 0]]),
            _m([[0, 0, 1, 1, 0], [0, 0, 1, 0, 0], [0, 0, 1, 1, 1]]),
            _m(
                [
                    [1, 0, 0, 0, 0],
                    [0, 0, 1, 1, 0],
                    [0, 1, 0, 0, 0],
                    [0, 0, 1, 0, 0],
                    [0, 0, 1, 1, 1],
                ]
            ),
            _arr(0, 1, 0, 1, 1),
            (0, 1),
        ),
    )
}
