"""The response commands: recist, repeatability, model lesions|patients."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from theratrial.cli.main import app

runner = CliRunner()


def _tp(date: str, *lesions: dict[str, Any]) -> dict[str, Any]:
    return {"date": date, "lesions": list(lesions)}


ASSESSMENTS = {
    "baseline_date": "2024-01-01",
    "time_points": [
        _tp(
            "2024-01-01",
            {
                "id": "L1",
                "organ": "liver",
                "nodal": False,
                "measurement_mm": 40,
                "target": True,
                "new": False,
            },
            {
                "id": "N1",
                "organ": "lymph node",
                "nodal": True,
                "measurement_mm": 20,
                "target": True,
            },
            {
                "id": "B1",
                "organ": "bone",
                "measurement_mm": None,
                "target": False,
                "status": "present",
            },
        ),
        _tp(
            "2024-03-01",
            {"id": "L1", "measurement_mm": 25},
            {"id": "N1", "measurement_mm": 12},
            {"id": "B1", "status": "present"},
        ),
        _tp(
            "2024-04-15",
            {"id": "L1", "measurement_mm": 24},
            {"id": "N1", "measurement_mm": 11},
            {"id": "B1", "status": "present"},
        ),
        _tp(
            "2024-06-10",
            {"id": "L1", "measurement_mm": 32},
            {"id": "N1", "measurement_mm": 11},
            {"id": "B1", "status": "present"},
        ),
    ],
}


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_recist_json_shape_and_values(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.json", ASSESSMENTS)
    result = runner.invoke(app, ["recist", str(path), "--json", "--confirm-days", "28"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    keys = {
        "date",
        "sum_mm",
        "change_from_baseline_pct",
        "change_from_nadir_pct",
        "target",
        "non_target",
        "new_lesions",
        "overall",
    }
    assert all(keys <= set(tp) for tp in out["time_points"])
    follow = out["time_points"][1:]
    assert [tp["sum_mm"] for tp in follow] == [37.0, 35.0, 43.0]
    assert [tp["overall"] for tp in follow] == ["PR", "PR", "PD"]  # 43 vs nadir 35: +23 %, +8 mm
    assert follow[2]["change_from_nadir_pct"] == pytest.approx(100 * 8 / 35)
    assert follow[0]["change_from_baseline_pct"] == pytest.approx(-38.333333333)
    assert out["best_overall_response"] == "PR"
    assert out["best_overall_response_confirmed"] == "PR"
    assert out["time_points"][0]["overall"] is None


def test_recist_options_and_text_output(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.json", ASSESSMENTS)
    result = runner.invoke(app, ["recist", str(path), "--confirm-days", "60"])
    assert result.exit_code == 0, result.output
    assert "Best overall response: SD" in result.stdout


def test_recist_several_patients_with_figures(tmp_path: Path) -> None:
    data = {"patients": [{"id": "A", **ASSESSMENTS}, {"id": "B", **ASSESSMENTS}]}
    path = _write(tmp_path, "cohort.json", data)
    figs = tmp_path / "figs"
    result = runner.invoke(app, ["recist", str(path), "--json", "--figures", str(figs)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [p["patient_id"] for p in out["patients"]] == ["A", "B"]
    assert (figs / "waterfall.png").stat().st_size > 0
    assert (figs / "A_spider_lesions.png").is_file()
    assert len(out["figures"]) == 6


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ({"time_points": [{"lesions": []}]}, "time_points[0].date"),
        (
            {
                "time_points": [
                    _tp("2024-01-01", {"id": "L1", "organ": "liver", "measurement_mm": "big"})
                ]
            },
            "measurement_mm",
        ),
        ("{not json", "invalid JSON"),
        (
            {
                "time_points": [
                    _tp("2024-01-01", {"id": "L1", "organ": "liver", "measurement_mm": 30}),
                    _tp("2024-02-01", {"id": "L9", "measurement_mm": 3}),
                ]
            },
            "not recorded at baseline",
        ),
    ],
)
def test_recist_bad_input_exits_2_with_one_line(tmp_path: Path, content: Any, needle: str) -> None:
    path = _write(tmp_path, "bad.json", content)
    result = runner.invoke(app, ["recist", str(path), "--json"])
    assert result.exit_code == 2
    assert needle in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) <= 2  # one message (may wrap)


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        {
            "time_points": [
                _tp("2024-01-01", {"id": "L1", "organ": "liver", "measurement_mm": 30}),
                _tp("2024-02-01", {"id": "L9", "measurement_mm": 3}),
            ]
        },
    ],
)
def test_recist_errors_name_the_file(tmp_path: Path, content: Any) -> None:
    path = _write(tmp_path, "bad.json", content)
    result = runner.invoke(app, ["recist", str(path), "--json"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "bad.json" in result.stderr


def test_recist_help_documents_the_format() -> None:
    result = runner.invoke(app, ["recist", "--help"])
    assert result.exit_code == 0
    assert "measurement_mm" in result.stdout
    assert "--confirm-days" in result.stdout


def _measurements(tmp_path: Path, drop_last: bool = False) -> Path:
    rng = np.random.default_rng(0)
    rows = []
    for s in range(12):
        for region, base in (("liver", 8.0), ("lesion", 30.0)):
            true = base * rng.lognormal(0, 0.3)
            for scan in (1, 2):
                rows.append((f"S{s}", region, scan, round(true * rng.lognormal(0, 0.1), 3)))
    if drop_last:
        rows = rows[:-1]
    path = tmp_path / "m.csv"
    pd.DataFrame(rows, columns=["subject", "region", "scan", "value"]).to_csv(path, index=False)
    return path


def test_repeatability_json(tmp_path: Path) -> None:
    figs = tmp_path / "figs"
    result = runner.invoke(
        app, ["repeatability", str(_measurements(tmp_path)), "--json", "--figures", str(figs)]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["n_targets"], out["k_repeats"]) == (24, 2)
    overall = out["overall"]
    assert set(overall["icc"]) == {
        "ICC(1,1)",
        "ICC(2,1)",
        "ICC(3,1)",
        "ICC(1,k)",
        "ICC(2,k)",
        "ICC(3,k)",
    }
    assert overall["rc"] == pytest.approx(1.96 * 2**0.5 * overall["wsd"])
    assert "means" not in overall["bland_altman"]
    assert [g["group"] for g in out["groups"]] == ["lesion", "liver"]
    assert (figs / "bland_altman_liver.png").is_file()


def test_repeatability_one_scan_only_names_line_and_column(tmp_path: Path) -> None:
    path = _measurements(tmp_path, drop_last=True)
    result = runner.invoke(app, ["repeatability", str(path), "--json"])
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert f"{path}:48" in message
    assert "field 'scan'" in message
    assert "S11/lesion has 1 scan(s)" in message


def test_repeatability_missing_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "m.csv", "subject,scan,value\nA,1,2\n")
    result = runner.invoke(app, ["repeatability", str(path)])
    assert result.exit_code == 2
    assert "missing column for repeatability: region" in " ".join(result.stderr.split())


def _lesions(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    rows = []
    for p in range(30):
        u = rng.normal(0, 8)
        for lesion in range(3):
            dose = rng.uniform(5, 60)
            suv = rng.uniform(5, 40)
            change = 20 - 0.9 * dose - 0.5 * suv + u + rng.normal(0, 10)
            rows.append(
                {
                    "patient": f"P{p}",
                    "lesion": f"L{lesion}",
                    "dose_gy": round(dose, 2),
                    "ga68_suvmax": round(suv, 2),
                    "change_pct": round(change, 2),
                }
            )
    path = tmp_path / "lesions.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_model_lesions_binary_json_and_figures(tmp_path: Path) -> None:
    figs = tmp_path / "figs"
    args = [
        "model",
        "lesions",
        str(_lesions(tmp_path)),
        "--outcome",
        "change_pct",
        "--threshold",
        "-30",
        "--predictors",
        "dose_gy,ga68_suvmax",
        "--bootstrap",
        "40",
        "--folds",
        "3",
        "--json",
        "--figures",
        str(figs),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["family"] == "binomial"
    assert out["method"] == "gee"
    assert out["correlation"] == "exchangeable"
    assert out["n_patients"] == 30
    assert [row["term"] for row in out["univariable"]] == ["dose_gy", "ga68_suvmax"]
    terms = [c["term"] for c in out["multivariable"]["coefficients"]]
    assert terms == ["intercept", "dose_gy", "ga68_suvmax"]
    assert out["multivariable"]["coefficients"][1]["odds_ratio"] > 1
    assert 0.5 < out["discrimination"]["auc"] <= 1
    assert out["cross_validation"]["scheme"] == "group-kfold"
    assert "predictions" not in out["cross_validation"]
    assert {Path(p).name for p in out["figures"]} == {
        "lesion_model.png",
        "lesion_effects.png",
        "lesion_roc.png",
        "lesion_calibration.png",
    }


def test_model_lesions_continuous_text(tmp_path: Path) -> None:
    args = [
        "model",
        "lesions",
        str(_lesions(tmp_path)),
        "--outcome",
        "change_pct",
        "--predictors",
        "dose_gy",
        "--folds",
        "3",
        "--method",
        "mixed",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "multivariable" in result.stdout
    assert "RMSE" in result.stdout


def test_model_bad_predictor_value(tmp_path: Path) -> None:
    path = _lesions(tmp_path)
    text = path.read_text().splitlines()
    cells = text[3].split(",")
    cells[2] = "twelve"
    text[3] = ",".join(cells)
    path.write_text("\n".join(text) + "\n")
    result = runner.invoke(
        app,
        [
            "model",
            "lesions",
            str(path),
            "--outcome",
            "change_pct",
            "--predictors",
            "dose_gy",
            "--json",
        ],
    )
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert f"{path}:4" in message
    assert "field 'dose_gy'" in message
    assert "'twelve' is not a number" in message


def test_model_patients_landmark(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    dose = rng.uniform(10, 80, 50)
    pfs = rng.exponential(6 + 0.3 * dose)
    df = pd.DataFrame(
        {
            "patient": [f"P{i}" for i in range(50)],
            "dose_gy": dose.round(2),
            "pfs_months": pfs.round(2),
            "progressed": 1,
        }
    )
    path = tmp_path / "patients.csv"
    df.to_csv(path, index=False)
    args = [
        "model",
        "patients",
        str(path),
        "--predictors",
        "dose_gy",
        "--time",
        "pfs_months",
        "--event",
        "progressed",
        "--landmark",
        "12",
        "--bootstrap",
        "20",
        "--folds",
        "3",
        "--json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["level"] == "patient"
    assert out["outcome"]["column"] == "progression_free_at_12"
    assert out["method"] == "glm"


def test_model_repeated_predictor_options_and_patient_id_column(tmp_path: Path) -> None:
    path = _lesions(tmp_path)
    frame = pd.read_csv(path).rename(columns={"patient": "patient_id"})
    frame.to_csv(path, index=False)
    args = [
        "model",
        "lesions",
        str(path),
        "--outcome",
        "change_pct",
        "--predictor",
        "dose_gy",
        "--predictor",
        "ga68_suvmax",
        "--bootstrap",
        "0",
        "--folds",
        "2",
        "--json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["predictors"] == ["dose_gy", "ga68_suvmax"]
    assert out["n_patients"] == 30


def test_repeatability_with_lesion_matching(tmp_path: Path) -> None:
    rows = [
        ("S1", "a", 1, 10.0, 0.0),
        ("S1", "b", 1, 20.0, 50.0),
        ("S1", "x", 2, 19.0, 50.9),
        ("S1", "y", 2, 10.4, 1.0),
        ("S2", "a", 1, 12.0, 0.0),
        ("S2", "b", 1, 25.0, 50.0),
        ("S2", "x", 2, 12.5, 0.5),
        ("S2", "y", 2, 24.0, 49.5),
    ]
    frame = pd.DataFrame(rows, columns=["subject", "region", "scan", "value", "x_mm"])
    frame = frame.assign(y_mm=0.0, z_mm=0.0)
    path = tmp_path / "lesions.csv"
    frame.to_csv(path, index=False)
    result = runner.invoke(
        app, ["repeatability", str(path), "--match-tolerance", "5", "--no-groups", "--json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["n_targets"] == 4
    assert out["unmatched_lesions"] == []
    # pairs by position: S1 a-y, b-x; S2 a-x, b-y (labels alone would pair nothing)
    assert out["overall"]["mean_difference"] == pytest.approx((0.4 - 1.0 + 0.5 - 1.0) / 4)


def test_model_patients_needs_an_outcome(tmp_path: Path) -> None:
    path = _write(tmp_path, "p.csv", "patient,dose_gy\nA,1\n")
    result = runner.invoke(app, ["model", "patients", str(path), "--predictors", "dose_gy"])
    assert result.exit_code == 2
    assert "no outcome" in result.stderr


@pytest.mark.parametrize("level", ["lesions", "patients"])
def test_model_header_only_table_exits_2(tmp_path: Path, level: str) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("patient,dose_gy,responder\n", encoding="utf-8")
    args = ["model", level, str(path), "--outcome", "responder", "--predictors", "dose_gy"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 2
    assert "empty.csv" in result.stderr
    assert "no rows" in result.stderr
    assert "Traceback" not in result.output


# -- tables at 80 columns: every number whole, never "4.7…" -------------------------------


def _fmt(value: Any, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def _shown(args: list[str], columns: str) -> set[str]:
    result = runner.invoke(app, args, env={"COLUMNS": columns})
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    assert all(len(line) <= int(columns) for line in result.stdout.splitlines())
    return set(result.stdout.split())


@pytest.mark.parametrize("columns", ["80", "60", "40"])
def test_repeatability_table_shows_every_number_in_full(tmp_path: Path, columns: str) -> None:
    path = _measurements(tmp_path)
    data = json.loads(runner.invoke(app, ["repeatability", str(path), "--json"]).stdout)
    shown = _shown(["repeatability", str(path)], columns)
    for r in [data["overall"], *data["groups"]]:
        ba = r["bland_altman"]
        expected = [
            _fmt(r["mean"]), _fmt(r["wsd"]), _fmt(r["rc"]), _fmt(r["wcv_pct"], 3),
            _fmt(r["rc_relative_pct"], 3), _fmt(r["icc"]["ICC(3,1)"]["value"], 3),
            _fmt(r["icc"]["ICC(2,1)"]["value"], 3), _fmt(ba["bias"]),
            f"{ba['loa_low']:.3g}", f"{ba['loa_high']:.3g}", str(r["n_subjects"]),
        ]  # fmt: skip
        assert set(expected) <= shown, (columns, set(expected) - shown)


@pytest.mark.parametrize("columns", ["80", "40"])
def test_recist_dates_and_numbers_are_not_cut(tmp_path: Path, columns: str) -> None:
    path = _write(tmp_path, "a.json", ASSESSMENTS)
    data = json.loads(runner.invoke(app, ["recist", str(path), "--json"]).stdout)
    shown = _shown(["recist", str(path)], columns)
    for tp in data["time_points"]:
        expected = {tp["date"], str(tp["day"]), _fmt(tp["sum_mm"])}
        expected |= {_fmt(tp["change_from_baseline_pct"]), _fmt(tp["change_from_nadir_pct"])}
        assert expected <= shown, (columns, expected - shown)
        assert (tp["non_target"] or "-") in shown


def test_model_table_fits_80_columns(tmp_path: Path) -> None:
    path = _epv_table(tmp_path, n=40, events=20)
    args = ["model", "patients", str(path), "--outcome", "responder", "--predictors"]
    args += ["dose_gy,suv", "--bootstrap", "0", "--folds", "2"]
    data = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    shown = _shown(args, "80")
    for fit in data["univariable"]:
        assert {_fmt(fit["odds_ratio"]), _fmt(fit["p_value"], 3)} <= shown


# -- too few events per predictor (Peduzzi et al. 1996) -----------------------------------


def _epv_table(tmp_path: Path, *, n: int, events: int) -> Path:
    rng = np.random.default_rng(11)
    dose = rng.uniform(10, 80, n)
    responder = np.zeros(n, dtype=int)
    responder[np.argsort(dose + rng.normal(0, 20, n))[-events:]] = 1
    frame = pd.DataFrame(
        {
            "patient": [f"P{i:02d}" for i in range(n)],
            "dose_gy": dose.round(2),
            "suv": rng.uniform(5, 40, n).round(2),
            "responder": responder,
        }
    )
    path = tmp_path / "patients.csv"
    frame.to_csv(path, index=False)
    return path


def test_model_patients_warns_below_ten_events_per_predictor(tmp_path: Path) -> None:
    path = _epv_table(tmp_path, n=30, events=7)  # 7 events, 2 predictors: EPV 3.5
    args = ["model", "patients", str(path), "--outcome", "responder", "--predictors"]
    args += ["dose_gy,suv", "--bootstrap", "20", "--folds", "3"]
    out = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    epv = out["events_per_variable"]
    assert (epv["n_events"], epv["n_predictors"], epv["epv"]) == (7, 2, 3.5)
    assert epv["adequate"] is False
    assert len(out["warnings"]) == 1
    assert "Peduzzi" in out["warnings"][0]
    assert "3.5 events per predictor" in out["warnings"][0]
    text = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert text.exit_code == 0, text.output
    flat = " ".join(text.stdout.split())
    assert "warning: 7 events" in flat
    assert "3.5 events per predictor, below 10 (Peduzzi et al. 1996)" in flat


def test_model_patients_with_enough_events_has_no_warning(tmp_path: Path) -> None:
    path = _epv_table(tmp_path, n=60, events=25)  # 25 events (the rarer class), 2 predictors
    args = ["model", "patients", str(path), "--outcome", "responder", "--predictors"]
    args += ["dose_gy,suv", "--bootstrap", "0", "--folds", "2"]
    out = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert out["warnings"] == []
    assert out["events_per_variable"]["epv"] == 12.5
    assert "warning" not in runner.invoke(app, args).stdout


# -- output folders are never created inside a missing folder -----------------------------


@pytest.mark.parametrize("command", ["recist", "repeatability", "model"])
def test_figures_in_a_missing_parent_folder_are_refused(tmp_path: Path, command: str) -> None:
    figs = tmp_path / "nonexistent" / "figs"
    if command == "recist":
        args = ["recist", str(_write(tmp_path, "a.json", ASSESSMENTS))]
    elif command == "repeatability":
        args = ["repeatability", str(_measurements(tmp_path))]
    else:
        path = _epv_table(tmp_path, n=40, events=20)
        args = ["model", "patients", str(path), "--outcome", "responder", "--predictors", "suv"]
    result = runner.invoke(app, [*args, "--figures", str(figs)])
    assert result.exit_code == 2, result.output
    line = " ".join(result.output.split())
    assert f"{figs}: field '--figures'" in line
    assert not figs.parent.exists()


def test_recist_patient_ids_follow_the_pseudonym_rule(tmp_path: Path) -> None:
    data = {"patients": [{"id": "../../x", **ASSESSMENTS}]}
    path = _write(tmp_path, "cohort.json", data)
    result = runner.invoke(app, ["recist", str(path), "--figures", str(tmp_path / "figs")])
    assert result.exit_code == 2
    assert "field 'patients[0].id'" in result.output
    assert not (tmp_path / "x_spider_lesions.png").exists()
