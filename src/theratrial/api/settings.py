"""Server settings: the database, limits and origins, read once when the app is created.

Every value has a safe default: the CLI's database, a 1 MiB request body limit, no
cross-origin access (CORS closed), cookies marked ``Secure`` whenever the request came over
HTTPS. Environment variables override the defaults (``THERATRIAL_DATABASE_URL``,
``THERATRIAL_MAX_BODY_BYTES``, ``THERATRIAL_CORS_ORIGINS`` as a comma-separated list,
``THERATRIAL_DASK_SCHEDULER``, ``THERATRIAL_ARCHIVE_DIR``, ``THERATRIAL_MAX_UPLOAD_BYTES``);
explicit arguments override both. Only the study upload routes (``POST /api/v1/studies`` and
``POST /api/v1/studies/{id}/segmentations``) accept bodies up to the upload limit (2 GiB).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from theratrial.errors import ParameterError

__all__ = ["DEFAULT_MAX_BODY_BYTES", "Settings"]

DEFAULT_MAX_BODY_BYTES = 1_048_576
"""Largest request body accepted (1 MiB); a larger one is refused with 413."""

_DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024**3
"""Largest study upload accepted (2 GiB), on the upload routes only."""


@dataclass(frozen=True, slots=True)
class Settings:
    """How one server runs.

    Parameters
    ----------
    database_url
        SQLAlchemy URL of the store (None: ``THERATRIAL_DATABASE_URL`` or the SQLite default).
    max_body_bytes
        Largest request body accepted, in bytes.
    cors_origins
        Origins allowed to call the API from a browser; empty: CORS closed.
    scheduler
        Address of an existing Dask scheduler (``tcp://host:port``) for jobs; None: an
        in-process LocalCluster.
    force_secure_cookies
        Mark the session cookie ``Secure`` even over plain HTTP (behind a TLS proxy).
    archive_dir
        Folder of the image archive (uploaded studies); None: ``archive/`` beside the
        SQLite store file, else in the working directory.
    max_upload_bytes
        Largest body of a study upload (a zip of DICOM) or a saved label map, in bytes;
        the zip may unpack to at most four times this.

    Examples
    --------
    >>> Settings(max_body_bytes=2048).max_body_bytes
    2048
    >>> Settings().cors_origins
    ()
    """

    database_url: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    scheduler: str | None = None
    force_secure_cookies: bool = False
    archive_dir: str | None = None
    max_upload_bytes: int = _DEFAULT_MAX_UPLOAD_BYTES

    def __post_init__(self) -> None:
        if self.max_upload_bytes < self.max_body_bytes:
            raise ParameterError(
                f"the upload limit ({self.max_upload_bytes} bytes) is below the body limit",
                field="max_upload_bytes",
                hint="give an upload limit in bytes, e.g. 2147483648",
            )
        if self.max_body_bytes < 1024:
            raise ParameterError(
                f"the request body limit must be at least 1024 bytes, got {self.max_body_bytes}",
                field="max_body_bytes",
                hint="give a limit in bytes, e.g. 1048576",
            )

    @classmethod
    def from_env(cls, *, database_url: str | None = None, scheduler: str | None = None) -> Settings:
        """Settings from the environment, explicit arguments taking precedence.

        Raises
        ------
        ParameterError
            When ``THERATRIAL_MAX_BODY_BYTES`` is not a whole number of bytes.
        """
        limit = _bytes_from_env("THERATRIAL_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)
        upload = _bytes_from_env("THERATRIAL_MAX_UPLOAD_BYTES", _DEFAULT_MAX_UPLOAD_BYTES)
        origins = tuple(
            o.strip() for o in os.environ.get("THERATRIAL_CORS_ORIGINS", "").split(",") if o.strip()
        )
        return cls(
            database_url=database_url,
            max_body_bytes=limit,
            cors_origins=origins,
            scheduler=scheduler or os.environ.get("THERATRIAL_DASK_SCHEDULER") or None,
            archive_dir=os.environ.get("THERATRIAL_ARCHIVE_DIR") or None,
            max_upload_bytes=max(upload, limit),
        )


def _bytes_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ParameterError(
            f"{name}={raw!r} is not a whole number",
            field=name,
            hint="give the limit in bytes, e.g. 1048576",
        ) from None
