"""``theratrial dosimetry-table``: JSON shape, reference values and clear errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from theratrial.cli.main import app

runner = CliRunner()
REQUIRED = {"region", "model", "parameters", "tia_mbq_h", "dose_gy", "dose_gy_per_gbq", "bed_gy",
            "warnings"}  # fmt: skip


def _tables(
    tmp_path: Path, tac: str, masses: str = "region,mass_g\nkidneys,300\nspleen,150\n"
) -> tuple[Path, Path]:
    tac_path = tmp_path / "tac.csv"
    tac_path.write_text(tac, encoding="utf-8")
    mass_path = tmp_path / "masses.csv"
    mass_path.write_text(masses, encoding="utf-8")
    return tac_path, mass_path


def _mono_rows(region: str, a0: float, t_eff: float, times: list[float]) -> str:
    lam = math.log(2) / t_eff
    return "".join(f"{region},{t},{a0 * math.exp(-lam * t)}\n" for t in times)


def test_json_per_region(tmp_path: Path) -> None:
    times = [4.0, 24.0, 48.0, 96.0, 168.0, 240.0]
    tac = "region,time_h,activity_mbq\n" + _mono_rows("kidneys", 80, 50, times)
    tac += _mono_rows("spleen", 40, 67, times)
    tac_path, mass_path = _tables(tmp_path, tac)
    result = runner.invoke(
        app,
        ["dosimetry-table", str(tac_path), "--nuclide", "Lu-177", "--masses", str(mass_path),
         "--administered-mbq", "7400", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["region"] for r in rows] == ["kidneys", "spleen"]
    kidney = rows[0]
    assert set(kidney) >= REQUIRED
    assert kidney["model"] == "mono_exponential"
    tia = 80 * 50 / math.log(2)
    assert kidney["tia_mbq_h"] == pytest.approx(tia, rel=1e-5)
    s_h = 7.706e-5 * 3600 * 309.99 / 300.0
    assert kidney["dose_gy"] == pytest.approx(tia * s_h / 1000, rel=1e-5)
    assert kidney["dose_gy_per_gbq"] == pytest.approx(kidney["dose_gy"] / 7.4, rel=1e-9)
    g = (math.log(2) / 50) / (math.log(2) / 50 + math.log(2) / 2.8)
    d = kidney["dose_gy"]
    assert kidney["bed_gy"] == pytest.approx(d * (1 + g * d / 2.6), rel=1e-5)
    assert set(kidney["parameters"]) == {"a_mbq", "lambda_per_h"}


@pytest.mark.parametrize("option", ["67", "spleen=67"])
def test_madsen_single_time_point_with_population_half_life(tmp_path: Path, option: str) -> None:
    # Reference sheet section 2: 150 g spleen, 100 MBq at 24 h, T_eff 67 h -> Madsen 7.12 Gy.
    tac_path, mass_path = _tables(tmp_path, "region,time_h,activity_mbq\nspleen,24,100\n")
    args = ["dosimetry-table", str(tac_path), "--masses", str(mass_path), "--json"]
    result = runner.invoke(app, [*args, "--method", "madsen", "--population-half-life-h", option])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["model"] == "madsen"
    lam = math.log(2) / 67.0
    assert row["tia_mbq_h"] == pytest.approx(100 * math.exp(lam * 24) / lam, rel=1e-12)
    assert round(row["dose_gy"], 2) == 7.12


@pytest.mark.parametrize("option", [[], ["--population-half-life-h", "x"],
                                    ["--population-half-life-h", "-3"]])  # fmt: skip
def test_madsen_without_a_usable_half_life_exits_2(tmp_path: Path, option: list[str]) -> None:
    tac_path, mass_path = _tables(tmp_path, "region,time_h,activity_mbq\nspleen,24,100\n")
    args = ["dosimetry-table", str(tac_path), "--masses", str(mass_path), "--method", "madsen"]
    result = runner.invoke(app, [*args, *option, "--json"])
    assert result.exit_code == 2
    assert "population" in result.output
    assert "Traceback" not in result.output


def test_tac_plot_is_written(tmp_path: Path) -> None:
    times = [4.0, 24.0, 96.0, 168.0]
    tac = "region,time_h,activity_mbq\n" + _mono_rows("kidneys", 80, 50, times)
    tac_path, mass_path = _tables(tmp_path, tac)
    figure = tmp_path / "figs" / "tac.png"
    args = ["dosimetry-table", str(tac_path), "--masses", str(mass_path), "--plot", str(figure)]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["region"] == "kidneys"
    assert figure.read_bytes()[:4] == b"\x89PNG"


def test_daughter_release_for_a_beta_emitter_exits_2(tmp_path: Path) -> None:
    tac = "region,time_h,activity_mbq\n" + _mono_rows("kidneys", 80, 50, [4.0, 24.0, 96.0])
    tac_path, mass_path = _tables(tmp_path, tac)
    args = ["dosimetry-table", str(tac_path), "--masses", str(mass_path), "--nuclide", "Lu-177"]
    result = runner.invoke(app, [*args, "--release", "Bi-213=0.3", "--json"])
    assert result.exit_code == 2
    assert "alpha-emitter" in result.output
    assert "Traceback" not in result.output


def test_table_output_without_json(tmp_path: Path) -> None:
    tac = "region,time_h,activity_kbq\n" + "".join(
        f"spleen,{t},{v}\n" for t, v in [(4, 30000), (24, 26000), (96, 12000), (168, 5000)]
    )
    tac_path, mass_path = _tables(tmp_path, tac)
    result = runner.invoke(app, ["dosimetry-table", str(tac_path), "--masses", str(mass_path)])
    assert result.exit_code == 0, result.output
    assert "spleen" in result.stdout


def test_ac225_json_has_rbe_weighted_dose(tmp_path: Path) -> None:
    tac = "region,time_h,activity_kbq\n" + "".join(
        f"kidneys,{t},{v}\n" for t, v in [(4, 50), (24, 40), (96, 25), (168, 10)]
    )
    tac_path, mass_path = _tables(tmp_path, tac)
    result = runner.invoke(
        app,
        ["dosimetry-table", str(tac_path), "--nuclide", "Ac-225", "--masses", str(mass_path),
         "--release", "Bi-213=0.2", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["bed_gy"] is None
    assert row["rbe_weighted_dose_gy"] > 4 * row["dose_gy"]
    assert "Bi-213 20 % released" in row["s_value_source"]


@pytest.mark.parametrize(
    ("tac", "masses", "fragment"),
    [
        ("region,time_h,activity_mbq\nkidneys,24,5\nkidneys,4,6\n", None, "not after"),
        ("region,time_h,activity_mbq\nkidneys,-4,5\n", None, "negative time"),
        ("region,time_h,activity_curie\nkidneys,4,5\n", None, "unknown unit 'curie'"),
        ("region,time_h,activity_mbq\nliver,4,5\n", None, "no mass for region(s) 'liver'"),
        ("region,time_h,activity_mbq\nkidneys,4,5\n", "region,mass_g\nkidneys,abc\n",
         "not a number"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, tac: str, masses: str | None, fragment: str
) -> None:
    tac_path, mass_path = _tables(tmp_path, tac, masses or "region,mass_g\nkidneys,300\n")
    result = runner.invoke(
        app, ["dosimetry-table", str(tac_path), "--masses", str(mass_path), "--json"]
    )
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.output


def test_masses_option_is_required(tmp_path: Path) -> None:
    tac_path, _ = _tables(tmp_path, "region,time_h,activity_mbq\nkidneys,4,5\n")
    result = runner.invoke(app, ["dosimetry-table", str(tac_path), "--json"])
    assert result.exit_code == 2
    assert "--masses" in result.output


@pytest.fixture(scope="module")
def small_patient(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from theratrial.phantoms import PhantomConfig, write_patient

    folder = tmp_path_factory.mktemp("cli") / "patient"
    config = PhantomConfig().noise_free().with_therapy(cycles=1).with_grid((48, 48, 48))
    write_patient(folder, 3, config=config)
    return folder


def test_dosimetry_patient_folder_json(small_patient: Path) -> None:
    result = runner.invoke(
        app, ["dosimetry", str(small_patient), "--nuclide", "Lu-177", "--voxel", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"patient_dir", "nuclide", "masses", "cycles", "cumulative", "warnings"}
    (cycle,) = data["cycles"]
    assert cycle["times_h"] == [4.0, 24.0, 96.0, 168.0]
    assert cycle["administered_activity_mbq"] == pytest.approx(7400.0)
    kidney = next(r for r in cycle["regions"] if r["region"] == "kidney_left")
    assert set(kidney) >= REQUIRED
    assert set(kidney["voxel_dose_gy"]) == {"local_deposition", "kernel"}
    assert len(kidney["activity_mbq"]) == 4
    masses = {m["region"]: m for m in data["masses"]}
    assert masses["liver"]["source"] == "CT density"
    totals = {c["region"]: c for c in data["cumulative"]}
    assert totals["kidney_left"]["dose_gy"] == pytest.approx(kidney["dose_gy"])


def test_dosimetry_patient_folder_table_and_errors(small_patient: Path, tmp_path: Path) -> None:
    table = runner.invoke(app, ["dosimetry", str(small_patient)])
    assert table.exit_code == 0, table.output
    assert "kidney_left" in table.stdout
    wrong = runner.invoke(app, ["dosimetry", str(small_patient), "--nuclide", "Ac-225", "--json"])
    assert wrong.exit_code == 2
    assert "half-life" in wrong.stderr
    empty = runner.invoke(app, ["dosimetry", str(tmp_path), "--json"])
    assert empty.exit_code == 2
    assert "no SPECT" in empty.stderr
