"""One run of plan/apply/sync: config, state, connections, refresh, plan, apply.

The CLI commands are thin over :class:`Session`. A session loads and validates the config,
opens the state store, connects the two clients (to the configured systems, or to the embedded
sandbox with ``--sandbox``), and offers :meth:`Session.plan` and :meth:`Session.apply`. Its clock
is injected; saved plans are :mod:`reconciler.plan.saved`'s, the sandbox boot
:mod:`reconciler.sandbox.embedded`'s, the clients :mod:`reconciler.clients`'.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from reconciler.clients import DotmailerClients, config_dir, oro_client, resolve_secrets
from reconciler.config import load_desired_state
from reconciler.config.secrets import DOTMAILER_PASSWORD, Length, check_secrets
from reconciler.errors import ConfigError, UsageError
from reconciler.execute import ApplyResult, Executor, IntegrationSecrets, OpResult
from reconciler.gitinfo import git_sha
from reconciler.model import DesiredState, Integration, LiveWorld, SecretRef, Settings
from reconciler.plan.compare import PlanOptions, build_plan, in_integration
from reconciler.plan.compare.data_fields import unmatched_allowances
from reconciler.plan.ops import Plan, ReplaceOp, address
from reconciler.plan.saved import plan_digest
from reconciler.plan.steps import Kind
from reconciler.providers.dotmailer import DotmailerClient
from reconciler.providers.oro import OroClient
from reconciler.refresh import refresh
from reconciler.sandbox.embedded import SANDBOX_STATE_URL, EmbeddedSandbox, start_sandbox
from reconciler.state import (
    WHOLE_CONFIG,
    StateStore,
    current_user,
    environment_url,
    open_store,
)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SessionOptions:
    config_path: Path
    state_url: str | None = None
    sandbox: bool = False
    sandbox_seed: Path | None = None
    integrations: tuple[str, ...] = ()
    # --selector: (label, value) pairs an integration must all carry; resolved into
    # ``integrations`` when the config is loaded.
    selector: tuple[tuple[str, str], ...] = ()
    lock_timeout: float = 0.0
    allow_literal_secrets: bool = False
    environment: str | None = None  # --env / RECONCILER_ENV (docs/environments.md)


@dataclass
class Session:
    """Owns the store, the clients and (with --sandbox) the embedded sandbox server."""

    options: SessionOptions
    desired: DesiredState
    store: StateStore
    oro: OroClient
    secrets: Mapping[str, IntegrationSecrets]
    dotmailer: DotmailerClients
    sandbox: EmbeddedSandbox | None = None
    clock: Clock = field(default=utc_now)

    def dotmailer_for(self, integration: Integration) -> DotmailerClient:
        return self.dotmailer(integration)

    # -- plan ------------------------------------------------------------------------------

    def refresh(self) -> LiveWorld:
        return refresh(
            self.desired,
            self.oro,
            self.dotmailer,
            integrations=self.options.integrations,
            concurrency=self.desired.settings.concurrency,
        )

    def plan(self, options: PlanOptions) -> tuple[Plan, LiveWorld]:
        world = self.refresh()
        snapshot = self.store.read()
        plan = build_plan(
            self.desired,
            world,
            snapshot,
            {address(Kind.INTEGRATION, name): s.fingerprints for name, s in self.secrets.items()},
            options,
            config_path=str(self.options.config_path),
            git_sha=git_sha(self.options.config_path),
            created_at=self.clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
            interrupted=[entry.address for entry in self.store.pending_journal()],
        )
        unmatched = unmatched_allowances(options.allow_replace, plan.ops)
        if unmatched and not options.refresh_only:
            raise UsageError(unmatched)
        return replace(plan, environment=self.options.environment), world

    # -- apply -----------------------------------------------------------------------------

    def locked(self, operation: str) -> AbstractContextManager[None]:
        return locked(self.store, self.options.integrations, operation, self.options.lock_timeout)

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
            dotmailer_for=self.dotmailer,
            secrets=self.secrets,
            run_id=run_id,
            serial=snapshot.serial,
            concurrency=self.desired.settings.concurrency,
            schedule_syncs=schedule_syncs,
            now=self.clock,
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
        self.dotmailer.close()
        self.oro.close()
        self.store.close()
        if self.sandbox is not None:
            self.sandbox.stop()


@contextmanager
def open_session(options: SessionOptions, *, clock: Clock = utc_now) -> Iterator[Session]:
    # Before any request: refuses credential endpoints a pull request could choose (SPEC §8).
    desired, diagnostics = load_desired_state(
        options.config_path,
        allow_literal_secrets=options.allow_literal_secrets,
        connects=not options.sandbox,
        environment=options.environment,
    )
    errors = [d for d in diagnostics if getattr(d, "severity", "error") == "error"]
    if errors:
        raise ConfigError(f"{len(errors)} error(s) in the configuration", tuple(diagnostics))
    unknown = sorted(set(options.integrations) - {i.name for i in desired.integrations})
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise UsageError(f"no integration named {names} in {options.config_path}")
    if options.selector:
        options = replace(options, integrations=selected(desired, options))
    settings = desired.settings
    if not options.sandbox:  # every missing secret named at once, before any connection
        check_secrets(secret_refs(desired, options.integrations), config_dir(options.config_path))
    base_dir = Path.cwd()
    sandbox = (
        start_sandbox(options.sandbox_seed, base_dir, options.environment)
        if options.sandbox
        else None
    )
    # Each environment has its own state, so its own locks too, wherever the URL came from.
    url = environment_url(state_url(options.state_url, sandbox, settings), options.environment)
    store = open_store(url, base_dir=base_dir)
    try:
        key = store.secret_key()
        secrets = resolve_secrets(desired, options.config_path, options.integrations, sandbox, key)
        oro = oro_client(settings, options.config_path, sandbox)
        session = Session(
            options=options,
            desired=desired,
            store=store,
            oro=oro,
            secrets=secrets,
            dotmailer=DotmailerClients(
                secrets,
                api_url=sandbox.url if sandbox else settings.dotmailer_api_url,
                timeout=settings.timeout_seconds,
            ),
            sandbox=sandbox,
            clock=clock,
        )
    except BaseException:
        store.close()
        if sandbox is not None:
            sandbox.stop()
        raise
    try:
        yield session
    finally:
        session.close()


def secret_refs(
    desired: DesiredState, scope: Sequence[str]
) -> list[tuple[SecretRef, Length | None]]:
    """Every secret a run in ``scope`` (all integrations when empty) reads, with its length."""
    refs: list[tuple[SecretRef, Length | None]] = []
    if desired.settings.oro_client_secret is not None:
        refs.append((desired.settings.oro_client_secret, None))
    for integration in desired.integrations:
        if scope and integration.name not in scope:
            continue
        refs.append((integration.connection.password, DOTMAILER_PASSWORD))
        if integration.oauth:
            refs.append((integration.oauth.client_secret, None))
    return refs


def selected(desired: DesiredState, options: SessionOptions) -> tuple[str, ...]:
    """The integrations whose labels carry every ``--selector`` pair (kubectl's ``-l``; like
    kubectl, not with names as well)."""
    if options.integrations:
        raise UsageError("--integration and --selector select the same thing: give one of them")
    wanted = set(options.selector)
    names = tuple(sorted(i.name for i in desired.integrations if wanted <= set(i.labels)))
    if not names:
        shown = ",".join(f"{k}={v}" for k, v in options.selector)
        raise UsageError(f"no integration in {options.config_path} has the labels {shown}")
    return names


@contextmanager
def locked(
    store: StateStore, integrations: Sequence[str], operation: str, timeout: float
) -> Iterator[None]:
    """Hold the locks of a run: one per integration in scope, or the whole config's."""
    scopes = (
        [f"integration:{name}" for name in sorted(integrations)] if integrations else [WHOLE_CONFIG]
    )
    with ExitStack() as stack:
        for scope in scopes:
            stack.enter_context(store.lock(scope, operation=operation, timeout=timeout))
        yield


def state_url(explicit: str | None, sandbox: EmbeddedSandbox | None, settings: Settings) -> str:
    """The state a run uses: ``--state``; else, with ``--sandbox``, the sandbox's own unless
    RECONCILER_STATE names one; else the settings'."""
    if explicit:
        return explicit
    if sandbox is not None and not os.environ.get("RECONCILER_STATE"):
        return SANDBOX_STATE_URL
    return settings.state


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
