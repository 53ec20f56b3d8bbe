"""One run of plan/apply/sync: config, state, connections, refresh, plan, apply.

The CLI commands are thin over :class:`Session`. A session loads and validates the config,
opens the state store, connects the two clients (to the configured systems, or to the embedded
sandbox with ``--sandbox``), and offers :meth:`Session.plan` and :meth:`Session.apply`.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.apply import ApplyResult, Executor, IntegrationSecrets, OpResult
from reconciler.config import load_desired_state
from reconciler.config.secrets import resolve_secret
from reconciler.errors import ConfigError, StalePlanError, UsageError
from reconciler.model import DesiredState, Integration, LiveWorld
from reconciler.plan.compare import PlanOptions, build_plan, in_integration
from reconciler.plan.ops import (
    Plan,
    ReplaceOp,
    address,
    op_to_dict,
    paired_ops,
    plan_from_dict,
    plan_to_dict,
)
from reconciler.providers.dotmailer import DotmailerClient
from reconciler.providers.limits import RateLimiter
from reconciler.providers.oro import OroClient
from reconciler.refresh import refresh
from reconciler.state.base import (
    WHOLE_CONFIG,
    StateStore,
    current_user,
    fingerprint,
    open_store,
)

SANDBOX_DIR = Path(".reconciler") / "sandbox"
SANDBOX_STATE_URL = "sqlite:///.reconciler/sandbox/state.db"
# Sandbox-only OAuth client secret: the sandbox never checks it, so no env variable is needed.
SANDBOX_OAUTH_SECRET = "sandbox-oauth-client-secret"
PLAN_FILE_KIND = "reconciler-plan"


@dataclass(frozen=True)
class SessionOptions:
    config_path: Path
    state_url: str | None = None
    sandbox: bool = False
    sandbox_seed: Path | None = None
    integrations: tuple[str, ...] = ()
    lock_timeout: float = 0.0
    allow_literal_secrets: bool = False


@dataclass
class _Sandbox:
    url: str
    passwords: Mapping[str, str]  # dotmailer username -> sandbox password
    oro_client: tuple[str, str]
    server: Any


@dataclass
class Session:
    """Owns the store, the clients and (with --sandbox) the embedded sandbox server."""

    options: SessionOptions
    desired: DesiredState
    store: StateStore
    oro: OroClient
    secrets: Mapping[str, IntegrationSecrets]
    sandbox: _Sandbox | None = None
    _dotmailer: dict[str, DotmailerClient] = field(default_factory=dict)
    # One limiter per dotmailer account (SPEC §3): integrations sharing an API user share it.
    _limiters: dict[str, RateLimiter] = field(default_factory=dict)
    _api_url: str | None = None
    _timeout: float = 121.0

    def dotmailer_for(self, integration: Integration) -> DotmailerClient:
        client = self._dotmailer.get(integration.name)
        if client is None:
            client = DotmailerClient(
                integration.connection.username,
                self.secrets[integration.name].password,
                api_url=self._api_url,
                timeout=self._timeout,
                limiter=self._limiters.setdefault(
                    integration.connection.username.casefold(), RateLimiter()
                ),
            )
            self._dotmailer[integration.name] = client
        return client

    # -- plan ------------------------------------------------------------------------------

    def refresh(self) -> LiveWorld:
        scope = self.options.integrations
        return refresh(
            self.desired,
            self.oro,
            self.dotmailer_for,
            integrations=scope,
            concurrency=self.desired.settings.concurrency,
        )

    def plan(self, options: PlanOptions) -> tuple[Plan, LiveWorld]:
        world = self.refresh()
        snapshot = self.store.read()
        plan = build_plan(
            self.desired,
            world,
            snapshot,
            {address("integration", name): s.fingerprints for name, s in self.secrets.items()},
            options,
            config_path=str(self.options.config_path),
            git_sha=git_sha(self.options.config_path),
            created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            interrupted=[entry.address for entry in self.store.pending_journal()],
        )
        return plan, world

    # -- apply -----------------------------------------------------------------------------

    @contextmanager
    def locked(self, operation: str) -> Iterator[None]:
        scopes = (
            [f"integration:{name}" for name in sorted(self.options.integrations)]
            if self.options.integrations
            else [WHOLE_CONFIG]
        )
        with ExitStack() as stack:
            for scope in scopes:
                stack.enter_context(
                    self.store.lock(scope, operation=operation, timeout=self.options.lock_timeout)
                )
            yield

    def apply(
        self,
        plan: Plan,
        world: LiveWorld,
        *,
        schedule_syncs: bool = True,
        on_result: Callable[[OpResult], None] | None = None,
    ) -> ApplyResult:
        refuse_gated(plan)
        snapshot = self.store.read()
        scope = self.options.integrations
        for entry in self.store.pending_journal():
            if scope and not any(in_integration(entry.address, name) for name in scope):
                continue  # another integration's: left for its own next plan (an owed sync)
            # An earlier apply stopped between a call and its outcome; the refresh this plan
            # was made from has read the live lists, so what was made is adopted, not redone.
            self.store.resolve_journal([entry.id], "superseded by refresh")
        if not scope:
            # We hold the whole-config lock, so a run still marked running is one that died
            # (kill -9, a lost CI runner): close it in the run log.
            for run in self.store.runs(limit=100):
                if run.status is None:
                    self.store.end_run(run.id, "abandoned", {})
        run_id = self.store.begin_run(
            "apply",
            user=current_user(),
            git_sha=plan.git_sha,
            plan_digest=plan_digest(plan),
        )
        executor = Executor(
            plan=plan,
            desired=self.desired,
            world=world,
            store=self.store,
            oro=self.oro,
            dotmailer_for=self.dotmailer_for,
            secrets=self.secrets,
            run_id=run_id,
            serial=snapshot.serial,
            concurrency=self.desired.settings.concurrency,
            schedule_syncs=schedule_syncs,
            on_result=on_result,
        )
        status = "interrupted"
        result: ApplyResult | None = None
        try:
            result = executor.run()
            status = "partial" if result.failed else "ok"
            return result
        finally:
            summary = (
                {s: result.count(s) for s in ("succeeded", "failed", "skipped")} if result else {}
            )
            self.store.end_run(run_id, status, summary)

    def close(self) -> None:
        for client in self._dotmailer.values():
            client.close()
        self.oro.close()
        self.store.close()
        if self.sandbox is not None:
            self.sandbox.server.stop()


@contextmanager
def open_session(options: SessionOptions) -> Iterator[Session]:
    desired, diagnostics = load_desired_state(
        options.config_path, allow_literal_secrets=options.allow_literal_secrets
    )
    errors = [d for d in diagnostics if getattr(d, "severity", "error") == "error"]
    if errors:
        raise ConfigError(f"{len(errors)} error(s) in the configuration", tuple(diagnostics))
    unknown = sorted(set(options.integrations) - {i.name for i in desired.integrations})
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise UsageError(f"no integration named {names} in {options.config_path}")
    settings = desired.settings
    base_dir = Path.cwd()
    sandbox = _start_sandbox(options) if options.sandbox else None
    state_url = options.state_url or (
        SANDBOX_STATE_URL if sandbox and not os.environ.get("RECONCILER_STATE") else settings.state
    )
    store = open_store(state_url, base_dir=base_dir)
    try:
        key = store.secret_key()
        secrets = _resolve_secrets(desired, options, sandbox, key)
        oro = _oro_client(desired, options, sandbox)
        session = Session(
            options=options,
            desired=desired,
            store=store,
            oro=oro,
            secrets=secrets,
            sandbox=sandbox,
            _api_url=sandbox.url if sandbox else settings.dotmailer_api_url,
            _timeout=settings.timeout_seconds,
        )
    except BaseException:
        store.close()
        if sandbox is not None:
            sandbox.server.stop()
        raise
    try:
        yield session
    finally:
        session.close()


def _start_sandbox(options: SessionOptions) -> _Sandbox:
    from reconciler.sandbox.world import DEFAULT_SEED, Sandbox, load_seed

    seed = options.sandbox_seed or DEFAULT_SEED
    data = load_seed(seed)
    world = Sandbox.open(Path.cwd() / SANDBOX_DIR, seed)
    server = world.serve("127.0.0.1", 0)
    accounts = (data.get("dotmailer") or {}).get("accounts") or []
    clients = (data.get("oro") or {}).get("clients") or [{"id": "ci", "secret": ""}]
    return _Sandbox(
        url=server.url,
        passwords={str(a["username"]): str(a["password"]) for a in accounts},
        oro_client=(str(clients[0]["id"]), str(clients[0]["secret"])),
        server=server,
    )


def _resolve_secrets(
    desired: DesiredState, options: SessionOptions, sandbox: _Sandbox | None, key: bytes
) -> dict[str, IntegrationSecrets]:
    base_dir = options.config_path if options.config_path.is_dir() else options.config_path.parent
    scope = set(options.integrations)
    result: dict[str, IntegrationSecrets] = {}
    for integration in desired.integrations:
        if scope and integration.name not in scope:
            continue
        if sandbox is not None:
            # Sandbox-only values: no environment variable is needed (SPEC §6).
            password = sandbox.passwords.get(integration.connection.username, "")
            client_secret = SANDBOX_OAUTH_SECRET if integration.oauth else None
        else:
            password = resolve_secret(integration.connection.password, base_dir)
            client_secret = (
                resolve_secret(integration.oauth.client_secret, base_dir)
                if integration.oauth
                else None
            )
        fingerprints = {"password": fingerprint(key, password)}
        if client_secret is not None:
            fingerprints["oauth_client_secret"] = fingerprint(key, client_secret)
        result[integration.name] = IntegrationSecrets(password, client_secret, fingerprints)
    return result


def _oro_client(
    desired: DesiredState, options: SessionOptions, sandbox: _Sandbox | None
) -> OroClient:
    settings = desired.settings
    if sandbox is not None:
        client_id, secret = sandbox.oro_client
        return OroClient(sandbox.url, client_id, secret, api_base="/admin/api")
    base_dir = options.config_path if options.config_path.is_dir() else options.config_path.parent
    if not settings.oro_url:
        raise ConfigError(
            "no Oro URL configured: set oro.url in reconciler.yaml or RECONCILER_ORO_URL "
            "(or run against the embedded sandbox with --sandbox)"
        )
    if not settings.oro_client_id or settings.oro_client_secret is None:
        raise ConfigError(
            "no Oro OAuth client configured: set oro.clientId and oro.clientSecret in "
            "reconciler.yaml or RECONCILER_ORO_CLIENT_ID / RECONCILER_ORO_CLIENT_SECRET"
        )
    if not settings.oro_url.startswith(("https://", "http://")):
        raise ConfigError(
            f"the Oro URL {settings.oro_url!r} (oro.url or RECONCILER_ORO_URL) must start with "
            "https:// (or http:// for a local test server)"
        )
    secret = resolve_secret(settings.oro_client_secret, base_dir)
    return OroClient(
        settings.oro_url,
        settings.oro_client_id,
        secret,
        api_base=settings.oro_api_base,
        timeout=settings.timeout_seconds,
    )


# --- gates, saved plans -------------------------------------------------------------------


def refuse_gated(plan: Plan) -> None:
    """Apply refuses, before any remote write, a plan with blocked ops or ungated replaces."""
    problems = []
    for op in plan.ops:
        if op.blocked:
            problems.append(f"{op.address}: blocked: {op.blocked}")
        elif isinstance(op, ReplaceOp) and not op.allowed:
            name = (op.after or {}).get("name", op.address)
            problems.append(
                f"{op.address}: replace destroys the values stored on contacts; set "
                f"replaceOnChange: true on the field or pass --allow-replace {name}"
            )
    if problems:
        raise ConfigError(
            "apply refused: the plan has operations that need a decision:\n  "
            + "\n  ".join(problems)
        )


def plan_digest(plan: Plan) -> str:
    ops = json.dumps([op_to_dict(op) for op in plan.ops], sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(ops.encode("utf-8")).hexdigest()


def write_plan_file(path: Path, plan: Plan, options: PlanOptions, *, sandbox: bool = False) -> None:
    """A saved plan holds no secret; it is written 0600 all the same, atomically."""
    document = {
        "kind": PLAN_FILE_KIND,
        "plan": plan_to_dict(plan),
        "options": {
            "prune": options.prune,
            "max_deletes": options.max_deletes,
            "allow_empty": options.allow_empty,
            "allow_replace": sorted(options.allow_replace),
            "integrations": list(options.integrations),
        },
        "sandbox": sandbox,  # a plan made against the embedded sandbox is applied there
        "digest": plan_digest(plan),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(document, fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)


@dataclass(frozen=True)
class SavedPlan:
    plan: Plan
    options: PlanOptions
    sandbox: bool  # made against the embedded sandbox, so applied there


def read_plan_file(path: Path) -> SavedPlan:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("kind") != PLAN_FILE_KIND:
            raise ValueError("not a reconciler plan file")
        plan = plan_from_dict(document["plan"])
        raw = document["options"]
        options = PlanOptions(
            prune=bool(raw["prune"]),
            max_deletes=int(raw["max_deletes"]),
            allow_empty=bool(raw["allow_empty"]),
            allow_replace=frozenset(raw["allow_replace"]),
            integrations=tuple(raw["integrations"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StalePlanError(f"{path}: cannot read the saved plan: {exc}") from exc
    if document.get("digest") != plan_digest(plan):
        raise StalePlanError(f"{path}: the saved plan was edited after it was written")
    return SavedPlan(plan, options, bool(document.get("sandbox", False)))


def check_not_stale(
    saved: Plan,
    fresh: Plan,
    snapshot_lineage: str,
    snapshot_serial: int,
    moved_scopes: Sequence[str] = (),
) -> None:
    """SPEC §4: ``apply FILE`` refuses a stale plan and says what moved.

    A state write by another team on an integration this plan does not touch does not make it
    stale (plan-apply-anchors.md §3 complaint 9): only the scopes written since the plan's
    serial that overlap its integrations count. ``moved_scopes`` is
    ``StateStore.scopes_written_since(saved.state_serial)``."""
    moved: list[str] = []
    if saved.config_digest != fresh.config_digest:
        moved.append("the configuration changed since the plan was made")
    touched = set(saved.integrations) | {op.integration for op in saved.ops if op.integration}
    relevant = [
        scope
        for scope in moved_scopes
        if scope == WHOLE_CONFIG or scope.removeprefix("integration:") in touched
    ]
    if saved.state_lineage and saved.state_lineage != snapshot_lineage:
        moved.append(f"the state is another lineage ({snapshot_lineage})")
    elif saved.state_serial != snapshot_serial and (relevant or not moved_scopes):
        scopes = f" ({', '.join(relevant)})" if relevant else ""
        moved.append(
            f"the state moved from serial {saved.state_serial} to {snapshot_serial}{scopes}"
        )
    for where, a, b in paired_ops(saved, fresh):
        if a is None:
            assert b is not None
            moved.append(f"{where}: now needs {b.action}")
        elif b is None:
            moved.append(f"{where}: no longer needs {a.action}")
        elif a.remote_fingerprint != b.remote_fingerprint or op_to_dict(a) != op_to_dict(b):
            moved.append(f"{where}: the live object changed since the plan was made")
    if moved:
        raise StalePlanError("the saved plan is stale; make a new plan:\n  " + "\n  ".join(moved))


def git_sha(path: Path) -> str | None:
    directory = path if path.is_dir() else path.parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and len(sha) == 40 else None
