"""The one rule for pseudonymous patient identifiers, used everywhere an id comes in.

A theratrial patient id is a study pseudonym, never a name or a hospital number. The same
text is written into DICOM (0010,0020) Patient ID, stored as the patient's key in the
database, and used as a file or folder name (a virtual patient's folder, a figure's
prefix). One rule therefore serves all three:

- 1 to 64 characters: the maximum length of the DICOM LO value representation of
  (0010,0020) Patient ID (DICOM PS3.5 section 6.2, "LO: 64 chars maximum") and the width
  of the store's ``patients.pseudonym`` column;
- ASCII letters ``A-Z a-z``, digits ``0-9`` and the three marks ``-``, ``_`` and ``.``
  only: no space (a name), no ``^`` (the DICOM PN component separator of a name), no
  ``\\`` (the DICOM value separator), no ``/`` (a path separator), no control character
  and no non-ASCII letter (which DICOM's default character repertoire cannot hold);
- the first character is a letter or a digit, so an id is never ``.``, ``..`` or a
  hidden file name (``.x``) and never reads as a command-line option (``-x``).

An id that breaks the rule is refused with a :class:`~theratrial.errors.ParameterError`
(an :class:`~theratrial.errors.InputError`) that names the field and the fix; the message
gives the id's length and the position of the first character at fault, never the id
itself (which may be a name).

Examples
--------
>>> check_pseudonym("SITE-01_P.007")
'SITE-01_P.007'
>>> is_pseudonym("../../etc/passwd"), is_pseudonym("Jöhn"), is_pseudonym("VP-000001")
(False, False, True)
"""

from __future__ import annotations

import re
from pathlib import Path

from theratrial.errors import ParameterError

__all__ = ["MAX_PSEUDONYM_LENGTH", "PSEUDONYM_HINT", "check_pseudonym", "is_pseudonym"]

MAX_PSEUDONYM_LENGTH = 64
"""Longest id: the 64 characters of the DICOM LO value representation."""

PSEUDONYM_HINT = (
    "use a study pseudonym such as VP-000001: 1-64 ASCII letters, digits, '-', '_' or '.', "
    "starting with a letter or digit; never a name or hospital number"
)
"""What a user should do about an id that breaks the rule."""

_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_ALLOWED = _FIRST | frozenset("-_.")
_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def is_pseudonym(text: object) -> bool:
    """Whether ``text`` is a valid pseudonymous patient id (see the module's rule).

    Examples
    --------
    >>> [is_pseudonym(t) for t in ("P-001", "P 001", ".hidden", "a/b", "x" * 65, "")]
    [True, False, False, False, False, False]
    """
    return isinstance(text, str) and _RULE.fullmatch(text) is not None


def check_pseudonym(
    text: object, *, field: str = "patient_id", file: str | Path | None = None
) -> str:
    """Return ``text`` if it is a valid pseudonymous patient id, else raise.

    Parameters
    ----------
    text
        The id as given.
    field
        What to name in the error: a record field (``patient_id``) or an option
        (``--patient``).
    file
        The file the id was read from, when there is one.

    Returns
    -------
    str
        ``text``, unchanged.

    Raises
    ------
    ParameterError
        Naming ``field`` (and ``file``) with :data:`PSEUDONYM_HINT`; the message gives
        the length and the first offending position, never the id.

    Examples
    --------
    >>> check_pseudonym("TRIAL-07_0012", field="--patient")
    'TRIAL-07_0012'
    >>> check_pseudonym("John Smith", field="--patient")
    Traceback (most recent call last):
    ...
    theratrial.errors.ParameterError: field '--patient': not a pseudonymous patient id: ...
    """
    if isinstance(text, str) and _RULE.fullmatch(text) is not None:
        return text
    raise ParameterError(
        f"not a pseudonymous patient id: {_problem(text)}",
        field=field,
        file=file,
        hint=PSEUDONYM_HINT,
    )


def _problem(text: object) -> str:
    """What is wrong, without repeating the id."""
    if not isinstance(text, str):
        return f"got {type(text).__name__}, not text"
    if not text:
        return "got an empty id"
    if len(text) > MAX_PSEUDONYM_LENGTH:
        return f"got {len(text)} characters"
    if text[0] not in _FIRST:
        return "the first character is not a letter or digit"
    position = next(i for i, ch in enumerate(text, start=1) if ch not in _ALLOWED)
    bad = text[position - 1]
    kind = "a space" if bad.isspace() else "not allowed"
    return f"character {position} of {len(text)} is {kind}"
