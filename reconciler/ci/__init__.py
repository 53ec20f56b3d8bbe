"""The pull-request workflow's library side: the sticky comment, posting it, comparing plans.

Public API (the ``reconciler ci`` commands are thin over these)::

    comment_body(plan, *, secrets, head_sha=None, run_url=None, artifact_name=DEFAULT_ARTIFACT,
                 max_chars=60000, full_plan_hint="plan.json", key=None) -> Scrubbed
    secret_values(config_path, *, environ=None) -> frozenset[str]
    scrub(text, secrets) -> Scrubbed
    post_sticky_comment(body, *, repo, pr, token, api_url=GITHUB_API_URL, key=None,
                        transport=None, policy=None, sleep=time.sleep) -> PostResult
    sticky_marker(key) -> str   # the hidden marker a comment is found by
    compare_plans(reviewed, new) -> tuple[str, ...]

Where the rules come from: plan-apply-anchors.md §2.9 (Atlantis: one comment per PR, updated in
place) and §3 complaints 3 (scrub known secret values from everything posted), 6 (one sticky
comment, capped) and 7 (bind the plan to its head SHA; at merge apply the reviewed plan or
re-plan and refuse when the operations differ).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import httpx
import yaml

from reconciler.config import config_base_dir
from reconciler.config.loader import discover
from reconciler.config.settings import ORO_CLIENT_SECRET_ENV
from reconciler.errors import ConfigError, RemoteError, UsageError
from reconciler.plan.ops import FieldChange, Op, Plan, ReplaceOp, paired_ops
from reconciler.plan.render._common import SENSITIVE, field_changes, format_value
from reconciler.plan.render.markdown import MARKER, escape, render_markdown
from reconciler.providers.http import Caller, RetryPolicy
from reconciler.state.base import STATE_KEY_ENV

__all__ = [
    "DEFAULT_ARTIFACT",
    "GITHUB_API_URL",
    "MARKER",
    "PostResult",
    "Scrubbed",
    "comment_body",
    "comment_header",
    "compare_plans",
    "post_sticky_comment",
    "scrub",
    "secret_values",
    "sticky_marker",
]

DEFAULT_ARTIFACT = "reconciler-plan"
GITHUB_API_URL = "https://api.github.com"
REPLACEMENT = SENSITIVE  # what a scrubbed value becomes: the renderers' own mask
# Keys whose literal string values are secrets (SPEC §2.5 secret positions; with
# --allow-literal-secrets the value sits in the YAML itself).
_SECRET_KEYS = frozenset({"password", "clientSecret"})
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
_PAGE_SIZE = 100  # GitHub's largest page for issue comments
_KEYED = "<!-- reconciler-plan: "
_KEY = re.compile(r"^[A-Za-z0-9._/-]+$")


def sticky_marker(key: str | None) -> str:
    """The hidden marker of the sticky comment: one per pull request, or one per ``key`` (a
    config directory) when several configurations share a repository."""
    if key is None:
        return MARKER
    if not _KEY.match(key) or "--" in key:
        raise UsageError(f"--key must be letters, digits and . _ / - (no --), got {key!r}")
    return f"{_KEYED}{key} -->"


def _holds(body: str, key: str | None) -> bool:
    if key is None:
        return MARKER in body and _KEYED not in body
    return sticky_marker(key) in body


# --- secrets and the scrub -----------------------------------------------------------------


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
    """The ways a value can appear in our outputs: as is, JSON-quoted (text and JSON renderings)
    and escaped as HTML character references (Markdown outside fences)."""
    return {
        value,
        json.dumps(value, ensure_ascii=False)[1:-1],
        json.dumps(value)[1:-1],
        escape(value),
    }


def scrub(text: str, secrets: Iterable[str]) -> Scrubbed:
    """``text`` with every occurrence of any secret value (in any of its forms) replaced by
    ``(sensitive)``. Longest first, so a secret that contains another is replaced whole."""
    forms = sorted({form for value in secrets if value for form in _forms(value)}, key=len)
    replaced = 0
    for form in reversed(forms):
        count = text.count(form)
        if count:
            replaced += count
            text = text.replace(form, REPLACEMENT)
    return Scrubbed(text, replaced)


# --- the comment body ------------------------------------------------------------------------


def comment_header(
    *, head_sha: str | None = None, run_url: str | None = None, artifact_name: str
) -> str:
    """One line: the head commit (short), the run link, the artifact holding the full plan."""
    parts: list[str] = []
    if head_sha:
        if not _SHA.match(head_sha):
            raise UsageError(f"--head-sha must be a hexadecimal commit SHA, got {head_sha!r}")
        parts.append(f"Commit <code>{head_sha[:7].lower()}</code>")
    if run_url:
        split = urlsplit(run_url)
        if (
            split.scheme not in ("http", "https")
            or not split.netloc
            or re.search(r"[\s<>]", run_url)
        ):
            raise UsageError(f"--run-url must be an http(s) URL, got {run_url!r}")
        parts.append(f"[workflow run](<{run_url}>)")
    parts.append(f"plan artifact: <code>{escape(artifact_name)}</code>")
    return " · ".join(parts)


def comment_body(
    plan: Plan,
    *,
    secrets: Iterable[str],
    head_sha: str | None = None,
    run_url: str | None = None,
    artifact_name: str = DEFAULT_ARTIFACT,
    max_chars: int = 60000,
    full_plan_hint: str = "plan.json",
    key: str | None = None,
) -> Scrubbed:
    """The sticky PR comment: marker, header line, then the Markdown plan, then the scrub.

    The Markdown cap is reduced by the header's length so the whole body stays within
    ``max_chars`` (a scrubbed value shorter than ``(sensitive)`` may add a few characters).
    """
    header = comment_header(head_sha=head_sha, run_url=run_url, artifact_name=artifact_name)
    lead = MARKER + "\n\n"
    markers = lead if key is None else f"{MARKER}\n{sticky_marker(key)}\n\n"
    budget = max_chars - len(header) - 2 - (len(markers) - len(lead))
    if budget < 200:
        raise UsageError(f"--max-chars {max_chars} leaves no room for the plan")
    markdown = render_markdown(plan, max_chars=budget, full_plan_hint=full_plan_hint)
    assert markdown.startswith(lead), "render_markdown starts with the marker"
    # The marker stays as is (a secret that happened to contain it must not unstick the comment).
    scrubbed = scrub(header + "\n\n" + markdown[len(lead) :], secrets)
    return Scrubbed(markers + scrubbed.text, scrubbed.replaced)


# --- posting the sticky comment --------------------------------------------------------------


@dataclass(frozen=True)
class PostResult:
    action: Literal["created", "updated"]
    comment_id: int
    url: str  # the comment's html_url ("" when the API did not say)


def post_sticky_comment(
    body: str,
    *,
    repo: str,
    pr: int,
    token: str,
    api_url: str = GITHUB_API_URL,
    key: str | None = None,
    transport: httpx.BaseTransport | None = None,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 30.0,
) -> PostResult:
    """Create or update the one comment of ``pr`` that holds the marker of ``key``
    (Atlantis-style sticky; see :func:`sticky_marker`).

    Lists the PR's issue comments (every page), PATCHes the oldest one holding the marker,
    else POSTs a new one. Raises a RemoteError naming method, URL and status (never the token).
    """
    if not _REPO.match(repo):
        raise UsageError(f"--repo must be OWNER/NAME, got {repo!r}")
    if pr < 1:
        raise UsageError(f"--pr must be a pull-request number, got {pr}")
    if not token:
        raise UsageError("GITHUB_TOKEN is not set: the comment cannot be posted")
    marker = sticky_marker(key)
    if not _holds(body, key):
        raise UsageError(f"the comment body lacks the marker {marker}: it could never be updated")
    base = api_url.rstrip("/")
    owner, name = (quote(part, safe="") for part in repo.split("/"))
    headers = {
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {token}",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "reconciler-ci",
    }
    with httpx.Client(
        base_url=base + "/", headers=headers, transport=transport, timeout=timeout
    ) as client:
        caller = Caller(client, service="GitHub", policy=policy, sleep=sleep)
        existing = _find_comment(caller, f"repos/{owner}/{name}/issues/{pr}/comments", key)
        if existing is None:
            response = caller.request(
                "POST",
                f"repos/{owner}/{name}/issues/{pr}/comments",
                idempotent=False,
                json={"body": body},
            )
            action: Literal["created", "updated"] = "created"
        else:
            response = caller.request(
                "PATCH",
                f"repos/{owner}/{name}/issues/comments/{existing}",
                idempotent=True,
                json={"body": body},
            )
            action = "updated"
    payload = _json(response)
    return PostResult(
        action, int(payload.get("id", existing or 0)), str(payload.get("html_url", ""))
    )


def _find_comment(caller: Caller, path: str, key: str | None) -> int | None:
    """The id of the oldest comment holding the marker of ``key``; follows ``rel="next"``."""
    url: str | None = f"{path}?per_page={_PAGE_SIZE}"
    while url is not None:
        response = caller.request("GET", url, idempotent=True)
        comments = _json(response)
        if not isinstance(comments, list):
            raise RemoteError(
                "GitHub: unexpected answer listing comments (not a list)",
                method="GET",
                url=str(response.request.url),
                status=response.status_code,
            )
        for comment in comments:
            if isinstance(comment, dict) and _holds(str(comment.get("body") or ""), key):
                return int(comment["id"])
        url = response.links.get("next", {}).get("url")
    return None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise RemoteError(
            "GitHub: the answer is not JSON",
            method=response.request.method,
            url=str(response.request.url),
            status=response.status_code,
        ) from None


# --- comparing two saved plans ---------------------------------------------------------------


def compare_plans(reviewed: Plan, new: Plan) -> tuple[str, ...]:
    """How ``new`` differs from ``reviewed`` in what it would do; empty when the same.

    Semantic (plan-apply-anchors.md §3 complaint 10): operations by address, action and field
    changes (plus a replace's gate and a block). Creation time, git SHA, state lineage and
    serial, reasons, remote ids and fingerprints are ignored: they move without changing what
    apply does.
    """
    lines: list[str] = []
    for where, a, b in paired_ops(reviewed, new):
        if b is None:
            assert a is not None
            lines.append(f"{where}: only in the reviewed plan ({a.action})")
        elif a is None:
            lines.append(f"{where}: only in the new plan ({b.action})")
        elif a.action != b.action:
            lines.append(f"{where}: {_both('action', a.action, b.action)}")
        else:
            lines += [f"{where}: {line}" for line in _op_differences(a, b)]
    return tuple(lines)


def _op_differences(a: Op, b: Op) -> list[str]:
    lines: list[str] = []
    rows_a, rows_b = _rows(a), _rows(b)
    for name in sorted(set(rows_a) | set(rows_b)):
        ra, rb = rows_a.get(name), rows_b.get(name)
        if ra != rb:
            lines.append(_both(f"field {name}", _describe(ra), _describe(rb)))
    if isinstance(a, ReplaceOp) and isinstance(b, ReplaceOp) and a.allowed != b.allowed:
        lines.append(_both("replace allowed", _yes(a.allowed), _yes(b.allowed)))
    if a.blocked != b.blocked:
        lines.append(_both("blocked", a.blocked or "no", b.blocked or "no"))
    return lines


def _both(what: str, reviewed: str, new: str) -> str:
    return f"{what}: {reviewed} in the reviewed plan, {new} in the new plan"


def _rows(op: Op) -> dict[str, FieldChange]:
    return {row.field: row for row in field_changes(op)}


def _describe(row: FieldChange | None) -> str:
    if row is None:
        return "unchanged"
    if row.sensitive:
        return f"{SENSITIVE} changes"
    return f"{format_value(row.before)} -> {format_value(row.after)}"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
