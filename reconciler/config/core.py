"""The config package's entry points: validate a config, or load it as a DesiredState."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.config import environments
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
from reconciler.config.overlay import apply_overlays
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
    """The outcome of validating one config (one environment of it): every diagnostic, counts,
    and the state if valid."""

    path: Path
    diagnostics: tuple[Diagnostic, ...]
    owners: int
    integrations: int
    mappings: int  # DataFieldMapping documents (before expansion)
    state: DesiredState | None  # None when there is any error; no digest (load_desired_state)
    environment: str | None = None

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
        0 warnings)``; ``examples/integrations (environment staging): …`` for an environment."""
        verdict = "valid" if self.valid else "invalid"
        where = display_path(self.path)
        if self.environment is not None:
            where += f" (environment {self.environment})"
        return (
            f"{where}: {_plural(self.owners, 'owner')}, "
            f"{_plural(self.integrations, 'integration')}, {_plural(self.mappings, 'mapping')}: "
            f"{verdict} ({_plural(self.errors, 'error')}, {_plural(self.warnings, 'warning')})"
        )


@dataclass(frozen=True)
class ConfigValidation:
    """Every environment of one config validated: one :class:`Validation` each (one in all for
    a config without environments), and their diagnostics, each once. A diagnostic that not
    every environment has says which it is in, unless its file is that environment's own."""

    validations: tuple[Validation, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def valid(self) -> bool:
        return all(validation.valid for validation in self.validations)


def _plural(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def config_base_dir(path: Path) -> Path:
    """The directory relative secret files and settings are resolved from."""
    return path if path.is_dir() else path.parent


@dataclass
class _Parsed:
    """Every file of one config parsed once: what each environment's validation starts from."""

    root: Path
    settings: Document | None = None
    base: list[Document] = field(default_factory=list)
    overlays: dict[str, list[Document]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    schema: dict[int, list[Diagnostic]] = field(default_factory=dict)  # id(base doc) -> its

    @property
    def environments(self) -> tuple[str, ...]:
        return environments.declared(self.settings)


def _parse(path: Path, files: Sequence[Path] | None) -> _Parsed:
    if not path.exists():
        raise UsageError(f"{display_path(path)}: no such file or directory")
    root = config_base_dir(path)
    parsed = _Parsed(root)
    found = environments.layout(root, discover(path) if files is None else files)
    for file in found.base:
        is_settings = file.name == SETTINGS_FILE and file.parent == root
        for document in _documents(parsed, file, settings=is_settings):
            if not document.is_settings:
                parsed.base.append(document)
                parsed.schema[id(document)] = validate_document(document, document.kind or "")
            elif parsed.settings is not None:
                parsed.diagnostics.append(
                    document.diagnostic(
                        (), "document.shape", f"{SETTINGS_FILE} holds one document, not several"
                    )
                )
            else:
                parsed.settings = document
                parsed.diagnostics.extend(validate_document(document, SETTINGS_KIND))
    names = parsed.environments
    parsed.diagnostics.extend(environments.directory_problems(found, names))
    for name in names:
        parsed.overlays[name] = [
            document
            for file in found.overlays.get(name, [])
            if file.name != SETTINGS_FILE
            for document in _documents(parsed, file, settings=False)
        ]
    return parsed


def _documents(parsed: _Parsed, file: Path, *, settings: bool) -> list[Document]:
    """The documents of one file whose envelope is valid; the file's problems go to ``parsed``."""
    documents, problems = parse_file(file, settings=settings)
    parsed.diagnostics.extend(problems)
    valid = []
    for document in documents:
        envelope = check_envelope(document)
        parsed.diagnostics.extend(envelope)
        if not envelope:
            valid.append(document)
    return valid


def validate_config(
    path: Path,
    *,
    allow_literal_secrets: bool = False,
    files: Sequence[Path] | None = None,
    environment: str | None = None,
) -> Validation:
    """Every problem of the config at ``path`` (a directory or one file) in ``environment``,
    sorted; offline.

    ``files`` are the config's files when they are not every YAML file below ``path`` (the
    ones ``find_configs`` chose). Raises UsageError when ``path`` does not exist, or when the
    config declares environments and ``environment`` is not one of them.
    """
    parsed = _parse(path, files)
    environments.check_choice(parsed.root, parsed.environments, environment)
    return _validate(path, parsed, environment, allow_literal_secrets)


def validate_environments(
    path: Path, *, allow_literal_secrets: bool = False, files: Sequence[Path] | None = None
) -> ConfigValidation:
    """Every environment of the config at ``path`` validated (the config itself when it
    declares none), its files parsed once."""
    parsed = _parse(path, files)
    chosen: tuple[str | None, ...] = parsed.environments or (None,)
    validations = tuple(_validate(path, parsed, name, allow_literal_secrets) for name in chosen)
    return ConfigValidation(validations, _merged(parsed.root, validations))


def _merged(root: Path, validations: Sequence[Validation]) -> tuple[Diagnostic, ...]:
    if len(validations) == 1:
        return validations[0].diagnostics
    where: dict[Diagnostic, list[str]] = {}
    for validation in validations:
        for diagnostic in validation.diagnostics:
            where.setdefault(diagnostic, []).append(validation.environment or "")
    shown = []
    for diagnostic, names in where.items():
        own = len(names) == 1 and environments.in_directory(diagnostic.file, root, names[0])
        if len(names) < len(validations) and not own:
            noun = "environment" if len(names) == 1 else "environments"
            message = f"{diagnostic.message} ({noun} {', '.join(names)})"
            diagnostic = dataclasses.replace(diagnostic, message=message)
        shown.append(diagnostic)
    return tuple(sort_diagnostics(shown))


def _validate(
    path: Path, parsed: _Parsed, environment: str | None, allow_literal_secrets: bool
) -> Validation:
    diagnostics = list(parsed.diagnostics)
    documents = parsed.base
    if environment is not None:
        documents, problems = apply_overlays(parsed.base, parsed.overlays[environment])
        diagnostics.extend(problems)
    by_kind: dict[str, list[Document]] = {kind: [] for kind in KINDS}
    for document in documents:
        by_kind[document.kind or ""].append(document)
        cached = parsed.schema.get(id(document))
        diagnostics.extend(
            validate_document(document, document.kind or "") if cached is None else cached
        )
    owners, integrations = by_kind["Owner"], by_kind["Integration"]
    mappings = by_kind["DataFieldMapping"]
    checker = Checker(allow_literal_secrets=allow_literal_secrets)
    diagnostics.extend(checker.run(owners, integrations, mappings, parsed.settings))
    ordered = tuple(sort_diagnostics(diagnostics))
    state = None
    if count(ordered, "error") == 0:
        settings = _settings(parsed.settings, environment)
        state = build_desired_state(owners, integrations, mappings, settings)
    counts = (len(owners), len(integrations), len(mappings))
    return Validation(path, ordered, *counts, state, environment)


def _settings(document: Document | None, environment: str | None = None) -> Settings:
    if document is None:
        return Settings()
    assert isinstance(document.data, dict)
    data = environments.settings_data(document.data, environment)
    secret_path: tuple[str, ...] = ("oro", "clientSecret")
    block = (document.data.get("environments") or {}).get(environment or "") or {}
    if "clientSecret" in (block.get("oro") or {}):  # the environment's own, merged over the top
        secret_path = ("environments", environment or "", *secret_path)
    return settings_from_data(
        data, document.location(), secret_location=document.location(secret_path)
    )


def load_desired_state(
    path: Path,
    *,
    allow_literal_secrets: bool = False,
    environ: Mapping[str, str] | None = None,
    connects: bool = True,
    environment: str | None = None,
) -> tuple[DesiredState, list[Diagnostic]]:
    """The DesiredState of the config at ``path`` in ``environment`` with RECONCILER_*
    overrides applied, and its warnings. Raises ConfigError carrying every diagnostic when there
    is any error, UsageError when ``environment`` is not a choice the config offers.

    ``connects``: the run will send credentials to the configured endpoints (False with
    ``--sandbox``, whose own loopback server is used), so SPEC §8's rule on where those
    endpoints may come from applies (:func:`check_credential_settings`)."""
    validation = validate_config(
        path, allow_literal_secrets=allow_literal_secrets, environment=environment
    )
    if validation.state is None:
        raise ConfigError(validation.summary(), validation.diagnostics)
    if connects:
        check_credential_settings(validation.state.settings, environ, environment=environment)
    settings = apply_env_overrides(validation.state.settings, environ)
    # The digest is computed once, here, of the state with its overrides (it is a sha256 of the
    # whole config's canonical JSON: 0.7 s of CPU at 1,000 integrations).
    state = with_digest(dataclasses.replace(validation.state, settings=settings))
    return state, list(validation.diagnostics)


def load_settings(
    path: Path,
    *,
    environ: Mapping[str, str] | None = None,
    environment: str | None = None,
    connects: bool = False,
) -> Settings:
    """Only the settings of ``environment``: ``reconciler.yaml`` of the config directory
    ``path`` (or the file itself), defaults when absent, then RECONCILER_* overrides. Raises
    ConfigError when the file is invalid, UsageError when ``environment`` is not a choice the
    config offers. ``connects``: as for :func:`load_desired_state`."""
    file = path if path.is_file() else path / SETTINGS_FILE
    document: Document | None = None
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
        document = documents[0] if documents else None
    environments.check_choice(file.parent, environments.declared(document), environment)
    settings = _settings(document, environment)
    if connects:
        check_credential_settings(settings, environ, environment=environment)
    return apply_env_overrides(settings, environ)
