"""DLT import throughput: rows/s into a fresh SQLite file (printed, never asserted).

Runs the function the CLI uses (:func:`theratrial.store.dlt.add_dlts` in one
transaction) for 2,000 and 200,000 rows, and ``theratrial dlt import`` end to end for
2,000 rows. Usage: ``python benchmarks/bench_dlt_import.py [--large N]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from theratrial.cli.main import app
from theratrial.protocol import find_protocol
from theratrial.store import connect, register_protocol, session_scope
from theratrial.store.dlt import add_dlts

TRIAL = "NCT06732505"
COHORTS = ("escalation-prior-prrt", "escalation-prrt-naive")


def _records(n: int) -> list[dict[str, object]]:
    return [
        {
            "patient_id": f"B{i // 4:07d}",
            "cohort_id": COHORTS[(i // 4) % 2],
            "cycle": i % 4 + 1,
            "dose_level": "DL1" if i % 3 else "DL2",
            "dlt": i % 17 == 0,
            "event": "thrombocytopenia" if i % 17 == 0 else None,
            "grade": 4 if i % 17 == 0 else None,
            "onset_date": None,
            "administered_date": None,
            "within_dlt_window": True,
            "line": i + 2,
        }
        for i in range(n)
    ]


def bench_store(n: int, tmp: Path) -> float:
    engine = connect(f"sqlite:///{tmp / f'store_{n}.sqlite'}")
    records = _records(n)
    with session_scope(engine) as session:
        register_protocol(session, find_protocol(TRIAL))
    t0 = time.perf_counter()
    with session_scope(engine) as session:
        done = add_dlts(session, trial_id=TRIAL, records=records)
    seconds = time.perf_counter() - t0
    engine.dispose()
    assert done.inserted == n
    return n / seconds


def bench_cli(n: int, tmp: Path) -> float:
    csv_file = tmp / "dlt.csv"
    lines = ["patient_id,cohort,cycle,dose_level,dlt,event,grade"]
    for r in _records(n):
        lines.append(
            f"{r['patient_id']},{r['cohort_id']},{r['cycle']},{r['dose_level']},"
            f"{'yes' if r['dlt'] else 'no'},{r['event'] or ''},{r['grade'] or ''}"
        )
    csv_file.write_text("\n".join(lines) + "\n")
    db = tmp / "cli.sqlite"
    connect(f"sqlite:///{db}").dispose()  # migrations outside the timing
    t0 = time.perf_counter()
    result = CliRunner().invoke(
        app, ["dlt", "import", str(csv_file), "--trial", TRIAL, "--db", str(db)]
    )
    seconds = time.perf_counter() - t0
    assert result.exit_code == 0, result.output
    return n / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in (2_000, args.large):
            print(
                f"add_dlts, {n:>7} rows, fresh SQLite: {bench_store(n, Path(tmp)):>10,.0f} rows/s"
            )
        print(
            f"theratrial dlt import (CLI), 2000 rows: {bench_cli(2_000, Path(tmp)):>10,.0f} rows/s"
        )


if __name__ == "__main__":
    main()
