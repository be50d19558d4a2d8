"""The imaging commands: suv, quantify, ls; their JSON, CSV, MIP and bad-input handling.

Bad inputs are made by copying one reference DRO series into a temporary folder and
editing one header attribute; nothing is written into the repository.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk  # noqa: N813
from typer.testing import CliRunner

from theratrial.cli.main import app

runner = CliRunner()
SUV_KEYS = {
    "series_uid", "suv_type", "units", "roi", "volume_ml", "min", "max", "mean", "median",
    "sd", "peak", "assumptions",
}  # fmt: skip


@pytest.fixture(scope="module")
def dro(shared_data: Path) -> Path:
    path = shared_data / "suv-dro"
    if not path.is_dir():
        pytest.skip("suv-dro reference data absent")
    return path


def _edited_copy(source: Path, target: Path, edit: Callable[[pydicom.Dataset], None]) -> Path:
    target.mkdir(parents=True)
    for file in sorted(source.iterdir()):
        ds = pydicom.dcmread(file)
        edit(ds)
        ds.save_as(target / file.name)
    return target


def _error_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    return " ".join(lines)


def test_suv_json_on_a_dro(dro: Path) -> None:
    result = runner.invoke(
        app, ["suv", str(dro / "DRO_3_2" / "PT"), "--mask", str(dro / "DRO_3_2" / "RS"), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == SUV_KEYS
    assert (data["suv_type"], data["units"], data["roi"]) == ("bw", "g/mL", "region_1")
    assert data["min"] == pytest.approx(0.2, rel=0.005)
    assert data["median"] == pytest.approx(1.0, rel=0.005)
    assert data["max"] == pytest.approx(4.0, rel=0.005)
    assert any("Frame Reference Time" in a for a in data["assumptions"])


@pytest.mark.parametrize(("suv", "stored"), [(None, "bsa"), ("bw", "bw")])
def test_suv_type_as_stored_or_converted(dro: Path, suv: str | None, stored: str) -> None:
    args = ["suv", str(dro / "DRO_2_3" / "PT"), "--mask"]
    args += [str(dro / "DRO_2_3" / "mask" / "DRO_mask.nii.gz"), "--json"]
    result = runner.invoke(app, args + (["--suv", suv] if suv else []))
    data = json.loads(result.stdout)
    assert data["suv_type"] == stored
    assert data["units"] == ("cm2/mL" if stored == "bsa" else "g/mL")


def test_suv_table_and_mip(dro: Path, tmp_path: Path) -> None:
    png = tmp_path / "mip.png"
    result = runner.invoke(
        app,
        ["suv", str(dro / "DRO_0_0" / "PT"), "--mask", str(dro / "DRO_0_0" / "RS"),
         "--suv", "lbm-janma", "--mip", str(png)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "SUVlbm-janma" in result.output
    assert "Janmahasatian" in result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_suv_type_is_a_clear_error(dro: Path) -> None:
    args = ["suv", str(dro / "DRO_0_0" / "PT"), "--mask", str(dro / "DRO_0_0" / "RS")]
    line = _error_line(runner.invoke(app, [*args, "--suv", "lbm"]))
    assert "--suv" in line
    assert "lbm-janma" in line


def _drop_weight(ds: pydicom.Dataset) -> None:
    del ds.PatientWeight


def _zero_dose(ds: pydicom.Dataset) -> None:
    ds.RadiopharmaceuticalInformationSequence[0].RadionuclideTotalDose = 0


def _no_injection_time(ds: pydicom.Dataset) -> None:
    item = ds.RadiopharmaceuticalInformationSequence[0]
    del item.RadiopharmaceuticalStartTime
    del item.RadiopharmaceuticalStartDateTime


def _other_frame(ds: pydicom.Dataset) -> None:
    ds.FrameOfReferenceUID = "1.2.826.0.1.3680043.8.498.999"


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (_drop_weight, ["PatientWeight (0010,1030)", "weight"]),
        (_zero_dose, ["RadionuclideTotalDose (0018,1074)", "dose is 0"]),
        (_no_injection_time, ["RadiopharmaceuticalStartTime (0018,1072)", "injection time"]),
        (_other_frame, ["FrameOfReferenceUID (0020,0052)", "RS_dro_0_0.dcm"]),
    ],
)
def test_bad_headers_give_one_line_naming_file_and_tag(
    dro: Path, tmp_path: Path, edit, words: list[str]
) -> None:
    series = _edited_copy(dro / "DRO_0_0" / "PT", tmp_path / "PT", edit)
    rs = dro / "DRO_0_0" / "RS" / "RS_dro_0_0.dcm"
    line = _error_line(runner.invoke(app, ["suv", str(series), "--mask", str(rs), "--json"]))
    assert line.startswith("error:")
    for word in words:
        assert word in line


def _no_height(ds: pydicom.Dataset) -> None:
    del ds.PatientWeight
    ds.PatientSize = None


@pytest.mark.parametrize(
    ("edit", "options", "said"),
    [
        # the hints of these errors name the options that supply the missing facts
        (_drop_weight, ["--weight-kg", "70"], "body weight 70.0 kg given by the caller"),
        (_no_height, ["--weight-kg", "70", "--height-m", "1.70", "--suv", "lbm-janma"],
         "height 1.7 m given by the caller"),
        (_zero_dose, ["--activity-mbq", "370"], "injected activity 370 MBq given by the caller"),
        (_no_injection_time, ["--injection-time", "2025-01-01T10:00:00"],
         "injection time 2025-01-01T10:00:00 given by the caller"),
    ],
)  # fmt: skip
def test_missing_header_facts_can_be_given_on_the_command_line(
    dro: Path, tmp_path: Path, edit, options: list[str], said: str
) -> None:
    series = _edited_copy(dro / "DRO_0_0" / "PT", tmp_path / "PT", edit)
    rs = str(dro / "DRO_0_0" / "RS" / "RS_dro_0_0.dcm")
    line = _error_line(runner.invoke(app, ["suv", str(series), "--mask", rs, "--json"]))
    assert options[0] in line  # the hint names the option
    result = runner.invoke(app, ["suv", str(series), "--mask", rs, "--json", *options])
    assert result.exit_code == 0, result.output
    assert said in json.loads(result.stdout)["assumptions"]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (["--weight-kg", "-70"], "--weight-kg"), (["--height-m", "0"], "--height-m"),
        (["--activity-mbq", "nan"], "--activity-mbq"), (["--sex", "male"], "--sex"),
        (["--injection-time", "10:00 yesterday"], "--injection-time"),
    ],
)  # fmt: skip
def test_bad_override_options_are_named(dro: Path, options: list[str], field: str) -> None:
    series, rs = dro / "DRO_0_0" / "PT", dro / "DRO_0_0" / "RS"
    line = _error_line(runner.invoke(app, ["suv", str(series), "--mask", str(rs), *options]))
    assert f"field '{field}'" in line


def test_corrupt_file_is_named(dro: Path, tmp_path: Path) -> None:
    series = tmp_path / "PT"
    shutil.copytree(dro / "DRO_0_0" / "PT", series)
    victim = sorted(series.iterdir())[3]
    victim.write_bytes(victim.read_bytes()[:2000])
    mask = dro / "DRO_0_0" / "RS"
    line = _error_line(runner.invoke(app, ["suv", str(series), "--mask", str(mask)]))
    assert victim.name in line


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    line = _error_line(runner.invoke(app, ["ls", str(tmp_path / "absent")]))
    assert "not found" in line


def _study(dro: Path, tmp_path: Path) -> tuple[Path, Path]:
    study = tmp_path / "study"
    shutil.copytree(dro / "DRO_0_0" / "PT", study / "PT")
    masks = tmp_path / "masks"
    masks.mkdir()
    nifti = sitk.ReadImage(str(dro / "DRO_0_0" / "mask" / "DRO_mask.nii.gz"))
    array = sitk.GetArrayFromImage(nifti)
    for name, box in (("liver", np.s_[:, :, :128]), ("lesion_01", np.s_[:, :, 128:])):
        part = np.zeros_like(array)
        part[box] = array[box]
        image = sitk.GetImageFromArray(part)
        image.CopyInformation(nifti)
        sitk.WriteImage(image, str(masks / f"{name}.nii.gz"))
    return study, masks


def test_quantify_json_and_csv(dro: Path, tmp_path: Path) -> None:
    study, masks = _study(dro, tmp_path)
    result = runner.invoke(app, ["quantify", str(study), "--masks", str(masks), "--json",
                                 "--mtv", "41%"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["modality"], data["quantity"], data["units"]) == ("PT", "SUVbw", "g/mL")
    rows = {row["region"]: row for row in data["rows"]}
    assert rows["liver"]["kind"] == "organ"
    assert rows["lesion_01"]["kind"] == "lesion"
    assert rows["lesion_01"]["mtv_threshold"] == pytest.approx(0.41 * rows["lesion_01"]["max"])
    assert rows["lesion_01"]["krenning_score"] in (1, 2, 3, 4)
    assert rows["liver"]["percent_injected_activity"] > 0
    assert data["liver_mean"] == pytest.approx(rows["liver"]["mean"])
    csv_result = runner.invoke(app, ["quantify", str(study), "--masks", str(masks), "--csv"])
    table = list(csv.DictReader(io.StringIO(csv_result.stdout)))
    assert [r["region"] for r in table] == ["liver", "lesion_01"]
    assert {r["units"] for r in table} == {"g/mL"}  # min/max/mean... carry their units
    assert float(table[0]["mean"]) == pytest.approx(rows["liver"]["mean"])


@pytest.mark.parametrize("patient", ["John Smith", "", "P" * 65])
def test_quantify_refuses_a_patient_id_that_is_no_pseudonym(
    dro: Path, tmp_path: Path, patient: str
) -> None:
    study, masks = _study(dro, tmp_path)
    db = tmp_path / "q.sqlite"
    args = ["quantify", str(study), "--masks", str(masks), "--db", str(db), "--patient", patient]
    line = _error_line(runner.invoke(app, args))
    assert "field '--patient'" in line
    assert patient not in line or not patient
    assert not db.exists()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (["--mtv", "150%"], "--mtv"), (["--mtv", "0%"], "--mtv"), (["--mtv", "nan"], "--mtv"),
        (["--lesion-metric", "median"], "--lesion-metric"),
        (["--calibration-cps-per-mbq", "-3"], "--calibration-cps-per-mbq"),
        (["--duration-s", "0"], "--duration-s"),
    ],
)  # fmt: skip
def test_quantify_bad_options_name_the_option(dro: Path, options: list[str], field: str) -> None:
    args = ["quantify", str(dro / "DRO_0_0" / "PT"), "--masks", str(dro / "DRO_0_0" / "RS")]
    line = _error_line(runner.invoke(app, [*args, *options, "--json"]))
    assert f"field '{field}'" in line


def test_quantify_table_and_mip(dro: Path, tmp_path: Path) -> None:
    study, masks = _study(dro, tmp_path)
    png = tmp_path / "q.png"
    result = runner.invoke(app, ["quantify", str(study), "--masks", str(masks), "--mip", str(png)])
    assert result.exit_code == 0, result.output
    assert "lesion_01" in result.output
    assert png.exists()


def test_ls_lists_series(dro: Path) -> None:
    result = runner.invoke(app, ["ls", str(dro / "DRO_0_0"), "--json"])
    data = json.loads(result.stdout)
    assert sorted(s["modality"] for s in data["series"]) == ["PT", "RTSTRUCT"]
    assert data["nifti"][0].endswith("DRO_mask.nii.gz")
    table = runner.invoke(app, ["ls", str(dro / "DRO_0_0")])
    assert table.exit_code == 0
    assert "RTSTRUCT" in table.output


def test_non_dicom_mask_is_named(dro: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "mask.dcm"
    bogus.write_text("not a mask")
    line = _error_line(
        runner.invoke(app, ["suv", str(dro / "DRO_0_0" / "PT"), "--mask", str(bogus)])
    )
    assert "mask.dcm" in line
    assert "not a DICOM file" in line


def test_ls_of_a_missing_path_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "absent" / "study"
    for args in (["ls", str(missing)], ["ls", str(missing), "--json"]):
        result = runner.invoke(app, args)
        line = _error_line(result)
        assert f"{missing}: field 'FOLDER': file or folder not found" in line
        assert "0 series" not in result.output


@pytest.mark.parametrize("command", ["quantify", "suv"])
def test_mip_into_a_missing_folder_is_refused_and_creates_nothing(
    dro: Path, tmp_path: Path, command: str
) -> None:
    study, masks = _study(dro, tmp_path)
    png = tmp_path / "nonexistent" / "dir" / "x.png"
    if command == "quantify":
        args = ["quantify", str(study), "--masks", str(masks), "--mip", str(png)]
        args += ["--db", str(tmp_path / "q.sqlite"), "--patient", "P-001"]
    else:
        args = ["suv", str(study / "PT"), "--mask", str(masks / "liver.nii.gz"), "--mip", str(png)]
    line = _error_line(runner.invoke(app, args))
    assert f"{png}: field '--mip'" in line
    assert f"{png.parent} does not exist" in line
    assert not (tmp_path / "nonexistent").exists()
    assert not (tmp_path / "q.sqlite").exists()  # refused before anything was stored


def test_mip_onto_a_folder_is_refused(dro: Path, tmp_path: Path) -> None:
    study, masks = _study(dro, tmp_path)
    line = _error_line(
        runner.invoke(app, ["quantify", str(study), "--masks", str(masks), "--mip", str(tmp_path)])
    )
    assert "a file name was expected for --mip" in line


@pytest.mark.parametrize("patient", ["../../etc/passwd", "Pé-01", ".hidden", "a/b"])
def test_quantify_patient_follows_the_one_pseudonym_rule(
    dro: Path, tmp_path: Path, patient: str
) -> None:
    study, masks = _study(dro, tmp_path)
    db = tmp_path / "q.sqlite"
    args = ["quantify", str(study), "--masks", str(masks), "--db", str(db), "--patient", patient]
    line = _error_line(runner.invoke(app, args))
    assert "field '--patient'" in line
    assert "pseudonym" in line
    assert not db.exists()


def _tokens(text: str) -> set[str]:
    return set(text.split())


@pytest.mark.parametrize("columns", ["80", "60", "40"])
def test_quantify_table_fits_the_terminal_and_shows_every_number(
    dro: Path, tmp_path: Path, columns: str
) -> None:
    from theratrial.cli.imaging import TABLE_COLUMNS, _fmt

    study, masks = _study(dro, tmp_path)
    (masks / "lesion_01.nii.gz").rename(masks / "lesion_liver_segment_07_long_name.nii.gz")
    args = ["quantify", str(study), "--masks", str(masks), "--mtv", "41%"]
    data = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    result = runner.invoke(app, args, env={"COLUMNS": columns})
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    assert all(len(line) <= int(columns) for line in result.stdout.splitlines())
    shown = _tokens(result.stdout)
    for row in data["rows"]:
        for name, _ in TABLE_COLUMNS:
            if name in ("region", "kind"):  # text may fold at 40 columns, never vanish
                assert row[name] in "".join(result.stdout.split()), (columns, result.stdout)
            else:  # a number is never broken
                assert _fmt(row[name]) in shown, (columns, name, result.stdout)
