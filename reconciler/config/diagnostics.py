"""Diagnostics: one problem found in the configuration, with where to look.

The text form is what editors and CI log parsers understand::

    path/to/file.yaml:LINE:COL: error: spec.dataFields[2].name: <message>

The GitHub form is a workflow command that annotates the line on the pull request's diff::

    ::error file=path/to/file.yaml,line=LINE,col=COL::spec.dataFields[2].name: <message>
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
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

    def github_annotation(self, workspace: str | None = None) -> str:
        """The ``::error``/``::warning`` workflow command for this problem.

        The file is made relative to ``workspace`` (``$GITHUB_WORKSPACE``, the checkout) when
        it lies inside it, as the runner itself does for an absolute path (actions/runner,
        ``IssueCommandExtension`` in src/Runner.Worker/ActionCommandManager.cs), so the
        annotation finds its file from any working directory.
        """
        file = self.file
        if workspace:
            absolute, root = Path(os.path.abspath(self.file)), Path(os.path.abspath(workspace))
            if absolute.is_relative_to(root):
                file = absolute.relative_to(root).as_posix()
        properties = f"file={_escape_property(file)},line={self.line},col={self.column}"
        return f"::{self.severity} {properties}::{_escape_data(f'{self.path}: {self.message}')}"


def workflow_command(severity: Severity, text: str) -> str:
    """An ``::error``/``::warning`` without a file: for a problem that has no line to point at
    (an object no config declares any more)."""
    return f"::{severity}::{_escape_data(text)}"


# Escaping of workflow commands as @actions/core writes them (actions/toolkit,
# packages/core/src/command.ts: escapeData, escapeProperty).
def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted and without exact duplicates (two schema errors can name one missing key)."""
    return sorted(set(diagnostics))


def count(diagnostics: Iterable[Diagnostic], severity: Severity) -> int:
    return sum(1 for d in diagnostics if d.severity == severity)
