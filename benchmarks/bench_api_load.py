"""Load test of the trial service: N concurrent clients mixing reads and writes on PostgreSQL.

Starts a throw-away PostgreSQL cluster (as the test fixture does) and the server (uvicorn on
a free loopback port), then runs ``--clients`` threads with httpx for ``--seconds``: each
loop writes a new patient record (POST /patients) about one time in four, else reads
(GET /patients, GET /patients/{id}, GET /trials). Afterwards it counts the patients in the
database: every acknowledged write must be there once (0 lost, 0 duplicated). Prints
request counts, errors, and p50/p95 latency in ms. Stops by itself.

    python benchmarks/bench_api_load.py --seconds 60 --clients 50
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "api"))
os.environ.setdefault("THERATRIAL_ARGON2_TIME_COST", "1")


def _postgres(root: Path) -> tuple[str, list[str]]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("_top_conftest", ROOT / "tests" / "conftest.py")
    assert spec is not None
    assert spec.loader is not None
    top = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(top)  # tests/conftest.py: the PostgreSQL fixture's helpers

    bindir = top._pg_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed")
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        import shutil

        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
        root.chmod(0o755)
    port = top._free_port()
    run = top._as_postgres
    subprocess.run(run([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                        "--no-sync", "-E", "UTF8"]), check=True, capture_output=True)  # fmt: skip
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    start = [str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "pg.log")]
    subprocess.run(run([*start, "-w", "start"]), check=True, capture_output=True)
    subprocess.run(run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U",
                        "postgres", "bench"]), check=True, capture_output=True)  # fmt: skip
    stop = run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/bench", stop


def run(seconds: float, clients: int) -> None:
    from conftest import start_server  # tests/api/conftest.py (first on sys.path)

    root = Path(tempfile.mkdtemp(prefix="theratrial-bench-"))
    url, stop = _postgres(root)
    gen = start_server(url, root)
    server = next(gen)
    latencies: list[float] = []
    errors: list[str] = []
    written: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(k: int) -> None:
        rng = random.Random(k)
        user = rng.choice(["admin-a", "coordinator-a", "investigator-a"])
        n = 0
        with server.client(user) as c:
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                try:
                    if rng.random() < 0.25:
                        pid = f"LD-{k:03d}-{n:06d}"
                        n += 1
                        demo = {"age_years": 50 + k % 30, "sex": "male"}
                        body = {"patient_id": pid, "site": "SITE-A", "demographics": demo}
                        r = c.post("/api/v1/patients", json=body)
                        ok = r.status_code == 201
                        if ok:
                            with lock:
                                written.append(pid)
                    else:
                        path = rng.choice(["/api/v1/patients?limit=20", "/api/v1/trials",
                                           "/api/v1/patients/PT-A-001"])  # fmt: skip
                        r = c.get(path)
                        ok = r.status_code == 200
                    if not ok:
                        with lock:
                            errors.append(f"{r.request.method} {r.status_code} {r.text[:120]}")
                except httpx.HTTPError as exc:
                    with lock:
                        errors.append(type(exc).__name__)
                with lock:
                    latencies.append(1e3 * (time.perf_counter() - t0))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    from sqlalchemy import create_engine, func, select

    from theratrial.store.models import PatientRow

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(PatientRow.pseudonym, func.count()).where(PatientRow.pseudonym.like("LD-%"))
            .group_by(PatientRow.pseudonym)
        ).all()  # fmt: skip
    engine.dispose()
    stored = {p: int(n) for p, n in rows}
    lost = len(set(written) - set(stored))
    duplicated = sum(n - 1 for n in stored.values() if n > 1) + (len(written) - len(set(written)))
    qs = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    print(f"clients {clients}, {seconds:g} s, PostgreSQL")
    rate = len(latencies) / seconds
    print(f"requests {len(latencies)} ({rate:.0f}/s), writes acknowledged {len(written)}")
    print(f"errors {len(errors)}{(': ' + errors[0]) if errors else ''}")
    extra = len(set(stored) - set(written))
    print(f"lost {lost}, duplicated {duplicated}, unacknowledged but stored {extra}")
    print(f"latency p50 {qs[49]:.1f} ms, p95 {qs[94]:.1f} ms")
    for _ in gen:
        pass
    subprocess.run(stop, capture_output=True)


if __name__ == "__main__":
    _p = argparse.ArgumentParser(description="API load test on PostgreSQL (loopback).")
    _p.add_argument("--seconds", type=float, default=60.0)
    _p.add_argument("--clients", type=int, default=50)
    _a = _p.parse_args()
    run(_a.seconds, _a.clients)
