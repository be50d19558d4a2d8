"""``/studies``: upload a zip of DICOM, read the viewer's volumes, save VOIs as a DICOM SEG.

The study is a small synthetic PET/CT written as real DICOM with the phantom writers (a
warm body with one hot sphere whose centre is the hottest voxel); the SUV the server sends
is checked against the imaging package's own :func:`compute_suv` on the same files.
"""

from __future__ import annotations

import io
import shutil
import subprocess
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
from theratrial.store.image_archive import unpack_zip

PET_SHAPE = (20, 24, 24)
PET_SPACING = (4.0, 4.0, 4.0)
HOT_ZYX = (10, 12, 9)
HOT_RADIUS_MM = 10.0


def _origin(shape_zyx: tuple[int, int, int], spacing: tuple[float, float, float]) -> Any:
    nz, ny, nx = shape_zyx
    return (-(nx - 1) * spacing[0] / 2, -(ny - 1) * spacing[1] / 2, -(nz - 1) * spacing[2] / 2)


def write_study(folder: Path, *, tag: str, shape: tuple[int, int, int] = PET_SHAPE) -> Path:
    """A PET (Bq/mL, Ga-68) and a finer CT of one synthetic study; returns the folder."""
    pet_grid = Grid(shape, PET_SPACING, _origin(shape, PET_SPACING))
    ct_shape = (shape[0], shape[1] * 2, shape[2] * 2)
    ct_spacing = (2.0, 2.0, 4.0)
    ct_grid = Grid(ct_shape, ct_spacing, _origin(ct_shape, ct_spacing))
    start = datetime(2026, 3, 2, 10, 0, 0)
    injection = Injection(0, start - timedelta(minutes=60), 150.0, "Ga-68")
    frame = deterministic_uid(tag, "for")
    study = deterministic_uid(tag, "study")

    def header(name: str, number: int) -> SeriesHeader:
        return SeriesHeader(
            patient_id="VIEWER-TEST", sex="F", age_y=60, weight_kg=70.0, height_cm=168.0,
            study_uid=study, study_time=start, study_id="1",
            series_uid=deterministic_uid(tag, name), series_number=number,
            description=name, frame_of_reference_uid=frame, start=start,
        )  # fmt: skip

    def distance_mm(grid: Grid) -> Any:
        z, y, x = np.meshgrid(grid.axis_mm(2), grid.axis_mm(1), grid.axis_mm(0), indexing="ij")
        hz, hy, hx = HOT_ZYX
        cx, cy, cz = (pet_grid.axis_mm(0)[hx], pet_grid.axis_mm(1)[hy], pet_grid.axis_mm(2)[hz])
        body = (x / 40.0) ** 2 + (y / 36.0) ** 2 <= 1.0
        return np.sqrt((x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2), body

    r, body = distance_mm(pet_grid)
    pet = np.where(body, 3000.0, 0.0)
    pet = np.where(r <= HOT_RADIUS_MM, 30000.0 * (1.0 - 0.4 * r / HOT_RADIUS_MM), pet)
    write_pet(
        folder / "pet", pet.astype(np.float32), pet_grid, header("PET", 2),
        injection=injection, duration_s=180.0,
    )  # fmt: skip
    r_ct, body_ct = distance_mm(ct_grid)
    hu = np.where(body_ct, 40.0, -1000.0)
    hu = np.where(r_ct <= HOT_RADIUS_MM, 70.0, hu)
    write_ct(folder / "ct", hu.astype(np.float32), ct_grid, header("CT", 1))
    return folder


def zip_folder(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return buf.getvalue()


@pytest.fixture(scope="module")
def study_zip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    folder = write_study(tmp_path_factory.mktemp("study"), tag="api-studies")
    return folder, zip_folder(folder)


def _upload(client: Any, data: bytes, patient: str = "PT-A-001") -> Any:
    return client.post(
        "/api/v1/studies",
        params={"patient_id": patient},
        content=data,
        headers={"Content-Type": "application/zip"},
    )


@pytest.fixture(scope="module")
def uploaded(sqlite_server, study_zip):  # type: ignore[no-untyped-def]
    with sqlite_server.client("physicist-a") as c:
        r = _upload(c, study_zip[1])
        assert r.status_code == 201, r.text
        return r.json()


def test_upload_registers_the_study_and_serves_suv(sqlite_server, study_zip, uploaded):  # type: ignore[no-untyped-def]
    folder, _ = study_zip
    roles = {s["role"]: s for s in uploaded["series"]}
    assert set(roles) == {"pet", "ct"}
    with sqlite_server.client("monitor-a") as c:
        listed = c.get("/api/v1/studies").json()["items"]
        assert uploaded["id"] in [s["id"] for s in listed]
        meta = c.get(f"/api/v1/studies/{uploaded['id']}").json()
        assert meta["grid"]["shape_zyx"] == list(PET_SHAPE)
        assert meta["pet"]["quantity"] == "SUVbw"
        assert meta["pet"]["units"] == "g/mL"
        r = c.get(
            f"/api/v1/studies/{uploaded['id']}/volume",
            params={"series": roles["pet"]["series_uid"]},
        )
        assert r.status_code == 200
        served = np.frombuffer(r.content, dtype="<f4").reshape(PET_SHAPE)
        ct = c.get(
            f"/api/v1/studies/{uploaded['id']}/volume",
            params={"series": roles["ct"]["series_uid"]},
        )
        hu = np.frombuffer(ct.content, dtype="<i2").reshape(PET_SHAPE)
    reference = compute_suv(load_volume(folder / "pet")).volume.array
    np.testing.assert_allclose(served, reference, rtol=1e-6, atol=1e-6)
    assert np.unravel_index(int(np.argmax(served)), PET_SHAPE) == HOT_ZYX
    assert meta["pet"]["max"] == pytest.approx(float(reference.max()), rel=1e-6)
    # CT resampled onto the PET grid: air outside, soft tissue in the body, lesion at 70 HU
    assert hu[HOT_ZYX] == 70
    assert hu[0, 0, 0] == -1000


def test_the_same_study_twice_is_refused_and_nothing_filed(sqlite_server, study_zip, uploaded):  # type: ignore[no-untyped-def]
    root = _archive(sqlite_server)
    before = sorted(p.name for p in root.iterdir())
    with sqlite_server.client("physicist-a") as c:
        r = _upload(c, study_zip[1])
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "body"
    assert sorted(p.name for p in root.iterdir()) == before


def test_other_site_and_bad_series_are_refused(sqlite_server, uploaded):  # type: ignore[no-untyped-def]
    sid = uploaded["id"]
    with sqlite_server.client("physicist-b") as c:
        assert c.get(f"/api/v1/studies/{sid}").status_code == 404
        assert sid not in [s["id"] for s in c.get("/api/v1/studies").json()["items"]]
    with sqlite_server.client("physicist-a") as c:
        r = c.get(f"/api/v1/studies/{sid}/volume", params={"series": "1.2.3"})
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "series"


def test_upload_needs_write_imaging_and_a_visible_patient(sqlite_server, study_zip):  # type: ignore[no-untyped-def]
    with sqlite_server.client("monitor-a") as c:
        assert _upload(c, study_zip[1]).status_code == 403
    with sqlite_server.client("coordinator-a") as c:
        assert _upload(c, study_zip[1]).status_code == 403
    with sqlite_server.client("physicist-a") as c:
        r = _upload(c, study_zip[1], patient="PT-B-001")
        assert r.status_code == 404
        assert r.json()["errors"][0]["field"] == "patient_id"


def _archive(sqlite_server) -> Path:  # type: ignore[no-untyped-def]
    db = sqlite_server.db_url.removeprefix("sqlite:///")
    return Path(db).parent / "archive"


def test_bad_zip_is_refused_and_nothing_stored(sqlite_server, tmp_path):  # type: ignore[no-untyped-def]
    root = _archive(sqlite_server)
    before = sorted(p.name for p in root.iterdir()) if root.exists() else []
    with sqlite_server.client("physicist-a") as c:
        n = len(c.get("/api/v1/studies").json()["items"])
        r = _upload(c, b"this is not a zip")
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "body"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("notes.txt", "no DICOM here")
        r = _upload(c, buf.getvalue())
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "body"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("../escape.dcm", "x")
        r = _upload(c, buf.getvalue())
        assert r.status_code == 422
        assert "unsafe" in r.json()["detail"]
        r = c.post(
            "/api/v1/studies",
            params={"patient_id": "PT-A-001"},
            content=b"x",
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 415
        assert len(c.get("/api/v1/studies").json()["items"]) == n
    after = sorted(p.name for p in root.iterdir()) if root.exists() else []
    assert [p for p in after if p != ".incoming"] == [p for p in before if p != ".incoming"]
    assert not (root / ".incoming").exists() or not any((root / ".incoming").iterdir())
    assert not (tmp_path / "escape.dcm").exists()


def test_unpack_caps_the_total_size(tmp_path):  # type: ignore[no-untyped-def]
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.bin", b"\0" * 5_000_000)
    with pytest.raises(Exception, match="more than"):
        unpack_zip(bomb, tmp_path / "out", max_total_bytes=1_000_000)


def _labels(uploaded: dict[str, Any]) -> tuple[bytes, str]:
    labels = np.zeros(PET_SHAPE, dtype=np.uint8)
    z, y, x = HOT_ZYX
    labels[z - 2 : z + 3, y - 2 : y + 3, x - 2 : x + 3] = 1
    labels[2:4, 10:14, 10:14] = 2
    pet = next(s for s in uploaded["series"] if s["role"] == "pet")
    return labels.tobytes(), pet["series_uid"]


def test_save_segmentation_writes_seg_and_quantifies(sqlite_server, study_zip, uploaded):  # type: ignore[no-untyped-def]
    body, series = _labels(uploaded)
    url = f"/api/v1/studies/{uploaded['id']}/segmentations"
    with sqlite_server.client("physicist-a") as c:
        r = c.post(
            url,
            params={"series": series, "names": ["lesion_1", "background_ref"]},
            content=body,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert r.status_code == 201, r.text
        table = r.json()
        meta = c.get(f"/api/v1/studies/{uploaded['id']}").json()
        saved = c.get(f"/api/v1/studies/{uploaded['id']}/labels")
    with sqlite_server.client("admin-a") as a:
        audit = a.get("/api/v1/audit", params={"entity": "segmentation"})
        uploads = a.get("/api/v1/audit", params={"entity": "imaging_study"})
    reference = compute_suv(load_volume(study_zip[0] / "pet")).volume.array
    lesion = next(row for row in table["lesions"] if row["name"] == "lesion_1")
    assert lesion["kind"] == "lesion"
    assert lesion["max"] == pytest.approx(float(reference.max()), rel=1e-6)
    assert lesion["n_voxels"] == 125
    assert lesion["volume_ml"] == pytest.approx(125 * 0.064)
    assert lesion["peak_index_zyx"] == list(HOT_ZYX)
    assert lesion["mean"] < lesion["peak"] <= lesion["max"]
    assert {row["name"] for row in meta["lesions"]} == {"lesion_1", "background_ref"}
    stored = next(row for row in meta["lesions"] if row["name"] == "lesion_1")
    assert stored["peak"] == pytest.approx(lesion["peak"])
    assert saved.content == body
    assert audit.status_code == 200, audit.text
    assert audit.json()["items"]
    assert uploads.json()["items"][0]["user"].startswith("physicist-a")
    seg = _archive(sqlite_server) / _key(sqlite_server, uploaded["id"]) / table["seg_file"]
    assert seg.is_file()
    import pydicom

    ds = pydicom.dcmread(seg)
    assert ds.Modality == "SEG"
    assert ds.StudyInstanceUID == uploaded["study_uid"]
    assert [s.SegmentLabel for s in ds.SegmentSequence] == ["lesion_1", "background_ref"]
    if shutil.which("dciodvfy"):
        out = subprocess.run(["dciodvfy", str(seg)], capture_output=True, text=True, timeout=120)
        errors = [ln for ln in (out.stdout + out.stderr).splitlines() if "Error" in ln]
        assert not errors, errors


def _key(sqlite_server, study_id: int) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine, text

    engine = create_engine(sqlite_server.db_url)
    with engine.connect() as conn:
        key = conn.execute(
            text("SELECT archive_path FROM imaging_studies WHERE id = :i"), {"i": study_id}
        ).scalar_one()
    engine.dispose()
    return str(key)


@pytest.mark.parametrize(
    ("params", "body", "field"),
    [
        ({"names": ["lesion_1"]}, b"\0" * 10, "body"),
        ({"names": ["lesion_1"], "series": "1.2.3"}, None, "series"),
        ({"names": ["lesion_1"]}, "two-labels", "body"),
        ({"names": ["lesion_1", "lesion_1"]}, None, "names"),
        ({"names": ["lesion_1", "empty"]}, "one-label", "names"),
        ({"names": ["../x"]}, None, "names"),
    ],
)
def test_bad_segmentations_are_refused(sqlite_server, uploaded, params, body, field):  # type: ignore[no-untyped-def]
    good, series = _labels(uploaded)
    one = np.frombuffer(good, dtype=np.uint8).copy()
    one[one == 2] = 0
    content = {None: good, "two-labels": good, "one-label": one.tobytes()}.get(body, body)
    url = f"/api/v1/studies/{uploaded['id']}/segmentations"
    with sqlite_server.client("physicist-a") as c:
        r = c.post(
            url,
            params={"series": series, **params},
            content=content,
            headers={"Content-Type": "application/octet-stream"},
        )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field


def test_segmentation_needs_write_imaging(sqlite_server, uploaded):  # type: ignore[no-untyped-def]
    body, series = _labels(uploaded)
    with sqlite_server.client("monitor-a") as c:
        r = c.post(
            f"/api/v1/studies/{uploaded['id']}/segmentations",
            params={"series": series, "names": ["lesion_1", "x"]},
            content=body,
            headers={"Content-Type": "application/octet-stream"},
        )
    assert r.status_code == 403


def test_body_limit_stays_small_elsewhere(sqlite_server):  # type: ignore[no-untyped-def]
    with sqlite_server.client("physicist-a") as c:
        # above the 1 MiB limit, the upload route reads the body (and finds no zip)
        r = _upload(c, b"x" * (2 * 1024 * 1024))
        assert r.status_code == 422
    with sqlite_server.client("admin-a") as c:
        r = c.post(
            "/api/v1/patients",
            content=b"x" * (2 * 1024 * 1024),
            headers={"Content-Type": "application/json"},
        )
    assert r.status_code == 413


def test_image_archive_exports_are_pinned() -> None:
    from theratrial.store import image_archive

    assert sorted(image_archive.__all__) == [
        "ArchivedStudy",
        "DisplaySeries",
        "file_study",
        "read_manifest",
        "resolve_archive_dir",
        "study_dir",
        "unpack_zip",
        "write_labels",
    ]


SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.mark.parametrize(
    ("case", "folders", "truth_max"),
    [
        ("suv-dro/DRO_0_0", ["PT", "RS"], 4.0),
        ("sts-petct/STS_001", ["PET/dicom/image", "CT/dicom/image", "MR_T1/dicom/image"], None),
    ],
)
def test_real_studies_serve_the_imaging_packages_suv(sqlite_server, case, folders, truth_max):  # type: ignore[no-untyped-def]
    root = SHARED / case
    if not root.is_dir():
        pytest.skip(f"{root} is absent (the shared reference data)")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for folder in folders:
            for path in sorted((root / folder).rglob("*")):
                if path.is_file():
                    zf.write(path, path.relative_to(root).as_posix())
    with sqlite_server.client("physicist-a") as c:
        r = _upload(c, buf.getvalue())
        assert r.status_code == 201, r.text
        study = r.json()
        roles = {s["role"]: s for s in study["series"]}
        shape = tuple(study["grid"]["shape_zyx"])
        pet = c.get(
            f"/api/v1/studies/{study['id']}/volume", params={"series": roles["pet"]["series_uid"]}
        )
        served = np.frombuffer(pet.content, dtype="<f4").reshape(shape)
        if len(folders) > 2:
            ct = c.get(
                f"/api/v1/studies/{study['id']}/volume",
                params={"series": roles["ct"]["series_uid"]},
            )
            hu = np.frombuffer(ct.content, dtype="<i2").reshape(shape)
            assert -1100 <= int(hu.min()) < int(hu.max()) <= 4000
            assert "other" in roles  # the MR is filed, not drawn
    reference = compute_suv(load_volume(root / folders[0])).volume.array
    np.testing.assert_allclose(served, reference.astype(np.float32), rtol=1e-6, atol=1e-6)
    if truth_max is not None:
        assert float(served.max()) == pytest.approx(truth_max, rel=0.01)
