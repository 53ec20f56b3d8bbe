"""Find the config files and parse them into documents that remember every node's position.

The YAML itself (nodes, scalars, positions, duplicate keys) is ``yamlnodes.py``'s; a document
keeps the positions of its shallow nodes and reads the rest again from its text when a
diagnostic asks for one (:data:`~reconciler.config.yamlnodes.EAGER_DEPTH`).
"""

from __future__ import annotations

import os
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from reconciler.config.diagnostics import Diagnostic, YamlPath, format_path
from reconciler.config.rules import rule
from reconciler.config.yamlnodes import Converter, Position, documents
from reconciler.errors import Location

SETTINGS_FILE = "reconciler.yaml"
API_VERSION = "reconciler/v1"
KINDS = ("DataFieldMapping", "Integration", "Owner")
SETTINGS_KIND = "Settings"  # the pseudo-kind of reconciler.yaml


def display_path(path: Path) -> str:
    """The path relative to the working directory when inside it, else absolute."""
    text = os.path.abspath(path)
    if os.sep == "/" and not text.startswith("//"):
        # What the pathlib lines below answer, without their objects (once per file). A
        # leading "//" is a root of its own to POSIX and pathlib: those go the long way.
        cwd = os.getcwd()
        if text == cwd:
            return "."
        inside = cwd if cwd.endswith("/") else cwd + "/"
        return text[len(inside) :] if text.startswith(inside) else text
    absolute = Path(text)
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


@dataclass(frozen=True)
class Document:
    """One YAML document, its plain data and the positions of its nodes."""

    file: str  # as shown in diagnostics
    source: Path
    index: int  # 0-based position of the document in its file
    data: object
    positions: dict[YamlPath, Position] = field(repr=False)
    key_positions: dict[YamlPath, Position] = field(repr=False)
    is_settings: bool = False  # the root reconciler.yaml
    # An environment's merged document (config/overlay.py): for each node that an overlay
    # supplied or that moved, its file and its path there.
    origins: dict[YamlPath, tuple[str, YamlPath]] = field(default_factory=dict, repr=False)
    # Its file's text while the positions are those of EAGER_DEPTH only; None once complete.
    text: str | None = field(default=None, repr=False, compare=False)

    @property
    def kind(self) -> str | None:
        if self.is_settings:
            return SETTINGS_KIND
        kind = self.data.get("kind") if isinstance(self.data, dict) else None
        return kind if isinstance(kind, str) else None

    @property
    def name(self) -> str | None:
        metadata = self.data.get("metadata") if isinstance(self.data, dict) else None
        name = metadata.get("name") if isinstance(metadata, dict) else None
        return name if isinstance(name, str) else None

    def position(self, path: YamlPath, *, key: bool = False) -> Position:
        """The position of the node at ``path`` (of its key with ``key``), else of its nearest
        ancestor that exists."""
        return self._where(path, key)[1]

    def all_positions(self) -> tuple[dict[YamlPath, Position], dict[YamlPath, Position]]:
        """Every node's position and every key's (completed from the text when partial)."""
        if self.text is not None:
            self._complete(self.text)
        return self.positions, self.key_positions

    def _complete(self, text: str) -> None:
        with closing(documents(text)) as roots:
            for index, node in enumerate(roots):
                if index == self.index:
                    converter = Converter(self.file, depth=None)
                    converter.convert(node, ())
                    self.positions.update(converter.positions)
                    self.key_positions.update(converter.key_positions)
                    break
        object.__setattr__(self, "text", None)  # frozen: the positions only ever grow

    def _where(self, path: YamlPath, key: bool) -> tuple[str, Position, YamlPath]:
        """The file, position and path there of the node at ``path`` (see :meth:`position`)."""
        if self.text is not None and path not in (self.key_positions if key else self.positions):
            self._complete(self.text)
        found = path
        if key and path in self.key_positions:
            position = self.key_positions[path]
        else:
            while found not in self.positions and found:
                found = found[:-1]
            position = self.positions.get(found, (1, 1))
        file, source = self.origins.get(found, (self.file, found))
        return file, position, (*source, *path[len(found) :])

    def location(self, path: YamlPath = (), *, key: bool = False) -> Location:
        file, (line, column), _ = self._where(path, key)
        return Location(file, line, column)

    def diagnostic(
        self, path: YamlPath, rule_id: str, message: str, *, key: bool = False
    ) -> Diagnostic:
        file, (line, column), shown = self._where(path, key)
        return Diagnostic(
            file=file,
            line=line,
            column=column,
            severity=rule(rule_id).severity,
            path=format_path(shown),
            message=message,
            rule=rule_id,
        )


