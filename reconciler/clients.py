"""The clients a session talks to, and the secrets they carry.

The Oro client comes from the settings (or the embedded sandbox); each integration gets its
own dotmailer client, with one rate limiter per dotmailer account (SPEC §3: integrations that
share an API user share its budget). Secrets are resolved here, once, and leave only as request
credentials; the state and the plan see their keyed fingerprints.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from reconciler.config.secrets import DOTMAILER_PASSWORD, resolve_secret
from reconciler.errors import ConfigError
from reconciler.execute import IntegrationSecrets
from reconciler.model import DesiredState, Integration, Settings
from reconciler.progress import account_name
from reconciler.providers.dotmailer import DotmailerClient
from reconciler.providers.limits import RateLimiter
from reconciler.providers.oro import OroClient
from reconciler.providers.transport import shared_client
from reconciler.sandbox.embedded import SANDBOX_OAUTH_SECRET, EmbeddedSandbox
from reconciler.state import fingerprint


def config_dir(config_path: Path) -> Path:
    return config_path if config_path.is_dir() else config_path.parent


def resolve_secrets(
    desired: DesiredState,
    config_path: Path,
    scope: Collection[str],
    sandbox: EmbeddedSandbox | None,
    key: bytes,
) -> dict[str, IntegrationSecrets]:
    """Each integration's secrets in scope (all when ``scope`` is empty), with fingerprints."""
    base_dir = config_dir(config_path)
    result: dict[str, IntegrationSecrets] = {}
    for integration in desired.integrations:
        if scope and integration.name not in scope:
            continue
        if sandbox is not None:
            # Sandbox-only values: no environment variable is needed (SPEC §6).
            password = sandbox.passwords.get(integration.connection.username, "")
            client_secret = SANDBOX_OAUTH_SECRET if integration.oauth else None
        else:
            password = resolve_secret(
                integration.connection.password, base_dir, length=DOTMAILER_PASSWORD
            )
            client_secret = (
                resolve_secret(integration.oauth.client_secret, base_dir)
                if integration.oauth
                else None
            )
        fingerprints = {"password": fingerprint(key, password)}
        if client_secret is not None:
            fingerprints["oauth_client_secret"] = fingerprint(key, client_secret)
        result[integration.name] = IntegrationSecrets(password, client_secret, fingerprints)
    return result


def oro_client(settings: Settings, config_path: Path, sandbox: EmbeddedSandbox | None) -> OroClient:
    if sandbox is not None:
        client_id, secret = sandbox.oro_client
        return OroClient(sandbox.url, client_id, secret, api_base="/admin/api")
    if not settings.oro_url:
        raise ConfigError(
            "no Oro URL configured: set oro.url in reconciler.yaml or RECONCILER_ORO_URL "
            "(or run against the embedded sandbox with --sandbox)"
        )
    if not settings.oro_client_id or settings.oro_client_secret is None:
        raise ConfigError(
            "no Oro OAuth client configured: set oro.clientId and oro.clientSecret in "
            "reconciler.yaml or RECONCILER_ORO_CLIENT_ID / RECONCILER_ORO_CLIENT_SECRET"
        )
    if not settings.oro_url.startswith(("https://", "http://")):
        raise ConfigError(
            f"the Oro URL {settings.oro_url!r} (oro.url or RECONCILER_ORO_URL) must start with "
            "https:// (or http:// for a local test server)"
        )
    secret = resolve_secret(settings.oro_client_secret, config_dir(config_path))
    return OroClient(
        settings.oro_url,
        settings.oro_client_id,
        secret,
        api_base=settings.oro_api_base,
        timeout=settings.timeout_seconds,
    )


class DotmailerClients:
    """One client per integration, one rate limiter per dotmailer account, and one HTTP
    connection pool that all of them share (credentials go per request; benchmarks/http_path.py
    measured a pool per account at twice the CPU per request); thread-safe enough for refresh and
    apply, which ask from many threads (``setdefault`` is atomic: a race makes a spare client,
    closed at once, never a spare limiter)."""

    def __init__(
        self,
        secrets: Mapping[str, IntegrationSecrets],
        *,
        api_url: str | None,
        timeout: float,
    ) -> None:
        self._secrets = secrets
        self._api_url = api_url
        self._timeout = timeout
        self._clients: dict[str, DotmailerClient] = {}
        self._limiters: dict[str, RateLimiter] = {}
        self._http = shared_client(timeout=timeout, headers={"Accept": "application/json"})

    def __call__(self, integration: Integration) -> DotmailerClient:
        return self.account(integration.name, integration.connection.username)

    def account(self, name: str, username: str) -> DotmailerClient:
        """The client of integration ``name``, whose API user is ``username``."""
        client = self._clients.get(name)
        if client is None:
            client = DotmailerClient(
                username,
                self._secrets[name].password,
                api_url=self._api_url,
                http=self._http,
                timeout=self._timeout,
                limiter=self._limiters.setdefault(
                    username.casefold(), RateLimiter(name=account_name(username))
                ),
            )
            kept = self._clients.setdefault(name, client)
            if kept is not client:
                client.close()  # another thread made one first
            client = kept
        return client

    def made(self) -> list[DotmailerClient]:
        """The clients made so far (one per integration that was read or written)."""
        return list(self._clients.values())

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._http.close()
