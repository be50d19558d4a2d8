"""Benchmark: ``theratrial batch`` end to end on a virtual cohort, 1 vs 2 workers vs a cluster.

For ``--n`` virtual patients (default 100; seeds ``--seed``, ``--seed + 1``, ...) runs the
four batch tasks through :func:`theratrial.jobs.batch.run_batch` (the code behind
``theratrial batch MANIFEST --task ...``): ``phantom`` (``--grid``^3 voxels, ``--cycles``
cycles x 4 SPECT, CT, PET, masks), ``quantify`` (68Ga PET), ``dosimetry`` (every cycle,
recorded for ``--trial``) and ``plan`` (the next cycle, in the writer). Three set-ups, each
on a fresh folder and SQLite store:

1. ``--workers 1``: a LocalCluster of one single-threaded worker process, started once for
   the four stages (its start-up, about 3 s, is printed apart);
2. ``--workers 2``: two of them (the ratio 1 -> 2 is the figure);
3. a scheduler and two worker processes started as separate commands on loopback, the way
   a cluster is used: ``dask scheduler --host 127.0.0.1 --port P`` and twice
   ``dask worker tcp://127.0.0.1:P --nthreads 1`` with ``OMP_NUM_THREADS=1``, then
   ``run_batch(..., scheduler="tcp://127.0.0.1:P")``.

Prints, per set-up and stage, the wall time and the mean task time per patient, the
end-to-end wall time per patient, the peak RSS of the workers (largest ``ru_maxrss`` a
task reported), the speed-up of 2 workers over 1 and, for fewer than 100 patients, the
wall time extrapolated to 100 (x 100 / n). Numbers are printed, never asserted.

Run: ``.venv/bin/python benchmarks/bench_batch.py --n 4 [--grid 64 --cycles 2]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from theratrial.jobs import executor, shutdown
from theratrial.jobs.batch import run_batch

STAGES = ("phantom", "quantify", "dosimetry", "plan")
DASK = Path(sys.executable).with_name("dask")


def _manifests(root: Path, n: int, seed: int, grid: int, cycles: int, trial: str) -> None:
    ids = [f"VP-{900000 + i:06d}" for i in range(n)]
    rows = "".join(f"{p},{seed + i},{grid},{cycles},true\n" for i, p in enumerate(ids))
    (root / "phantom.csv").write_text("patient_id,source,grid,cycles,noise\n" + rows)
    (root / "quantify.csv").write_text(
        "patient_id,source,study\n" + "".join(f"{p},{p},dicom/pet_ga68\n" for p in ids)
    )
    for stage in ("dosimetry", "plan"):
        (root / f"{stage}.csv").write_text(
            "patient_id,source,trial\n" + "".join(f"{p},{p},{trial}\n" for p in ids)
        )


def _chain(
    root: Path, *, workers: int, scheduler: str | None
) -> dict[str, tuple[float, float, float, int]]:
    """Per stage: (wall s, mean task s, peak worker RSS MiB, failed)."""
    db = f"sqlite:///{root / 'batch.sqlite'}"
    out = {}
    for stage in STAGES:
        report = run_batch(
            root / f"{stage}.csv", task=stage, db=db, workers=workers, scheduler=scheduler
        )
        tasks = report.tasks
        mean = sum(t.seconds for t in tasks) / len(tasks)
        rss = max((t.peak_rss_mb or 0.0) for t in tasks)
        failed = report.count("failed")
        for t in tasks:
            if t.state == "failed":
                print(f"  {stage} {t.patient_id} failed: {t.error}", flush=True)
        out[stage] = (report.wall_s, mean, rss, failed)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _cluster(n_workers: int) -> Iterator[str]:
    """A scheduler and ``n_workers`` worker processes, each its own command, on loopback."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    logs = subprocess.DEVNULL
    procs = [
        subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"],
            env=env, stdout=logs, stderr=logs,
        )
    ]  # fmt: skip
    try:
        time.sleep(2.0)
        for _ in range(n_workers):
            procs.append(
                subprocess.Popen(
                    [str(DASK), "worker", address, "--nthreads", "1", "--no-dashboard",
                     "--host", "127.0.0.1"],
                    env=env, stdout=logs, stderr=logs,
                )
            )  # fmt: skip
        yield address
    finally:
        for proc in reversed(procs):  # only the processes started here, by their id
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100, help="patients (default 100)")
    parser.add_argument("--seed", type=int, default=5000)
    parser.add_argument("--grid", type=int, default=128, help="voxels a side (default 128)")
    parser.add_argument("--cycles", type=int, default=4)
    parser.add_argument("--trial", default="NCT01842165")
    parser.add_argument("--keep", action="store_true", help="keep the patient folders")
    args = parser.parse_args()
    print(
        f"{args.n} patients, {args.grid}^3, {args.cycles} cycles, "
        f"{os.cpu_count()} CPUs on this machine",
        flush=True,
    )
    walls: dict[str, float] = {}
    setups = [("1 local worker", 1, False), ("2 local workers", 2, False),
              ("scheduler + 2 worker commands", 2, True)]  # fmt: skip
    for label, workers, external in setups:
        root = Path(tempfile.mkdtemp(prefix="bench-batch-"))
        try:
            _manifests(root, args.n, args.seed, args.grid, args.cycles, args.trial)
            if external:
                with _cluster(workers) as address:
                    try:
                        result = _chain(root, workers=workers, scheduler=address)
                    finally:
                        shutdown()  # the client closes before its scheduler goes
            else:
                # one LocalCluster for the four stages (``theratrial batch --workers N``
                # starts its own per command; here its start-up is timed apart, so the
                # ratio 1 -> 2 workers measures the work, not four cluster starts)
                started = time.perf_counter()
                with executor.local_client(workers) as local:
                    print(f"\n{label}: LocalCluster up in {time.perf_counter() - started:.1f} s")
                    address = local.scheduler_info()["address"]
                    try:
                        result = _chain(root, workers=workers, scheduler=address)
                    finally:
                        shutdown()  # the chain's client closes before its cluster goes
        finally:
            shutdown()
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)
        total = sum(r[0] for r in result.values())
        walls[label] = total
        print(f"\n{label}:", flush=True)
        for stage, (wall, mean, rss, failed) in result.items():
            print(
                f"  {stage:<9} wall {wall:7.1f} s  mean task {mean:6.2f} s/patient  "
                f"peak worker RSS {rss:6.0f} MiB  failed {failed}",
                flush=True,
            )
        print(
            f"  end to end {total:.1f} s = {total / args.n:.2f} s/patient wall; "
            f"100 patients ~ {total * 100 / args.n / 60:.1f} min",
            flush=True,
        )
    one, two = walls["1 local worker"], walls["2 local workers"]
    ext = walls["scheduler + 2 worker commands"]
    print(f"\nspeed-up over 1 worker: 2 local x{one / two:.2f}, scheduler + 2 x{one / ext:.2f}")


if __name__ == "__main__":
    main()
