"""The public names and the exit codes are a contract (STYLE.md: a test pins the public names)."""

from __future__ import annotations

import reconciler
from reconciler import errors


def test_public_names_are_pinned() -> None:
    assert reconciler.__all__ == ["Location", "ReconcilerError", "__version__"]


def test_every_error_carries_the_exit_code_of_spec_section_4() -> None:
    codes = {
        errors.ReconcilerError: 1,
        errors.UsageError: 64,
        errors.ConfigError: 3,
        errors.SecretError: 3,
        errors.RemoteError: 4,
        errors.AuthenticationError: 4,
        errors.NotFoundError: 4,
        errors.ConflictError: 4,
        errors.RateLimitError: 4,
        errors.OutcomeUnknownError: 4,
        errors.UntrustedEndpointError: 4,
        errors.UnsupportedServerError: 4,
        errors.StateError: 5,
        errors.LockError: 5,
        errors.StaleStateError: 5,
        errors.StalePlanError: 5,
        errors.CorruptStateError: 5,
    }
    assert {cls: cls.exit_code for cls in codes} == codes


def test_a_remote_error_names_method_url_status_and_message() -> None:
    error = errors.RemoteError(
        "dotmailer",
        method="GET",
        url="https://r1-api.dotdigital.com/v2/account-info",
        status=401,
        api_message="Authorization has been denied for this request.",
    )
    assert str(error) == (
        "dotmailer: GET https://r1-api.dotdigital.com/v2/account-info: HTTP 401: "
        "Authorization has been denied for this request."
    )
