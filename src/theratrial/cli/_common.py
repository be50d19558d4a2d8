"""Helpers shared by every CLI command: error reporting, JSON output, paths, tables.

Every command body runs inside :func:`handle_errors`, which turns a
:class:`~theratrial.errors.TheratrialError` (or a missing file, or invalid JSON) into one
clear line on stderr and exit code 2, never a traceback.

Paths: an input that does not exist is an error (:func:`existing_path`); an output file
goes into a folder that already exists and an output folder into a parent that already
exists (:func:`output_file`, :func:`output_folder`): no command creates folders the user
did not name. Tables are printed with :func:`print_table`, which fits them to the
terminal (see :func:`fit_table`) and never cuts a number.
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
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from theratrial.errors import InputError, ParameterError, TheratrialError

__all__ = [
    "DB_OPTION",
    "STATUS_STYLE",
    "VERDICT_STYLE",
    "console",
    "err_console",
    "existing_path",
    "exit_with_error",
    "fit_table",
    "handle_errors",
    "output_file",
    "output_folder",
    "print_json",
    "print_table",
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


def existing_path(path: Path, *, field: str, folder: bool = False) -> Path:
    """``path`` if it exists (a folder when ``folder``), else an ``InputError`` naming it."""
    if not path.exists():
        what = "folder" if folder else "file or folder"
        raise InputError(f"{what} not found", file=path, field=field, hint="check the path")
    if folder and not path.is_dir():
        raise InputError("is a file, a folder was expected", file=path, field=field)
    return path


def output_file(path: Path, *, option: str) -> Path:
    """``path`` if it can be written as a file in a folder that already exists.

    Checked before any work is done, so a bad path costs nothing and stores nothing.
    """
    if path.is_dir():
        raise ParameterError(f"is a folder, a file name was expected for {option}", file=path)
    if not path.parent.is_dir():
        raise ParameterError(
            f"the folder {path.parent} does not exist",
            file=path,
            field=option,
            hint="create the folder first, or write into an existing one",
        )
    return path


def output_folder(path: Path, *, option: str) -> Path:
    """``path`` if it is a folder, or can be made one inside a folder that already exists."""
    if path.exists() and not path.is_dir():
        raise ParameterError(f"is a file, a folder was expected for {option}", file=path)
    if not path.exists() and not path.parent.is_dir():
        raise ParameterError(
            f"the folder {path.parent} does not exist",
            file=path,
            field=option,
            hint="create the parent folder first, or choose a folder inside an existing one",
        )
    return path


def _text(cell: Any) -> Text:
    if isinstance(cell, Text):
        return cell
    return Text.from_markup(cell) if isinstance(cell, str) else Text(str(cell))


def _widths(cell: Any) -> tuple[int, int]:
    """(longest word, longest line) of a cell, in terminal cells."""
    plain = _text(cell).plain
    words = [cell_len(w) for w in plain.split()]
    lines = [cell_len(line) for line in plain.split("\n")]
    return max(words, default=0), max(lines, default=0)


_FOLDED_MIN = 12
"""Narrowest width of a column created with ``overflow="fold"`` (longer words fold)."""


def fit_table(table: Table, *, width: int | None = None) -> RenderableType:
    """``table`` fitted to ``width`` terminal cells (default: the console's) without cutting.

    Every cell wraps at spaces and folds instead of ending in an ellipsis. When the
    table's natural width does not fit, the box is dropped (columns two spaces apart);
    when that is still too wide, each column gets at least its longest word (a number is
    one word, so it is never broken) and the room left goes to the columns that wrap, in
    the box if it fits, else without; a column created with ``overflow="fold"`` (prose,
    names) may fold a word longer than 12 cells. When even the longest words do not fit
    side by side, the table is printed vertically: one ``column  value`` block per row.

    Examples
    --------
    >>> import io
    >>> from rich.console import Console
    >>> t = Table(title="demo")
    >>> for name in ("region", "mean", "max"):
    ...     t.add_column(name)
    >>> t.add_row("liver", "0.9959", "1.000001")
    >>> out = Console(width=16, file=io.StringIO())
    >>> out.print(fit_table(t, width=16))
    >>> print(out.file.getvalue().strip())
    demo
    region  liver
    mean    0.9959
    max     1.000001
    """
    available = console.width if width is None else width
    columns = table.columns
    if not columns:
        return table
    words: list[int] = []
    lines: list[int] = []
    for column in columns:
        measured = [_widths(column.header), *(_widths(c) for c in column.cells)]
        word = max(w for w, _ in measured)
        # a column the caller made foldable (prose, names) may fold its long words
        words.append(min(word, _FOLDED_MIN) if column.overflow == "fold" else word)
        lines.append(max(line for _, line in measured))
        column.no_wrap = False
        column.overflow = "fold"
    boxed = _extra_width(table, compact=False)
    compact = _extra_width(table, compact=True)
    for need, extra in ((lines, boxed), (lines, compact), (words, boxed), (words, compact)):
        room = available - extra - sum(need)
        if room >= 0:
            break
    else:
        return _vertical(table)
    if extra != boxed:  # no box: columns two spaces apart
        table.box = None
        table.pad_edge = False
        table.show_edge = False
    if need is words:  # wrap at spaces; the room left goes to the columns that wrap
        wanted = [line - word for word, line in zip(words, lines, strict=True)]
        total = sum(wanted)
        for column, word, more in zip(columns, words, wanted, strict=True):
            column.width = word + (room * more // total if total else 0)
    return table


def _extra_width(table: Table, *, compact: bool) -> int:
    """Cells of a row that are padding and rules, not content (``compact``: no box)."""
    _, right, _, left = table.padding
    n = len(table.columns)
    pad_edge = table.pad_edge and not compact
    padding = (left + right) * n - (0 if pad_edge else left + right)
    if compact or not table.box:
        return padding
    return padding + (2 if table.show_edge else 0) + n - 1


def _vertical(table: Table) -> RenderableType:
    """One key/value block per row: the layout for a terminal narrower than the table."""
    keys = [" ".join(_text(c.header).plain.split()) for c in table.columns]
    rows = zip(*(list(c.cells) for c in table.columns), strict=True)
    parts: list[RenderableType] = []
    if table.title:
        parts.append(_text(table.title))
    for i, row in enumerate(rows):
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", overflow="fold")
        grid.add_column(overflow="fold")
        for key, cell in zip(keys, row, strict=True):
            grid.add_row(key, cell)
        if i:
            parts.append(Text(""))
        parts.append(grid)
    return Group(*parts)


def print_table(table: Table) -> None:
    """Print ``table`` on the console, fitted to the terminal (:func:`fit_table`)."""
    console.print(fit_table(table))
