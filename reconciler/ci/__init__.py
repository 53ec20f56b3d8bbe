"""The pull-request workflow's library side: the sticky comment, posting it, comparing plans.

Public API (the ``reconciler ci`` commands are thin over these)::

    comment_body(plan, *, secrets, head_sha=None, run_url=None, artifact_name=DEFAULT_ARTIFACT,
                 max_chars=60000, text_name="plan.txt", saved_name="plan.json",
                 key=None) -> Scrubbed
    secret_values(config_path, *, environ=None) -> frozenset[str]
    scrub(text, secrets) -> Scrubbed
    post_sticky_comment(body, *, repo, pr, token, api_url=GITHUB_API_URL, key=None,
                        transport=None, policy=None, sleep=time.sleep) -> PostResult
    sticky_marker(key) -> str   # the hidden marker a comment is found by
    compare_plans(reviewed, new) -> tuple[str, ...]
    join_comments(bodies, *, max_chars=60000) -> str   # one comment, a section per environment

Where the rules come from: plan-apply-anchors.md §2.9 (Atlantis: one comment per PR, updated in
place) and §3 complaints 3 (scrub known secret values from everything posted), 6 (one sticky
comment, capped) and 7 (bind the plan to its head SHA; at merge apply the reviewed plan or
re-plan and refuse when the operations differ).

One module per job: ``secrets`` (what to scrub, and the scrub), ``comment`` (marker, header,
body), ``join`` (one comment from the bodies of several environments), ``github`` (posting the
sticky comment), ``compare`` (two saved plans).
"""

from __future__ import annotations

from reconciler.ci.comment import (
    DEFAULT_ARTIFACT,
    MARKER,
    comment_body,
    comment_header,
    sticky_marker,
)
from reconciler.ci.compare import compare_plans
from reconciler.ci.github import GITHUB_API_URL, PostResult, post_sticky_comment
from reconciler.ci.join import join_comments
from reconciler.ci.secrets import Scrubbed, scrub, secret_values

__all__ = [
    "DEFAULT_ARTIFACT",
    "GITHUB_API_URL",
    "MARKER",
    "PostResult",
    "Scrubbed",
    "comment_body",
    "comment_header",
    "compare_plans",
    "join_comments",
    "post_sticky_comment",
    "scrub",
    "secret_values",
    "sticky_marker",
]
