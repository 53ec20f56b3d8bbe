"""reconciler.yaml -> :class:`reconciler.model.Settings`, then RECONCILER_* overrides (SPEC §2.4).

Precedence, lowest first: defaults, reconciler.yaml, environment, CLI flags (the CLI applies the
last with ``dataclasses.replace``). :func:`check_credential_settings` is SPEC §8: where the
settings that carry or receive a credential may come from.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from reconciler.errors import ConfigError, Location
from reconciler.model import SecretRef, SecretSource, Settings
from reconciler.providers.endpoints import is_loopback_host

ORO_CLIENT_SECRET_ENV = "RECONCILER_ORO_CLIENT_SECRET"
DOTMAILER_API_URL_ENV = "RECONCILER_DOTMAILER_API_URL"
# SPEC §8: the settings that receive a credential or are one, as (reconciler.yaml key,
# Settings field, the variable that pins it). In CI they come only from the environment.
CREDENTIAL_SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("oro.url", "oro_url", "RECONCILER_ORO_URL"),
    ("oro.clientId", "oro_client_id", "RECONCILER_ORO_CLIENT_ID"),
    ("oro.clientSecret", "oro_client_secret", ORO_CLIENT_SECRET_ENV),
    ("dotmailer.apiUrl", "dotmailer_api_url", DOTMAILER_API_URL_ENV),
)


def secret_ref(value: object, location: Location | None) -> SecretRef:
    """A validated secret position -> SecretRef (``{env: X}``, ``{file: X}`` or a literal)."""
    if isinstance(value, dict):
        if "env" in value:
            return SecretRef(SecretSource.ENV, str(value["env"]), location)
        return SecretRef(SecretSource.FILE, str(value["file"]), location)
    return SecretRef(SecretSource.LITERAL, str(value), location)


def settings_from_data(
    data: Mapping[str, Any],
    location: Location | None = None,
    *,
    secret_location: Location | None = None,
) -> Settings:
    """Settings from a validated reconciler.yaml document (missing keys keep their defaults);
    ``secret_location`` is where ``oro.clientSecret`` is written (else the document's start)."""
    defaults = Settings()
    oro: Mapping[str, Any] = data.get("oro") or {}
    prune: Mapping[str, Any] = data.get("prune") or {}
    secret = oro.get("clientSecret")
    return Settings(
        state=data.get("state", defaults.state),
        oro_url=oro.get("url", defaults.oro_url),
        oro_api_base=oro.get("apiBase", defaults.oro_api_base),
        oro_client_id=oro.get("clientId", defaults.oro_client_id),
        oro_client_secret=(
            secret_ref(secret, secret_location or location) if secret is not None else None
        ),
        dotmailer_api_url=(data.get("dotmailer") or {}).get("apiUrl", defaults.dotmailer_api_url),
        prune=prune.get("enabled", defaults.prune),
        max_deletes=prune.get("maxDeletes", defaults.max_deletes),
        concurrency=data.get("concurrency", defaults.concurrency),
        timeout_seconds=float(
            (data.get("timeouts") or {}).get("requestSeconds", defaults.timeout_seconds)
        ),
        location=location,
    )


def _text(value: str) -> str:
    return value


def _boolean(value: str) -> bool:
    lowered = value.strip().casefold()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _integer(low: int, high: int | None) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            number = low - 1
        if number < low or (high is not None and number > high):
            upper = f" to {high}" if high is not None else " or more"
            raise ValueError(f"must be an integer from {low}{upper}")
        return number

    return parse


def _seconds(value: str) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        number = 0.0
    if not number > 0:
        raise ValueError("must be a number of seconds above 0")
    return number


# variable -> (Settings field, parser)
ENV_OVERRIDES: dict[str, tuple[str, Callable[[str], Any]]] = {
    "RECONCILER_STATE": ("state", _text),
    "RECONCILER_ORO_URL": ("oro_url", _text),
    "RECONCILER_ORO_API_BASE": ("oro_api_base", _text),
    "RECONCILER_ORO_CLIENT_ID": ("oro_client_id", _text),
    DOTMAILER_API_URL_ENV: ("dotmailer_api_url", _text),
    "RECONCILER_PRUNE": ("prune", _boolean),
    "RECONCILER_MAX_DELETES": ("max_deletes", _integer(0, None)),
    "RECONCILER_CONCURRENCY": ("concurrency", _integer(1, 64)),
    "RECONCILER_TIMEOUT": ("timeout_seconds", _seconds),
}


def apply_env_overrides(settings: Settings, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings with every non-empty RECONCILER_* variable applied.

    RECONCILER_ORO_CLIENT_SECRET holds the secret itself, so the setting becomes a reference to
    that variable; its value is read only when needed.
    """
    env = os.environ if environ is None else environ
    changes: dict[str, Any] = {}
    for name, (attribute, parse) in ENV_OVERRIDES.items():
        raw = env.get(name)
        if not raw:
            continue
        try:
            changes[attribute] = parse(raw)
        except ValueError as exc:
            raise ConfigError(f'{name} {exc} (got "{raw}")') from None
    if env.get(ORO_CLIENT_SECRET_ENV):
        changes["oro_client_secret"] = SecretRef(SecretSource.ENV, ORO_CLIENT_SECRET_ENV)
    return dataclasses.replace(settings, **changes) if changes else settings


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """``CI`` is set to anything but an empty value, ``false`` or ``0`` (GitHub Actions,
    GitLab and most runners set ``CI=true``)."""
    value = (os.environ if environ is None else environ).get("CI", "").strip()
    return bool(value) and value.casefold() not in ("false", "0")


def check_credential_settings(
    file_settings: Settings,
    environ: Mapping[str, str] | None = None,
    *,
    environment: str | None = None,
) -> None:
    """Refuse a config that would send credentials to an endpoint it chose itself (SPEC §8).

    ``file_settings`` are reconciler.yaml's own for the ``environment`` being run (its block
    merged over the top level), before any override. In CI, every setting of
    :data:`CREDENTIAL_SETTINGS` the file names must be pinned by its variable: a pull request
    edits the file, not the runner's environment. The variables are the same for every
    environment: the job that runs ``--env NAME`` sets NAME's. Outside CI the file may name its
    Oro, but a dotmailer API URL override only on a loopback address (a local emulator). Raises
    ConfigError (exit 3) before anything is sent.
    """
    env = os.environ if environ is None else environ
    where = file_settings.location.file if file_settings.location else "reconciler.yaml"
    of = f" of environment {environment}" if environment else ""
    if in_ci(env):
        unpinned = [
            f"{variable} instead of {key}"
            for key, attribute, variable in CREDENTIAL_SETTINGS
            if getattr(file_settings, attribute) is not None and not env.get(variable)
        ]
        if unpinned:
            raise ConfigError(
                f"{where}: CI is set, so credentials and the endpoints they go to are taken only "
                f"from the environment: set {', '.join(unpinned)}{of}"
            )
        return
    url = file_settings.dotmailer_api_url
    if url is not None and not env.get(DOTMAILER_API_URL_ENV):
        host = urlsplit(url).hostname or ""
        if not is_loopback_host(host):
            raise ConfigError(
                f"{where}: dotmailer.apiUrl{of}: an API URL override in the config is honoured "
                f"only on a loopback address (a local emulator), not on {host}; set "
                f"{DOTMAILER_API_URL_ENV} to use another"
            )
