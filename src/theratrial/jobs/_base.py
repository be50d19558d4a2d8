"""What every job kind is made of: its parameters, its outcome, JSON-ready values (private)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from theratrial.errors import ParameterError

__all__ = ["JobKind", "Outcome", "Params", "ProgressReport", "defaults", "jsonable"]


class ProgressReport(Protocol):
    """``report(fraction, step)``; ``callback(step, start, stop)`` for science functions."""

    def __call__(self, fraction: float, step: str, *, force: bool = False) -> None: ...

    def callback(self, step: str, start: float, stop: float) -> Callable[[int, int], None]: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a job's work gives back, before anything is stored.

    ``result`` is the JSON stored with the job; ``store`` (if any) writes the job's rows in
    the final transaction and returns more result fields (ids of stored rows); ``undo``
    (if any) removes files the work made when that transaction does not commit.
    """

    result: Mapping[str, Any]
    store: Callable[[Session], Mapping[str, Any]] | None = None
    undo: Callable[[], None] | None = None


@dataclass(frozen=True, slots=True)
class JobKind:
    """A kind of job: ``parse`` checks its parameters (at submission), ``run`` does it."""

    name: str
    parse: Callable[[Mapping[str, Any]], Any]
    run: Callable[..., Outcome]


def defaults(cls: type) -> dict[str, Any]:
    """The default value of each field of a dataclass (slots classes hide them)."""
    return {f.name: f.default for f in fields(cls)}


def jsonable(value: Any) -> Any:
    """``value`` as JSON: dataclasses as objects, dates ISO 8601, non-finite numbers null.

    Examples
    --------
    >>> jsonable({"t": (1.5, float("nan")), "p": Path("a")})
    {'t': [1.5, None], 'p': 'a'}
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Path, Enum)):
        return str(value.value if isinstance(value, Enum) else value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return jsonable(value.item())
    if hasattr(value, "tolist"):  # numpy array
        return jsonable(value.tolist())
    return str(value)


class Params:
    """Typed reading of a job's ``params`` object; every error names ``params.FIELD``.

    Examples
    --------
    >>> p = Params({"n": 3}, kind="virtual_cohort")
    >>> p.integer("n", 1, low=1)
    3
    >>> p.finish()
    """

    def __init__(self, params: Mapping[str, Any], *, kind: str) -> None:
        if not isinstance(params, Mapping):
            raise ParameterError(
                f"the parameters of a {kind} job must be a JSON object",
                field="params",
                hint='e.g. {"truth": [0.05, 0.1, 0.25]}',
            )
        self._params = dict(params)
        self._kind = kind
        self._seen: set[str] = set()

    def _error(self, name: str, message: str, hint: str | None = None) -> ParameterError:
        return ParameterError(message, field=f"params.{name}", hint=hint)

    def raw(self, name: str, default: Any) -> Any:
        """The value as given (marked as known)."""
        self._seen.add(name)
        return self._params.get(name, default)

    def number(
        self, name: str, default: Any, *, positive: bool = False, optional: bool = False
    ) -> Any:
        """A finite number (``None`` allowed when ``optional``)."""
        value = self.raw(name, default)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._error(name, f"{value!r} is not a number", "give a number")
        if not math.isfinite(value) or (positive and value <= 0):
            raise self._error(name, f"{value!r} is not a {'positive ' if positive else ''}number")
        return float(value)

    def integer(self, name: str, default: Any, *, low: int | None = None) -> int:
        """A whole number, at least ``low``."""
        value = self.raw(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._error(name, f"{value!r} is not a whole number", "give a whole number")
        if low is not None and value < low:
            raise self._error(name, f"{value} is below {low}", f"give at least {low}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        """A JSON boolean."""
        value = self.raw(name, default)
        if not isinstance(value, bool):
            raise self._error(name, f"{value!r} is not true or false")
        return value

    def text(self, name: str, default: Any, *, optional: bool = False) -> Any:
        """A string (``None`` allowed when ``optional``)."""
        value = self.raw(name, default)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self._error(name, f"{value!r} is not a non-empty string")
        return value.strip()

    def numbers(self, name: str, default: Any, *, optional: bool = False) -> Any:
        """A list of numbers, given as a JSON list or as the CLI's ``0.05,0.1,0.25``."""
        value = self.raw(name, default)
        if value is None and optional:
            return None
        if isinstance(value, str):
            try:
                value = [float(v) for v in value.split(",") if v.strip()]
            except ValueError:
                value = None
        if (
            not isinstance(value, (list, tuple))
            or not value
            or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in value
            )
        ):
            raise self._error(name, f"{value!r} is not a list of numbers", "e.g. [0.05, 0.1]")
        return [float(v) for v in value]

    def folder(self, name: str, *, optional: bool = False, must_exist: bool = True) -> Any:
        """An absolute path (relative paths are resolved against the submitter's folder)."""
        value = self.text(name, None, optional=optional)
        if value is None:
            return None
        path = Path(value).expanduser().resolve()
        if must_exist and not path.exists():
            raise self._error(name, f"{path} does not exist", "give an existing folder or file")
        return path

    def finish(self) -> None:
        """Refuse parameters this kind does not know."""
        unknown = sorted(set(self._params) - self._seen)
        if unknown:
            raise self._error(
                unknown[0],
                f"a {self._kind} job has no parameter {unknown[0]!r}",
                f"known: {', '.join(sorted(self._seen))}",
            )
