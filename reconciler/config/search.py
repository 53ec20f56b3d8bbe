"""Find the configs in a repository that holds other YAML too (``validate --find``).

The pre-commit hook runs at the root of a repository where the config may live in a
subdirectory beside a ``docker-compose.yml``, workflow files and the like. A file belongs to a
config when it is a settings file (``reconciler.yaml``) or when one of its documents says
``apiVersion: reconciler/...``. That is read from the file's text rather than its parsed
documents, so a file broken by a YAML syntax error is still found (and reported by the
validation), and a foreign file is never parsed at all. Every other YAML file is ignored.

Each settings file's directory is a config of its own (but one in ``environments/NAME/`` of a
config); a document file belongs to the nearest such directory above it, else to the searched
directory (a config needs no settings file). Overlays (``environments/NAME/``) so belong to the
config whose environment they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reconciler.config.environments import ENVIRONMENTS_DIR
from reconciler.config.loader import API_VERSION, SETTINGS_FILE, discover, display_path
from reconciler.errors import UsageError

# An ``apiVersion: reconciler/…`` entry at the start of a line or of a flow mapping's entry,
# its key or value quoted or not. Any version counts, so that a file saying ``reconciler/v2``
# is reported as an unknown version instead of being ignored.
_RECONCILER_API_VERSION = re.compile(
    r"""(?:^|[{,])[ \t]*["']?apiVersion["']?[ \t]*:[ \t]*["']?reconciler/""", re.MULTILINE
)


@dataclass(frozen=True)
class FoundConfig:
    """One config found by :func:`find_configs`: its directory and its files, sorted."""

    root: Path
    files: tuple[Path, ...]


def find_configs(path: Path) -> list[FoundConfig]:
    """The configs below ``path`` (a directory, or one file), sorted by directory.

    Raises UsageError when ``path`` does not exist or holds no reconciler file.
    """
    if not path.exists():
        raise UsageError(f"{display_path(path)}: no such file or directory")
    base = path if path.is_dir() else path.parent
    candidates = discover(path)
    settings = {file.parent for file in candidates if file.name == SETTINGS_FILE}
    # A reconciler.yaml in an environment's directory belongs to the config above it (which
    # reports it: an environment's settings go in the root's reconciler.yaml).
    roots = {root for root in settings if not _in_environment_of(root, settings)}
    grouped: dict[Path, list[Path]] = {}
    for file in candidates:
        if file.name == SETTINGS_FILE or _says_reconciler(file):
            grouped.setdefault(_root_of(file, roots, base), []).append(file)
    if not grouped:
        raise UsageError(
            f"{display_path(path)}: no reconciler config found (no {SETTINGS_FILE} and no "
            f"file whose documents say apiVersion: {API_VERSION})"
        )
    return [
        FoundConfig(root, tuple(files))
        for root, files in sorted(grouped.items(), key=lambda item: item[0].parts)
    ]


def _says_reconciler(file: Path) -> bool:
    try:
        text = file.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return False
    return _RECONCILER_API_VERSION.search(text) is not None


def _in_environment_of(directory: Path, roots: set[Path]) -> bool:
    """``directory`` is ``ROOT/environments/NAME`` of one of ``roots``."""
    return directory.parent.name == ENVIRONMENTS_DIR and directory.parent.parent in roots


def _root_of(file: Path, roots: set[Path], base: Path) -> Path:
    """The nearest settings directory at or above ``file``, else ``base``."""
    for directory in file.parents:
        if directory in roots:
            return directory
        if directory == base:
            break
    return base