def discover(path: Path) -> list[Path]:
    """Every config file: ``path`` itself, or ``reconciler.yaml`` and every ``*.yaml``/``*.yml``
    below the directory (hidden directories skipped), sorted."""
    if path.is_file():
        return [path]
    found: list[Path] = []
    for directory, subdirs, files in os.walk(path):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        found.extend(
            Path(directory) / name
            for name in files
            if name.endswith((".yaml", ".yml")) and not name.startswith(".")
        )
    return sorted(found, key=lambda p: p.relative_to(path).parts)


def parse_file(path: Path, *, settings: bool = False) -> tuple[list[Document], list[Diagnostic]]:
    """Parse every document of one file; a syntax error stops that file at the error.

    ``settings`` marks the root ``reconciler.yaml``, whose document is not a kind document.
    """
    file = display_path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else f"not UTF-8 ({exc.reason})"
        return [], [
            Diagnostic(file, 1, 1, "error", "(file)", f"cannot read: {reason}", "file.read")
        ]
    found: list[Document] = []
    diagnostics: list[Diagnostic] = []
    try:
        with closing(documents(text)) as roots:
            for index, node in enumerate(roots):
                converter = Converter(file)
                data = converter.convert(node, ())
                document = Document(
                    file,
                    path,
                    index,
                    data,
                    converter.positions,
                    converter.key_positions,
                    settings,
                    text=text,
                )
                for child, here, first in converter.duplicates:
                    diagnostics.append(
                        _at(
                            document,
                            here,
                            child,
                            "yaml.duplicate-key",
                            f'duplicate key "{child[-1]}" (first at line {first[0]}, '
                            f"column {first[1]})",
                        )
                    )
                if data is not None:
                    found.append(document)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.problem} ({exc.context})"
        diagnostics.append(
            Diagnostic(file, line, column, "error", "(file)", problem, "yaml.syntax")
        )
    except yaml.YAMLError as exc:  # reader errors (control characters) carry no mark
        diagnostics.append(Diagnostic(file, 1, 1, "error", "(file)", str(exc), "yaml.syntax"))
    return found, diagnostics


def _at(document: Document, where: Position, path: YamlPath, rule_id: str, msg: str) -> Diagnostic:
    return Diagnostic(
        document.file,
        where[0],
        where[1],
        rule(rule_id).severity,
        format_path(path),
        msg,
        rule_id,
    )


def check_envelope(document: Document) -> list[Diagnostic]:
    """apiVersion and kind of a kind document (not reconciler.yaml), before its schema runs."""
    data = document.data
    if not isinstance(data, dict):
        return [
            document.diagnostic(
                (), "document.shape", f"a document must be a mapping, not {_json_type(data)}"
            )
        ]
    if document.is_settings:
        return []
    problems: list[Diagnostic] = []
    api_version = data.get("apiVersion")
    if api_version is None:
        problems.append(
            document.diagnostic((), "document.apiVersion", f'missing apiVersion "{API_VERSION}"')
        )
    elif api_version != API_VERSION:
        problems.append(
            document.diagnostic(
                ("apiVersion",),
                "document.apiVersion",
                f'unknown apiVersion "{api_version}"; this version reads "{API_VERSION}"',
            )
        )
    kind = data.get("kind")
    if kind is None:
        problems.append(
            document.diagnostic(
                (), "document.kind", f"missing kind; expected one of {', '.join(KINDS)}"
            )
        )
    elif kind not in KINDS:
        problems.append(
            document.diagnostic(
                ("kind",),
                "document.kind",
                f'unknown kind "{kind}"; expected one of {", ".join(KINDS)}'
                + did_you_mean(str(kind), KINDS),
            )
        )
    return problems


def did_you_mean(value: str, candidates: tuple[str, ...] | list[str]) -> str:
    """`` (did you mean "X"?)`` for a close or case-insensitive match, else ``""``."""
    import difflib

    for candidate in candidates:
        if candidate.casefold() == value.casefold() and candidate != value:
            return f' (did you mean "{candidate}"?)'
    close = difflib.get_close_matches(value, list(candidates), n=1, cutoff=0.75)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _json_type(value: object) -> str:
    return json_type_name(value)


def json_type_name(value: object) -> str:
    """The name a user sees for a YAML value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "a mapping"
