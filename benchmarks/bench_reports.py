"""Time to render each report kind as HTML and as PDF (numbers printed, nothing asserted).

The data: a small virtual cohort written through the CLI into a temporary SQLite store
(two dosimetry cycles with stored fits, six DLT records, the bundled screening patients),
12 subjects x 2 regions of test-retest measurements and 8 RECIST patients with lesion
doses. Each render is timed from the stored data to the bytes on disk (best of 3).

Run: .venv/bin/python benchmarks/bench_reports.py
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from theratrial.cli.main import app

TRIAL, ESC = "NCT01842165", "NCT06732505"
T_H = [4.0, 24.0, 72.0, 168.0]
runner = CliRunner()


def _run(*args: str) -> None:
    result = runner.invoke(app, list(args))
    if result.exit_code != 0:
        raise SystemExit(f"{' '.join(args)}: {result.output}")


def _cohort(root: Path) -> dict[str, list[str]]:
    db = str(root / "b.db")
    for cycle, kidney in ((1, 3.9), (2, 4.4)):
        rows = [
            {"region": "kidneys", "model": "mono_exponential", "dose_gy": kidney,
             "parameters": {"a_mbq": 120.0, "lambda_per_h": 0.0139}, "aicc": -3.2,
             "times_h": T_H, "activity_mbq": [120 * np.exp(-0.0139 * t) for t in T_H],
             "mass_g": 310.0, "alpha_beta_gy": 2.6, "repair_half_time_h": 2.8},
            {"region": "red marrow", "model": "trapezoid", "dose_gy": 0.2},
        ]  # fmt: skip
        path = root / f"c{cycle}.json"
        path.write_text(json.dumps(rows))
        _run("cycle", "record", "--patient", "B-1", "--trial", TRIAL, "--cycle", str(cycle),
             "--activity-mbq", "7400", "--date", f"2026-0{cycle}-01", "--dosimetry", str(path),
             "--db", db)  # fmt: skip
    dlt = root / "dlt.csv"
    dlt.write_text(
        "patient_id,cohort,cycle,dose_level,dlt,event,grade,onset_date\n"
        + "".join(f"E0{i},escalation-prrt-naive,1,DL1,no,,,\n" for i in range(1, 4))
        + "E04,escalation-prior-prrt,1,DL1,yes,thrombocytopenia,4,2026-02-01\n"
        + "".join(f"E0{i},escalation-prior-prrt,1,DL1,no,,,\n" for i in (5, 6))
    )
    _run("dlt", "import", str(dlt), "--trial", ESC, "--db", db)
    patients = Path(__file__).parents[1] / "src/theratrial/data/patients"
    _run("screen", str(patients), "--trial", TRIAL, "--db", db)
    rng = np.random.default_rng(0)
    measurements = [
        (f"S{s}", region, scan, round(base * rng.lognormal(0, 0.3) * rng.lognormal(0, 0.1), 3))
        for s in range(12)
        for region, base in (("liver", 8.0), ("lesion", 30.0))
        for scan in (1, 2)
    ]
    csv = root / "m.csv"
    columns = ["subject", "region", "scan", "value"]
    pd.DataFrame(measurements, columns=columns).to_csv(csv, index=False)
    patients_json, doses = [], ["lesion_id,dose_gy,patient_id"]
    for i in range(8):
        base = [40.0 + 3 * i, 22.0 + i]
        shrink = 1.0 - 0.06 * i
        lesions = [{"id": f"L{k + 1}", "organ": "liver", "measurement_mm": b, "target": True}
                   for k, b in enumerate(base)]  # fmt: skip
        follow = [{"id": f"L{k + 1}", "measurement_mm": round(b * shrink, 1)}
                  for k, b in enumerate(base)]  # fmt: skip
        patients_json.append(
            {
                "id": f"R{i}",
                "time_points": [
                    {"date": "2025-01-01", "lesions": lesions},
                    {"date": "2025-03-01", "lesions": follow},
                ],
            }
        )
        doses += [f"L{k + 1},{20 + 15 * i + 5 * k},R{i}" for k in range(2)]
    assessments, dose_csv = root / "a.json", root / "d.csv"
    assessments.write_text(json.dumps({"patients": patients_json}))
    dose_csv.write_text("\n".join(doses) + "\n")
    return {
        "cycle": ["cycle", "--patient", "B-1", "--cycle", "2", "--db", db],
        "escalation": ["escalation", "--trial", ESC, "--as-of", "2026-06-01", "--db", db],
        "screening": ["screening", "--trial", TRIAL, "--db", db],
        "repeatability": ["repeatability", str(csv)],
        "response": ["response", str(assessments), "--doses", str(dose_csv)],
    }


def _best(func: Callable[[], None], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def _pages(pdf: Path) -> str:
    if shutil.which("pdfinfo") is None:
        return "?"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    found = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    return found.group(1) if found else "?"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        kinds = _cohort(root)
        print(f"{'kind':<14} {'HTML (s)':>9} {'PDF (s)':>9} {'PDF (kB)':>9} {'pages':>6}")
        for kind, args in kinds.items():
            times = {}
            for suffix in ("html", "pdf"):
                out = root / f"{kind}.{suffix}"
                _run("report", *args, "--out", str(out))  # warm-up (imports, fonts)
                times[suffix] = _best(partial(_run, "report", *args, "--out", str(out)))
            pdf = (root / f"{kind}.pdf").read_bytes()
            pages = _pages(root / f"{kind}.pdf")
            print(
                f"{kind:<14} {times['html']:>9.2f} {times['pdf']:>9.2f} "
                f"{len(pdf) / 1024:>9.0f} {pages:>6}"
            )


if __name__ == "__main__":
    main()
