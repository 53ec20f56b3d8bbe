"""Posting the sticky comment through the GitHub REST API: create it once, update it after.

plan-apply-anchors.md §2.9 (Atlantis: one comment per PR, updated in place).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from reconciler.ci.comment import holds_marker, sticky_marker
from reconciler.errors import RemoteError, UsageError

if TYPE_CHECKING:  # imported when a comment is posted, so the CLI starts without httpx
    import httpx

    from reconciler.providers.http import Caller, RetryPolicy

__all__ = ["GITHUB_API_URL", "PostResult", "post_sticky_comment"]

GITHUB_API_URL = "https://api.github.com"
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_PAGE_SIZE = 100  # GitHub's largest page for issue comments


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
    import httpx

    from reconciler.providers.http import Caller

    marker = sticky_marker(key)
    if not holds_marker(body, key):
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
            if isinstance(comment, dict) and holds_marker(str(comment.get("body") or ""), key):
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
