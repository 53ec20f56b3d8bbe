"""The one error tree of reconciler.

Every error a user can cause or meet carries the exit code of SPEC §4 as a class attribute, so the
CLI boundary (``reconciler.cli``) maps an exception to an exit code without a lookup table.
Library code raises these; only the CLI prints them.
"""

from __future__ import annotations

from dataclasses import dataclass

# Exit codes, SPEC §4 ("same for every command").
EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_CHANGES = 2
EXIT_INVALID_CONFIG = 3
EXIT_REMOTE = 4
EXIT_STATE = 5
EXIT_APPLY_PARTIAL = 6
EXIT_USAGE = 64
EXIT_INTERRUPTED = 130


@dataclass(frozen=True, order=True)
class Location:
    """A position in a YAML file; line and column are 1-based, as editors show them."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class ReconcilerError(Exception):
    """Root of every error reconciler raises on purpose."""

    exit_code: int = EXIT_UNEXPECTED


class UsageError(ReconcilerError):
    """The command line itself is wrong (unknown flag combination, missing argument)."""

    exit_code = EXIT_USAGE


class ConfigError(ReconcilerError):
    """The configuration is invalid. ``diagnostics`` holds every problem found, sorted."""

    exit_code = EXIT_INVALID_CONFIG

    def __init__(self, message: str, diagnostics: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics


class SecretError(ConfigError):
    """A secret reference cannot be resolved (unset variable, unreadable file)."""

    reason: str = ""  # why, without where (the message says both)


class RemoteError(ReconcilerError):
    """A remote API (dotmailer or Oro) failed. Never carries credentials."""

    exit_code = EXIT_REMOTE

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        url: str = "",
        status: int | None = None,
        api_message: str = "",
    ) -> None:
        self.summary = message
        self.method = method
        self.url = url
        self.status = status
        self.api_message = api_message
        parts = [message]
        if method or url:
            parts.append(f"{method} {url}".strip())
        if status is not None:
            parts.append(f"HTTP {status}")
        if api_message:
            parts.append(api_message)
        super().__init__(": ".join(parts))

    def about(self, subject: str) -> RemoteError:
        """The same error, saying which object it concerns (e.g. which integration)."""
        return type(self)(
            f"{self.summary} ({subject})",
            method=self.method,
            url=self.url,
            status=self.status,
            api_message=self.api_message,
        )


class AuthenticationError(RemoteError):
    """401/403: the credentials were refused. Never retried."""


class NotFoundError(RemoteError):
    """404 from a remote API."""


class ConflictError(RemoteError):
    """The remote object already exists or is in use (duplicate name, 409)."""


class RateLimitError(RemoteError):
    """The API's rate limit stayed exhausted past the retry budget."""


class OutcomeUnknownError(RemoteError):
    """The request may or may not have taken effect (connection dropped, timeout after send).

    The caller resolves it by reading the list; it is not a failure in itself.
    """


class UntrustedEndpointError(RemoteError):
    """account-info named an ApiEndpoint outside the allow-list: credentials are not sent there."""


class UnsupportedServerError(RemoteError):
    """The Oro instance does not expose the resources the tool needs (stock Oro: 404/405)."""


class StateError(ReconcilerError):
    """The state store is locked, corrupt, or moved under us."""

    exit_code = EXIT_STATE


class LockError(StateError):
    """The lock for the scope is held by someone else."""


class StaleStateError(StateError):
    """A compare-and-swap write lost: someone else wrote the state since we read it."""


class StalePlanError(StateError):
    """A saved plan no longer matches the config, the state or the live systems."""


class CorruptStateError(StateError):
    """The state cannot be read (truncated, not a state file, unknown schema version)."""
