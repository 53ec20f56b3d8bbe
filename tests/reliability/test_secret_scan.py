"""No secret value of a run in anything the run produced.

Every lab is scanned when it closes (conftest.open_lab): every output of every run and every
file under the lab (state, saved plans, logs, run outputs). This module proves the scan finds
what it looks for, and drives the paths most likely to leak: every output format, a saved plan,
the state commands, remote failures with --debug tracebacks, and a refused literal secret.
"""

from __future__ import annotations

from pathlib import Path

from e2e.sandbox_env import SECRETS
from harness import TALLY, Lab, scan_for_secrets

from reconciler.sandbox.dotmailer import password_digest


def test_the_scan_finds_a_planted_secret_in_an_output_and_in_a_file(tmp_path: Path) -> None:
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "leak.bin").write_bytes(
        b"\x00prefix" + SECRETS["DOTMAILER_APAC_OAUTH_SECRET"].encode() + b"\xff"
    )
    (tmp_path / "clean.txt").write_text("nothing here", encoding="utf-8")
    outputs = ["fine", f"password={SECRETS['DOTMAILER_EMEA_PASSWORD']}"]
    assert scan_for_secrets(outputs, tmp_path) == [
        "DOTMAILER_APAC_OAUTH_SECRET in deep/er/leak.bin",
        "DOTMAILER_EMEA_PASSWORD in output 1",
    ]


def test_every_output_and_file_of_a_busy_session_is_free_of_secrets(lab: Lab) -> None:
    lab.scenario = "secret scan"
    for fmt in ("text", "json", "markdown"):
        assert lab.run("plan", "integrations", "--format", fmt).code == 0
    assert lab.run("plan", "integrations", "--out", "plan.json").code == 0
    applied = lab.run("apply", "plan.json")
    assert applied.code == 0, applied.err
    for args in (
        ("state", "list"),
        ("state", "show", "integration.apac"),
        ("state", "show", "integration.apac", "--format", "json"),
    ):
        assert lab.run(*args, "--config", "integrations").code == 0
    # The AMER API user's password is changed in dotmailer, then in the environment: a
    # sensitive update of the integration, planned and applied with the value masked.
    new_password = "a-new-amer-password-9"
    account = lab.sandbox.dotmailer.account("apiuser-amer@apiconnector.com")
    account.password_sha256 = password_digest(new_password)
    lab.env_overrides["DOTMAILER_AMER_PASSWORD"] = new_password
    for fmt in ("text", "json", "markdown"):
        changed = lab.run("plan", "integrations", "--format", fmt, "--detailed-exitcode")
        assert changed.code == 2, changed.err
    updated = lab.run("apply", "integrations", "--auto-approve")
    assert updated.code == 0, updated.err
    assert "~ integration.amer" in updated.out
    # Remote failures: the messages name method and URL, never credentials, even with --debug.
    lab.env_overrides["DOTMAILER_AMER_PASSWORD"] = "a-wrong-amer-password-7"
    refused = lab.run("apply", "integrations", "--auto-approve")
    TALLY.add(lab.scenario, faults=1)
    assert (refused.code, refused.out) == (4, ""), refused.err
    assert refused.err.startswith(
        "error: dotmailer: credentials refused (integration 'amer', dotmailer user "
        "apiuser-amer@apiconnector.com at "
    )
    assert ": GET http://127.0.0.1:" in refused.err
    debug = lab.run("--debug", "plan", "integrations")
    assert debug.code == 1 and "Traceback" in debug.err
    assert "AuthenticationError" in debug.err.splitlines()[-1]
    # A literal secret is refused without echoing it.
    emea = lab.config / "emea.yaml"
    emea.write_text(
        emea.read_text(encoding="utf-8").replace(
            "{env: DOTMAILER_EMEA_PASSWORD}", SECRETS["DOTMAILER_EMEA_PASSWORD"]
        ),
        encoding="utf-8",
    )
    literal = lab.run("plan", "integrations")
    TALLY.add(lab.scenario, faults=1)
    assert literal.code == 3
    emea.unlink()  # the config now holds a secret value on purpose; it is not the tool's output
