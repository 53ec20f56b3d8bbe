"""Environments (docs/environments.md): one config tree for several Oro instances.

``reconciler.yaml`` declares them (``environments: {NAME: {settings}}``); a run picks one with
``--env NAME`` or ``RECONCILER_ENV``. Its settings are its block merged over the top level (a
mapping key by key, any other value replaced), and the documents in ``environments/NAME/``
patch the base documents (:mod:`reconciler.config.overlay`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.config.diagnostics import Diagnostic
from reconciler.config.loader import SETTINGS_FILE, Document, display_path
from reconciler.errors import UsageError
from reconciler.model import ENVIRONMENT_VARIABLE

ENVIRONMENTS_DIR = "environments"


def declared(settings: Document | None) -> tuple[str, ...]:
    """The environments reconciler.yaml declares, sorted (none when it declares none)."""
    data = settings.data if settings is not None and isinstance(settings.data, dict) else {}
    environments = data.get("environments")
    return tuple(sorted(environments)) if isinstance(environments, dict) else ()


def settings_data(data: Mapping[str, Any], environment: str | None) -> dict[str, Any]:
    """reconciler.yaml's settings for ``environment``: its block merged over the top level."""
    top = {key: value for key, value in data.items() if key != "environments"}
    if environment is None:
        return top
    block = (data.get("environments") or {}).get(environment) or {}
    return _merged(top, block)


def _merged(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in patch.items():
        below = base.get(key)
        if isinstance(value, dict) and isinstance(below, dict):
            result[key] = _merged(below, value)
        else:
            result[key] = value
    return result


def check_choice(root: Path, names: Sequence[str], environment: str | None) -> None:
    """Refuse (exit 64) a run without an environment on a config that declares some, or one
    that names an environment the config does not declare."""
    where = display_path(root / SETTINGS_FILE)
    if environment is None and names:
        raise UsageError(
            f"{where} declares the environments {', '.join(names)}: choose one with --env NAME "
            f"(or {ENVIRONMENT_VARIABLE})"
        )
    if environment is not None and environment not in names:
        declared_text = f"it declares {', '.join(names)}" if names else "it declares none"
        raise UsageError(f'no environment "{environment}" in {where} ({declared_text})')


@dataclass
class Layout:
    """A config's files, sorted into the base and each environment's overlays."""

    base: list[Path] = field(default_factory=list)
    overlays: dict[str, list[Path]] = field(default_factory=dict)
    stray: list[Path] = field(default_factory=list)  # directly in environments/


def layout(root: Path, files: Iterable[Path]) -> Layout:
    """Every file below ``root/environments/NAME/`` is an overlay of NAME; the rest is base."""
    result = Layout()
    for file in files:
        try:
            parts = file.relative_to(root).parts
        except ValueError:
            parts = ()
        if len(parts) < 2 or parts[0] != ENVIRONMENTS_DIR:
            result.base.append(file)
        elif len(parts) == 2:
            result.stray.append(file)
        else:
            result.overlays.setdefault(parts[1], []).append(file)
    return result


def directory_problems(found: Layout, names: Sequence[str]) -> list[Diagnostic]:
    """A file directly in environments/, in the directory of an undeclared environment, or a
    reconciler.yaml in an environment's directory."""
    known = ", ".join(names) if names else "none"
    problems = [
        _file_problem(
            file,
            f"an overlay lives in {ENVIRONMENTS_DIR}/NAME/ for an environment NAME that "
            f"{SETTINGS_FILE} declares (declared: {known})",
        )
        for file in found.stray
    ]
    for name, files in sorted(found.overlays.items()):
        for file in files:
            if name not in names:
                problems.append(
                    _file_problem(
                        file,
                        f'{ENVIRONMENTS_DIR}/{name}/ is the directory of an environment "{name}" '
                        f"that {SETTINGS_FILE} does not declare (declared: {known})",
                    )
                )
            elif file.name == SETTINGS_FILE:
                problems.append(
                    _file_problem(
                        file,
                        f"the settings of an environment go under environments.{name} in the "
                        f"root {SETTINGS_FILE}, not in a file of its own",
                    )
                )
    return problems


def _file_problem(file: Path, message: str) -> Diagnostic:
    return Diagnostic(display_path(file), 1, 1, "error", "(file)", message, "environment.directory")


def in_directory(file: str, root: Path, environment: str) -> bool:
    """Whether the diagnostic file ``file`` is inside ``environment``'s own directory."""
    return Path(file).is_relative_to(display_path(root / ENVIRONMENTS_DIR / environment))
