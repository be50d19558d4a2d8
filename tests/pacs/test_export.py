"""``theratrial export``: SEG, TID 1500 SR and RT Dose that pass dciodvfy and read back equal."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import highdicom as hd
import nibabel as nib
import numpy as np
import pydicom
import pytest
import typer
from typer.testing import CliRunner

from theratrial.cli.pacs import register
from theratrial.imaging import load_masks, load_volume, quantify_study
from theratrial.pacs.rtdose import build_rt_dose, rt_dose_array
from theratrial.phantoms import PhantomConfig, write_patient

pytestmark = pytest.mark.filterwarnings("ignore:The value length:UserWarning")

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    return app


@pytest.fixture(scope="module")
def patient(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny virtual patient; masks with no voxel on the coarse grid are left out."""
    root = tmp_path_factory.mktemp("vp")
    write_patient(root / "vp", 3, config=_config())
    masks = root / "masks"
    masks.mkdir()
    for path in sorted((root / "vp/masks").glob("*.nii.gz")):
        if np.asarray(nib.load(path).get_fdata()).any():  # type: ignore[attr-defined]
            shutil.copy(path, masks / path.name)
    return root


def _config() -> PhantomConfig:
    base = PhantomConfig().with_grid((24, 32, 32))
    return dataclasses.replace(base, therapy=dataclasses.replace(base.therapy, cycles=1))


def _slice_z(path: Path) -> float:
    return float(pydicom.dcmread(path, stop_before_pixels=True).ImagePositionPatient[2])


def dciodvfy_errors(path: Path) -> list[str]:
    """The error lines dciodvfy prints for ``path`` (skip when dicom3tools is absent)."""
    exe = shutil.which("dciodvfy")
    if exe is None:
        pytest.skip("dciodvfy (Debian dicom3tools) is not installed")
    done = subprocess.run([exe, str(path)], capture_output=True, text=True, check=False)
    return [line for line in (done.stdout + done.stderr).splitlines() if "Error" in line]


