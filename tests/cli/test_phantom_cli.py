"""The phantom commands: JSON shape, files written, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from theratrial.cli.main import app

runner = CliRunner()


def test_phantom_writes_a_patient_and_prints_json(tmp_path: Path) -> None:
    out = tmp_path / "p"
    result = runner.invoke(
        app, ["phantom", str(out), "--seed", "3", "--grid", "24x32x32", "--cycles", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["patient_id"] == "VP-000003"
    assert data["therapy_nuclide"] == "Lu-177"
    assert data["grid"]["shape_zyx"] == [24, 32, 32]
    assert [s["name"] for s in data["series"]][:3] == ["ct", "pet_ga68", "pet_ga68_retest"]
    assert len([s for s in data["series"] if s["modality"] == "NM"]) == 4
    assert set(data["organs"]) >= {"kidney_left", "liver", "spleen", "bone_marrow"}
    assert data["lesions"]
    assert (out / "truth.json").is_file()
    assert (out / data["seg_path"]).is_file()


def test_phantom_ac225_counts(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "phantom",
            str(tmp_path / "ac"),
            "--seed",
            "2",
            "--nuclide",
            "Ac-225",
            "--cycles",
            "2",
            "--grid",
            "16x24x24",
            "--spect-units",
            "cnts",
            "--no-noise",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["therapy_nuclide"] == "Ac-225"
    assert data["cycles"] == 2
    assert (
        data["lesions"][0]["rbe_weighted_dose_gy_total"]
        > data["lesions"][0]["absorbed_dose_gy_total"]
    )


def test_phantom_table_output(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["phantom", str(tmp_path / "t"), "--seed", "1", "--grid", "16", "--cycles", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "Organs (truth)" in result.stdout
    assert "VP-000001" in result.stdout


def test_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    for args in (["--nuclide", "Y-90"], ["--grid", "abc"], ["--cycles", "0"]):
        result = runner.invoke(app, ["phantom", str(tmp_path / "x"), "--seed", "1", *args])
        assert result.exit_code == 2, args
        assert "error:" in result.output
        assert "Traceback" not in result.output
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["phantom", str(full), "--seed", "1", "--grid", "16"])
    assert result.exit_code == 2
    assert "not empty" in result.output


def test_a_file_where_a_folder_belongs_is_one_clear_line(tmp_path: Path) -> None:
    afile = tmp_path / "notes.txt"
    afile.write_text("x", encoding="utf-8")
    for args in (
        ["phantom", str(afile), "--seed", "1", "--grid", "16"],
        ["phantom-cohort", str(afile), "--seed", "1", "--n", "1", "--no-images"],
        ["phantom-cohort", str(afile), "--seed", "1", "--n", "1", "--grid", "16"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, args
        assert f"{afile}: is a file, a folder was expected" in result.output
        assert "Traceback" not in result.output
    assert afile.read_text(encoding="utf-8") == "x"


def test_a_name_is_refused_as_patient_id(tmp_path: Path) -> None:
    out = tmp_path / "p"
    args = ["phantom", str(out), "--seed", "1", "--grid", "16", "--patient-id", "Jane Doe"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "field 'patient_id'" in result.output
    assert "Jane Doe" not in result.output
    assert not out.exists()


def test_phantom_cohort_tables_only(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["phantom-cohort", str(tmp_path / "c"), "--n", "4", "--seed", "7", "--no-images", "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["n"] == 4
    assert len(data["patients"]) == 4
    assert data["patients"][0]["patient_id"] == "VP-7-001"
    assert data["n_lesions"] == sum(p["n_lesions"] for p in data["patients"])
    assert Path(data["lesion_table"]).is_file()


def test_phantom_cohort_with_images(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "phantom-cohort",
            str(tmp_path / "c"),
            "--n",
            "2",
            "--seed",
            "1",
            "--grid",
            "16x24x24",
            "--cycles",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c" / "VP-1-002" / "truth.json").is_file()
    again = runner.invoke(app, ["phantom-cohort", str(tmp_path / "c"), "--n", "2", "--seed", "1"])
    assert again.exit_code == 2


def test_no_folders_are_created_above_the_output_folder(tmp_path: Path) -> None:
    deep = tmp_path / "nonexistent" / "dir" / "p"
    for args in (
        ["phantom", str(deep), "--seed", "1", "--grid", "16"],
        ["phantom-cohort", str(deep), "--seed", "1", "--n", "1", "--no-images"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, args
        line = " ".join(result.output.split())
        assert f"{deep}: field 'DIR': the folder {deep.parent} does not exist" in line
    assert not (tmp_path / "nonexistent").exists()


def test_phantom_patient_id_follows_the_one_pseudonym_rule(tmp_path: Path) -> None:
    out = tmp_path / "p"
    for bad in ("../../etc/passwd", "Pé-01", ".hidden"):
        args = ["phantom", str(out), "--seed", "1", "--grid", "16", "--patient-id", bad]
        result = runner.invoke(app, args)
        assert result.exit_code == 2, bad
        assert "field 'patient_id'" in result.output
        assert "pseudonym" in result.output
    assert not out.exists() or not any(out.iterdir())
