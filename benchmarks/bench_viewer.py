"""The image viewer on a 256^3 PET/CT: upload time, volume load time, time per slice change.

Writes a synthetic 256 x 256 x 256 PET (Ga-68, Bq/mL, 2 mm voxels, a warm body with hot
spheres) and a CT on the same grid as real DICOM (the phantom writers), zips them, starts
``theratrial serve`` on a temporary SQLite store, uploads the zip (POST /api/v1/studies,
timed), opens the viewer in Debian's chromium through Playwright (volume download and first
draw, timed), then changes the axial slice N times in the browser, alternating arrow keys
and wheel events dispatched on the axial view; each change is timed with performance.now()
from the event to the next animation frame (what a user can see), and the synchronous draw
of the three views is timed separately. Prints median and p95 in ms.

    python benchmarks/bench_viewer.py --changes 200
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

os.environ.setdefault("THERATRIAL_ARGON2_TIME_COST", "1")
os.environ.setdefault("THERATRIAL_ARGON2_MEMORY_KIB", "1024")

PASSWORD = "correct horse battery staple"
CHROMIUM = ("/usr/bin/chromium", "/usr/lib/chromium/chromium")


def write_study(folder: Path, n: int) -> None:
    """A PET (Bq/mL) and a CT on one n^3 grid of 2 mm voxels."""
    from theratrial.phantoms._dicom import SeriesHeader, deterministic_uid, write_ct, write_pet
    from theratrial.phantoms._patient_types import Injection
    from theratrial.phantoms.grid import Grid

    spacing = (2.0, 2.0, 2.0)
    half = (n - 1) * spacing[0] / 2
    grid = Grid((n, n, n), spacing, (-half, -half, -half))
    start = datetime(2026, 3, 2, 10, 0, 0)
    tag = f"bench-viewer-{time.time_ns()}"

    def header(name: str, number: int) -> SeriesHeader:
        return SeriesHeader(
            patient_id="BENCH", sex="F", age_y=60, weight_kg=70.0, height_cm=168.0,
            study_uid=deterministic_uid(tag, "study"), study_time=start, study_id="1",
            series_uid=deterministic_uid(tag, name), series_number=number, description=name,
            frame_of_reference_uid=deterministic_uid(tag, "for"), start=start,
        )  # fmt: skip

    axis = grid.axis_mm(0)
    z, y, x = np.meshgrid(axis, axis, axis, indexing="ij", sparse=True)
    body = (x / 200.0) ** 2 + (y / 140.0) ** 2 <= 1.0
    pet = np.where(body, 3000.0, 0.0).astype(np.float32)
    hu = np.where(body, 40.0, -1000.0).astype(np.float32)
    rng = np.random.default_rng(7)
    for _ in range(8):
        c = rng.uniform(-100, 100, size=3)
        r2 = (x - c[0]) ** 2 + (y - c[1]) ** 2 + (z - c[2]) ** 2
        radius = rng.uniform(8, 20)
        inside = r2 <= radius**2
        pet = np.where(inside, rng.uniform(15000, 60000), pet).astype(np.float32)
        hu = np.where(inside, 60.0, hu).astype(np.float32)
    pet *= rng.normal(1.0, 0.05, size=pet.shape).astype(np.float32)
    write_pet(
        folder / "pet", pet, grid, header("PET", 2),
        injection=Injection(0, start - timedelta(minutes=60), 150.0, "Ga-68"), duration_s=180.0,
    )  # fmt: skip
    write_ct(folder / "ct", hu, grid, header("CT", 1))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    from theratrial.api import accounts
    from theratrial.store import connect, session_scope

    db = f"sqlite:///{tmp / 'store.sqlite'}"
    engine = connect(db)
    tokens = {}
    with session_scope(engine) as session:
        for name, role in (("admin", "admin"), ("physicist", "physicist")):
            p = accounts.add_user(session, name, role=role, sites=["SITE-A"], password=PASSWORD)
            tokens[name] = accounts.create_token(session, p, "bench")
    engine.dispose()
    port = _free_port()
    exe = Path(sys.executable).with_name("theratrial")
    log = (tmp / "serve.log").open("w")
    proc = subprocess.Popen(
        [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port), "--db", db],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the server did not start: {(tmp / 'serve.log').read_text()[-2000:]}")
        time.sleep(0.2)
    return proc, base, tokens


_SLICES = """async (n) => {
  const v = window.__viewer;
  const canvas = v.canvases.axial;
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const visible = [], draw = [];
  await frame();
  for (let i = 0; i < n; i++) {
    const up = Math.floor(i / 50) % 2 === 0;
    const t0 = performance.now();
    if (i % 2 === 0) {
      const key = up ? "ArrowUp" : "ArrowDown";
      canvas.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
    } else {
      const deltaY = up ? 100 : -100;
      canvas.dispatchEvent(new WheelEvent("wheel", { deltaY, bubbles: true, cancelable: true }));
    }
    draw.push(v.stats.lastMs);
    await frame();
    visible.push(performance.now() - t0);
  }
  return { visible, draw, renders: v.stats.renders, loadMs: v.loadMs };
}"""


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=256, help="voxels per side (default 256)")
    parser.add_argument("--changes", type=int, default=200, help="slice changes to time")
    parser.add_argument("--shot", type=Path, default=None, help="write a screenshot (PNG) here")
    args = parser.parse_args()
    exe = next((p for p in CHROMIUM if Path(p).exists()), shutil.which("chromium"))
    if exe is None:
        raise SystemExit("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-viewer-") as tmp_name:
        tmp = Path(tmp_name)
        t = time.perf_counter()
        write_study(tmp / "study", args.size)
        zip_path = tmp / "study.zip"
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for path in sorted((tmp / "study").rglob("*.dcm")):
                zf.write(path, path.relative_to(tmp / "study").as_posix())
        print(f"study written: {args.size}^3 PET + CT, zip {zip_path.stat().st_size / 1e6:.1f} MB "
              f"({time.perf_counter() - t:.1f} s)")  # fmt: skip
        proc, base, tokens = _serve(tmp)
        try:
            record = {
                "patient_id": "BENCH-001", "site": "SITE-A", "screening_date": "2025-01-15",
                "demographics": {"age_years": 60, "sex": "female"}, "ecog": 1,
                "diagnosis": {"histology": "NET", "grade": "G2", "ki67_pct": 8},
            }  # fmt: skip
            auth = {"Authorization": f"Bearer {tokens['admin']}"}
            r = httpx.post(f"{base}/api/v1/patients", json=record, headers=auth, timeout=30)
            r.raise_for_status()
            t = time.perf_counter()
            with zip_path.open("rb") as body:
                r = httpx.post(
                    f"{base}/api/v1/studies",
                    params={"patient_id": "BENCH-001"},
                    content=body,
                    headers={
                        "Authorization": f"Bearer {tokens['physicist']}",
                        "Content-Type": "application/zip",
                    },
                    timeout=600,
                )
            r.raise_for_status()
            upload_s = time.perf_counter() - t
            study = r.json()
            study_id = study["id"]
            n = args.size
            labels = np.zeros((n, n, n), dtype=np.uint8)
            zz, yy, xx = np.ogrid[:n, :n, :n]
            labels[(zz - n // 2) ** 2 + (yy - n // 2) ** 2 + (xx - n // 2) ** 2 <= 100] = 1
            labels[(zz - n // 3) ** 2 + (yy - n // 2) ** 2 + (xx - n // 3) ** 2 <= 64] = 2
            pet_uid = next(s["series_uid"] for s in study["series"] if s["role"] == "pet")
            t = time.perf_counter()
            r = httpx.post(
                f"{base}/api/v1/studies/{study_id}/segmentations",
                params={"series": pet_uid, "names": ["lesion_1", "lesion_2"]},
                content=labels.tobytes(),
                headers={
                    "Authorization": f"Bearer {tokens['physicist']}",
                    "Content-Type": "application/octet-stream",
                },
                timeout=600,
            )
            r.raise_for_status()
            save_s = time.perf_counter() - t
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=exe, headless=True, args=["--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page(viewport={"width": 1360, "height": 900})
                page.set_default_timeout(120_000)
                page.goto(f"{base}/#/login")
                page.get_by_label("User name").fill("physicist")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.locator("#sign-out").wait_for()
                page.wait_for_function("() => !document.querySelector('main[aria-busy]')")
                t = time.perf_counter()
                page.goto(f"{base}/#/viewer/{study_id}")
                page.wait_for_function("() => window.__viewer && window.__viewer.stats.renders > 0")
                page.wait_for_function("() => !document.querySelector('main[aria-busy]')")
                open_s = time.perf_counter() - t
                result: dict[str, Any] = page.evaluate(_SLICES, args.changes)
                if args.shot is not None:
                    page.screenshot(path=str(args.shot), full_page=True)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    visible, draw = result["visible"], result["draw"]
    print(f"upload (POST /studies, stream + unzip + SUV + archive): {upload_s:.2f} s")
    print(f"save 2 VOIs (POST /segmentations: DICOM SEG + quantification): {save_s:.2f} s")
    print(f"volume load in the browser (PET float32 + CT int16): {result['loadMs'] / 1000:.2f} s; "
          f"viewer open to first draw: {open_s:.2f} s")  # fmt: skip
    median = statistics.median(visible)
    print(f"slice change, event to next frame ({len(visible)} changes): "
          f"median {median:.2f} ms, p95 {_pct(visible, 95):.2f} ms")  # fmt: skip
    print(f"slice change, drawing the three views: "
          f"median {statistics.median(draw):.2f} ms, p95 {_pct(draw, 95):.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
