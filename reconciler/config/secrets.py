"""Resolving secret references (SPEC §2.5). Only plan and apply call this; validate never does.

Errors name the reference (``{env: NAME}``, ``{file: PATH}``) and where it was written, never a
value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from reconciler.errors import SecretError
from reconciler.model import SecretRef, SecretSource


def resolve_secret(
    ref: SecretRef, base_dir: Path, *, environ: Mapping[str, str] | None = None
) -> str:
    """The secret's value: an environment variable, a file (relative to ``base_dir``, trailing
    newline removed) or, with ``--allow-literal-secrets``, the literal itself."""
    where = f"{ref.location}: " if ref.location else ""
    if ref.source is SecretSource.LITERAL:
        return ref.ref
    if ref.source is SecretSource.ENV:
        env = os.environ if environ is None else environ
        value = env.get(ref.ref)
        if not value:
            state = "empty" if value == "" else "not set"
            raise SecretError(
                f"{where}secret {ref.describe()}: environment variable {ref.ref} is {state}"
            )
        return value
    path = Path(ref.ref).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    try:
        value = path.read_text(encoding="utf-8").rstrip("\r\n")
    except FileNotFoundError:
        raise SecretError(f"{where}secret {ref.describe()}: {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SecretError(f"{where}secret {ref.describe()}: cannot read {path}: {reason}") from None
    if not value:
        raise SecretError(f"{where}secret {ref.describe()}: {path} is empty")
    return value
