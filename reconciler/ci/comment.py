"""The sticky pull-request comment: its hidden marker, its header line, its scrubbed body.

plan-apply-anchors.md §2.9 (Atlantis: one comment per PR, updated in place) and §3 complaints
6 (one sticky comment, capped) and 7 (bind the plan to its head SHA).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from reconciler.ci.secrets import Scrubbed, scrub
from reconciler.errors import UsageError
from reconciler.plan.ops import Plan
from reconciler.plan.render.markdown import MARKER, FullPlan, escape, render_markdown

__all__ = [
    "DEFAULT_ARTIFACT",
    "MARKER",
    "artifacts_url",
    "comment_body",
    "comment_header",
    "environment_heading",
    "environment_marker",
    "environment_of",
    "holds_marker",
    "sticky_marker",
]

DEFAULT_ARTIFACT = "reconciler-plan"
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
_KEYED = "<!-- reconciler-plan: "
_KEY = re.compile(r"^[A-Za-z0-9._/-]+$")
_ENVIRONMENT = "<!-- reconciler-environment: "
_ENVIRONMENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")  # the settings schema's pattern
_ENVIRONMENT_LINE = re.compile(rf"^{_ENVIRONMENT}({_ENVIRONMENT_NAME.pattern}) -->$", re.M)


def sticky_marker(key: str | None) -> str:
    """The hidden marker of the sticky comment: one per pull request, or one per ``key`` (a
    config directory) when several configurations share a repository."""
    if key is None:
        return MARKER
    if not _KEY.match(key) or "--" in key:
        raise UsageError(f"--key must be letters, digits and . _ / - (no --), got {key!r}")
    return f"{_KEYED}{key} -->"


def holds_marker(body: str, key: str | None) -> bool:
    """Whether ``body`` is the sticky comment of ``key`` (unkeyed: the marker and no key)."""
    if key is None:
        return MARKER in body and _KEYED not in body
    return sticky_marker(key) in body


def environment_marker(environment: str) -> str:
    """The hidden line that tells ``ci join`` which environment a comment body is of."""
    return f"{_ENVIRONMENT}{environment} -->"


def environment_of(body: str) -> str | None:
    """The environment a comment body was made in (from its hidden line), else None."""
    match = _ENVIRONMENT_LINE.search(body)
    return match.group(1) if match else None


def environment_heading(environment: str) -> str:
    """The heading of an environment's section of the comment."""
    return f"## Environment <code>{escape(environment)}</code>"


def artifacts_url(run_url: str) -> str:
    """The run page's list of artifacts (GitHub: the run's URL with ``#artifacts``)."""
    split = urlsplit(run_url)
    if split.scheme not in ("http", "https") or not split.netloc or re.search(r"[\s<>]", run_url):
        raise UsageError(f"--run-url must be an http(s) URL, got {run_url!r}")
    return urlunsplit(split._replace(fragment="artifacts"))


def comment_header(
    *,
    head_sha: str | None = None,
    run_url: str | None = None,
    artifact_name: str,
    full_plan: FullPlan,
) -> str:
    """One line: the head commit (short), the run link, the artifact and the two files in it
    that hold the whole plan (linked when ``full_plan`` has the artifacts' URL)."""
    parts: list[str] = []
    if head_sha:
        if not _SHA.match(head_sha):
            raise UsageError(f"--head-sha must be a hexadecimal commit SHA, got {head_sha!r}")
        parts.append(f"Commit <code>{head_sha[:7].lower()}</code>")
    if run_url:
        artifacts_url(run_url)  # refuses a URL that is not http(s)
        parts.append(f"[workflow run](<{run_url}>)")
    parts.append(f"plan artifact <code>{escape(artifact_name)}</code>: {full_plan.markdown()}")
    return " · ".join(parts)


def comment_body(
    plan: Plan,
    *,
    secrets: Iterable[str],
    head_sha: str | None = None,
    run_url: str | None = None,
    artifact_name: str = DEFAULT_ARTIFACT,
    max_chars: int = 60000,
    text_name: str = "plan.txt",
    saved_name: str = "plan.json",
    key: str | None = None,
) -> Scrubbed:
    """The sticky PR comment: marker, header line, then the Markdown plan, then the scrub.

    ``text_name`` and ``saved_name`` are the readable and the saved plan in the artifact; with
    ``run_url`` both are linked to the run's artifacts, in the header and in the note of a
    capped comment. The Markdown cap is reduced by the header's length so the whole body stays
    within ``max_chars`` (a scrubbed value shorter than ``(sensitive)`` may add a few
    characters).
    """
    full_plan = FullPlan(text_name, saved_name, artifacts_url(run_url) if run_url else None)
    header = comment_header(
        head_sha=head_sha, run_url=run_url, artifact_name=artifact_name, full_plan=full_plan
    )
    if plan.environment is not None and not _ENVIRONMENT_NAME.fullmatch(plan.environment):
        raise UsageError(f"the plan names no valid environment: {plan.environment!r}")
    if plan.environment is not None:  # a section of the comment `ci join` makes
        header = f"{environment_heading(plan.environment)}\n\n{header}"
    lead = MARKER + "\n\n"
    markers = lead if key is None else f"{MARKER}\n{sticky_marker(key)}\n\n"
    if plan.environment is not None:
        markers = markers[:-1] + environment_marker(plan.environment) + "\n\n"
    budget = max_chars - len(header) - 2 - (len(markers) - len(lead))
    if budget < 200:
        raise UsageError(f"--max-chars {max_chars} leaves no room for the plan")
    markdown = render_markdown(plan, max_chars=budget, full_plan=full_plan)
    assert markdown.startswith(lead), "render_markdown starts with the marker"
    # The marker stays as is (a secret that happened to contain it must not unstick the comment).
    scrubbed = scrub(header + "\n\n" + markdown[len(lead) :], secrets)
    return Scrubbed(markers + scrubbed.text, scrubbed.replaced)
