"""The exception tree: one root, context on every error, one-line messages."""

from __future__ import annotations

import inspect

import pytest

from theratrial import errors
from theratrial.errors import InputError, TheratrialError


@pytest.mark.parametrize("name", errors.__all__)
def test_every_exception_derives_from_the_root(name: str) -> None:
    cls = getattr(errors, name)
    assert inspect.isclass(cls)
    assert issubclass(cls, TheratrialError)
    assert issubclass(cls, Exception)
    assert cls.__doc__, f"{name} needs a docstring"


def test_export_list_is_every_exception_defined() -> None:
    defined = {
        name
        for name, obj in vars(errors).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == errors.__name__
    }
    assert set(errors.__all__) == defined
    assert errors.__all__ == sorted(errors.__all__)


@pytest.mark.parametrize(
    ("name", "parent"),
    [
        ("ProtocolError", "InputError"), ("PatientRecordError", "InputError"),
        ("UnitError", "InputError"), ("TableError", "InputError"), ("DicomError", "InputError"),
        ("DicomHeaderError", "DicomError"), ("SeriesGeometryError", "DicomError"),
        ("MaskError", "DicomError"), ("ParameterError", "InputError"),
        ("InputError", "TheratrialError"), ("NuclideError", "TheratrialError"),
        ("ComputationError", "TheratrialError"), ("StoreError", "TheratrialError"),
    ],
)  # fmt: skip
def test_the_tree_drawn_in_the_docstring(name: str, parent: str) -> None:
    assert getattr(errors, name).__bases__ == (getattr(errors, parent),)
    assert name in (errors.__doc__ or "")


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({}, "bad thing"),
        ({"file": "p.yaml"}, "p.yaml: bad thing"),
        ({"file": "p.yaml", "line": 12}, "p.yaml:12: bad thing"),
        ({"line": 3}, "line 3: bad thing"),
        ({"field": "labs[0].unit"}, "field 'labs[0].unit': bad thing"),
        ({"hint": "do this"}, "bad thing (fix: do this)"),
        (
            {"file": "p.yaml", "line": 12, "field": "labs[0].unit", "hint": "use mg/dL"},
            "p.yaml:12: field 'labs[0].unit': bad thing (fix: use mg/dL)",
        ),
    ],
)
def test_str_format(kwargs: dict[str, object], text: str) -> None:
    err = errors.UnitError("bad thing", **kwargs)  # type: ignore[arg-type]
    assert str(err) == text
    assert "\n" not in str(err)


def test_context_attributes() -> None:
    from pathlib import Path

    err = errors.ProtocolError("m", file=Path("dir") / "t.yaml", field="f", line=2, hint="h")
    assert (err.message, err.file, err.field, err.line, err.hint) == (
        "m", str(Path("dir") / "t.yaml"), "f", 2, "h",
    )  # fmt: skip
    assert err.args == ("m",)
    with pytest.raises(InputError):
        raise err
