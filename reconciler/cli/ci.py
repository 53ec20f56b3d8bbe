"""``reconciler ci …``: the pull-request workflow's steps (docs/ci.md).

``comment`` prints the sticky comment body for a saved plan, ``join`` makes one body of the bodies
of several environments, ``post`` creates or updates that one comment on the pull request,
``compare`` tells whether a re-made plan does what the reviewed one did. Thin over
:mod:`reconciler.ci`.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler.ci import (
    DEFAULT_ARTIFACT,
    GITHUB_API_URL,
    comment_body,
    compare_plans,
    join_comments,
    post_sticky_comment,
    secret_values,
)
from reconciler.errors import EXIT_OK, StalePlanError, UsageError
from reconciler.plan.saved import read_plan_file

_PLAN_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_BODY_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("ci")
def group() -> None:
    """Steps of the pull-request workflow: comment, join, post, compare."""


_max_chars = click.option(
    "--max-chars",
    type=click.IntRange(min=1),
    default=60000,
    show_default=True,
    help="Cap on the whole comment (GitHub allows 65,536).",
)


@group.command("comment")
@click.option("--plan", "plan_path", type=_PLAN_FILE, required=True, help="A saved plan.")
@click.option("--run-url", help="Link to the CI run that made the plan.")
@click.option("--head-sha", help="The pull request's head commit (default: the plan's git SHA).")
@_max_chars
@click.option(
    "--artifact-name",
    default=DEFAULT_ARTIFACT,
    show_default=True,
    help="Name of the CI artifact holding the full plan.",
)
@click.option(
    "--plan-text",
    "plan_text",
    help="Name of the readable plan (what `reconciler plan` printed) beside the saved plan in "
    "the artifact; the comment names and links both.  [default: the plan's name with .txt]",
)
@click.option(
    "--key",
    help="One sticky comment per KEY (e.g. the config directory) when several configurations "
    "share a repository.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Config whose secret references are scrubbed (default: the one the plan names).",
)
def comment(
    plan_path: Path,
    run_url: str | None,
    head_sha: str | None,
    max_chars: int,
    artifact_name: str,
    plan_text: str | None,
    key: str | None,
    config_path: Path | None,
) -> int:
    """Print the sticky pull-request comment for a saved plan; secrets are scrubbed."""
    plan = read_plan_file(plan_path).plan
    config = config_path or Path(plan.config_path or ".")
    result = comment_body(
        plan,
        secrets=secret_values(config),
        head_sha=head_sha or plan.git_sha,
        run_url=run_url,
        artifact_name=artifact_name,
        max_chars=max_chars,
        text_name=plan_text or plan_path.with_suffix(".txt").name,
        saved_name=plan_path.name,
        key=key,
    )
    if result.replaced:
        # Defence in depth caught something the renderers should have masked: say so loudly.
        click.echo(
            f"warning: {result.replaced} secret value(s) were scrubbed from the comment; "
            "please report this as a bug",
            err=True,
        )
    click.echo(result.text, nl=False)
    return EXIT_OK


@group.command("join")
@click.argument("bodies", nargs=-1, required=True, type=_BODY_FILE, metavar="BODY...")
@_max_chars
def join(bodies: tuple[Path, ...], max_chars: int) -> int:
    """Print one comment from the bodies of several environments' plans (`ci comment` with a
    plan made with --env): one section per environment, sorted."""
    texts = [_read_body(path) for path in bodies]
    click.echo(join_comments(texts, max_chars=max_chars), nl=False)
    return EXIT_OK


def _read_body(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the comment body: {exc}") from None


@group.command("post")
@click.option(
    "--body",
    "body_path",
    type=_BODY_FILE,
    required=True,
    help="The comment body (from `reconciler ci comment`).",
)
@click.option("--repo", required=True, help="OWNER/NAME of the repository.")
@click.option("--pr", type=int, required=True, help="Pull-request number.")
@click.option(
    "--api-url",
    envvar="GITHUB_API_URL",
    default=GITHUB_API_URL,
    show_default=True,
    help="GitHub API base URL (GitHub Enterprise: https://HOST/api/v3).",
)
@click.option(
    "--key",
    help="One sticky comment per KEY (e.g. the config directory) when several configurations "
    "share a repository.",
)
def post(body_path: Path, repo: str, pr: int, api_url: str, key: str | None) -> int:
    """Create or update the one sticky plan comment on a pull request (token: GITHUB_TOKEN)."""
    result = post_sticky_comment(
        _read_body(body_path),
        repo=repo,
        pr=pr,
        token=os.environ.get("GITHUB_TOKEN", ""),
        api_url=api_url,
        key=key,
    )
    where = f": {result.url}" if result.url else ""
    click.echo(f"{result.action.capitalize()} the plan comment on {repo}#{pr}{where}")
    return EXIT_OK


@group.command("compare")
@click.argument("reviewed", type=_PLAN_FILE)
@click.argument("new", type=_PLAN_FILE)
def compare(reviewed: Path, new: Path) -> int:
    """Exit 0 when NEW makes the same operations as REVIEWED, else list the differences, exit 5."""
    reviewed_plan = read_plan_file(reviewed).plan
    new_plan = read_plan_file(new).plan
    differences = compare_plans(reviewed_plan, new_plan)
    if differences:
        raise StalePlanError(
            f"the new plan differs from the reviewed plan ({reviewed}); review it again:\n  "
            + "\n  ".join(differences)
        )
    count = len(new_plan.changes)
    noun = "operation" if count == 1 else "operations"
    click.echo(f"The new plan makes the same {count} {noun} as the reviewed plan.")
    return EXIT_OK
