"""The image viewer in a real browser: upload with progress, fused views, VOIs, the table.

A physicist uploads a small synthetic PET/CT (real DICOM written by the phantom writers, a
warm body and one hot sphere whose centre is the hottest voxel), reads the SUV under the
cursor, places a sphere on the lesion, thresholds at 40 % of the maximum in a box, undoes,
and saves: the server's lesion table must show the SUVmax the imaging package computes on
the same files. A monitor sees the same study read-only.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from theratrial.imaging import compute_suv, load_volume
from theratrial.phantoms._dicom import SeriesHeader, deterministic_uid, write_ct, write_pet
from theratrial.phantoms._patient_types import Injection
from theratrial.phantoms.grid import Grid

pytestmark = pytest.mark.browser

SHAPE = (20, 24, 24)
SPACING = (4.0, 4.0, 4.0)
HOT = {"x": 9, "y": 12, "z": 10}
HOT_RADIUS_MM = 10.0


def _origin(shape: tuple[int, int, int], spacing: tuple[float, float, float]) -> Any:
    nz, ny, nx = shape
    return (-(nx - 1) * spacing[0] / 2, -(ny - 1) * spacing[1] / 2, -(nz - 1) * spacing[2] / 2)


def write_study(folder: Path, tag: str) -> Path:
    """A Ga-68 PET (Bq/mL) and a finer CT of one synthetic study."""
    pet_grid = Grid(SHAPE, SPACING, _origin(SHAPE, SPACING))
    ct_shape = (SHAPE[0], SHAPE[1] * 2, SHAPE[2] * 2)
    ct_grid = Grid(ct_shape, (2.0, 2.0, 4.0), _origin(ct_shape, (2.0, 2.0, 4.0)))
    start = datetime(2026, 3, 2, 10, 0, 0)
    injection = Injection(0, start - timedelta(minutes=60), 150.0, "Ga-68")

    def header(name: str, number: int) -> SeriesHeader:
        return SeriesHeader(
            patient_id="VIEWER-WEB", sex="M", age_y=64, weight_kg=80.0, height_cm=178.0,
            study_uid=deterministic_uid(tag, "study"), study_time=start, study_id="1",
            series_uid=deterministic_uid(tag, name), series_number=number, description=name,
            frame_of_reference_uid=deterministic_uid(tag, "for"), start=start,
        )  # fmt: skip

    def geometry(grid: Grid) -> Any:
        z, y, x = np.meshgrid(grid.axis_mm(2), grid.axis_mm(1), grid.axis_mm(0), indexing="ij")
        c = (pet_grid.axis_mm(0)[HOT["x"]], pet_grid.axis_mm(1)[HOT["y"]])
        cz = pet_grid.axis_mm(2)[HOT["z"]]
        r = np.sqrt((x - c[0]) ** 2 + (y - c[1]) ** 2 + (z - cz) ** 2)
        return r, (x / 40.0) ** 2 + (y / 36.0) ** 2 <= 1.0

    r, body = geometry(pet_grid)
    pet = np.where(body, 3000.0, 0.0)
    pet = np.where(r <= HOT_RADIUS_MM, 30000.0 * (1.0 - 0.4 * r / HOT_RADIUS_MM), pet)
    write_pet(
        folder / "pet", pet.astype(np.float32), pet_grid, header("PET", 2),
        injection=injection, duration_s=180.0,
    )  # fmt: skip
    r_ct, body_ct = geometry(ct_grid)
    hu = np.where(r_ct <= HOT_RADIUS_MM, 70.0, np.where(body_ct, 40.0, -1000.0))
    write_ct(folder / "ct", hu.astype(np.float32), ct_grid, header("CT", 1))
    return folder


def zip_folder(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return out


def _patient(web_server, prefix: str) -> str:  # type: ignore[no-untyped-def]
    pid = f"{prefix}-{uuid.uuid4().hex[:6].upper()}"
    record = {
        "patient_id": pid, "site": "SITE-A", "screening_date": "2025-01-15",
        "demographics": {"age_years": 64, "sex": "male"}, "ecog": 1,
        "diagnosis": {"histology": "NET", "grade": "G2", "ki67_pct": 8, "primary_site": "ileum"},
    }  # fmt: skip
    with web_server.client("admin") as c:
        r = c.post("patients", json=record)
        assert r.status_code == 201, r.text
    return pid


@pytest.fixture(scope="module")
def study_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("viewer")
    folder = write_study(tmp / "study", tag=f"web-viewer-{uuid.uuid4().hex}")
    suv = compute_suv(load_volume(folder / "pet")).volume.array
    return {"folder": folder, "zip": zip_folder(folder, tmp / "study.zip"), "max": float(suv.max())}


def _first_number(text: str) -> float:
    match = re.search(r"-?\d+(?:[.,]\d+)*(?:e-?\d+)?", text.replace(",", ""))
    assert match, text
    return float(match.group(0))


def _click_voxel(web, view: str, voxel: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    at = web.page.evaluate(f"(p) => window.__viewer.voxelToClient('{view}', p)", voxel)
    web.page.mouse.click(at["x"], at["y"])


def test_physicist_uploads_draws_vois_and_saves(web, study_files) -> None:  # type: ignore[no-untyped-def]
    page = web.page
    pid = _patient(web.server, "VIEWER")
    web.login("physicist")
    web.visit("/viewer")
    page.get_by_role("heading", name="Upload a study").wait_for()
    web.a11y("viewer-list")
    web.shot("viewer-list")
    page.get_by_label("Patient").select_option(pid)
    # a file that is not a zip: the file field carries the API's message, nothing is stored
    bad = Path(study_files["zip"]).with_name("not-a-study.zip")
    bad.write_bytes(b"this is not a zip archive")
    page.get_by_label("Study (zip of DICOM files)").set_input_files(str(bad))
    page.get_by_role("button", name="Upload").click()
    error = page.locator(".field.invalid[data-field=body] .error")
    error.wait_for()
    assert "zip" in error.inner_text()
    web.shot("viewer-upload-refused")
    web.a11y("viewer-upload-refused")
    with web.server.client("physicist") as c:
        assert c.get("studies", params={"patient_id": pid}).json()["items"] == []
    page.get_by_label("Study (zip of DICOM files)").set_input_files(str(study_files["zip"]))
    page.evaluate(
        """() => { window.__progress = [];
        const bar = document.getElementById('upload-progress');
        const watch = () => { window.__progress.push(bar.value);
          if (document.body.contains(bar)) requestAnimationFrame(watch); };
        watch(); }"""
    )
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(re.compile(r"#/viewer/\d+$"))
    web.wait()
    page.locator("#vp-axial").wait_for()
    assert max(page.evaluate("() => window.__progress")) == 100
    for view in ("axial", "coronal", "sagittal", "mip"):
        assert page.locator(f"#vp-{view}").is_visible()
    assert "SUVbw" in page.locator("#colour-bar-caption").inner_text()
    web.shot("viewer-loaded")
    web.a11y("viewer-loaded")

    # the value under the cursor, in SUV, at the hottest voxel
    at = page.evaluate("(p) => window.__viewer.voxelToClient('axial', p)", HOT)
    page.mouse.move(at["x"], at["y"])
    readout = page.locator("#viewer-value").inner_text()
    assert "SUVbw" in readout, readout
    assert "g/mL" in readout, readout
    assert _first_number(readout.split("SUVbw", 1)[1]) == pytest.approx(
        study_files["max"], rel=2e-3
    )

    # a sphere on the lesion
    page.get_by_label("Sphere VOI").check()
    page.get_by_label("Sphere / eraser radius (mm)").fill("8")
    _click_voxel(web, "axial", HOT)
    rows = page.locator("#lesion-table tbody tr")
    assert rows.count() == 1
    assert "lesion_1" in rows.first.inner_text()
    assert "not saved" in rows.first.inner_text()

    # a threshold at 40 % of the maximum inside a box drawn around the lesion, then undo
    page.get_by_label("Threshold in a box").check()
    page.get_by_label("Threshold value").fill("40")
    a = page.evaluate("(p) => window.__viewer.voxelToClient('axial', p)", {**HOT, "x": 5, "y": 8})
    b = page.evaluate("(p) => window.__viewer.voxelToClient('axial', p)", {**HOT, "x": 13, "y": 16})
    page.mouse.move(a["x"], a["y"])
    page.mouse.down()
    page.mouse.move(b["x"], b["y"], steps=4)
    page.mouse.up()
    # the threshold region (every voxel of the lesion reaches 40 %) takes over the sphere's
    # voxels, as a new VOI overwrites the others in OHIF and Slicer
    assert rows.count() == 1
    assert "lesion_2" in rows.first.inner_text()
    assert "40 % of the box maximum" in page.locator("#save-status").inner_text()
    web.shot("viewer-threshold")
    page.get_by_role("button", name="Undo").click()
    assert rows.count() == 1
    assert "lesion_1" in rows.first.inner_text()

    page.get_by_role("button", name="Save VOIs as DICOM SEG").click()
    page.locator("#save-status", has_text="Saved 1 VOI").wait_for()
    cells = rows.first.locator("td")
    assert "saved" in cells.nth(5).inner_text()
    assert "not saved" not in cells.nth(5).inner_text()
    assert _first_number(cells.nth(1).inner_text()) == pytest.approx(study_files["max"], rel=1e-3)
    peak, mean = (_first_number(cells.nth(i).inner_text()) for i in (2, 3))
    assert mean <= peak <= study_files["max"] * 1.001
    # the sphere of radius 8 mm on 4 mm voxels holds 33 voxels: 2.112 mL
    assert _first_number(cells.nth(4).inner_text()) == pytest.approx(33 * 0.064, rel=1e-3)
    web.shot("viewer-saved")
    web.a11y("viewer-saved")

    # the table is linked to the views: a row moves the crosshair to the lesion's peak
    page.locator("#vp-axial").focus()
    page.keyboard.press("Home")
    assert "z 0" in page.locator("#viewer-position").inner_text()
    page.get_by_role("button", name="Show lesion_1").click()
    assert f"z {HOT['z']}" in page.locator("#viewer-position").inner_text()

    # slice change from the keyboard and the wheel (OHIF habits)
    page.locator("#vp-axial").focus()
    page.keyboard.press("ArrowUp")
    assert page.locator("#vp-axial").get_attribute("aria-valuenow") == str(HOT["z"] + 2)
    at = page.evaluate("(p) => window.__viewer.voxelToClient('axial', p)", HOT)
    page.mouse.move(at["x"], at["y"])
    page.mouse.wheel(0, 120)
    assert page.locator("#vp-axial").get_attribute("aria-valuenow") == str(HOT["z"] + 3)

    # reopening the study shows the saved VOIs with their measurements
    here = page.url.split("#", 1)[1]
    web.visit("/viewer")
    page.get_by_role("link", name=f"Open study {here.rsplit('/', 1)[1]}").wait_for()
    web.visit(here)
    page.locator("#lesion-table").wait_for()
    assert rows.count() == 1
    assert "not saved" not in rows.first.inner_text()


@pytest.fixture(scope="module")
def monitor_study(web_server, study_files) -> int:  # type: ignore[no-untyped-def]
    pid = _patient(web_server, "VIEWMON")
    # a second copy of the study under new UIDs: rewrite the zip from a fresh folder
    folder = write_study(Path(study_files["zip"]).parent / "monitor", tag=f"mon-{uuid.uuid4().hex}")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    data = buf.getvalue()
    with web_server.client("physicist") as c:
        r = c.post(
            "studies",
            params={"patient_id": pid},
            content=data,
            headers={"Content-Type": "application/zip"},
        )
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


def test_monitor_reads_the_viewer_without_write_controls(web, monitor_study) -> None:  # type: ignore[no-untyped-def]
    page = web.page
    web.login("monitor")
    web.visit("/viewer")
    page.locator("#studies").wait_for()
    assert page.locator("#upload-form").count() == 0
    web.visit(f"/viewer/{monitor_study}")
    page.locator("#vp-axial").wait_for()
    assert page.get_by_role("button", name="Save VOIs as DICOM SEG").count() == 0
    assert page.get_by_label("Sphere VOI").count() == 0
    # window/level by dragging (a read-only user may still adjust the display)
    page.get_by_label("Window/level", exact=True).check()
    box = page.locator("#vp-axial").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2 + 20, steps=3)
    page.mouse.up()
    assert page.get_by_label("CT window").input_value() == "custom"
    assert page.evaluate("() => window.__viewer.display.ctWidth") == 400 + 60 * 4
    web.shot("viewer-monitor")
    web.a11y("viewer-monitor")
    with web.server.client("monitor") as c:
        r = c.post(
            f"studies/{monitor_study}/segmentations",
            params={"series": "x", "names": ["lesion_1"]},
            content=b"\0",
            headers={"Content-Type": "application/octet-stream"},
        )
        assert r.status_code == 403


SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sts-petct" / "STS_002"


def test_real_pet_ct_fusion_reads_the_suv_under_the_cursor(web) -> None:  # type: ignore[no-untyped-def]
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (the shared reference data)")
    pid = _patient(web.server, "VIEWSTS")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for folder in ("PET/dicom/image", "CT/dicom/image"):
            for path in sorted((SHARED / folder).rglob("*")):
                if path.is_file():
                    zf.write(path, path.relative_to(SHARED).as_posix())
    with web.server.client("physicist") as c:
        r = c.post(
            "studies",
            params={"patient_id": pid},
            content=buf.getvalue(),
            headers={"Content-Type": "application/zip"},
        )
        assert r.status_code == 201, r.text
        study = r.json()
    suv = compute_suv(load_volume(SHARED / "PET" / "dicom" / "image")).volume.array
    z, y, x = (int(v) for v in np.unravel_index(int(np.argmax(suv)), suv.shape))
    web.login("physician")
    web.visit(f"/viewer/{study['id']}")
    page = web.page
    page.locator("#vp-axial").wait_for()
    assert page.get_by_role("button", name="Save VOIs as DICOM SEG").count() == 0
    page.evaluate("(p) => window.__viewer.setPos(p)", {"x": x, "y": y, "z": z})
    at = page.evaluate("(p) => window.__viewer.voxelToClient('axial', p)", {"x": x, "y": y, "z": z})
    page.mouse.move(at["x"], at["y"])
    readout = page.locator("#viewer-value").inner_text()
    assert _first_number(readout.split("SUV", 1)[1].split(" ", 1)[1]) == pytest.approx(
        float(suv.max()), rel=2e-3
    )
    web.shot("viewer-real-petct")
    web.a11y("viewer-real-petct")
