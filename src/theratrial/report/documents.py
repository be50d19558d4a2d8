"""The documents a trial files, as data: sections of text, tables and figures, with provenance.

Every report (:mod:`theratrial.report.cycle_report`, :mod:`theratrial.report.trial_reports`,
:mod:`theratrial.report.analysis_reports`) builds one :class:`Document` and renders it with
:func:`render_html` (Jinja2) or writes it with :func:`write_report` (``.html``, or ``.pdf``
through WeasyPrint). Each document states what ICH E6(R3) section 4.2 and 21 CFR Part 11
(§11.50) ask of a filed record: the software and its version, the protocol version (the
SHA-256 of its content as stored), the data it was made from (ids and SHA-256 hashes) and
its signatures with their meaning and time; a document that should be signed and is not
says so in a banner on its first page.

Examples
--------
>>> doc = Document("response", "RECIST 1.1 response", sections=(
...     Section("Best overall response", tables=(Table(("patient", "BOR"), (("P1", "PR"),)),)),))
>>> html = render_html(doc)
>>> "RECIST 1.1 response" in html and "theratrial 0.1.0" in html
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from theratrial import __version__
from theratrial.report._render import output_bytes, render_template, write_output

__all__ = [
    "Document",
    "Figure",
    "Input",
    "Section",
    "SignatureLine",
    "Table",
    "file_input",
    "folder_input",
    "json_sha256",
    "render_html",
    "report_bytes",
    "write_report",
]


@dataclass(frozen=True, slots=True)
class Table:
    """A table: column headers (with units) and rows of text as shown."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


@dataclass(frozen=True, slots=True)
class Figure:
    """A figure embedded as a data URI, with its caption."""

    uri: str
    caption: str


@dataclass(frozen=True, slots=True)
class Section:
    """A titled section: paragraphs, then tables, then figures."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    figures: tuple[Figure, ...] = ()


@dataclass(frozen=True, slots=True)
class Input:
    """A piece of data the report was made from: what it is, its id and its SHA-256."""

    kind: str
    identifier: str
    sha256: str


@dataclass(frozen=True, slots=True)
class SignatureLine:
    """A signature as filed: who, in which role, its meaning, when (UTC), and if still valid."""

    username: str
    role: str
    meaning: str
    signed_at: dt.datetime
    content_sha256: str
    valid: bool

    @property
    def signed_at_utc(self) -> str:
        """The signing time in UTC as shown (a naive time is taken as UTC, as stored)."""
        when = self.signed_at
        when = when.astimezone(dt.UTC) if when.tzinfo else when.replace(tzinfo=dt.UTC)
        return when.strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True, slots=True)
class Document:
    """One report: kind, title, sections and the provenance every filed document states.

    ``banner`` is printed in red at the top of page 1 (e.g. ``NOT SIGNED``).
    ``signatures_expected`` makes an empty signature list read "NOT SIGNED" in the
    signatures block; otherwise it reads "no signature required".
    """

    kind: str
    title: str
    subtitle: str = ""
    sections: tuple[Section, ...] = ()
    protocol: str | None = None
    protocol_sha256: str | None = None
    inputs: tuple[Input, ...] = ()
    signatures: tuple[SignatureLine, ...] = ()
    signatures_expected: bool = False
    banner: str | None = None
    methods: tuple[str, ...] = ()
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def json_sha256(content: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``content`` (sorted keys, dates as ISO text).

    >>> json_sha256({"b": 1, "a": 2}) == json_sha256({"a": 2, "b": 1})
    True
    """
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_input(path: str | Path, *, kind: str) -> Input:
    """A file the report was read from: its name and the SHA-256 of its bytes."""
    target = Path(path)
    return Input(kind, str(target), hashlib.sha256(target.read_bytes()).hexdigest())


def folder_input(path: str | Path, *, kind: str) -> Input:
    """A folder the report was read from: its name and one SHA-256 over its files.

    The digest runs over each regular file's relative path and bytes, in sorted order, so
    it changes when any file is added, removed, renamed or edited.
    """
    root = Path(path)
    digest = hashlib.sha256()
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for item in files:
        digest.update(item.relative_to(root).as_posix().encode("utf-8") + b"\0")
        with item.open("rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
    return Input(kind, str(root), digest.hexdigest())


def render_html(document: Document) -> str:
    """The document as one self-contained HTML page (stylesheet and figures inlined)."""
    return render_template({"doc": document, "software": f"theratrial {__version__}"})


def report_bytes(document: Document, *, fmt_name: str) -> bytes:
    """The document as ``pdf`` or ``html`` bytes (what :func:`write_report` would write).

    Raises
    ------
    ParameterError
        A format other than ``pdf`` or ``html``.
    """
    return output_bytes(render_html(document), fmt_name)


def write_report(document: Document, path: str | Path, *, field: str = "--out") -> Path:
    """Write the document to ``path``: ``.html`` as is, ``.pdf`` laid out by WeasyPrint.

    Nothing is written when rendering fails (the file appears complete or not at all).

    Raises
    ------
    ParameterError
        An unknown suffix, or a folder that does not exist (named with ``field``).
    """
    return write_output(render_html(document), path, field=field)
