"""Benchmark: wall time of short ``theratrial`` commands, start-up included.

Run: ``.venv/bin/python benchmarks/bench_startup.py``. Each command runs as a fresh process
(the way a user or a script calls it); prints the median and the best of several runs.
Goals (issue: core correctness, start-up): ``--help`` and ``--version`` under 0.3 s,
``design next`` under 1 s.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXE = shutil.which("theratrial", path=str(Path(sys.executable).parent)) or "theratrial"

DATA = Path(tempfile.mkdtemp()) / "levels.csv"
DATA.write_text("level,n,dlt\n60,3,0\n90,3,1\n", encoding="utf-8")

CASES: list[tuple[str, list[str]]] = [
    ("--version", ["--version"]),
    ("--help", ["--help"]),
    ("trials", ["trials", "--json"]),
    (
        "design next (BOIN)",
        [
            "design",
            "next",
            "--design",
            "boin",
            "--target",
            "0.3",
            "--levels",
            "60,90,120",
            "--data",
            str(DATA),
            "--current",
            "90",
            "--json",
        ],
    ),
    ("design next --help", ["design", "next", "--help"]),
]


def _time(args: list[str], repeats: int = 7) -> tuple[float, float, int]:
    times = []
    code = 0
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run([EXE, *args], capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        code = proc.returncode
    return statistics.median(times), min(times), code


def main() -> None:
    print(f"{'command':<24} {'median s':>9} {'best s':>8}  exit")
    for label, args in CASES:
        median, best, code = _time(args)
        print(f"{label:<24} {median:9.3f} {best:8.3f}  {code}")


if __name__ == "__main__":
    main()
