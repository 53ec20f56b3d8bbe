"""A small, deterministic YAML emitter for the documents ``reconciler import`` writes.

It writes the shape the examples have, which PyYAML's dumper does not: block mappings in the
order given (the envelope first, then the spec as docs/configuration.md lists it), the items of
a list as one flow mapping per line (``- {name: POINTS, type: Numeric}``), lists of scalars in
flow style (``[amer, emea]``), secret references inline (``{env: NAME}``), and a
``yaml-language-server`` modeline heading every document (docs/editors.md).

A string is written plain only when it is made of safe characters and PyYAML reads it back as
that same string (so ``No``, ``10``, ``2020-01-01`` and ``null`` are quoted); any other is
written double-quoted with YAML's escapes. The project's loader reads the output back to the
same values (tests/estate/test_emit.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

INDENT = "  "
_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_ ./@+\\-]*")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


@dataclass(frozen=True)
class Flow:
    """A mapping written inline: ``{name: POINTS, type: Numeric}``."""

    items: Mapping[str, Any]


@dataclass(frozen=True)
class Document:
    """One YAML document: its schema's file name (for the modeline), comment lines, and its
    body."""

    schema: str
    body: Mapping[str, Any]
    comments: tuple[str, ...] = field(default=())


def emit(documents: Sequence[Document], schemas: str = "") -> str:
    """The text of a file holding ``documents``, each headed by its modeline; ``schemas`` is
    the schemas' directory relative to the file (``../schemas/``)."""
    parts: list[str] = []
    for n, document in enumerate(documents):
        modeline = f"# yaml-language-server: $schema={schemas}{document.schema}"
        lines = [modeline if n == 0 else f"--- {modeline}"]
        lines += [f"# {c}" if c else "#" for c in document.comments]
        lines += _block(document.body, 0)
        parts.append("\n".join(lines) + "\n")
    return "".join(parts)


def _block(mapping: Mapping[str, Any], depth: int) -> list[str]:
    pad = INDENT * depth
    lines: list[str] = []
    for key, value in mapping.items():
        head = f"{pad}{scalar(key)}:"
        if isinstance(value, Mapping) and value:
            lines.append(head)
            lines += _block(value, depth + 1)
        elif isinstance(value, list) and value and not all(_is_scalar(v) for v in value):
            lines.append(head)
            for item in value:
                if not isinstance(item, Flow):
                    raise TypeError(f"{key}: a list item must be a Flow mapping or a scalar")
                lines.append(f"{pad}{INDENT}- {_flow(item)}")
        else:
            lines.append(f"{head} {_flow(value)}")
    return lines


def _flow(value: Any) -> str:
    if isinstance(value, Flow):
        value = value.items
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{scalar(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return scalar(value)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | str)


def scalar(value: Any) -> str:
    """A scalar as YAML text the project's loader reads back as ``value``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"cannot write {type(value).__name__} {value!r} as a YAML scalar")
    if _PLAIN.fullmatch(value) and not value.endswith(" ") and yaml.safe_load(value) == value:
        return value
    return '"' + "".join(_escaped(ch) for ch in value) + '"'


def _escaped(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if ch.isprintable():
        return ch
    code = ord(ch)
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
