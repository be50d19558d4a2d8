"""De-identification throughput on the shared real data (instances per second); prints numbers.

Run: ``.venv/bin/python benchmarks/bench_pacs.py [SHARED_DATA_DIR]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from theratrial.pacs.deid import DeidSettings
from theratrial.pacs.deid_folder import deidentify_folder


def main() -> None:
    data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    folders = sorted(p for p in (data / "suv-dro").glob("DRO_*") if p.is_dir()) + sorted(
        (data / "sts-petct").glob("STS_*/*/dicom")
    )
    total, start = 0, time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, folder in enumerate(folders):
            report = deidentify_folder(folder, Path(tmp) / str(i), DeidSettings("B-1", -400, b"k"))
            total += report.instances
    seconds = time.perf_counter() - start
    print(
        f"deid: {total} instances in {len(folders)} folders, {seconds:.2f} s, "
        f"{total / seconds:.0f} instances/s"
    )


if __name__ == "__main__":
    main()
