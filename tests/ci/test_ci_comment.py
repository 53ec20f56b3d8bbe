"""``reconciler ci comment``: the sticky comment body, its header, its cap, and the secret scrub."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ci_plans import HEAD_SHA, create_field, plan, sample_plan, save

from reconciler.ci import Scrubbed, comment_body, comment_header, scrub, secret_values
from reconciler.ci.comment import artifacts_url
from reconciler.cli import main
from reconciler.plan.ops import FieldChange, UpdateOp, address
from reconciler.plan.render.markdown import FullPlan

GOLDEN = Path(__file__).parent / "golden" / "comment.md"
RUN_URL = "https://github.com/acme/crm/actions/runs/4242"

EMEA = """\
apiVersion: reconciler/v1
kind: Integration
metadata: {name: emea}
spec:
  owner: marketing-ops
  connection:
    username: apiuser-emea@apiconnector.com
    password: {env: DOTMAILER_EMEA_PASSWORD}
  oauth:
    clientId: "1234"
    clientSecret: {file: secrets/emea-oauth.txt}
"""
SETTINGS = """\
apiVersion: reconciler/v1
kind: Settings
state: postgresql://reconciler:pg-Pa55word@db.internal/reconciler
oro:
  url: https://oro.example.com
  clientId: ci
  clientSecret: {env: ORO_SECRET}
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config dir (``config/``) whose secrets come from env variables and a file."""
    directory = tmp_path / "config"
    (directory / "secrets").mkdir(parents=True)
    (directory / "emea.yaml").write_text(EMEA, encoding="utf-8")
    (directory / "reconciler.yaml").write_text(SETTINGS, encoding="utf-8")
    (directory / "secrets" / "emea-oauth.txt").write_text("oauth_<s3cret>\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return directory


def test_the_comment_body_matches_the_golden_file(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save(Path("plan.json"), sample_plan())
    code = main(
        [
            "ci", "comment", "--plan", "plan.json", "--run-url", RUN_URL,
            "--artifact-name", "reconciler-plan-pr-7",
        ]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert out == GOLDEN.read_text(encoding="utf-8")


FILES = "<code>plan.txt</code> (readable) and <code>plan.json</code> (saved)"


def test_the_header_names_commit_run_and_artifact_and_links_both_plans() -> None:
    linked = FullPlan("plan.txt", "plan.json", artifacts_url(RUN_URL))
    assert comment_header(
        head_sha=HEAD_SHA, run_url=RUN_URL, artifact_name="plan_pr-7", full_plan=linked
    ) == (
        "Commit <code>0123456</code> · [workflow run](<https://github.com/acme/crm/actions/runs/"
        "4242>) · plan artifact <code>plan&#95;pr-7</code>: [<code>plan.txt</code> (readable) "
        "and <code>plan.json</code> (saved)](<https://github.com/acme/crm/actions/runs/4242"
        "#artifacts>)"
    )
    assert comment_header(artifact_name="reconciler-plan", full_plan=FullPlan()) == (
        f"plan artifact <code>reconciler-plan</code>: {FILES}"
    )


def test_the_artifacts_link_is_the_run_page_with_its_artifacts_anchor() -> None:
    assert [
        artifacts_url(url)
        for url in (RUN_URL, f"{RUN_URL}/attempts/2", f"{RUN_URL}#summary", f"{RUN_URL}?pr=7")
    ] == [
        f"{RUN_URL}#artifacts",
        f"{RUN_URL}/attempts/2#artifacts",
        f"{RUN_URL}#artifacts",
        f"{RUN_URL}?pr=7#artifacts",
    ]


def test_the_readable_plan_is_named_after_the_saved_one_unless_given(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save(Path("drift.json"), sample_plan())
    assert main(["ci", "comment", "--plan", "drift.json"]) == 0
    assert capsys.readouterr().out.splitlines()[2] == (
        "Commit <code>0123456</code> · plan artifact <code>reconciler-plan</code>: "
        "<code>drift.txt</code> (readable) and <code>drift.json</code> (saved)"
    )
    assert main(["ci", "comment", "--plan", "drift.json", "--plan-text", "drift-plan.log"]) == 0
    assert capsys.readouterr().out.splitlines()[2] == (
        "Commit <code>0123456</code> · plan artifact <code>reconciler-plan</code>: "
        "<code>drift-plan.log</code> (readable) and <code>drift.json</code> (saved)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--head-sha", "not-a-sha"],
            "--head-sha must be a hexadecimal commit SHA, got 'not-a-sha'",
        ),
        (
            ["--run-url", "javascript:alert(1)"],
            "--run-url must be an http(s) URL, got 'javascript:alert(1)'",
        ),
        (["--max-chars", "250"], "--max-chars 250 leaves no room for the plan"),
    ],
)
def test_bad_header_values_are_usage_errors(
    config: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    save(Path("plan.json"), sample_plan())
    assert main(["ci", "comment", "--plan", "plan.json", *args]) == 64
    assert capsys.readouterr() == ("", f"error: {message}\n")


def test_the_head_sha_defaults_to_the_plans_git_sha(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save(Path("plan.json"), sample_plan())
    assert main(["ci", "comment", "--plan", "plan.json"]) == 0
    assert capsys.readouterr().out.splitlines()[:3] == [
        "<!-- reconciler-plan -->",
        "",
        f"Commit <code>0123456</code> · plan artifact <code>reconciler-plan</code>: {FILES}",
    ]


def test_the_whole_comment_stays_under_the_cap() -> None:
    many = plan(*(create_field(f"FIELD_{i:03}", notes="x" * 80) for i in range(400)))
    body = comment_body(many, secrets=(), head_sha=HEAD_SHA, run_url=RUN_URL, max_chars=5000).text
    assert len(body) <= 5000
    assert body.startswith("<!-- reconciler-plan -->\n\nCommit <code>0123456</code>")
    assert f"The whole plan is in [{FILES}](<{RUN_URL}#artifacts>)." in body


def test_a_missing_config_fails_rather_than_posting_unscrubbed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    save(Path("plan.json"), sample_plan(config_path="gone"))
    assert main(["ci", "comment", "--plan", "plan.json"]) == 3
    assert capsys.readouterr() == (
        "",
        "error: gone: cannot read the configuration to learn its secret references "
        "(pass --config DIR)\n",
    )


# --- secrets -------------------------------------------------------------------------------

PASSWORD = "dm_P4ss*word<1>"
ORO_SECRET = "oro-client-s3cret"
STATE_KEY = "00112233445566778899aabbccddeeff"
ORO_ENV_SECRET = "env-oro-secret-value"


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOTMAILER_EMEA_PASSWORD", PASSWORD)
    monkeypatch.setenv("ORO_SECRET", ORO_SECRET)
    monkeypatch.setenv("RECONCILER_STATE_KEY", STATE_KEY)
    monkeypatch.setenv("RECONCILER_ORO_CLIENT_SECRET", ORO_ENV_SECRET)


def test_secret_values_are_every_value_the_config_can_reach(
    config: Path, secrets_env: None
) -> None:
    assert secret_values(config) == {
        PASSWORD,
        ORO_SECRET,
        "oauth_<s3cret>",
        "pg-Pa55word",
        STATE_KEY,
        ORO_ENV_SECRET,
    }


def test_unset_variables_and_unread_files_add_nothing(config: Path) -> None:
    (config / "secrets" / "emea-oauth.txt").unlink()
    assert secret_values(config, environ={}) == {"pg-Pa55word"}


def test_literal_secrets_and_the_state_url_password_are_found(tmp_path: Path) -> None:
    file = tmp_path / "one.yaml"
    file.write_text(
        EMEA.replace("{env: DOTMAILER_EMEA_PASSWORD}", '"literal-pass-1"'), encoding="utf-8"
    )
    environ = {"RECONCILER_STATE": "postgresql://u:env-pg-pass@h/db"}
    assert secret_values(file, environ=environ) == {"literal-pass-1", "env-pg-pass"}


def test_scrub_replaces_every_form_longest_first() -> None:
    # JSON-quoted (text, JSON) and HTML character references (Markdown) forms are scrubbed too.
    text = 'a "pass\\"word" b pass<word-long c pass&#60;word d pass, e pass_1 f passpass'
    result = scrub(text, ['pass"word', "pass<word", "pass<word-long", "", "pass"])
    assert result.text == (
        'a "(sensitive)" b (sensitive) c (sensitive) d (sensitive), e (sensitive)_1 f passpass'
    )
    assert result.replaced == 5


def test_scrub_replaces_the_entity_coded_form_of_the_comments_graph() -> None:
    graph = 'n2["data field dm_P4ss#42;word#60;1#62; (create)"]'
    assert scrub(graph, [PASSWORD]) == Scrubbed('n2["data field (sensitive) (create)"]', 1)


def test_scrub_masks_whole_values_never_a_part_of_a_word() -> None:
    # Issue 11: a short secret value made "exists" into "e(sensitive)ists".
    text = "Field already exists. xist=xist; 'xist' (xist) xist2 Xist exist\nxist"
    result = scrub(text, ["xist"])
    assert result.text == (
        "Field already exists. (sensitive)=(sensitive); '(sensitive)' ((sensitive)) xist2 Xist "
        "exist\n(sensitive)"
    )
    assert result.replaced == 5


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("https://user:s3cret-Value@db.example/x", "https://user:(sensitive)@db.example/x"),
        ('{"password": "s3cret-Value"}', '{"password": "(sensitive)"}'),
        ("s3cret-Value", "(sensitive)"),
        ("F_s3cret-Value", "F_(sensitive)"),
        ("s3cret-Values", "s3cret-Values"),
        ("as3cret-Value", "as3cret-Value"),
        ("é s3cret-Valueé", "é s3cret-Valueé"),
    ],
)
def test_a_secret_is_a_token_when_no_letter_or_digit_touches_it(text: str, scrubbed: str) -> None:
    assert scrub(text, ["s3cret-Value"]).text == scrubbed


def test_a_secret_that_begins_or_ends_with_a_symbol_is_masked_wherever_it_stands() -> None:
    # Only a letter or digit at the value's own edge asks for a boundary there.
    assert scrub("x<pw>y and ab!c", ["<pw>", "!c"]).text == "x(sensitive)y and ab(sensitive)"


def leaky_plan() -> object:
    """A faulty plan: secret values in an unmasked field, a warning and a name."""
    op = UpdateOp(
        address=address("integration", "emea"),
        kind="integration",
        integration="emea",
        reason="config_changed",
        changes=(
            FieldChange("notes", "old", f"password is {PASSWORD}"),
            FieldChange("clientSecret", None, "oauth_<s3cret>"),
        ),
    )
    return plan(
        op,
        create_field(f"F_{ORO_SECRET}"),
        create_field(PASSWORD),
        warnings=(
            f"key {STATE_KEY}, {ORO_ENV_SECRET}, {PASSWORD}",
            f"pg: pg-Pa55word {ORO_SECRET}",
        ),
    )


def test_no_secret_value_reaches_the_comment(
    config: Path, secrets_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    save(Path("plan.json"), leaky_plan())  # type: ignore[arg-type]
    assert main(["ci", "comment", "--plan", "plan.json", "--run-url", RUN_URL]) == 0
    out, err = capsys.readouterr()
    for value in (PASSWORD, ORO_SECRET, STATE_KEY, ORO_ENV_SECRET, "pg-Pa55word", "s3cret"):
        assert value not in out
    # The Markdown renderer escapes specials outside fences (&#95; &#42; &#60;), the graph
    # entity-codes them in its labels (#42; #60;): both forms are scrubbed too.
    assert "P4ss" not in out and "oauth" not in out
    assert '"data field (sensitive) (create)"]' in out
    assert out.count("(sensitive)") == 13
    assert err == (
        "warning: 13 secret value(s) were scrubbed from the comment; please report this as a bug\n"
    )
    assert os.environ["DOTMAILER_EMEA_PASSWORD"] == PASSWORD  # the scrub read the real values


def test_the_marker_survives_a_secret_that_contains_it() -> None:
    body = comment_body(sample_plan(), secrets=["reconciler-plan"], artifact_name="reconciler-plan")
    assert body.text.splitlines()[:3] == [
        "<!-- reconciler-plan -->",
        "",
        f"plan artifact <code>(sensitive)</code>: {FILES}",
    ]
    assert body.replaced == 1


def test_a_key_adds_its_own_marker_inside_the_cap() -> None:
    many = plan(*(create_field(f"FIELD_{i:03}", notes="x" * 80) for i in range(400)))
    body = comment_body(many, secrets=(), key="shop/integrations", max_chars=5000).text
    assert body.splitlines()[:4] == [
        "<!-- reconciler-plan -->",
        "<!-- reconciler-plan: shop/integrations -->",
        "",
        f"plan artifact <code>reconciler-plan</code>: {FILES}",
    ]
    assert len(body) <= 5000
