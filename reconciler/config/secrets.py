"""Resolving secret references (SPEC §2.5, §8). Only plan and apply call this; validate never does.

A ``{file: PATH}`` is read only from inside the config directory or a directory listed in
``RECONCILER_SECRET_DIRS`` (``os.pathsep``-separated), never from inside a ``.git`` directory,
judged after symlinks are resolved: a pull request must not be able to name the checkout's
``.git/config`` (where ``actions/checkout`` keeps a token) or a runner file as a password that
is then sent away. A value that cannot be a valid credential (a dotmailer password is 8–255
characters) is refused here, so no short value ever reaches a request or the comment scrub.

Errors name the reference (``{env: NAME}``, ``{file: PATH}``) and where it was written, never a
value.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.config.diagnostics import Diagnostic
from reconciler.errors import SecretError
from reconciler.model import SecretRef, SecretSource

SECRET_DIRS_ENV = "RECONCILER_SECRET_DIRS"


@dataclass(frozen=True)
class Length:
    """How long a valid value of one kind of credential is."""

    what: str
    low: int
    high: int


# oroinc/OroCRMDotmailerBundle Resources/config/validation.yml: DotmailerTransport.password
# Length min 8, max 255 (reference/oro-verified.md, "transport field names and lengths").
DOTMAILER_PASSWORD = Length("a dotmailer password", 8, 255)


def resolve_secret(
    ref: SecretRef,
    base_dir: Path,
    *,
    environ: Mapping[str, str] | None = None,
    length: Length | None = None,
) -> str:
    """The secret's value: an environment variable, a file (relative to ``base_dir``, the
    config directory; trailing newline removed) or, with ``--allow-literal-secrets``, the
    literal itself. With ``length``, a value outside it is refused."""
    env = os.environ if environ is None else environ
    if ref.source is SecretSource.LITERAL:
        value = ref.ref
    elif ref.source is SecretSource.ENV:
        value = env.get(ref.ref) or ""
        if not value:
            state = "empty" if ref.ref in env else "not set"
            raise _refused(ref, f"environment variable {ref.ref} is {state}")
    else:
        value = _read_file(ref, base_dir, env)
    if length is not None and not length.low <= len(value) <= length.high:
        raise _refused(
            ref, f"{length.what} is {length.low}–{length.high} characters, and this value is not"
        )
    return value


def check_secrets(
    refs: Iterable[tuple[SecretRef, Length | None]],
    base_dir: Path,
    *,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Resolve every reference and raise one :class:`SecretError` for all that cannot be, so a
    run names every missing variable at once (as ``validate`` names every problem): each
    written one as a diagnostic at its file:line, sorted, and all in the summary. (Not a rule
    of :mod:`reconciler.config.rules`: validate never reads a secret.)"""
    failed: list[tuple[SecretRef, SecretError]] = []
    for ref, length in refs:
        try:
            resolve_secret(ref, base_dir, environ=environ, length=length)
        except SecretError as exc:
            failed.append((ref, exc))
    if not failed:
        return
    if len(failed) == 1:
        raise failed[0][1]
    failed.sort(key=lambda item: (item[0].location is None, item[0].location, item[0].ref))
    diagnostics = tuple(
        Diagnostic(
            ref.location.file,
            ref.location.line,
            ref.location.column,
            "error",
            ref.describe(),
            error.reason,
            "secret.unresolved",
        )
        for ref, error in failed
        if ref.location is not None
    )
    names = ", ".join(sorted({ref.describe() for ref, _ in failed}))
    raise SecretError(f"{len(failed)} secrets cannot be read: {names}", diagnostics)


def _refused(ref: SecretRef, reason: str) -> SecretError:
    where = f"{ref.location}: " if ref.location else ""
    error = SecretError(f"{where}secret {ref.describe()}: {reason}")
    error.reason = reason
    return error


def _read_file(ref: SecretRef, base_dir: Path, env: Mapping[str, str]) -> str:
    path = Path(ref.ref).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    real = path.resolve()
    refusal = _refusal(real, base_dir, env)
    if refusal:
        shown = str(real) if Path(os.path.abspath(path)) == real else f"{path} (resolved: {real})"
        raise _refused(ref, f"{shown} {refusal}")
    try:
        value = real.read_text(encoding="utf-8").rstrip("\r\n")
    except FileNotFoundError:
        raise _refused(ref, f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise _refused(ref, f"cannot read {path}: {reason}") from None
    if not value:
        raise _refused(ref, f"{path} is empty")
    return value


def _refusal(real: Path, base_dir: Path, env: Mapping[str, str]) -> str:
    """Why the symlink-resolved path ``real`` may not be read as a secret ("" when it may)."""
    if ".git" in real.parts:
        return "is inside a .git directory; secrets are never read from one"
    config = base_dir.resolve()
    listed = [
        Path(entry).expanduser().resolve()
        for entry in env.get(SECRET_DIRS_ENV, "").split(os.pathsep)
        if entry.strip()
    ]
    if any(real.is_relative_to(directory) for directory in (config, *listed)):
        return ""
    return (
        f"is outside the config directory {config} and {SECRET_DIRS_ENV}; list its directory "
        f"in {SECRET_DIRS_ENV} to read secrets from there"
    )
