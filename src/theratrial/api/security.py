"""Password hashes, random secrets and their digests (no hand-written cryptography).

Passwords are hashed with argon2id (RFC 9106) through the maintained ``pwdlib`` library.
The time cost comes from ``THERATRIAL_ARGON2_TIME_COST`` (default 3, the library's; tests
set 1) and the memory cost from ``THERATRIAL_ARGON2_MEMORY_KIB`` (default 65536 KiB, the
RFC 9106 "second recommended option"); both are written into every hash, so a hash made
with one cost verifies under any other.

Session cookies and API tokens are random secrets (:func:`secrets.token_urlsafe`, 256 bits)
stored only as their SHA-256 digest: a stolen database holds no usable credential, and a
256-bit random secret needs no salt or slow hash.

Examples
--------
>>> digest("abc")
'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
>>> len(new_secret()) >= 43
True
"""

from __future__ import annotations

import hashlib
import os
import secrets
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher

from theratrial.errors import ParameterError

__all__ = [
    "MEMORY_COST_ENV",
    "TIME_COST_ENV",
    "digest",
    "hash_password",
    "new_secret",
    "verify_password",
]

TIME_COST_ENV = "THERATRIAL_ARGON2_TIME_COST"
"""Environment variable: argon2id time cost (iterations); default 3."""
MEMORY_COST_ENV = "THERATRIAL_ARGON2_MEMORY_KIB"
"""Environment variable: argon2id memory cost in KiB; default 65536 (64 MiB)."""

_DEFAULT_TIME_COST = 3
_DEFAULT_MEMORY_KIB = 65536


def _env_int(name: str, default: int, *, minimum: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ParameterError(
            f"{raw!r} is not a valid argon2 cost",
            field=name,
            hint=f"set an integer of at least {minimum}, or unset it for the default",
        )
    return value


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHash:
    return PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib),))


def _current() -> PasswordHash:
    return _hasher(
        _env_int(TIME_COST_ENV, _DEFAULT_TIME_COST, minimum=1),
        _env_int(MEMORY_COST_ENV, _DEFAULT_MEMORY_KIB, minimum=64),
    )


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (PHC string format, salt and costs included).

    Examples
    --------
    >>> h = hash_password("correct horse battery")
    >>> h.startswith("$argon2id$")
    True
    """
    return _current().hash(password)


def verify_password(password: str, hashed: str) -> bool:
    """Whether ``password`` matches the argon2id hash ``hashed`` (False for a malformed hash).

    Examples
    --------
    >>> h = hash_password("correct horse battery")
    >>> verify_password("correct horse battery", h), verify_password("wrong", h)
    (True, False)
    """
    try:
        return bool(_current().verify(password, hashed))
    except UnknownHashError:
        return False


def new_secret() -> str:
    """A fresh random secret: 32 bytes (256 bits) from :mod:`secrets`, URL-safe base64."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 (hex) of ``secret``: how session secrets and API tokens are stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
