"""Where a report writes: an output file goes into a folder that already exists (private).

A figure or table is written into a folder the caller chose; a missing folder is most
often a typing error, so it is refused with the path and the fix instead of being created
(the same rule as the CLI's ``output_file``).

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     output_path(Path(tmp) / "figure.png").name
'figure.png'
>>> output_path("/no/such/folder/figure.png")
Traceback (most recent call last):
...
theratrial.errors.ParameterError: /no/such/folder/figure.png: field 'path': the folder ...
"""

from __future__ import annotations

from pathlib import Path

from theratrial.errors import ParameterError

__all__ = ["output_path"]


def output_path(path: str | Path, *, field: str = "path") -> Path:
    """``path`` as a :class:`~pathlib.Path` if a file can be written there, else raise.

    Parameters
    ----------
    path
        The file to write.
    field
        The argument to name in the error.

    Raises
    ------
    ParameterError
        When ``path`` is a folder, or its folder does not exist (it is never created).
    """
    target = Path(path)
    if target.is_dir():
        raise ParameterError("is a folder, a file name was expected", file=target, field=field)
    if not target.parent.is_dir():
        raise ParameterError(
            f"the folder {target.parent} does not exist",
            file=target,
            field=field,
            hint="create the folder first, or write into an existing one",
        )
    return target