def test_export_writes_valid_seg_sr_rtdose(patient: Path, tmp_path: Path) -> None:
    pet = patient / "vp/dicom/pet_ga68"
    volume = load_volume(pet)
    dose = np.abs(volume.array) / float(np.abs(volume.array).max()) * 7.5
    np.save(tmp_path / "dose.npy", dose)
    out = tmp_path / "out"
    result = runner.invoke(
        _app(),
        [
            "export",
            str(pet),
            "--masks",
            str(patient / "masks"),
            "--dose-map",
            str(tmp_path / "dose.npy"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    for name in ("seg.dcm", "sr.dcm", "rtdose.dcm"):
        assert dciodvfy_errors(out / name) == [], name
    masks = {m.name: m.array for m in load_masks(patient / "masks", reference=volume)}
    truth = {r.region: r.statistics for r in quantify_study(pet, patient / "masks").table.rows}
    # SEG: every segment reads back as its mask (highdicom), in the source series' grid.
    seg = hd.seg.segread(out / "seg.dcm")
    assert seg.StudyInstanceUID == pydicom.dcmread(next(pet.iterdir())).StudyInstanceUID
    labels = {seg.get_segment_description(n).segment_label: n for n in seg.segment_numbers}
    assert set(labels) == set(masks)
    source_uids = [
        str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID)
        for p in sorted(pet.iterdir(), key=_slice_z)
    ]
    stack = seg.get_pixels_by_source_instance(
        source_sop_instance_uids=source_uids, segment_numbers=list(labels.values())
    )
    for i, name in enumerate(labels):
        np.testing.assert_array_equal(stack[..., i].astype(bool), masks[name])
    # SR: TID 1500 groups reference their segment; SUVbw max/mean/peak, volume, dose.
    sr = hd.sr.srread(out / "sr.dcm")
    groups = sr.content.get_volumetric_roi_measurement_groups()  # type: ignore[attr-defined]
    assert len(groups) == len(masks)
    derivations = {"56851009": "max", "373098007": "mean", "126031": "peak"}
    for group in groups:
        name = group.tracking_identifier
        ref = group.referenced_segment
        assert ref is not None
        assert ref.referenced_segment_numbers == [labels[name]]
        assert ref.source_series_for_segmentation.value == volume.series_uid
        stats = truth[name]
        got = {}
        for m in group.get_measurements():
            if m.name.value == "126401":
                assert m.unit.value == "g/ml{SUVbw}"
                got[derivations[m.derivation.value]] = m.value
            elif m.name.value == "118565006":
                assert m.unit.value == "ml"
                got["volume"] = m.value
            elif m.name.value == "128513":
                assert m.unit.value == "Gy"
                got["dose"] = m.value
        assert got["max"] == pytest.approx(stats.max, rel=1e-9)
        assert got["mean"] == pytest.approx(stats.mean, rel=1e-9)
        assert got["peak"] == pytest.approx(stats.peak, rel=1e-9)
        assert got["volume"] == pytest.approx(stats.volume_ml, rel=1e-9)
        assert got["dose"] == pytest.approx(float(dose[masks[name]].mean()), rel=1e-9)
    # RT Dose: pixels x DoseGridScaling is the map to half a quantisation step.
    rt = pydicom.dcmread(out / "rtdose.dcm")
    assert (rt.DoseUnits, rt.DoseType, rt.Modality) == ("GY", "PHYSICAL", "RTDOSE")
    assert rt.FrameOfReferenceUID == volume.frame_of_reference_uid
    np.testing.assert_allclose(
        rt_dose_array(rt), dose, rtol=0, atol=float(rt.DoseGridScaling) / 2 + 1e-12
    )


def test_rt_dose_offsets_and_32_bit(tmp_path: Path) -> None:
    from pydicom.dataset import Dataset

    from theratrial.imaging.grid import Grid

    ref = Dataset()
    ref.StudyInstanceUID, ref.PatientID = "1.2.3", "VP-000001"
    grid = Grid(
        (3, 4, 5), (-10.0, -20.0, 30.0), (2.0, 3.0, 4.5), (1, 0, 0, 0, 1, 0, 0, 0, 1), "1.2.4"
    )
    dose = np.random.default_rng(1).uniform(0, 12.0, grid.shape)
    ds = build_rt_dose(dose, grid, ref, series_uid="1.2.5", sop_uid="1.2.6", bits_allocated=32)
    ds.save_as(tmp_path / "d.dcm", enforce_file_format=True)
    back = pydicom.dcmread(tmp_path / "d.dcm")
    assert [float(v) for v in back.GridFrameOffsetVector] == [0.0, 4.5, 9.0]
    assert [float(v) for v in back.PixelSpacing] == [3.0, 2.0]  # row spacing (y), column (x)
    np.testing.assert_allclose(rt_dose_array(back), dose, rtol=0, atol=12.0 * 2.4e-10)


def test_export_bad_dose_map_is_one_line_and_writes_nothing(patient: Path, tmp_path: Path) -> None:
    np.save(tmp_path / "dose.npy", np.zeros((2, 2, 2)))
    out = tmp_path / "out"
    result = runner.invoke(
        _app(),
        [
            "export",
            str(patient / "vp/dicom/pet_ga68"),
            "--masks",
            str(patient / "masks"),
            "--dose-map",
            str(tmp_path / "dose.npy"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 2
    assert "--dose-map" in result.output
    assert "shape" in result.output
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_export_output_pushes_to_orthanc_and_reads_back(
    orthanc: str, patient: Path, tmp_path: Path
) -> None:
    pet = patient / "vp/dicom/pet_ga68"
    volume = load_volume(pet)
    dose = np.abs(volume.array) / float(np.abs(volume.array).max()) * 4.0
    np.save(tmp_path / "dose.npy", dose)
    out = tmp_path / "out"
    args = ["--masks", str(patient / "masks"), "--dose-map", str(tmp_path / "dose.npy")]
    made = runner.invoke(_app(), ["export", str(pet), *args, "--out", str(out)])
    assert made.exit_code == 0, made.output
    for folder in (pet, out):
        pushed = runner.invoke(_app(), ["pacs", "push", str(folder), "--url", orthanc])
        assert pushed.exit_code == 0, pushed.output
    pulled = tmp_path / "pulled"
    pull = runner.invoke(
        _app(), ["pacs", "pull", volume.study_uid, "--url", orthanc, "--out", str(pulled)]
    )
    assert pull.exit_code == 0, pull.output
    back = {pydicom.dcmread(p).Modality: p for p in pulled.rglob("*.dcm")}
    assert {"PT", "SEG", "SR", "RTDOSE"} <= set(back)
    np.testing.assert_array_equal(
        rt_dose_array(pydicom.dcmread(back["RTDOSE"])),
        rt_dose_array(pydicom.dcmread(out / "rtdose.dcm")),
    )
    sr_pacs = hd.sr.srread(back["SR"]).content.get_volumetric_roi_measurement_groups()  # type: ignore[attr-defined]
    sr_file = hd.sr.srread(out / "sr.dcm").content.get_volumetric_roi_measurement_groups()  # type: ignore[attr-defined]
    assert [[m.value for m in g.get_measurements()] for g in sr_pacs] == [
        [m.value for m in g.get_measurements()] for g in sr_file
    ]
    seg = hd.seg.segread(back["SEG"])
    assert seg.number_of_segments == len(list((patient / "masks").iterdir()))
