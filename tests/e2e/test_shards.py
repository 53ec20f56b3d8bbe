"""Scale out over one PostgreSQL state (issue 14 item 7, docs/scale-out.md): shards chosen by
label run at once, each locking only its integrations; the whole estate converges."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pgtools import fresh_schema_url

from reconciler.sandbox.world import Sandbox

SHARDS = 4
PER_SHARD = 2
SECRET = "sandbox-oro-secret"


def _estate(config: Path) -> dict[str, Any]:
    """Eight integrations labelled shard=s0..s3, each with its own account and list."""
    config.mkdir()
    (config / "reconciler.yaml").write_text(
        "apiVersion: reconciler/v1\noro: {clientSecret: {env: ORO_SECRET}}\n", "utf-8"
    )
    (config / "owners.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Owner\nmetadata: {name: ops}\n"
        "spec: {username: mkt.ops, organization: ACME}\n",
        "utf-8",
    )
    accounts, lists = [], []
    for n in range(SHARDS * PER_SHARD):
        name = f"shop-{n}"
        accounts.append(
            {
                "username": f"api-{n}@apiconnector.com",
                "password": f"pw-{n}-sandbox",
                "region": "r1",
                "rateLimit": {"mode": "off"},
            }
        )
        lists.append({"name": f"List {n}", "entity": "contact"})
        (config / f"{name}.yaml").write_text(
            "apiVersion: reconciler/v1\nkind: Integration\n"
            f"metadata: {{name: {name}, labels: {{shard: s{n % SHARDS}}}}}\n"
            "spec:\n  owner: ops\n"
            f"  connection: {{username: api-{n}@apiconnector.com, password: {{env: PW_{n}}}}}\n"
            "  dataFields:\n    - {name: TIER, type: String}\n    - {name: SCORE, type: Numeric}\n"
            f"  addressBooks:\n    - {{name: News {n}, marketingList: List {n}}}\n",
            "utf-8",
        )
    return {
        "dotmailer": {"accounts": accounts},
        "oro": {
            "clients": [{"id": "ci", "secret": SECRET}],
            "organizations": [{"name": "ACME"}],
            "businessUnits": [{"name": "Main", "organization": "ACME"}],
            "users": [{"username": "mkt.ops", "organization": "ACME", "enabled": True}],
            "marketingLists": lists,
            "integrations": [],
        },
    }


def _run(env: dict[str, str], workdir: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgres
def test_four_shards_apply_at_once_over_one_state_and_the_estate_converges(
    tmp_path: Path,
) -> None:
    config = tmp_path / "estate"
    seed = tmp_path / "seed.yaml"
    seed.write_text(yaml.safe_dump(_estate(config)), "utf-8")
    sandbox = Sandbox.open(tmp_path / "world", seed)
    server = sandbox.serve("127.0.0.1", 0)
    with fresh_schema_url("shards") as state_url:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("RECONCILER_")},
            "RECONCILER_ORO_URL": server.url,
            "RECONCILER_ORO_CLIENT_ID": "ci",
            "RECONCILER_DOTMAILER_API_URL": server.url,
            "RECONCILER_STATE": state_url,
            "ORO_SECRET": SECRET,
            **{f"PW_{n}": f"pw-{n}-sandbox" for n in range(SHARDS * PER_SHARD)},
        }
        try:
            # --lock-timeout 0: a shard that had to wait for another's lock would fail (exit 5).
            shards = [
                _run(
                    env,
                    tmp_path,
                    "apply",
                    str(config),
                    "--selector",
                    f"shard=s{s}",
                    "--auto-approve",
                    "--lock-timeout",
                    "0",
                )
                for s in range(SHARDS)
            ]
            outputs = [p.communicate(timeout=240) for p in shards]
            done = [(p.returncode, out, err) for p, (out, err) in zip(shards, outputs, strict=True)]
            assert [(code, err) for code, _, err in done] == [(0, "")] * SHARDS
            assert all(
                "Apply finished: " in out and " 0 failed, 0 skipped." in out for _, out, _ in done
            )
            whole = _run(env, tmp_path, "plan", str(config), "--detailed-exitcode")
            out, err = whole.communicate(timeout=240)
            assert (whole.returncode, out, err) == (
                0,
                "No changes. Live systems match the configuration.\n",
                "",
            )
        finally:
            server.stop()
    oro = sandbox.oro
    assert oro is not None
    assert len(oro.rows("integrationchannels")) == SHARDS * PER_SHARD


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--selector", "team"], "Invalid value for --selector: 'team' is not KEY=VALUE"),
        (["--selector", "team=nobody"], "no integration in {config} has the labels team=nobody"),
        (
            ["--selector", "team=crm", "--integration", "emea"],
            "--integration and --selector select the same thing: give one of them",
        ),
    ],
)
def test_a_selector_that_selects_nothing_or_clashes_is_a_usage_error(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler.cli import main

    config = Path(__file__).resolve().parents[2] / "examples" / "integrations"
    assert main(["plan", str(config), *args]) == 64
    assert message.format(config=config) in capsys.readouterr().err
