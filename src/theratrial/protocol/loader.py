"""Reading protocol files: YAML in, a validated :class:`Protocol` out.

A malformed file raises :class:`~theratrial.errors.ProtocolError` naming the file, the line
and the dotted path of the field at fault.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from theratrial.errors import ProtocolError
from theratrial.protocol.schema import Protocol

__all__ = ["bundled_protocols", "find_protocol", "load_protocol", "parse_protocol"]


def load_protocol(path: str | Path) -> Protocol:
    """Read and validate a protocol YAML file.

    Raises
    ------
    ProtocolError
        With ``file``, ``line`` and ``field`` set, when the YAML or the schema is violated.
    FileNotFoundError
        When ``path`` does not exist.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProtocolError(
            f"not a UTF-8 text file (byte {exc.start} cannot be decoded)",
            file=path,
            hint="save the protocol as UTF-8 YAML",
        ) from exc
    return parse_protocol(text, source=str(path))


def parse_protocol(text: str, *, source: str = "<protocol>") -> Protocol:
    """Validate protocol YAML ``text``; ``source`` names it in error messages.

    Examples
    --------
    >>> parse_protocol("schema_version: 1\\nid: X\\n", source="x.yaml")
    Traceback (most recent call last):
    ...
    theratrial.errors.ProtocolError: x.yaml:1: field 'registry_ids': Field required ...
    """
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: an impossible date value
        mark = getattr(exc, "problem_mark", None)
        raise ProtocolError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
            file=source,
            line=mark.line + 1 if mark is not None else None,
            hint="check indentation and quoting on that line",
        ) from exc
    if not isinstance(data, dict):
        raise ProtocolError("a protocol file must be a YAML mapping", file=source, line=1)
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        # the node tree (with line marks) is only needed to report an error
        tree = yaml.compose(text, Loader=yaml.SafeLoader)
        line, path = _locate(tree, loc)
        if len(loc) <= 1:  # a whole-protocol or whole-section check: find the item it names
            named = _locate_named(tree, str(first["msg"]))
            if named is not None:
                line, path = named
        raise ProtocolError(
            f"{first['msg']} (input: {_short(first.get('input'))})",
            file=source,
            line=line,
            field=path or None,
            hint=_hint(first["type"]),
        ) from exc


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _hint(error_type: str) -> str:
    hints = {
        "missing": "add the field; see the bundled trials for an example",
        "extra_forbidden": "remove the field or correct its spelling",
        "literal_error": "use one of the allowed values listed in the message",
        "union_tag_invalid": "set 'rule' to one of the rule kinds in theratrial.protocol.rules",
    }
    return hints.get(error_type, "correct the value to match the protocol schema")


def _locate_named(tree: yaml.Node | None, message: str) -> tuple[int, str] | None:
    r"""The line and path of the last item whose ``id`` the message quotes.

    For a repeated id this is the repeat; for a dose level or cohort, that item.

    Examples
    --------
    >>> tree = yaml.compose("criteria:\n  - id: A\n  - id: B\n  - id: A\n")
    >>> _locate_named(tree, "criterion ids must be unique, repeated: ['A']")
    (4, 'criteria[2]')
    """
    names = set(re.findall(r"'([^']+)'", message))
    if tree is None or not names:
        return None
    found: list[tuple[int, str]] = []

    def walk(node: yaml.Node, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if (
                    key.value == "id"
                    and isinstance(value, yaml.ScalarNode)
                    and value.value in names
                ):
                    found.append((value.start_mark.line + 1, path or "id"))
                walk(value, f"{path}.{key.value}" if path else str(key.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{path}[{i}]")

    walk(tree, "")
    return found[-1] if found else None


def _locate(node: yaml.Node | None, loc: tuple[Any, ...]) -> tuple[int | None, str]:
    """Follow a pydantic error location through the YAML node tree.

    Location parts that are not keys (the tags of tagged unions) are skipped. Returns the
    1-based line of the deepest node reached and the dotted path of the real keys.
    """
    line = node.start_mark.line + 1 if node is not None else None
    parts: list[str] = []
    tagged: yaml.Node | None = None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            if node is not tagged and _is_union_tag(node, key):
                tagged = node  # 'lab' and 'condition' are rule kinds and field names alike
                continue
            child = next((v for k, v in node.value if k.value == key), None)
            if child is None:
                # a missing field (named) or a union tag (skipped): keep the parent's line
                if isinstance(key, str) and not _is_tag(key):
                    parts.append(key)
                continue
            node = child
            parts.append(str(key))
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                break
            node = node.value[key]
            parts[-1:] = [f"{parts[-1]}[{key}]"] if parts else [f"[{key}]"]
        else:
            continue
        line = node.start_mark.line + 1
    return line, ".".join(parts)


_TAGS = {
    "compare",
    "lab",
    "therapy",
    "condition",
    "event",
    "lesion",
    "imaging",
    "attestation",
    "all_of",
    "any_of",
    "if",
}


def _is_tag(key: str) -> bool:
    return key in _TAGS or key.startswith(("function-", "list[", "union["))


def _is_union_tag(node: yaml.MappingNode, key: Any) -> bool:
    """True when ``key`` is the rule-kind tag of the rule mapping ``node``, not a field."""
    if not isinstance(key, str) or key not in _TAGS:
        return False
    return any(k.value == "rule" and getattr(v, "value", None) == key for k, v in node.value)


def bundled_protocols() -> list[Protocol]:
    """The seed trials shipped with theratrial, sorted by id."""
    return list(_bundled())


@cache
def _bundled() -> tuple[Protocol, ...]:
    """Read once per process: protocols are frozen, and parsing the YAML takes ~0.2 s."""
    folder = resources.files("theratrial.protocol") / "trials"
    protocols = []
    for entry in folder.iterdir():
        if entry.name.endswith((".yaml", ".yml")):
            protocols.append(parse_protocol(entry.read_text(encoding="utf-8"), source=entry.name))
    return tuple(sorted(protocols, key=lambda p: p.id))


def find_protocol(trial: str) -> Protocol:
    """A bundled protocol by its id or any registry id (case-insensitive), or a file path.

    Raises
    ------
    ProtocolError
        When no bundled trial matches and ``trial`` is not a readable file.
    """
    wanted = trial.strip().lower()
    for protocol in bundled_protocols():
        if wanted in {protocol.id.lower(), *(r.lower() for r in protocol.registry_ids)}:
            return protocol
    path = Path(trial)
    if path.suffix in {".yaml", ".yml"} and path.is_file():
        return load_protocol(path)
    known = ", ".join(p.id for p in bundled_protocols())
    raise ProtocolError(
        f"no trial {trial!r}", field="trial", hint=f"use one of {known} or a protocol YAML file"
    )
