"""Issue 14's round trip in one test, against a real Orthanc.

virtual patient -> STOW-RS into Orthanc -> ``pacs find``/``pull`` (C-FIND, C-GET) ->
``deid`` -> quantify (SUV identical) and kernel dosimetry of a SPECT time point ->
``export`` (SEG, TID 1500 SR, RT Dose) -> ``pacs push`` -> read back from Orthanc and
compared with the truth (the phantom's masks, the original series' SUV, the dose map).
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from pathlib import Path

import highdicom as hd
import nibabel as nib
import numpy as np
import pydicom
import pytest
import typer
from typer.testing import CliRunner

from theratrial.cli.pacs import register
from theratrial.dosimetry.voxel import kernel_dose_gy
from theratrial.dosimetry.voxel_kernel import voxel_kernel
from theratrial.imaging import load_masks, load_volume, quantify_study
from theratrial.pacs.rtdose import rt_dose_array
from theratrial.phantoms import PhantomConfig, write_patient

from .conftest import OrthancServer

pytestmark = pytest.mark.filterwarnings("ignore:The value length:UserWarning")

runner = CliRunner()
LU177_HALF_LIFE_H = 159.53  # NUBASE2020 / DDEP: 6.647 d
PSEUDONYM = "NET-777"


def _app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    return app


def _ok(args: list[str]) -> str:
    result = runner.invoke(_app(), args)
    assert result.exit_code == 0, result.output
    return result.output


def _config() -> PhantomConfig:
    base = PhantomConfig().with_grid((24, 32, 32))
    return dataclasses.replace(base, therapy=dataclasses.replace(base.therapy, cycles=1))


def _series_dir(study: Path, modality: str) -> Path:
    (folder,) = {
        p.parent
        for p in study.rglob("*.dcm")
        if pydicom.dcmread(p, stop_before_pixels=True).Modality == modality
    }
    return folder


def test_round_trip_through_orthanc(orthanc_server: OrthancServer, tmp_path: Path) -> None:
    url = orthanc_server.dicomweb
    dimse = ["--dimse", f"127.0.0.1:{orthanc_server.dicom_port}", "--called-ae", "ORTHANC"]
    vp = tmp_path / "vp"
    write_patient(vp, 11, config=_config())
    masks = tmp_path / "masks"
    masks.mkdir()
    for path in sorted((vp / "masks").glob("*.nii.gz")):
        if np.asarray(nib.load(path).get_fdata()).any():  # type: ignore[attr-defined]
            shutil.copy(path, masks / path.name)
    patient_id = json.loads((vp / "truth.json").read_text())["patient_id"]
    # 1. STOW-RS: the PET/CT study and one SPECT time point (a study of its own).
    for series in ("pet_ga68", "ct", "spect_c1_024h"):
        _ok(["pacs", "push", str(vp / "dicom" / series), "--url", url])
    # 2. C-FIND by patient, C-GET each study.
    studies = json.loads(_ok(["pacs", "find", "--patient", patient_id, "--json", *dimse]))
    assert sorted(m for s in studies for m in s["modalities"]) == ["CT", "NM", "PT"]
    pulled = tmp_path / "pulled"
    pulled.mkdir()
    for study in studies:
        _ok(["pacs", "pull", study["study_uid"], *dimse, "--out", str(pulled / study["study_uid"])])
    # 3. De-identify (one pseudonym, one date shift for both studies).
    db = str(tmp_path / "trial.sqlite")
    deid = tmp_path / "deid"
    deid.mkdir()
    for study in studies:
        uid = study["study_uid"]
        _ok(["deid", str(pulled / uid), str(deid / uid), "--pseudonym", PSEUDONYM, "--db", db])
    pet_study = next(deid / s["study_uid"] for s in studies if "PT" in s["modalities"])
    spect_study = next(deid / s["study_uid"] for s in studies if "NM" in s["modalities"])
    pet = _series_dir(pet_study, "PT")
    # 4. Quantify: the de-identified PET's SUV statistics equal the original's (1e-9).
    original = {
        r.region: r.statistics for r in quantify_study(vp / "dicom/pet_ga68", masks).table.rows
    }
    after = {r.region: r.statistics for r in quantify_study(pet, masks).table.rows}
    assert set(after) == set(original)
    for name, stats in original.items():
        for field in ("max", "mean", "peak", "volume_ml"):
            assert getattr(after[name], field) == pytest.approx(getattr(stats, field), rel=1e-9)
    # 5. Dose: kernel convolution of the SPECT time point's Ã (physical decay only, from the
    #    time point onward: Ã = A * T1/2 / ln 2), on the PET grid (same frame of reference).
    spect = load_volume(_series_dir(spect_study, "NM"))
    volume = load_volume(pet)
    assert spect.grid.shape == volume.grid.shape
    np.testing.assert_allclose(spect.grid.origin_mm, volume.grid.origin_mm, atol=1e-6)
    voxel_ml = float(np.prod(spect.grid.spacing_mm)) / 1000.0
    tia_mbq_h = spect.array * voxel_ml * 1e-6 * LU177_HALF_LIFE_H / math.log(2)
    spacing_zyx = tuple(float(v) for v in reversed(spect.grid.spacing_mm))
    kernel = voxel_kernel("Lu-177", voxel_size_mm=spacing_zyx)  # type: ignore[arg-type]
    dose = kernel_dose_gy(tia_mbq_h, kernel, voxel_size_mm=spacing_zyx, device="cpu")  # type: ignore[arg-type]
    assert float(dose.max()) > 0
    np.save(tmp_path / "dose.npy", dose)
    # 6. Export and push the de-identified study with its results.
    results = tmp_path / "results"
    _ok(
        [
            "export",
            str(pet_study),
            "--masks",
            str(masks),
            "--dose-map",
            str(tmp_path / "dose.npy"),
            "--out",
            str(results),
        ]
    )
    for folder in (pet_study, results):
        _ok(["pacs", "push", str(folder), "--url", url])
    # 7. Read back from Orthanc (WADO-RS) and compare with the truth.
    (found,) = json.loads(_ok(["pacs", "find", "--patient", PSEUDONYM, "--url", url, "--json"]))
    assert found["patient_id"] == PSEUDONYM
    assert found["study_uid"] == volume.study_uid != studies[0]["study_uid"]
    back_dir = tmp_path / "back"
    _ok(["pacs", "pull", found["study_uid"], "--url", url, "--out", str(back_dir)])
    back = {pydicom.dcmread(p).Modality: p for p in back_dir.rglob("*.dcm")}
    assert {"PT", "CT", "SEG", "SR", "RTDOSE"} <= set(back)
    for path in back.values():
        ds = pydicom.dcmread(path)
        assert ds.PatientID == PSEUDONYM
        assert str(ds.PatientName) != ""
        assert str(ds.PatientName) != str(
            pydicom.dcmread(next((vp / "dicom/ct").iterdir())).PatientName
        )
    truth_masks = {m.name: m.array for m in load_masks(masks, reference=volume)}
    seg = hd.seg.segread(back["SEG"])
    labels = {seg.get_segment_description(n).segment_label: n for n in seg.segment_numbers}
    assert set(labels) == set(truth_masks)
    source_uids = [
        str(ds.SOPInstanceUID)
        for ds in sorted(
            (pydicom.dcmread(p, stop_before_pixels=True) for p in pet.iterdir()),
            key=lambda ds: float(ds.ImagePositionPatient[2]),
        )
    ]
    stack = seg.get_pixels_by_source_instance(
        source_sop_instance_uids=source_uids, segment_numbers=list(labels.values())
    )
    for i, name in enumerate(labels):
        np.testing.assert_array_equal(stack[..., i].astype(bool), truth_masks[name])
    groups = hd.sr.srread(back["SR"]).content.get_volumetric_roi_measurement_groups()  # type: ignore[attr-defined]
    assert len(groups) == len(truth_masks)
    derivations = {"56851009": "max", "373098007": "mean", "126031": "peak"}
    for group in groups:
        name = group.tracking_identifier
        for m in group.get_measurements():
            if m.name.value == "126401":  # SUVbw of the original (identified) series
                want = getattr(original[name], derivations[m.derivation.value])
                assert m.value == pytest.approx(want, rel=1e-9)
            elif m.name.value == "128513":  # mean absorbed dose (Gy)
                assert m.value == pytest.approx(float(dose[truth_masks[name]].mean()), rel=1e-9)
    rt = pydicom.dcmread(back["RTDOSE"])
    assert rt.FrameOfReferenceUID == volume.frame_of_reference_uid
    np.testing.assert_allclose(
        rt_dose_array(rt), dose, rtol=0, atol=float(rt.DoseGridScaling) / 2 + 1e-12
    )
