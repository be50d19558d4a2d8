"""ICC forms against Shrout & Fleiss (1979) and intervals against pingouin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theratrial.errors import ComputationError, ParameterError, TableError
from theratrial.stats import anova_mean_squares, icc

# Shrout & Fleiss (1979), Table 2: 6 targets x 4 judges (reference README, section 4).
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    dtype=float,
)


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("ICC(1,1)", 0.17),
        ("ICC(2,1)", 0.29),
        ("ICC(3,1)", 0.71),
        ("ICC(1,k)", 0.44),
        ("ICC(2,k)", 0.62),
        ("ICC(3,k)", 0.91),
    ],
)
def test_shrout_fleiss_table_to_two_decimals(form: str, expected: float) -> None:
    assert round(icc(SHROUT_FLEISS)[form].value, 2) == expected


def _pingouin(ratings: np.ndarray) -> pd.DataFrame:
    n, k = ratings.shape
    long = pd.DataFrame(
        {
            "target": np.repeat(np.arange(n), k),
            "rater": np.tile(np.arange(k), n),
            "score": ratings.ravel(),
        }
    )
    return pg.intraclass_corr(long, targets="target", raters="rater", ratings="score")


def _random_ratings(seed: int, n: int, k: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    subject = rng.normal(10.0, 3.0, size=(n, 1))
    rater = rng.normal(0.0, 1.0, size=(1, k))
    return subject + rater + rng.normal(0.0, 1.5, size=(n, k))


# pingouin 0.7 calls a pandas method that pandas 3.1 deprecates; the warning is theirs.
@pytest.mark.filterwarnings("ignore:The inplace keyword:pandas.errors.Pandas4Warning")
@pytest.mark.parametrize(("seed", "n", "k"), [(0, 6, 4), (1, 12, 2), (2, 30, 3), (3, 8, 5)])
def test_values_f_and_intervals_match_pingouin(
    seed: int, n: int, k: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(pg.options, "round.column.CI95", None)  # full precision
    ratings = SHROUT_FLEISS if seed == 0 else _random_ratings(seed, n, k)
    ours = icc(ratings)
    theirs = _pingouin(ratings)
    names = {"ICC(A,1)": "ICC(2,1)", "ICC(C,1)": "ICC(3,1)"}
    names |= {"ICC(A,k)": "ICC(2,k)", "ICC(C,k)": "ICC(3,k)"}
    for row in theirs.itertuples():
        form = names.get(str(row.Type), str(row.Type))
        est = ours[form]
        assert est.value == pytest.approx(float(row.ICC), abs=1e-10)
        assert est.f_statistic == pytest.approx(float(row.F), rel=1e-10)
        assert est.p_value == pytest.approx(float(row.pval), rel=1e-6, abs=1e-12)
        low, high = (float(v) for v in row.CI95)
        assert est.ci_low == pytest.approx(low, abs=1e-9)
        assert est.ci_high == pytest.approx(high, abs=1e-9)


def test_shrout_fleiss_intervals_bracket_the_estimates() -> None:
    for est in icc(SHROUT_FLEISS).estimates:
        assert est.ci_low < est.value < est.ci_high


def test_aliases_and_mean_squares() -> None:
    table = icc(SHROUT_FLEISS)
    assert table["ICC(A,1)"] is table["ICC(2,1)"]
    assert table["icc(c,k)"] is table["ICC(3,k)"]
    ms = anova_mean_squares(SHROUT_FLEISS)
    # Shrout & Fleiss (1979), Table 3: BMS 11.24, WMS 6.26, JMS 32.49, EMS 1.02
    assert (round(ms.msr, 2), round(ms.msw, 2)) == (11.24, 6.26)
    assert (round(ms.msc, 2), round(ms.mse, 2)) == (32.49, 1.02)
    with pytest.raises(KeyError):
        table["ICC(4,1)"]


@pytest.mark.parametrize(
    ("ratings", "match"),
    [
        ([[1.0, 2.0, 3.0]], "at least 2 targets"),
        ([[1.0], [2.0]], "at least 2 targets"),
        ([[1.0, 2.0], [3.0, np.nan]], "row 2"),
        ([1.0, 2.0, 3.0], "2-D"),
        ([["a", "b"], ["c", "d"]], "must be numbers"),
    ],
)
def test_bad_tables(ratings: object, match: str) -> None:
    with pytest.raises(TableError, match=match):
        icc(ratings)  # type: ignore[arg-type]


def test_identical_ratings_and_bad_confidence() -> None:
    with pytest.raises(ComputationError, match="identical"):
        icc([[1.0, 1.0], [1.0, 1.0]])
    with pytest.raises(ParameterError):
        icc(SHROUT_FLEISS, confidence=1.5)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    scale=st.floats(0.01, 100.0),
    offset=st.floats(-1000.0, 1000.0),
)
def test_icc_is_invariant_to_a_change_of_unit(seed: int, scale: float, offset: float) -> None:
    ratings = _random_ratings(seed, 10, 3)
    base = icc(ratings)
    moved = icc(ratings * scale + offset)
    for a, b in zip(base.estimates, moved.estimates, strict=True):
        assert b.value == pytest.approx(a.value, abs=1e-8)
        assert b.ci_low == pytest.approx(a.ci_low, abs=1e-6)
