"""``theratrial dosimetry-table``: JSON shape, reference values and clear errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from theratrial.cli.main import app
from theratrial.gpu import gpu_available

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
    figure = tmp_path / "tac.png"
    args = ["dosimetry-table", str(tac_path), "--masses", str(mass_path), "--plot", str(figure)]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["region"] == "kidneys"
    assert figure.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("where", ["figs/tac.png", "."])
def test_plot_into_a_missing_folder_or_onto_a_folder_exits_2(tmp_path: Path, where: str) -> None:
    # the folder of an output file is never created; the check comes before any work
    tac = "region,time_h,activity_mbq\n" + _mono_rows("kidneys", 80, 50, [4.0, 24.0, 96.0])
    tac_path, _ = _tables(tmp_path, tac)
    missing_masses = tmp_path / "no-masses.csv"  # never read: --plot is checked first
    figure = tmp_path / where
    args = ["dosimetry-table", str(tac_path), "--masses", str(missing_masses)]
    result = runner.invoke(app, [*args, "--plot", str(figure)])
    assert result.exit_code == 2
    assert "--plot" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "figs").exists()


def _tokens(text: str) -> set[str]:
    return set(text.split())


@pytest.mark.parametrize("columns", ["80", "60"])
def test_dosimetry_table_fits_the_terminal_and_shows_every_number(
    tmp_path: Path, columns: str
) -> None:
    times = [4.0, 24.0, 48.0, 96.0, 168.0]
    tac = "region,time_h,activity_mbq\n" + _mono_rows("kidneys", 80, 50, times)
    tac += _mono_rows("red marrow", 4, 60, times) + _mono_rows("spleen", 40, 67, times)
    masses = "region,mass_g\nkidneys,310\nred marrow,1170\nspleen,183\n"
    tac_path, mass_path = _tables(tmp_path, tac, masses)
    args = ["dosimetry-table", str(tac_path), "--masses", str(mass_path)]
    args += ["--administered-mbq", "7400"]
    rows = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    result = runner.invoke(app, args, env={"COLUMNS": columns})
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    assert all(len(line) <= int(columns) for line in result.stdout.splitlines()), result.stdout
    shown = _tokens(result.stdout)
    for row in rows:
        assert row["model"] in shown
        for key, digits in (("tia_mbq_h", 4), ("mass_g", 4), ("dose_gy", 3), ("bed_gy", 3)):
            assert f"{row[key]:.{digits}g}" in shown, (columns, key, result.stdout)
        assert f"{row['dose_gy_per_gbq']:.3g}" in shown
        assert row["region"].replace(" ", "") in "".join(result.stdout.split())


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


@pytest.fixture(scope="module")
def seed7_patient(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``theratrial phantom DIR --seed 7 --nuclide Lu-177 --cycles 1`` (the issue's command)."""
    folder = tmp_path_factory.mktemp("seed7") / "vpX"
    made = runner.invoke(
        app, ["phantom", str(folder), "--seed", "7", "--nuclide", "Lu-177", "--cycles", "1"]
    )
    assert made.exit_code == 0, made.output
    return folder


def test_repeated_region_warnings_are_grouped_with_a_count(seed7_patient: Path) -> None:
    """``theratrial dosimetry /tmp/vpX --nuclide Lu-177`` printed the AICc note 24 times."""
    table = runner.invoke(app, ["dosimetry", str(seed7_patient), "--nuclide", "Lu-177"])
    assert table.exit_code == 0, table.output
    text = " ".join(table.stdout.split())
    assert text.count("AICc undefined with 4 points for every usable model") <= 2
    assert "regions (" in text
    assert "kidney_left" in text
    data = json.loads(runner.invoke(app, ["dosimetry", str(seed7_patient), "--json"]).stdout)
    (cycle,) = data["cycles"]
    summary = cycle["warning_summary"]
    messages = [g["message"] for g in summary]
    assert len(messages) == len(set(messages))  # each warning once
    total = sum(len(r["warnings"]) for r in cycle["regions"])
    assert sum(g["count"] for g in summary) == total
    aicc = [g for g in summary if g["message"].startswith("AICc undefined")]
    assert aicc
    assert max(g["count"] for g in aicc) >= 8
    assert all(g["count"] == len(g["regions"]) for g in summary)


def test_partial_volume_option_is_stated_per_region(seed7_patient: Path, tmp_path: Path) -> None:
    plain = json.loads(runner.invoke(app, ["dosimetry", str(seed7_patient), "--json"]).stdout)
    result = runner.invoke(
        app, ["dosimetry", str(seed7_patient), "--pvc", "sphere", "--resolution-mm", "12", "--json"]
    )
    assert result.exit_code == 0, result.output
    fixed = json.loads(result.stdout)

    def kidney(data: dict) -> dict:
        return next(r for r in data["cycles"][0]["regions"] if r["region"] == "kidney_left")

    pv = kidney(fixed)["partial_volume"]
    assert pv["method"] == "sphere"
    assert pv["resolution_mm"] == 12.0
    assert 0.7 < pv["recovery_coefficient"] < 0.9
    assert kidney(plain)["partial_volume"]["method"] == "none"
    assert kidney(plain)["partial_volume"]["recovery_coefficient"] == 1.0
    assert kidney(fixed)["dose_gy"] == pytest.approx(
        kidney(plain)["dose_gy"] / pv["recovery_coefficient"], rel=0.02
    )
    assert any("resolution volumes" in w for w in plain["warnings"])
    curve = tmp_path / "rc.csv"
    curve.write_text("volume_ml,recovery\n0.5,0.2\n26.5,0.75\n", encoding="utf-8")
    measured = runner.invoke(
        app, ["dosimetry", str(seed7_patient), "--pvc", "sphere", "--recovery-csv", str(curve),
              "--json"],
    )  # fmt: skip
    assert measured.exit_code == 0, measured.output
    data = json.loads(measured.stdout)
    assert kidney(data)["partial_volume"]["method"] == "measured"
    assert kidney(data)["partial_volume"]["recovery_coefficient"] == 0.75  # clamped
    assert any("outside the measured recovery curve" in w for w in data["warnings"])


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--pvc", "sphere"], "--resolution-mm"),
        (["--pvc", "gtm", "--resolution-mm", "12"], "pvc"),
        (["--pvc", "sphere", "--resolution-mm", "12", "--activity-margin-mm", "8"], "not both"),
    ],
)
def test_bad_partial_volume_options_exit_2(seed7_patient: Path, args: list[str], phrase: str):
    result = runner.invoke(app, ["dosimetry", str(seed7_patient), *args, "--json"])
    assert result.exit_code == 2
    assert phrase in result.stderr
    assert "Traceback" not in result.output


def test_huge_tac_activity_exits_2_with_one_line(tmp_path: Path) -> None:
    """``dosimetry-table`` on a TAC with 1e300 MBq ended in an OverflowError traceback."""
    tac, masses = _tables(tmp_path, "region,time_h,activity_mbq\nkidneys,4,1e300\nkidneys,24,80\n"
                                    "kidneys,96,40\n")  # fmt: skip
    result = runner.invoke(app, ["dosimetry-table", str(tac), "--masses", str(masses)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "tac.csv:2" in result.stderr
    assert "activity_mbq" in result.stderr


@pytest.mark.skipif(gpu_available(), reason="a GPU is present here")
def test_patient_dosimetry_on_gpu_without_cupy_exits_2_naming_device(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["dosimetry", str(tmp_path), "--nuclide", "Lu-177", "--device", "gpu"]
    )
    assert result.exit_code == 2
    assert "device" in result.output
    assert "Traceback" not in result.output
