"""End-to-end helpers: a real sandbox server on loopback, the real CLI, a copy of the examples.

Runs point the tool at the sandbox through the same RECONCILER_* variables a user would set,
with secret values in environment variables, so the whole path (config, secrets, clients,
state, apply) is exercised over real HTTP.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from jsonschema import Draft202012Validator

from reconciler.cli import main
from reconciler.config.schema import schema_text
from reconciler.plan.render import plan_json
from reconciler.plan.saved import read_plan_file
from reconciler.sandbox.core import SandboxServer
from reconciler.sandbox.world import DEFAULT_SEED, Sandbox

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "integrations"

# The secret values of a run: the scan tests look for them in every output and file.
SECRETS = {
    "DOTMAILER_EMEA_PASSWORD": "sandbox-emea-pw",
    "DOTMAILER_AMER_PASSWORD": "sandbox-amer-pw",
    "DOTMAILER_APAC_PASSWORD": "sandbox-apac-pw",
    "DOTMAILER_APAC_OAUTH_SECRET": "apac-oauth-client-secret-e2e",
    "RECONCILER_ORO_CLIENT_SECRET": "sandbox-oro-secret",
}


def fast_seed() -> dict[str, Any]:
    """The default seed with generous rate limits: these tests run many plans a minute, and
    the rate-limit behaviour has its own tests."""
    seed: dict[str, Any] = yaml.safe_load(DEFAULT_SEED.read_text(encoding="utf-8"))
    for account in seed["dotmailer"]["accounts"]:
        account["rateLimit"] = {"mode": "tiered", "perMinute": 100000}
    return seed


def run_environment(server_url: str, workdir: Path, state_url: str | None = None) -> dict[str, str]:
    """The variables a user would set to point the tool at the sandbox, secrets included."""
    return {
        **SECRETS,
        "RECONCILER_ORO_URL": server_url,
        "RECONCILER_ORO_CLIENT_ID": "ci",
        "RECONCILER_DOTMAILER_API_URL": server_url,
        "RECONCILER_STATE": state_url or f"sqlite:///{workdir / 'state.db'}",
    }


def census(sandbox: Sandbox) -> Counter[tuple[str, ...]]:
    """How many of each remote object the emulators hold, by natural key (dotmailer names
    compare case-insensitively; Oro rows by integration name). Sync jobs are not objects."""
    oro = sandbox.oro
    assert oro is not None
    counts: Counter[tuple[str, ...]] = Counter()
    for username, account in sorted(sandbox.dotmailer.accounts.items()):
        counts.update(("dotmailer", username, "book", str(b["name"]).casefold())
                      for b in account.books.values())  # fmt: skip
        counts.update(("dotmailer", username, "field", name.upper())
                      for name in account.data_fields)  # fmt: skip
    tables = oro.tables
    channels = {cid: str(c["a"]["name"]) for cid, c in tables["integrationchannels"].items()}
    counts.update(("oro", "integration", name) for name in channels.values())

    def owner(row: dict[str, Any]) -> str:
        return channels.get(row["r"]["channel"], f"missing channel {row['r']['channel']}")

    for kind, table, key in (
        ("field", "dotmailerdatafields", lambda r: str(r["a"]["name"]).upper()),
        ("book", "dotmaileraddressbooks", lambda r: str(r["a"]["originId"])),
        ("mapping", "dotmailerdatafieldmappings", lambda r: str(r["a"]["entity"])),
    ):
        counts.update(("oro", owner(row), kind, key(row)) for row in tables[table].values())
    return counts


def duplicates(counts: Counter[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
    """The objects that exist more than once, with their count."""
    return {key: n for key, n in sorted(counts.items()) if n > 1}


@cache
def plan_validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_text("plan.json")))


def check_plan(document: Any) -> None:
    """A JSON plan the suite made, checked against the published schema (`reconciler schema
    plan`): every error, with its path, fails the test that made it."""
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in plan_validator().iter_errors(document)
    ]
    assert errors == [], "the JSON plan does not match schemas/plan.json"


def check_plans_of(args: tuple[str, ...], code: int, out: str, workdir: Path) -> None:
    """Every JSON plan of the end-to-end suite is checked against the schema: a `plan` or
    `show` printed as JSON, and the plan of every file `plan --out` wrote."""
    if code not in (0, 2) or not args or args[0] not in ("plan", "show"):
        return
    if "--format" in args and args[args.index("--format") + 1] == "json":
        check_plan(json.loads(out))
    if args[0] == "plan" and "--out" in args:
        saved = read_plan_file(workdir / args[args.index("--out") + 1])
        check_plan(json.loads(json.dumps(plan_json(saved.plan))))


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class World:
    """The test's sandbox, its server, the config copy and the environment of a run."""

    sandbox: Sandbox
    server: SandboxServer
    config: Path
    workdir: Path
    env: dict[str, str]
    outputs: list[str] = field(default_factory=list)

    @property
    def state_url(self) -> str:
        return self.env["RECONCILER_STATE"]

    def forget_state(self) -> None:
        """Lose the state entirely (a deleted file, a dropped schema)."""
        if self.state_url.startswith("sqlite:///"):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.state_url.removeprefix('sqlite:///')}{suffix}").unlink(missing_ok=True)
            return
        url, _, schema = self.state_url.partition("?schema=")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def state_bytes(self) -> bytes:
        """Everything the state holds, as bytes to scan (the file, or every row as JSON)."""
        if self.state_url.startswith("sqlite:///"):
            path = self.state_url.removeprefix("sqlite:///")
            return b"".join(
                Path(f"{path}{suffix}").read_bytes()
                for suffix in ("", "-wal")
                if Path(f"{path}{suffix}").exists()
            )
        url, _, schema = self.state_url.partition("?schema=")
        chunks = []
        with psycopg.connect(url) as conn:
            tables = conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            ).fetchall()
            for (table,) in tables:
                rows = conn.execute(f'SELECT row_to_json(t)::text FROM "{schema}"."{table}" t')
                chunks += [row[0].encode() for row in rows]
        assert chunks, f"no state rows in schema {schema}"
        return b"\n".join(chunks)

    def cli(self, *args: str, capsys: pytest.CaptureFixture[str]) -> Run:
        code = main(list(args))
        captured = capsys.readouterr()
        self.outputs += [captured.out, captured.err]
        check_plans_of(args, code, captured.out, self.workdir)
        return Run(code, captured.out, captured.err)
