"""``reconciler ci join``: one sticky comment from the bodies of several environments."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from ci_plans import sample_plan

from reconciler.ci import comment_body, join_comments
from reconciler.cli import main
from reconciler.errors import UsageError

KEYED = "<!-- reconciler-plan -->\n<!-- reconciler-plan: integrations -->"


def body(environment: str | None, text: str = "### reconciler plan\n\nNo changes.") -> str:
    marker = f"\n<!-- reconciler-environment: {environment} -->" if environment else ""
    heading = f"## Environment <code>{environment}</code>\n\n" if environment else ""
    return f"{KEYED}{marker}\n\n{heading}Commit <code>0123456</code>\n\n{text}\n"


def test_comment_body_of_an_environments_plan_is_a_section() -> None:
    plan = dataclasses.replace(sample_plan(), environment="staging")
    made = comment_body(plan, secrets=(), key="integrations", artifact_name="plan-pr-7-staging")
    assert made.text.split("\n\n")[:3] == [
        f"{KEYED}\n<!-- reconciler-environment: staging -->",
        "## Environment <code>staging</code>",
        "plan artifact <code>plan-pr-7-staging</code>: <code>plan.txt</code> (readable) and "
        "<code>plan.json</code> (saved)",
    ]
    bad = dataclasses.replace(plan, environment="staging -->")
    with pytest.raises(UsageError, match="the plan names no valid environment: 'staging -->'"):
        comment_body(bad, secrets=())


def test_sections_are_joined_once_each_sorted_by_environment() -> None:
    joined = join_comments([body("staging"), body("production", "### reconciler plan\n\nX")])
    assert joined == (
        f"{KEYED}\n\n"
        "## Environment <code>production</code>\n\nCommit <code>0123456</code>\n\n"
        "### reconciler plan\n\nX\n\n"
        "## Environment <code>staging</code>\n\nCommit <code>0123456</code>\n\n"
        "### reconciler plan\n\nNo changes.\n"
    )


def test_a_single_body_without_environment_is_kept_as_it_is() -> None:
    assert join_comments([body(None)]) == body(None)
    assert join_comments([body("staging")]) == (
        f"{KEYED}\n\n## Environment <code>staging</code>\n\nCommit <code>0123456</code>\n\n"
        "### reconciler plan\n\nNo changes.\n"
    )


def test_the_longest_sections_are_cut_until_the_comment_fits() -> None:
    long = body("production", "### reconciler plan\n\n" + "x" * 500)
    joined = join_comments([long, body("staging")], max_chars=450)
    assert joined == (
        f"{KEYED}\n\n"
        "## Environment <code>production</code>\n\nCommit <code>0123456</code>\n\n"
        "> [!NOTE]\n> The plan of environment <code>production</code> is left out to keep this "
        "comment under 450 characters; it is in the plan artifact named above.\n\n"
        "## Environment <code>staging</code>\n\nCommit <code>0123456</code>\n\n"
        "### reconciler plan\n\nNo changes.\n"
    )
    assert len(joined) <= 450


@pytest.mark.parametrize(
    ("bodies", "message"),
    [
        ([], "ci join needs at least one comment body"),
        (["no marker\n"], r"not a comment body made by `reconciler ci comment` \(no marker\)"),
        (
            [body("a"), body("b").replace(": integrations", ": other")],
            r"the comment bodies carry different sticky markers \(--key\)",
        ),
        ([body("a"), body(None)], "a comment body made without --env cannot be joined"),
        ([body("a"), body("a"), body("b")], "two comment bodies of environment a"),
        ([body("a"), body("b")], "--max-chars 10 leaves no room for 2 sections"),
    ],
)
def test_bodies_that_cannot_be_joined_are_refused(bodies: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        join_comments(bodies, max_chars=10 if "max-chars" in message else 60000)


def test_the_command_prints_the_joined_comment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("staging", "production"):
        (tmp_path / f"{name}.md").write_text(body(name), encoding="utf-8")
    code = main(["ci", "join", str(tmp_path / "staging.md"), str(tmp_path / "production.md")])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert out == join_comments([body("production"), body("staging")])
