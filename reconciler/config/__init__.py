"""Find and load YAML keeping node positions; schema and semantic validation; secrets.

Public entry points (everything else in this package is an implementation detail)::

    validate_config(path, *, allow_literal_secrets=False, files=None, environment=None)
        -> Validation
    validate_environments(path, *, allow_literal_secrets=False, files=None)
        -> ConfigValidation
    find_configs(path) -> list[FoundConfig]
    load_desired_state(path, *, allow_literal_secrets=False, environ=None, connects=True,
                       environment=None) -> tuple[DesiredState, list[Diagnostic]]
    load_settings(path, *, environ=None, environment=None) -> Settings
    resolve_secret(ref, base_dir, *, environ=None, length=None) -> str
"""

from __future__ import annotations

from reconciler.config.core import (
    ConfigValidation,
    Validation,
    config_base_dir,
    load_desired_state,
    load_settings,
    validate_config,
    validate_environments,
)
from reconciler.config.diagnostics import Diagnostic
from reconciler.config.entities import ENTITY_ALIASES, resolve_entity
from reconciler.config.rules import RULES, Rule
from reconciler.config.search import FoundConfig, find_configs
from reconciler.config.secrets import resolve_secret

__all__ = [
    "ENTITY_ALIASES",
    "RULES",
    "ConfigValidation",
    "Diagnostic",
    "FoundConfig",
    "Rule",
    "Validation",
    "config_base_dir",
    "find_configs",
    "load_desired_state",
    "load_settings",
    "resolve_entity",
    "resolve_secret",
    "validate_config",
    "validate_environments",
]
