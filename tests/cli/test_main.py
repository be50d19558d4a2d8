"""The top-level app: lazy command loading keeps start-up fast without changing the commands."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from theratrial import __version__
from theratrial.cli.main import COMMANDS, app, load_module_commands

runner = CliRunner()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_summary_is_the_real_commands_first_paragraph(name: str) -> None:
    module, summary = COMMANDS[name]
    real = load_module_commands(module).commands[name]
    text = real.short_help or real.help or ""
    first = inspect.cleandoc(text).split("\n\n")[0].replace("\n", " ").strip()
    assert summary == first


def test_every_registered_command_is_listed() -> None:
    modules = {module for module, _ in COMMANDS.values()}
    registered = {name for module in modules for name in load_module_commands(module).commands}
    assert registered == set(COMMANDS)


def test_version_and_help_import_no_command_module() -> None:
    code = (
        "import sys; from theratrial.cli.main import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('numpy', 'scipy', 'pydicom', 'sqlalchemy', 'matplotlib',"
        " 'radioactivedecay', 'theratrial.cli.design') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "HEAVY []" in out
    assert "dosimetry-table" in out


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"theratrial {__version__}"


def test_subcommand_runs_after_lazy_load() -> None:
    result = runner.invoke(app, ["design", "boundaries", "--design", "boin", "--target", "0.3"])
    assert result.exit_code == 0, result.output
    assert "0.236" in result.output


def test_unknown_command_is_a_usage_error_with_a_suggestion() -> None:
    result = runner.invoke(app, ["dosimetri"])
    assert result.exit_code == 2
    assert "dosimetry" in result.output
