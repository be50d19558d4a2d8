"""Helpers shared by every CLI command: error reporting, JSON output, the console.

Every command body runs inside :func:`handle_errors`, which turns a
:class:`~theratrial.errors.TheratrialError` (or a missing file, or invalid JSON) into one
clear line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import typer
from rich.console import Console

from theratrial.errors import TheratrialError

__all__ = [
    "DB_OPTION",
    "STATUS_STYLE",
    "VERDICT_STYLE",
    "console",
    "err_console",
    "exit_with_error",
    "handle_errors",
    "print_json",
    "to_jsonable",
]

STATUS_STYLE = {"met": "green", "not_met": "red", "unknown": "yellow", "needs_review": "cyan"}
"""Rich style of each criterion status."""
VERDICT_STYLE = {"eligible": "bold green", "ineligible": "bold red", "incomplete": "bold yellow"}
"""Rich style of each screening verdict."""

DB_OPTION = typer.Option(
    None,
    "--db",
    help="Database URL or SQLite file (default: THERATRIAL_DATABASE_URL or theratrial.sqlite).",
)
"""The ``--db`` option of the commands that read or write the store."""

console = Console()
err_console = Console(stderr=True)


def exit_with_error(message: str, *, code: int = 2) -> NoReturn:
    """Print ``error: MESSAGE`` on stderr and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def handle_errors() -> Iterator[None]:
    """Turn the project's exceptions and common input errors into one-line messages."""
    try:
        yield
    except TheratrialError as exc:
        exit_with_error(str(exc))
    except FileNotFoundError as exc:
        exit_with_error(f"{exc.filename}: file not found (fix: check the path)")
    except IsADirectoryError as exc:
        exit_with_error(f"{exc.filename}: is a folder, a file was expected")
    except PermissionError as exc:
        exit_with_error(f"{exc.filename}: permission denied")
    except json.JSONDecodeError as exc:
        exit_with_error(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
    except UnicodeDecodeError as exc:
        exit_with_error(
            f"a file is not valid {exc.encoding} text at byte {exc.start} (fix: save it as UTF-8)"
        )
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        exit_with_error(f"{where}{exc.strerror or exc}")


def to_jsonable(value: Any) -> Any:
    """Convert dataclasses, enums, dates, paths and NumPy values to JSON-ready data.

    Non-finite floats become ``None`` (JSON has no NaN).

    Examples
    --------
    >>> import numpy as np
    >>> to_jsonable({"a": np.float64(1.5), "b": [np.int64(2)], "c": float("nan")})
    {'a': 1.5, 'b': [2], 'c': None}
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(mode="json"))
    return value


def print_json(value: Any) -> None:
    """Write ``value`` as indented JSON on stdout (plain, no Rich markup)."""
    typer.echo(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False))
