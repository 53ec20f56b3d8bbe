"""The directory ``reconciler import`` writes, and how it is written.

Layout (docs/import.md)::

    reconciler.yaml            the endpoint settings
    integrations/NAME.yaml     one Integration document per integration
    owners.yaml                the Owner documents
    mappings.yaml              the DataFieldMapping documents
    schemas/*.json             the JSON Schemas every document's modeline names

The directory must be new, empty, or an earlier import's (its reconciler.yaml says so) holding
only files this import writes: a hand-written config is never overwritten, a file left from
something else would become part of the config, and one left from an integration since deleted
would make the next plan create it again.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.config.loader import SETTINGS_FILE
from reconciler.config.schema import SCHEMA_FILES, schema_text
from reconciler.errors import UsageError
from reconciler.estate import naming
from reconciler.estate.describe import API_VERSION, Described
from reconciler.estate.emit import Document, Flow, emit
from reconciler.model import Settings
from reconciler.state import DEFAULT_STATE_URL
from reconciler.state.urls import display_url

SCHEMAS_DIR = "schemas"
_HEADER = (
    "Written by `reconciler import` (docs/import.md). Secrets are environment variables:",
    "DOTMAILER_<INTEGRATION>_PASSWORD, DOTMAILER_<INTEGRATION>_OAUTH_SECRET and",
    "RECONCILER_ORO_CLIENT_SECRET. RECONCILER_* variables override these settings.",
)


def settings_document(settings: Settings, state: str, *, sandbox: bool) -> Document:
    """reconciler.yaml: the Oro endpoint and client the estate was read with (the secret as
    its variable), a dotmailer API override, and the state when it is not the default and
    holds no password. With ``--sandbox`` there is no endpoint to name."""
    if sandbox:
        comments = (*_HEADER, "Read from the embedded sandbox: plan and apply it with --sandbox.")
        return Document("settings.json", {"apiVersion": API_VERSION}, comments)
    body: dict[str, Any] = {"apiVersion": API_VERSION}
    if state != DEFAULT_STATE_URL and display_url(state) == state:
        body["state"] = state
    oro: dict[str, Any] = {}
    if settings.oro_url:
        oro["url"] = settings.oro_url
    oro["apiBase"] = settings.oro_api_base
    if settings.oro_client_id:
        oro["clientId"] = settings.oro_client_id
    oro["clientSecret"] = Flow({"env": naming.ORO_CLIENT_SECRET_VARIABLE})
    body["oro"] = oro
    if settings.dotmailer_api_url:
        body["dotmailer"] = {"apiUrl": settings.dotmailer_api_url}
    return Document("settings.json", body, _HEADER)


def render(described: Described, settings: Document) -> dict[str, str]:
    """Relative path -> text of every file of the directory, sorted by path."""
    files = {
        path: emit(documents, "../" * path.count("/") + f"{SCHEMAS_DIR}/")
        for path, documents in described.files
    }
    files[SETTINGS_FILE] = emit([settings], f"{SCHEMAS_DIR}/")
    for name in SCHEMA_FILES.values():
        files[f"{SCHEMAS_DIR}/{name}"] = schema_text(name)
    return dict(sorted(files.items()))


def write_tree(out: Path, files: Mapping[str, str]) -> None:
    """Write ``files`` below ``out``, each replaced atomically; refuses a directory holding
    other files (hidden ones, such as ``.git`` or ``.reconciler``, aside)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file; --out names a directory")
    found = _listing(out) if out.is_dir() else []
    if found and not _written_by_import(out / SETTINGS_FILE):
        raise UsageError(
            f"{out} holds files, and its {SETTINGS_FILE} was not written by `reconciler "
            "import`; import into a new or empty directory"
        )
    others = sorted(set(found) - set(files))
    if others:
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        raise UsageError(
            f"{out} holds files this import would not write ({shown}); import into a new or "
            "empty directory, or remove them"
        )
    for relative, text in files.items():
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _written_by_import(settings: Path) -> bool:
    """Whether ``settings`` is a reconciler.yaml an import wrote: its comments say so."""
    try:
        head = settings.read_text(encoding="utf-8").splitlines()[:2]
    except (OSError, UnicodeDecodeError):
        return False
    return len(head) == 2 and head[1] == f"# {_HEADER[0]}"


def _listing(root: Path) -> list[str]:
    """Every file below ``root`` as a relative POSIX path, hidden entries skipped."""
    found: list[str] = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        base = Path(directory).relative_to(root)
        found += [(base / n).as_posix() for n in sorted(names) if not n.startswith(".")]
    return found
