"""The secret values a config can reach, and the scrub that removes them from posted text.

plan-apply-anchors.md §3 complaint 3: scrub known secret values from everything posted.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from reconciler.config import config_base_dir
from reconciler.config.loader import discover
from reconciler.config.settings import ORO_CLIENT_SECRET_ENV
from reconciler.errors import ConfigError
from reconciler.plan.render.common import SENSITIVE
from reconciler.plan.render.markdown import escape
from reconciler.plan.render.mermaid import entity_coded
from reconciler.state import STATE_KEY_ENV

__all__ = ["REPLACEMENT", "Scrubbed", "scrub", "secret_values"]

REPLACEMENT = SENSITIVE  # what a scrubbed value becomes: the renderers' own mask
# Keys whose literal string values are secrets (SPEC §2.5 secret positions; with
# --allow-literal-secrets the value sits in the YAML itself).
_SECRET_KEYS = frozenset({"password", "clientSecret"})


@dataclass(frozen=True)
class Scrubbed:
    """Text after the scrub, and how many secret occurrences were replaced (0 when clean)."""

    text: str
    replaced: int


def secret_values(config_path: Path, *, environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """Every secret value the config at ``config_path`` can reach, for the final scrub.

    Walks every YAML document of the config (valid or not) for ``{env: NAME}`` and
    ``{file: PATH}`` references and literal ``password``/``clientSecret`` strings, and adds the
    values of RECONCILER_ORO_CLIENT_SECRET, RECONCILER_STATE_KEY and the password of a state
    URL. Unset variables and unreadable files contribute nothing; a config that cannot be read
    at all raises ConfigError, because a comment must not be posted unscrubbed.
    """
    env = os.environ if environ is None else environ
    if not config_path.exists():
        raise ConfigError(
            f"{config_path}: cannot read the configuration to learn its secret references "
            "(pass --config DIR)"
        )
    base_dir = config_base_dir(config_path)
    values: set[str] = set()
    for file in discover(config_path):
        for node in _documents(file):
            for kind, ref in _references(node):
                if kind == "env":
                    values.add(env.get(ref, ""))
                elif kind == "file":
                    values.add(_read_secret_file(base_dir, ref))
                else:
                    values.add(ref)
                    values.add(_url_password(ref))
    for name in (ORO_CLIENT_SECRET_ENV, STATE_KEY_ENV):
        values.add(env.get(name, ""))
    values.add(_url_password(env.get("RECONCILER_STATE", "")))
    return frozenset(v for v in values if v.strip())


def _documents(file: Path) -> list[Any]:
    try:
        return list(yaml.safe_load_all(file.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"{file}: cannot read the configuration to learn its secret references: "
            f"{type(exc).__name__}"
        ) from None


def _references(node: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(``env`` | ``file`` | ``literal``, text) for every secret position under ``node``.

    ``literal`` also covers a ``state:`` URL, whose password (if any) is a secret.
    """
    if isinstance(node, dict):
        if len(node) == 1 and isinstance(node.get("env"), str):
            yield "env", node["env"]
            return
        if len(node) == 1 and isinstance(node.get("file"), str):
            yield "file", node["file"]
            return
        for child_key, child in node.items():
            yield from _references(child, str(child_key))
    elif isinstance(node, list):
        for item in node:
            yield from _references(item, key)
    elif isinstance(node, str) and (key in _SECRET_KEYS or key == "state"):
        yield "literal", node if key in _SECRET_KEYS else _url_password(node)


def _read_secret_file(base_dir: Path, ref: str) -> str:
    path = Path(ref).expanduser()
    path = path if path.is_absolute() else base_dir / path
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError):
        return ""


def _url_password(url: str) -> str:
    try:
        return urlsplit(url).password or ""
    except ValueError:
        return ""


def _forms(value: str) -> set[str]:
    """The ways a value can appear in our outputs: as is, JSON-quoted (text and JSON renderings),
    escaped as HTML character references (Markdown outside fences) and entity-coded as in a
    Mermaid label (the comment's graph)."""
    return {
        value,
        json.dumps(value, ensure_ascii=False)[1:-1],
        json.dumps(value)[1:-1],
        escape(value),
        entity_coded(value),
    }


def _whole(form: str) -> str:
    """A pattern of ``form`` as a whole token: not glued to a letter or digit on a side where
    the form itself begins or ends with one (``[^\\W_]`` is a letter or digit)."""
    before = r"(?<![^\W_])" if form[0].isalnum() else ""
    after = r"(?![^\W_])" if form[-1].isalnum() else ""
    return f"{before}{re.escape(form)}{after}"


def scrub(text: str, secrets: Iterable[str]) -> Scrubbed:
    """``text`` with every whole occurrence of any secret value (in any of its forms) replaced
    by ``(sensitive)``: a value glued to letters or digits is part of another word ("xist" in
    "exists") and stays. Longest first, so a secret that contains another is replaced whole."""
    forms = sorted({form for value in secrets if value for form in _forms(value)}, key=len)
    if not forms:
        return Scrubbed(text, 0)
    pattern = re.compile("|".join(_whole(form) for form in reversed(forms)))
    scrubbed, replaced = pattern.subn(REPLACEMENT, text)
    return Scrubbed(scrubbed, replaced)
