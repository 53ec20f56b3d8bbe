"""The executor in-process: the real clients and executor against both emulators through an
httpx transport (no socket, no thread), and a real SQLite state.

``lab.converge(desired)`` plans against the live emulators, applies with the Executor and
returns the result; ``lab.wire.calls`` is every request made, ``lab.journal()`` every journal
entry, so a test asserts exactly which remote calls an op's steps made and in what order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from reconciler.execute import ApplyResult, Executor, IntegrationSecrets
from reconciler.model import (
    AddressBook,
    Connection,
    DataField,
    DataFieldMapping,
    DesiredState,
    Integration,
    LiveWorld,
    Owner,
    SecretRef,
    SecretSource,
    Settings,
)
from reconciler.plan.compare import PlanOptions, build_plan
from reconciler.plan.ops import Plan, address
from reconciler.providers.dotmailer import DotmailerClient
from reconciler.providers.oro import OroClient
from reconciler.refresh import refresh
from reconciler.sandbox.inprocess import BASE_URL, InProcess
from reconciler.sandbox.world import Sandbox
from reconciler.state import fingerprint
from reconciler.state.sqlite import SqliteStore

USERNAME = "apiuser-emea@apiconnector.com"
PASSWORD = "sandbox-emea-pw"
CONTACT = "Oro\\Bundle\\ContactBundle\\Entity\\Contact"
SEED: dict[str, Any] = {
    "dotmailer": {
        "accounts": [
            {
                "username": USERNAME,
                "password": PASSWORD,
                "region": "r1",
                "rateLimit": {"mode": "off"},
            }
        ]
    },
    "oro": {
        "clients": [{"id": "ci", "secret": "oro-secret"}],
        "organizations": [{"name": "ACME"}],
        "businessUnits": [{"name": "Main", "organization": "ACME"}],
        "users": [{"username": "mkt.ops", "organization": "ACME", "enabled": True}],
        "marketingLists": [
            {"name": "EMEA subscribers", "entity": "contact"},
            {"name": "EMEA leads", "entity": "lead"},
        ],
        "integrations": [],
    },
}


def integration(**changes: Any) -> Integration:
    base = Integration(
        name="emea",
        owner="ops",
        connection=Connection(USERNAME, SecretRef(SecretSource.ENV, "PW")),
    )
    return replace(base, **changes)


def desired(
    *integrations: Integration, mappings: tuple[DataFieldMapping, ...] = ()
) -> DesiredState:
    return DesiredState(
        settings=Settings(prune=True),
        owners=(Owner(name="ops", username="mkt.ops", organization="ACME"),),
        integrations=integrations or (integration(),),
        mappings=mappings,
        digest="sha256:test",
    )


def field(name: str, type_: str = "String", **changes: Any) -> DataField:
    return replace(DataField(name, type_), **changes)  # type: ignore[arg-type]


def book(name: str, **changes: Any) -> AddressBook:
    return replace(AddressBook(name), **changes)


@dataclass
class Lab:
    world: Sandbox
    wire: InProcess
    store: SqliteStore
    oro: OroClient
    key: bytes
    password: str = PASSWORD  # what the config's secret resolves to
    _dotmailer: DotmailerClient | None = None

    def dotmailer_for(self, integration: Integration) -> DotmailerClient:
        if self._dotmailer is None:
            self._dotmailer = DotmailerClient(
                integration.connection.username,
                self.password,
                api_url=BASE_URL,
                transport=self.wire.transport,
            )
        return self._dotmailer

    def secrets(self) -> dict[str, IntegrationSecrets]:
        return {
            "emea": IntegrationSecrets(
                self.password, None, {"password": fingerprint(self.key, self.password)}
            )
        }

    def plan(self, state: DesiredState) -> tuple[Plan, LiveWorld]:
        live = refresh(state, self.oro, self.dotmailer_for)
        plan = build_plan(
            state,
            live,
            self.store.read(),
            {address("integration", "emea"): self.secrets()["emea"].fingerprints},
            PlanOptions(prune=True, max_deletes=100, allow_empty=True),
        )
        return plan, live

    def apply(self, state: DesiredState, plan: Plan, live: LiveWorld) -> ApplyResult:
        """Run the executor on ``plan``; the wire log then holds the apply's calls only."""
        self.wire.calls.clear()
        run_id = self.store.begin_run("apply", user="test", git_sha=None, plan_digest=None)
        return Executor(
            plan=plan,
            desired=state,
            world=live,
            store=self.store,
            oro=self.oro,
            dotmailer_for=self.dotmailer_for,
            secrets=self.secrets(),
            run_id=run_id,
            serial=self.store.read().serial,
        ).run()

    def converge(self, state: DesiredState) -> ApplyResult:
        plan, live = self.plan(state)
        return self.apply(state, plan, live)

    def finish_syncs(self) -> None:
        """Poll every sync job until it ends, as ``reconciler sync --wait`` would."""
        for row in self.world.oro.rows("oro_message_queue_jobs"):  # type: ignore[union-attr]
            polls = 0
            while not self.oro.get_job(str(row["id"])).finished:
                polls += 1
                assert polls < 10, f"sync job {row['id']} never ends"

    def journal(self) -> list[tuple[str, str, str | None]]:
        """(address, step, outcome) of every journal entry, oldest first."""
        return [(e.address, e.step, e.outcome) for e in self.store.dump().journal]

    def calls(self, *prefixes: str) -> list[str]:
        """The apply's requests, without the token and list reads unless asked for."""
        return (
            [c for c in self.wire.calls if c.startswith(prefixes)]
            if prefixes
            else [c for c in self.wire.calls if not c.startswith(("GET ", "POST /oauth2-token"))]
        )


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    world = Sandbox.in_memory(SEED)
    wire = InProcess(world.apps)
    store = SqliteStore(tmp_path / "state.db")
    oro = OroClient(BASE_URL, "ci", "oro-secret", api_base="/admin/api", transport=wire.transport)
    made = Lab(world, wire, store, oro, store.secret_key())
    yield made
    oro.close()
    if made._dotmailer is not None:
        made._dotmailer.close()
    store.close()
