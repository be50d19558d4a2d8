"""Simulation split over parts and over Dask workers: the same seed, the same answer."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from theratrial.design import Boin, Crm, simulate
from theratrial.design._parallel import combine, simulate_blocks, split_blocks

TRUTH = [0.05, 0.12, 0.25, 0.4, 0.55]


@pytest.fixture(scope="module", autouse=True)
def _cluster_closed() -> Iterator[None]:
    yield
    from theratrial.jobs import shutdown

    shutdown()


@pytest.mark.parametrize("parts", [1, 2, 3, 7])
@pytest.mark.parametrize("design", [Boin(0.25), Crm(0.25, [0.05, 0.12, 0.25, 0.4, 0.55])])
def test_any_split_gives_the_serial_answer(parts: int, design: Boin | Crm) -> None:
    n = 5000 if isinstance(design, Boin) else 2100
    serial = simulate(design, TRUTH, max_n=24, n_trials=n, seed=11)
    totals = [
        simulate_blocks(design, TRUTH, max_n=24, seed=11, first_block=b, n_trials=k)
        for b, k in split_blocks(n, parts)
    ]
    assert combine(design, TRUTH, totals, max_n=24, seed=11) == serial


def test_split_covers_every_trial_once() -> None:
    for n in (1, 1024, 1025, 9999):
        for parts in (1, 2, 5, 64):
            split = split_blocks(n, parts)
            assert sum(k for _, k in split) == n
            assert len(split) <= parts


def test_distributed_matches_serial_and_cli_option() -> None:
    from theratrial.cli.design import design_app
    from theratrial.jobs.design_parallel import simulate_distributed

    serial = simulate(Boin(0.25), TRUTH, max_n=24, n_trials=4096, seed=5)
    for workers in (1, 3):
        assert (
            simulate_distributed(Boin(0.25), TRUTH, max_n=24, n_trials=4096, seed=5,
                                 workers=workers) == serial
        )  # fmt: skip
    args = ["simulate", "--truth", ",".join(map(str, TRUTH)), "--target", "0.25",
            "--max-n", "24", "--n-trials", "4096", "--seed", "5", "--json"]  # fmt: skip
    runner = CliRunner()
    plain = runner.invoke(design_app, args)
    split = runner.invoke(design_app, [*args, "--workers", "2"])
    assert plain.exit_code == 0, plain.output
    assert split.exit_code == 0, split.output
    assert json.loads(plain.stdout) == json.loads(split.stdout)
    bad = runner.invoke(design_app, [*args, "--scheduler", "http://x"])
    assert bad.exit_code == 2
