"""``theratrial design``: JSON shapes, exit codes, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from theratrial.cli.main import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["design", *args])
    return result.exit_code, result.stdout, result.stderr


def _csv(tmp_path: Path, text: str) -> str:
    path = tmp_path / "DLT.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_boundaries_json() -> None:
    code, out, _ = _run("boundaries", "--design", "boin", "--target", "0.25", "--json")
    assert code == 0
    data = json.loads(out)
    assert round(data["lambda_e"], 4) == 0.1968
    assert round(data["lambda_d"], 4) == 0.2984
    rows = {r["n"]: r for r in data["boundaries"]}
    assert [rows[n]["eliminate_if_dlt_ge"] for n in (3, 6, 9, 12)] == [3, 4, 5, 6]
    assert rows[1]["eliminate_if_dlt_ge"] is None


@pytest.mark.parametrize(
    ("rows", "decision", "next_level", "current"),
    [
        ("120,6,2\n90,0,0\n60,0,0\n", "de-escalate", 90.0, 120.0),
        ("120,3,0\n", "stay", 120.0, 120.0),
        ("120,6,4\n", "eliminate", 90.0, 120.0),
        ("120,6,3\n90,6,1\n", "escalate", 120.0, 90.0),
        ("60,0,0\n", "stay", 120.0, 120.0),
    ],
)
def test_next_boin_deescalation_start(
    tmp_path: Path, rows: str, decision: str, next_level: float, current: float
) -> None:
    path = _csv(tmp_path, "level,n,dlt\n" + rows)
    code, out, _ = _run(
        "next",
        "--design",
        "boin",
        "--target",
        "0.25",
        "--levels",
        "60,90,120",
        "--start",
        "120",
        "--data",
        path,
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["decision"] == decision
    assert data["next_level"] == next_level
    assert data["current_level"] == current
    assert {"boundaries", "estimates", "eliminated_levels", "mtd"} <= set(data)
    assert len(data["estimates"]) == 3


def test_next_elimination_lists_levels_and_boundaries(tmp_path: Path) -> None:
    path = _csv(tmp_path, "level,n,dlt\n120,6,4\n")
    _, out, _ = _run(
        "next",
        "--design",
        "boin",
        "--target",
        "0.25",
        "--levels",
        "60,90,120",
        "--start",
        "120",
        "--data",
        path,
        "--json",
    )
    data = json.loads(out)
    assert data["eliminated_levels"] == [120.0]
    assert data["boundaries"]["eliminate_if_dlt_ge"] == 4
    assert data["estimates"][2]["eliminated"] is True


def test_next_selects_the_mtd_at_the_maximum_sample_size(tmp_path: Path) -> None:
    path = _csv(tmp_path, "level,n,dlt\n60,6,0\n90,6,1\n120,6,3\n")
    _, out, _ = _run(
        "next",
        "--design",
        "boin",
        "--target",
        "0.25",
        "--levels",
        "60,90,120",
        "--start",
        "120",
        "--current",
        "90",
        "--max-n",
        "18",
        "--data",
        path,
        "--json",
    )
    data = json.loads(out)
    assert data["decision"] == "select_mtd"
    assert data["mtd"] == 90.0
    assert data["next_level"] is None


@pytest.mark.parametrize(
    ("extra", "decision"),
    [
        (["--design", "3+3"], "select_mtd"),
        (["--design", "3+3", "--deescalation"], "de-escalate"),
        (["--design", "mtpi2", "--target", "0.25"], "de-escalate"),
        (["--design", "i3+3", "--target", "0.25"], "de-escalate"),
        (["--design", "crm", "--target", "0.25", "--skeleton", "0.1,0.25,0.4"], "de-escalate"),
    ],
)
def test_next_other_designs(tmp_path: Path, extra: list[str], decision: str) -> None:
    path = _csv(tmp_path, "level,n,dlt\n90,3,0\n120,3,2\n")
    code, out, err = _run(
        "next", *extra, "--levels", "60,90,120", "--current", "120", "--data", path, "--json"
    )
    assert code == 0, err
    assert json.loads(out)["decision"] == decision


def test_simulate_json_shape_and_reproducibility(tmp_path: Path) -> None:
    args = [
        "simulate",
        "--design",
        "boin",
        "--target",
        "0.3",
        "--truth",
        "0.05,0.15,0.30,0.45,0.60",
        "--cohort-size",
        "3",
        "--max-n",
        "60",
        "--n-trials",
        "2000",
        "--seed",
        "1",
        "--json",
    ]
    code, out, _ = _run(*args)
    assert code == 0
    data = json.loads(out)
    for key in ("selection_pct", "n_treated_mean", "n_mean", "dlt_mean", "stop_pct"):
        assert key in data
    assert len(data["selection_pct"]) == 5
    assert sum(data["selection_pct"]) + data["stop_pct"] == pytest.approx(100.0)
    assert sum(data["n_treated_mean"]) == pytest.approx(data["n_mean"])
    assert json.loads(_run(*args)[1]) == data
    png = tmp_path / "oc.png"
    code, out, _ = _run(*args, "--plot", str(png))
    assert code == 0
    assert json.loads(out)["plot"] == str(png)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_simulate_crm_with_levels_and_start() -> None:
    code, out, err = _run(
        "simulate",
        "--design",
        "crm",
        "--target",
        "0.25",
        "--skeleton",
        "0.1,0.25,0.4",
        "--truth",
        "0.1,0.25,0.45",
        "--levels",
        "60,90,120",
        "--start",
        "120",
        "--max-n",
        "12",
        "--n-trials",
        "200",
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["start_level"] == 120.0
    assert data["levels"] == [60.0, 90.0, 120.0]


def test_table_json() -> None:
    code, out, _ = _run("table", "--design", "i3+3", "--target", "0.3", "--max-n", "6", "--json")
    assert code == 0
    rows = json.loads(out)["rows"]
    assert rows[2] == {
        "n": 3,
        "escalate_if_dlt_le": 0,
        "deescalate_if_dlt_ge": 2,
        "eliminate_if_dlt_ge": 3,
        "decisions": ["E", "S", "D", "DU"],
    }


def test_human_readable_outputs(tmp_path: Path) -> None:
    path = _csv(tmp_path, "level,n,dlt\n120,6,2\n")
    assert _run("boundaries", "--target", "0.3", "--max-n", "6")[0] == 0
    assert _run("table", "--target", "0.3", "--max-n", "6")[0] == 0
    code, out, _ = _run("next", "--target", "0.25", "--levels", "60,90,120", "--data", path)
    assert code == 0
    assert "de-escalate" in out
    code, out, _ = _run(
        "simulate", "--target", "0.3", "--truth", "0.1,0.3,0.5", "--n-trials", "100"
    )
    assert code == 0
    assert "selected %" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["boundaries", "--target", "1.5", "--json"], "outside (0, 1)"),
        (["boundaries", "--target", "0", "--json"], "outside (0, 1)"),
        (
            ["simulate", "--target", "0.3", "--truth", "0.1,0.2", "--levels", "1,2,3", "--json"],
            "2 true DLT probabilities for 3 dose levels",
        ),
        (["simulate", "--target", "0.3", "--truth", "0.1,x", "--json"], "comma-separated"),
        (
            ["simulate", "--design", "crm", "--target", "0.3", "--truth", "0.1,0.2", "--json"],
            "skeleton",
        ),
        (
            ["simulate", "--design", "tpi", "--target", "0.3", "--truth", "0.1,0.2", "--json"],
            "unknown design",
        ),
    ],
)
def test_bad_options_exit_2_with_one_line(args: list[str], message: str) -> None:
    code, out, err = _run(*args)
    assert code == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("level,n,dlt\n120,-6,0\n", ":2: field 'n'"),
        ("level,n,dlt\n120,3,4\n", ":2: field 'dlt'"),
        ("level,n,dlt\n100,3,0\n", "not one of the dose levels"),
        ("level,n\n120,3\n", "missing column 'dlt'"),
        ("level,n,dlt\n120,three,0\n", "not a number"),
    ],
)
def test_bad_csv_names_row_and_column(tmp_path: Path, text: str, message: str) -> None:
    path = _csv(tmp_path, text)
    code, _, err = _run(
        "next", "--target", "0.25", "--levels", "60,90,120", "--data", path, "--json"
    )
    assert code == 2
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--design", "crm", "--skeleton", "0.1,0.2,0.3", "--last-cohort", "3,4"], "dlt <= n"),
        (["--max-n", "-1"], "--max-n"),
        (["--max-n", "0"], "--max-n"),
    ],
)
def test_next_rejects_impossible_options(tmp_path: Path, extra: list[str], message: str) -> None:
    path = _csv(tmp_path, "level,n,dlt\n60,3,0\n")
    code, out, err = _run(
        "next", "--target", "0.25", "--levels", "60,90,120", "--data", path, *extra, "--json"
    )
    assert code == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_next_waits_for_a_partial_cohort(tmp_path: Path) -> None:
    """Item 1: one patient without DLT at 90 is not a cohort; the answer is wait."""
    path = _csv(tmp_path, "level,n,dlt\n90,1,0\n")
    args = ["design", "next", "--data", str(path), "--target", "0.25", "--levels", "90,120"]
    out = json.loads(runner.invoke(app, [*args, "--json"]).output)
    assert out["decision"] == "wait"
    assert out["missing"][0]["kind"] == "enrol"
    assert out["missing"][0]["patients"] == 2
    complete = _csv(tmp_path, "level,n,dlt\n90,3,0\n")
    args[3] = str(complete)
    partial = json.loads(runner.invoke(app, [*args, "--last-cohort", "2,0", "--json"]).output)
    assert partial["decision"] == "wait"
    assert json.loads(runner.invoke(app, [*args, "--json"]).output)["decision"] == "escalate"


def test_next_says_when_level_rows_were_added(tmp_path: Path) -> None:
    path = _csv(tmp_path, "level,n,dlt\n90,3,0\n90,3,0\n")
    result = runner.invoke(app, ["design", "next", "--data", str(path), "--target", "0.25"])
    assert result.exit_code == 0, result.output
    assert "rows 2, 3" in result.output
    out = json.loads(
        runner.invoke(
            app, ["design", "next", "--data", str(path), "--target", "0.25", "--json"]
        ).output
    )
    assert out["notes"]
    assert out["estimates"][0]["n"] == 6


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["simulate", "--truth", "0.1,0.2", "--target", "0.25", "--seed", "-1"], "--seed"),
        (["simulate", "--truth", "0.1,0.2", "--target", "0.25", "--seed", "4294967296"], "--seed"),
        (
            ["simulate", "--truth", "0.1,0.2", "--target", "0.25", "--n-trials", "1000000000"],
            "--n-trials",
        ),
        (["boundaries", "--target", "0.25", "--max-n", "100000000"], "--max-n"),
        (["table", "--target", "0.25", "--max-n", "100000000"], "--max-n"),
    ],
)
def test_magnitudes_are_refused_at_the_edge(args: list[str], field: str) -> None:
    result = runner.invoke(app, ["design", *args])
    assert result.exit_code == 2
    assert f"field '{field}'" in result.output
    assert "Traceback" not in result.output


def test_table_crm_runs_with_a_skeleton() -> None:
    args = ["design", "table", "--design", "crm", "--target", "0.25"]
    result = runner.invoke(app, [*args, "--skeleton", "0.05,0.12,0.25,0.4", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["design"] == "crm"
    assert out["rows"][0]["decisions"] == ["E", "S"]
    assert "level 1" in out["note"]
    missing = runner.invoke(app, args)
    assert missing.exit_code == 2
    assert "skeleton" in missing.output


@pytest.mark.parametrize(
    ("flag", "selected"), [("--confirm-top", 88.57), ("--no-confirm-top", 90.61)]
)
def test_confirm_top_is_an_option_and_is_printed(flag: str, selected: float) -> None:
    """Item 6: one level with p = 0.1; --no-confirm-top selects a 0/3 top level directly."""
    from theratrial.design import enumerate_threeplusthree

    exact = enumerate_threeplusthree([0.1], confirm_top=flag == "--confirm-top")
    sim = ["design", "simulate", "--design", "3+3", "--truth", "0.1", "--max-n", "6"]
    result = runner.invoke(app, [*sim, "--n-trials", "20000", "--seed", "3", flag, "--json"])
    out = json.loads(result.output)
    assert abs(out["selection_pct"][0] - exact.selection_pct[0]) < 1.0
    assert round(exact.selection_pct[0], 2) == pytest.approx(selected, abs=0.6)
    assert ("expanded" in out["convention"]) == (flag == "--confirm-top")
    text = runner.invoke(app, [*sim, "--n-trials", "200", flag]).output
    assert "convention: 3+3" in text
    table = runner.invoke(app, ["design", "table", "--design", "3+3", flag]).output
    assert "top level" in table


def test_next_3plus3_top_level_follows_confirm_top(tmp_path: Path) -> None:
    path = _csv(tmp_path, "level,n,dlt\n1,3,0\n2,3,0\n")
    base = ["design", "next", "--design", "3+3", "--data", str(path), "--json"]
    assert json.loads(runner.invoke(app, base).output)["decision"] == "stay"
    direct = json.loads(runner.invoke(app, [*base, "--no-confirm-top"]).output)
    assert (direct["decision"], direct["mtd"]) == ("select_mtd", 2.0)
    assert "directly" in direct["convention"]


@pytest.mark.parametrize("max_n", ["12", "16"])
def test_design_table_fits_80_columns_and_shows_every_decision(max_n: str) -> None:
    args = ["design", "table", "--design", "boin", "--target", "0.3", "--max-n", max_n]
    rows = json.loads(runner.invoke(app, [*args, "--json"]).stdout)["rows"]
    result = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    assert all(len(line) <= 80 for line in result.stdout.splitlines()), result.stdout
    lines = [line.replace("│", " ").split() for line in result.stdout.splitlines()]
    for row in rows:  # one line per n: n, then every decision, none cut or wrapped
        assert [str(row["n"]), *row["decisions"]] in lines, (row, result.stdout)


def test_simulate_plot_into_a_missing_folder_exits_2_before_simulating(tmp_path: Path) -> None:
    png = tmp_path / "figs" / "oc.png"
    args = ["simulate", "--truth", "0.1,0.3", "--target", "0.3", "--n-trials", "100"]
    code, out, err = _run(*args, "--plot", str(png), "--json")
    assert code == 2
    assert "--plot" in err
    assert "does not exist" in err
    assert out == ""  # nothing simulated, nothing printed
    assert not png.parent.exists()
