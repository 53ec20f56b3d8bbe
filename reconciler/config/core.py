"""The config package's entry points: validate a config, or load it as a DesiredState."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.config.build import build_desired_state, with_digest
from reconciler.config.diagnostics import Diagnostic, count, sort_diagnostics
from reconciler.config.loader import (
    KINDS,
    SETTINGS_FILE,
    SETTINGS_KIND,
    Document,
    check_envelope,
    discover,
    display_path,
    parse_file,
)
from reconciler.config.schema import validate_document
from reconciler.config.semantic import Checker
from reconciler.config.settings import (
    apply_env_overrides,
    check_credential_settings,
    settings_from_data,
)
from reconciler.errors import ConfigError, UsageError
from reconciler.model import DesiredState, Settings


@dataclass(frozen=True)
class Validation:
    """The outcome of validating one config: every diagnostic, counts, and the state if valid."""

    path: Path
    diagnostics: tuple[Diagnostic, ...]
    owners: int
    integrations: int
    mappings: int  # DataFieldMapping documents (before expansion)
    state: DesiredState | None  # None when there is any error; no digest (load_desired_state)

    @property
    def errors(self) -> int:
        return count(self.diagnostics, "error")

    @property
    def warnings(self) -> int:
        return count(self.diagnostics, "warning")

    @property
    def valid(self) -> bool:
        return self.errors == 0

    def summary(self) -> str:
        """e.g. ``examples/integrations: 2 owners, 3 integrations, 3 mappings: valid (0 errors,
        0 warnings)``."""
        verdict = "valid" if self.valid else "invalid"
        return (
            f"{display_path(self.path)}: {_plural(self.owners, 'owner')}, "
            f"{_plural(self.integrations, 'integration')}, {_plural(self.mappings, 'mapping')}: "
            f"{verdict} ({_plural(self.errors, 'error')}, {_plural(self.warnings, 'warning')})"
        )


def _plural(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def config_base_dir(path: Path) -> Path:
    """The directory relative secret files and settings are resolved from."""
    return path if path.is_dir() else path.parent


def validate_config(
    path: Path, *, allow_literal_secrets: bool = False, files: Sequence[Path] | None = None
) -> Validation:
    """Every problem of the config at ``path`` (a directory or one file), sorted; offline.

    ``files`` are the config's files when they are not every YAML file below ``path`` (the
    ones ``find_configs`` chose). Raises UsageError only when ``path`` does not exist.
    """
    if not path.exists():
        raise UsageError(f"{display_path(path)}: no such file or directory")
    diagnostics: list[Diagnostic] = []
    by_kind: dict[str, list[Document]] = {kind: [] for kind in KINDS}
    settings_document: Document | None = None
    for file in discover(path) if files is None else files:
        is_settings = file.name == SETTINGS_FILE and file.parent == config_base_dir(path)
        documents, problems = parse_file(file, settings=is_settings)
        diagnostics.extend(problems)
        for document in documents:
            envelope = check_envelope(document)
            diagnostics.extend(envelope)
            if envelope:
                continue
            if document.is_settings:
                if settings_document is not None:
                    diagnostics.append(
                        document.diagnostic(
                            (), "document.shape", f"{SETTINGS_FILE} holds one document, not several"
                        )
                    )
                    continue
                settings_document = document
                diagnostics.extend(validate_document(document, SETTINGS_KIND))
                continue
            kind = document.kind
            assert kind is not None
            by_kind[kind].append(document)
            diagnostics.extend(validate_document(document, kind))
    owners, integrations = by_kind["Owner"], by_kind["Integration"]
    mappings = by_kind["DataFieldMapping"]
    checker = Checker(allow_literal_secrets=allow_literal_secrets)
    diagnostics.extend(checker.run(owners, integrations, mappings, settings_document))
    ordered = tuple(sort_diagnostics(diagnostics))
    state = None
    if count(ordered, "error") == 0:
        state = build_desired_state(owners, integrations, mappings, _settings(settings_document))
    return Validation(path, ordered, len(owners), len(integrations), len(mappings), state)


def _settings(document: Document | None) -> Settings:
    if document is None:
        return Settings()
    assert isinstance(document.data, dict)
    return settings_from_data(document.data, document.location())


def load_desired_state(
    path: Path,
    *,
    allow_literal_secrets: bool = False,
    environ: Mapping[str, str] | None = None,
    connects: bool = True,
) -> tuple[DesiredState, list[Diagnostic]]:
    """The DesiredState of the config at ``path`` with RECONCILER_* overrides applied, and its
    warnings. Raises ConfigError carrying every diagnostic when there is any error.

    ``connects``: the run will send credentials to the configured endpoints (False with
    ``--sandbox``, whose own loopback server is used), so SPEC §8's rule on where those
    endpoints may come from applies (:func:`check_credential_settings`)."""
    validation = validate_config(path, allow_literal_secrets=allow_literal_secrets)
    if validation.state is None:
        raise ConfigError(validation.summary(), validation.diagnostics)
    if connects:
        check_credential_settings(validation.state.settings, environ)
    settings = apply_env_overrides(validation.state.settings, environ)
    # The digest is computed once, here, of the state with its overrides (it is a sha256 of the
    # whole config's canonical JSON: 0.7 s of CPU at 1,000 integrations).
    state = with_digest(dataclasses.replace(validation.state, settings=settings))
    return state, list(validation.diagnostics)


def load_settings(
    path: Path, *, environ: Mapping[str, str] | None = None, connects: bool = False
) -> Settings:
    """Only the settings: ``reconciler.yaml`` of the config directory ``path`` (or the file
    itself), defaults when absent, then RECONCILER_* overrides. Raises ConfigError when the file
    is invalid. ``connects``: as for :func:`load_desired_state`."""
    file = path if path.is_file() else path / SETTINGS_FILE
    settings = Settings()
    if file.is_file():
        documents, problems = parse_file(file, settings=True)
        for document in documents[:1]:
            problems.extend(check_envelope(document))
            if isinstance(document.data, dict):
                problems.extend(validate_document(document, SETTINGS_KIND))
                problems.extend(Checker(allow_literal_secrets=True).run([], [], [], document))
        errors = [d for d in sort_diagnostics(problems) if d.severity == "error"]
        if errors:
            raise ConfigError(f"{display_path(file)} is invalid", tuple(errors))
        if documents:
            settings = _settings(documents[0])
    if connects:
        check_credential_settings(settings, environ)
    return apply_env_overrides(settings, environ)
