"""Environments end to end (issue 12 item 2): one config tree, two Oro instances.

Two sandbox servers on loopback stand for ``staging`` and ``production``. The examples are the
base; reconciler.yaml declares both environments with their own endpoints, and the overlay
``environments/staging/`` adds a data field to emea and disables apac. ``apply --env`` converges
each world to its own desired state, ``plan --env`` is empty afterwards in both, and each
environment has its own state (a file, or a PostgreSQL schema, of its own).
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from pgtools import PG_ADMIN_URL, fresh_schema_url
from sandbox_env import EXAMPLES, SECRETS, census, fast_seed

from reconciler.cli import main
from reconciler.sandbox.core import SandboxServer
from reconciler.sandbox.world import Sandbox

ENVIRONMENTS = ("production", "staging")
OVERLAY = """\
# staging only: one more data field on emea; apac is switched off.
apiVersion: reconciler/v1
kind: Integration
metadata:
  name: emea
spec:
  dataFields:
    - {name: STAGING_TRACE, type: String, notes: "staging only"}
---
apiVersion: reconciler/v1
kind: Integration
metadata:
  name: apac
spec:
  enabled: false
"""
STAGING_ONLY = {
    ("dotmailer", "apiuser-emea@apiconnector.com", "field", "STAGING_TRACE"): 1,
    ("oro", "emea", "field", "STAGING_TRACE"): 1,
}
NO_CHANGES = "No changes. Live systems match the configuration.\n"


@dataclass
class Estate:
    """Two sandbox worlds and the config that describes both."""

    worlds: dict[str, Sandbox]
    servers: dict[str, SandboxServer]
    config: Path


@pytest.fixture
def estate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Estate]:
    seed = tmp_path / "seed.yaml"
    seed.write_text(yaml.safe_dump(fast_seed()), encoding="utf-8")
    worlds = {name: Sandbox.open(tmp_path / f"{name}-data", seed) for name in ENVIRONMENTS}
    servers = {name: world.serve("127.0.0.1", 0) for name, world in worlds.items()}
    workdir = tmp_path / "work"
    config = workdir / "integrations"
    shutil.copytree(EXAMPLES, config)
    settings = config / "reconciler.yaml"
    lines = ["environments:"]
    for name, server in servers.items():
        lines += [
            f"  {name}:",
            f"    oro: {{url: {server.url}, clientId: ci}}",
            f"    dotmailer: {{apiUrl: {server.url}}}",
        ]
    settings.write_text(settings.read_text(encoding="utf-8") + "\n".join(lines) + "\n")
    (config / "environments" / "staging").mkdir(parents=True)
    (config / "environments" / "staging" / "integrations.yaml").write_text(OVERLAY)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    for name in ("CI", "RECONCILER_ENV", "RECONCILER_STATE", "RECONCILER_ORO_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(workdir)
    try:
        yield Estate(worlds, servers, config)
    finally:
        for server in servers.values():
            server.stop()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def enabled(world: Sandbox) -> dict[str, bool]:
    assert world.oro is not None
    return {
        str(row["a"]["name"]): bool(row["a"]["enabled"])
        for row in world.oro.tables["integrationchannels"].values()
    }


def state_addresses(capsys: pytest.CaptureFixture[str], environment: str) -> list[str]:
    code, out, err = run(capsys, "state", "list", "--config", "integrations", "--env", environment)
    assert (code, err) == (0, "")
    return out.splitlines()


def converge_both(estate: Estate, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("staging", "production"):
        code, out, err = run(capsys, "apply", "integrations", "--env", name, "--auto-approve")
        assert (code, err) == (0, ""), out
        assert ", 0 failed, 0 skipped.\n" in out


@pytest.mark.slow
def test_each_environment_converges_to_its_own_desired_state(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {name: census(world) for name, world in estate.worlds.items()}
    plans = {
        name: run(capsys, "plan", "integrations", "--env", name, "--detailed-exitcode")
        for name in ENVIRONMENTS
    }
    assert {name: (code, out.splitlines()[-1]) for name, (code, out, _) in plans.items()} == {
        "production": (
            2,
            "Plan: 25 to create, 0 to update, 0 to replace, 0 to delete, 0 to adopt; "
            "3 syncs to schedule.",
        ),
        # One data field more (in dotmailer and in Oro is one object); no sync of apac, which
        # is disabled and so cannot sync.
        "staging": (
            2,
            "Plan: 26 to create, 0 to update, 0 to replace, 0 to delete, 0 to adopt; "
            "2 syncs to schedule.",
        ),
    }

    converge_both(estate, capsys)

    after = {name: census(world) for name, world in estate.worlds.items()}
    made = {name: after[name] - before[name] for name in ENVIRONMENTS}
    assert made["staging"] - made["production"] == Counter(STAGING_ONLY)
    assert made["production"] - made["staging"] == Counter()
    assert {name: enabled(world) for name, world in estate.worlds.items()} == {
        "production": {"amer": True, "apac": True, "emea": True},
        "staging": {"amer": True, "apac": False, "emea": True},
    }
    for name in ENVIRONMENTS:
        assert run(capsys, "plan", "integrations", "--env", name, "--detailed-exitcode") == (
            0,
            NO_CHANGES,
            "",
        )

    # Two states: the default file made each environment's own.
    assert sorted(p.name for p in Path(".reconciler").glob("state.*.db")) == [
        "state.production.db",
        "state.staging.db",
    ]
    staging, production = state_addresses(capsys, "staging"), state_addresses(capsys, "production")
    assert sorted(set(staging) - set(production)) == ["integration.emea.data_field.STAGING_TRACE"]
    assert set(production) < set(staging)


@pytest.mark.slow
@pytest.mark.postgres
def test_one_postgresql_url_keeps_a_schema_per_environment(
    estate: Estate, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_schema_url("envs") as url:
        schema = url.rsplit("=", 1)[1]
        monkeypatch.setenv("RECONCILER_STATE", url)  # as one CI secret for every job
        try:
            converge_both(estate, capsys)
            for name in ENVIRONMENTS:
                assert run(capsys, "plan", "integrations", "--env", name, "--detailed-exitcode")[
                    :2
                ] == (0, NO_CHANGES)
            with psycopg.connect(PG_ADMIN_URL) as conn:
                counts: dict[str, Any] = {
                    name: conn.execute(
                        f'SELECT count(*) FROM "{schema}_{name}".reconciler_objects'
                    ).fetchone()
                    for name in ENVIRONMENTS
                }
            assert counts == {"production": (25,), "staging": (26,)}
        finally:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                for name in ENVIRONMENTS:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}_{name}" CASCADE')


def test_a_run_must_choose_an_environment(
    estate: Estate, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(capsys, "plan", "integrations") == (
        64,
        "",
        "error: integrations/reconciler.yaml declares the environments production, staging: "
        "choose one with --env NAME (or RECONCILER_ENV)\n",
    )
    assert run(capsys, "plan", "integrations", "--env", "qa") == (
        64,
        "",
        'error: no environment "qa" in integrations/reconciler.yaml (it declares production, '
        "staging)\n",
    )
    monkeypatch.setenv("RECONCILER_ENV", "qa")
    assert run(capsys, "state", "list", "--config", "integrations")[0] == 64


def test_in_ci_an_environments_endpoints_come_from_its_job(
    estate: Estate, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The file names each environment's Oro; in CI the job of an environment must pin them.
    monkeypatch.setenv("CI", "true")
    assert run(capsys, "plan", "integrations", "--env", "staging") == (
        3,
        "",
        "error: integrations/reconciler.yaml: CI is set, so credentials and the endpoints they "
        "go to are taken only from the environment: set RECONCILER_ORO_URL instead of oro.url, "
        "RECONCILER_ORO_CLIENT_ID instead of oro.clientId, RECONCILER_DOTMAILER_API_URL instead "
        "of dotmailer.apiUrl of environment staging\n",
    )
    # The staging job sets staging's variables (here: pointing at the staging sandbox).
    url = estate.servers["staging"].url
    monkeypatch.setenv("RECONCILER_ORO_URL", url)
    monkeypatch.setenv("RECONCILER_ORO_CLIENT_ID", "ci")
    monkeypatch.setenv("RECONCILER_DOTMAILER_API_URL", url)
    monkeypatch.setenv("RECONCILER_ENV", "staging")
    code, out, err = run(capsys, "plan", "integrations", "--detailed-exitcode")
    assert (code, err, out.splitlines()[-1]) == (
        2,
        "",
        "Plan: 26 to create, 0 to update, 0 to replace, 0 to delete, 0 to adopt; "
        "2 syncs to schedule.",
    )


@pytest.mark.slow
def test_a_saved_plan_is_applied_in_its_own_environment(
    estate: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "plan", "integrations", "--env", "staging", "--out", "plan.json")
    assert (code, err) == (0, "")
    assert run(capsys, "apply", "plan.json", "--env", "production") == (
        64,
        "",
        "error: plan.json was made in environment staging, not in environment production; a "
        "saved plan is applied where it was made\n",
    )
    code, out, err = run(capsys, "apply", "plan.json")
    assert (code, err) == (0, ""), out
    assert enabled(estate.worlds["staging"]) == {"amer": True, "apac": False, "emea": True}
    assert enabled(estate.worlds["production"]) == {}
