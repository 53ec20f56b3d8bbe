"""Diagnostics: one problem found in the configuration, with where to look.

The text form is what editors and CI log parsers understand::

    path/to/file.yaml:LINE:COL: error: spec.dataFields[2].name: <message>
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

from reconciler.errors import Location

Severity = Literal["error", "warning"]

# A path inside one YAML document: mapping keys and sequence indexes.
YamlPath = tuple[str | int, ...]

ROOT_PATH = "(document)"
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def format_path(path: YamlPath) -> str:
    """``("spec", "dataFields", 2, "name")`` -> ``spec.dataFields[2].name``."""
    if not path:
        return ROOT_PATH
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            text += f".{part}" if text else part
        else:
            quoted = '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'
            text += f"[{quoted}]"
    return text


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem. Ordered by file, position, severity, path, message (the display order)."""

    file: str
    line: int
    column: int
    severity: Severity
    path: str
    message: str
    rule: str

    @property
    def location(self) -> Location:
        return Location(self.file, self.line, self.column)

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.path}: {self.message}"
        )

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted and without exact duplicates (two schema errors can name one missing key)."""
    return sorted(set(diagnostics))


def count(diagnostics: Iterable[Diagnostic], severity: Severity) -> int:
    return sum(1 for d in diagnostics if d.severity == severity)
