"""Reading and checking tables: every error names the file, the row and the column.

A table read by :func:`read_csv_table` carries its file name in ``DataFrame.attrs["file"]``
and the file's line numbers as its index (the header is line 1), so that a bad value is
reported as ``FILE:LINE: field 'COLUMN': ...``. A DataFrame built in code is reported by
1-based row position instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from theratrial.errors import TableError

__all__ = [
    "bool_column",
    "locate",
    "numeric_column",
    "read_csv_table",
    "require_columns",
    "text_column",
]

_TRUE = frozenset({"1", "1.0", "true", "yes", "y", "t"})
_FALSE = frozenset({"0", "0.0", "false", "no", "n", "f"})


def read_csv_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV file as text cells, indexed by file line number, column names stripped.

    Raises
    ------
    TableError
        An empty file or one that is not CSV.
    """
    source = Path(path)
    try:
        frame = pd.read_csv(
            source, dtype=str, keep_default_na=False, skipinitialspace=True, skip_blank_lines=False
        )
    except pd.errors.EmptyDataError:
        raise TableError("the file is empty", file=source, hint="write a header row") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        found = re.search(r"line (\d+)", first)
        raise TableError(
            f"not a readable CSV table: {first}",
            file=source,
            line=int(found.group(1)) if found else None,
            hint="every row needs as many comma-separated cells as the header",
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    frame = frame.fillna("")
    blank = np.all(frame.to_numpy(dtype=str) == "", axis=1) if len(frame.columns) else []
    kept: pd.DataFrame = frame.loc[~np.asarray(blank, dtype=bool)].copy()
    kept.attrs["file"] = str(source)
    return kept


def locate(frame: pd.DataFrame, position: int) -> tuple[str | None, int | None, str]:
    """``(file, line, label)`` of the row at ``position`` for an error message."""
    file = frame.attrs.get("file")
    if file is not None:
        line = int(frame.index[position])
        return str(file), line, f"line {line}"
    return None, None, f"row {position + 1}"


def _match(frame: pd.DataFrame, name: str) -> str | None:
    wanted = name.strip().lower()
    for column in frame.columns:
        if str(column).strip().lower() == wanted:
            return str(column)
    return None


def require_columns(frame: pd.DataFrame, columns: Iterable[str], *, what: str) -> dict[str, str]:
    """Map each wanted column to the table's own (case-insensitive match); raise if absent.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"Subject": [1]}), ["subject"], what="repeatability")
    {'subject': 'Subject'}
    """
    found: dict[str, str] = {}
    missing: list[str] = []
    for name in columns:
        actual = _match(frame, name)
        if actual is None:
            missing.append(name)
        else:
            found[name] = actual
    if missing:
        present = ", ".join(map(str, frame.columns)) or "none"
        raise TableError(
            f"missing column{'s' if len(missing) > 1 else ''} for {what}: {', '.join(missing)}",
            file=frame.attrs.get("file"),
            field=missing[0],
            hint=f"the table has: {present}; add the column or name it with an option",
        )
    return found


def numeric_column(
    frame: pd.DataFrame, column: str, *, allow_missing: bool = True
) -> NDArray[np.float64]:
    """The column as float64; empty cells (and NA/NaN) are NaN when ``allow_missing``.

    Raises
    ------
    TableError
        A cell that is not a number (row and column named), or a missing one when not allowed.
    """
    raw = frame[column]
    values = np.empty(len(raw), dtype=np.float64)
    for pos, cell in enumerate(raw.tolist()):
        text = "" if cell is None else str(cell).strip()
        if isinstance(cell, float) and np.isnan(cell):
            text = ""
        if text.lower() in ("", "na", "nan", "n/a", "null", "none"):
            if not allow_missing:
                file, line, label = locate(frame, pos)
                raise TableError(
                    f"{label}: empty value",
                    file=file,
                    line=line,
                    field=column,
                    hint="fill in the value or remove the row",
                )
            values[pos] = np.nan
            continue
        try:
            number = float(text)
        except ValueError:
            file, line, label = locate(frame, pos)
            raise TableError(
                f"{label}: {text!r} is not a number",
                file=file,
                line=line,
                field=column,
                hint="write a plain number (decimal point, no units)",
            ) from None
        if not np.isfinite(number):
            file, line, label = locate(frame, pos)
            raise TableError(
                f"{label}: {text!r} is not a finite number", file=file, line=line, field=column
            )
        values[pos] = number
    return values


def text_column(frame: pd.DataFrame, column: str) -> list[str]:
    """The column as stripped text; an empty cell raises (an id is required)."""
    out: list[str] = []
    for pos, cell in enumerate(frame[column].tolist()):
        text = "" if cell is None else str(cell).strip()
        if isinstance(cell, float) and np.isnan(cell):
            text = ""
        if text == "":
            file, line, label = locate(frame, pos)
            raise TableError(
                f"{label}: empty value", file=file, line=line, field=column, hint="fill it in"
            )
        out.append(text)
    return out


def bool_column(
    frame: pd.DataFrame, column: str, *, positive: Sequence[str] = ()
) -> NDArray[np.float64]:
    """A binary column as 0.0/1.0 (NaN when empty).

    Accepts 0/1, true/false, yes/no; with ``positive`` (e.g. ``("CR", "PR")``) any listed
    label is 1 and any other non-empty label is 0.
    """
    wanted = {p.strip().lower() for p in positive}
    values = np.empty(len(frame), dtype=np.float64)
    for pos, cell in enumerate(frame[column].tolist()):
        text = "" if cell is None else str(cell).strip().lower()
        if isinstance(cell, float) and np.isnan(cell):
            text = ""
        if text in ("", "na", "nan", "null", "none"):
            values[pos] = np.nan
        elif wanted:
            values[pos] = 1.0 if text in wanted else 0.0
        elif text in _TRUE:
            values[pos] = 1.0
        elif text in _FALSE:
            values[pos] = 0.0
        else:
            file, line, label = locate(frame, pos)
            raise TableError(
                f"{label}: {text!r} is not a yes/no value",
                file=file,
                line=line,
                field=column,
                hint="write 0/1 or true/false, or name the positive labels (e.g. CR,PR)",
            )
    return values
