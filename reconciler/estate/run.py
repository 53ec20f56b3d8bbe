"""``reconciler import``: read the live estate, write the config that describes it, and record
what it wrote as adopted in the state.

The steps, under the state lock of the run's scope:

1. read every dotmailer integration Oro has (one list call), then the world of those in scope
   through :func:`reconciler.refresh.read_world`, with each dotmailer account whose password is
   at hand (the sandbox's, or the variable the naming rule gives it);
2. describe it (:mod:`reconciler.estate.describe`) and write the directory
   (:mod:`reconciler.estate.files`);
3. load what was written with the project's own loader (it must validate) and plan it against
   the world just read and the state, with no secret known: the adopts that need no remote call
   are recorded (:func:`reconciler.adopt.record_adopts`), so the plan of the directory right
   after is built from the same values and has nothing else to do;
4. plan once more against the state as now recorded, to say what the next plan shows: the
   integrations' write-only secrets, written once, and any object one side lacks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from reconciler.adopt import record_adopts
from reconciler.clients import DotmailerClients, config_dir, oro_client
from reconciler.config import load_settings, resolve_secret, validate_config
from reconciler.config.secrets import DOTMAILER_PASSWORD
from reconciler.errors import ConfigError, UsageError
from reconciler.estate import naming
from reconciler.estate.describe import describe
from reconciler.estate.files import render, settings_document, write_tree
from reconciler.execute import IntegrationSecrets
from reconciler.model import (
    DesiredState,
    LiveWorld,
    OroIntegration,
    SecretRef,
    SecretSource,
    Settings,
)
from reconciler.plan.compare import PlanOptions, build_plan
from reconciler.plan.ops import AnyOp, Plan, address
from reconciler.plan.steps import Kind
from reconciler.providers.oro import OroClient
from reconciler.refresh import Account, DotmailerReader, Reads, read_world
from reconciler.sandbox.embedded import EmbeddedSandbox, start_sandbox
from reconciler.session import Clock, locked, state_url, utc_now
from reconciler.state import Snapshot, StateStore, open_store
from reconciler.state.urls import display_url

# What the second plan passes for a secret whose fingerprint the state does not keep: compare
# only asks whether it equals the stored one, and an imported record keeps none.
_UNKNOWN = "unknown"


@dataclass(frozen=True)
class ImportOptions:
    config_path: Path  # where the settings come from (reconciler.yaml), as for plan
    out: Path
    state_url: str | None = None
    sandbox: bool = False
    sandbox_seed: Path | None = None
    integrations: tuple[str, ...] = ()
    default_mappings: bool = False
    lock_timeout: float = 0.0


@dataclass(frozen=True)
class ImportResult:
    out: Path
    files: tuple[str, ...]  # written, relative to ``out``, sorted
    integrations: tuple[str, ...]  # described
    unread: tuple[str, ...]  # integrations whose dotmailer account was not read
    recorded: tuple[str, ...]  # addresses recorded as adopted
    next_ops: tuple[AnyOp, ...]  # the changes the next plan of ``out`` shows
    notes: tuple[str, ...]  # what was left out, and why
    default_mappings: int  # Oro's own default mappings, left out
    variables: tuple[str, ...]  # the secret variables the config reads
    state: str  # the state used, without a password


def import_estate(options: ImportOptions, *, clock: Clock = utc_now) -> ImportResult:
    settings = load_settings(options.config_path, connects=not options.sandbox)
    with (
        _connected(options, settings) as (sandbox, store, oro, url),
        locked(store, options.integrations, "import", options.lock_timeout),
    ):
        channels = oro.list_integrations()
        names = _in_scope(channels, options.integrations)
        stems = naming.Stems.of(c.name for c in channels)
        passwords = _passwords(channels, names, stems, sandbox, options.config_path)
        world = _read(oro, channels, names, passwords, settings, sandbox)
        described = describe(world, names, stems, default_mappings=options.default_mappings)
        files = render(described, settings_document(settings, url, sandbox=bool(sandbox)))
        write_tree(options.out, files)
        desired = _load(options.out)
        snapshot = store.read()
        plan = _plan(desired, world, snapshot, options, fingerprints={})
        recorded = record_adopts(store, plan, snapshot.serial, clock())
        after_import = store.read()
        after = _plan(desired, world, after_import, options, _references(desired, after_import))
    return ImportResult(
        out=options.out,
        files=tuple(files),
        integrations=described.integrations,
        unread=tuple(n for n in described.integrations if n not in passwords),
        recorded=tuple(r.address for r in recorded),
        next_ops=after.changes,
        notes=described.notes,
        default_mappings=described.default_mappings,
        variables=tuple(sorted(_variables(desired))),
        state=display_url(url),
    )


@contextmanager
def _connected(
    options: ImportOptions, settings: Settings
) -> Iterator[tuple[EmbeddedSandbox | None, StateStore, OroClient, str]]:
    """The sandbox (with --sandbox), the state store and the Oro client of a run."""
    with ExitStack() as stack:
        sandbox = start_sandbox(options.sandbox_seed, Path.cwd()) if options.sandbox else None
        if sandbox is not None:
            stack.callback(sandbox.stop)
        url = state_url(options.state_url, sandbox, settings)
        store = open_store(url, base_dir=Path.cwd())
        stack.callback(store.close)
        oro = oro_client(settings, options.config_path, sandbox)
        stack.callback(oro.close)
        yield sandbox, store, oro, url


def _in_scope(channels: Sequence[OroIntegration], wanted: Sequence[str]) -> list[str]:
    names = sorted(c.name for c in channels)
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        listed = ", ".join(repr(n) for n in unknown)
        known = ", ".join(names) or "none"
        raise UsageError(f"Oro has no dotmailer integration named {listed} (it has: {known})")
    return [n for n in names if not wanted or n in wanted]


def _passwords(
    channels: Sequence[OroIntegration],
    names: Sequence[str],
    stems: naming.Stems,
    sandbox: EmbeddedSandbox | None,
    config_path: Path,
) -> dict[str, str]:
    """The dotmailer password of each integration in scope that has one at hand: the
    sandbox's for its API user, or the variable the config will name (when it is set)."""
    found: dict[str, str] = {}
    for channel in channels:
        if channel.name not in names:
            continue
        if sandbox is not None:
            password = sandbox.passwords.get(channel.username)
        else:
            variable = naming.password_variable(stems.variables[channel.name])
            password = None
            if os.environ.get(variable):
                ref = SecretRef(SecretSource.ENV, variable)
                password = resolve_secret(ref, config_dir(config_path), length=DOTMAILER_PASSWORD)
        if password:
            found[channel.name] = password
    return found


def _read(
    oro: OroClient,
    channels: Sequence[OroIntegration],
    names: Sequence[str],
    passwords: Mapping[str, str],
    settings: Settings,
    sandbox: EmbeddedSandbox | None,
) -> LiveWorld:
    """The world of the integrations ``names``: Oro's side, their owners, and the dotmailer
    account of each one with a password."""
    in_scope = [c for c in channels if c.name in names]
    clients = DotmailerClients(
        {name: IntegrationSecrets(pw, None, {}) for name, pw in passwords.items()},
        api_url=sandbox.url if sandbox else settings.dotmailer_api_url,
        timeout=settings.timeout_seconds,
    )
    accounts = [
        Account(c.name, _reader(clients, c), f"integration {c.name!r}, dotmailer user {c.username}")
        for c in in_scope
        if c.name in passwords
    ]
    owners = sorted({c.owner_user_id for c in in_scope if c.owner_user_id is not None})
    reads = Reads(integrations=names, user_ids=owners, accounts=accounts, channels=channels)
    try:
        return read_world(oro, reads, concurrency=settings.concurrency)
    finally:
        clients.close()


def _reader(clients: DotmailerClients, channel: OroIntegration) -> Callable[[], DotmailerReader]:
    return lambda: clients.account(channel.name, channel.username)


def _load(out: Path) -> DesiredState:
    """The directory just written, read back as any config is; it must validate."""
    validation = validate_config(out)
    if validation.state is None:
        raise ConfigError(
            f"{validation.summary()}: the estate holds what a config cannot declare; nothing "
            "was recorded in the state",
            validation.diagnostics,
        )
    return validation.state


def _plan(
    desired: DesiredState,
    world: LiveWorld,
    snapshot: Snapshot,
    options: ImportOptions,
    fingerprints: dict[str, dict[str, str]],
) -> Plan:
    try:
        return build_plan(
            desired,
            world,
            snapshot,
            fingerprints,
            PlanOptions(integrations=options.integrations),
        )
    except ConfigError as exc:
        raise ConfigError(
            f"{exc}; {options.out} was written, nothing was recorded in the state",
            exc.diagnostics,
        ) from None


def _references(desired: DesiredState, state: Snapshot) -> dict[str, dict[str, str]]:
    """Per integration address, a fingerprint for each secret its config references: the one
    the state keeps (the variables are taken to hold what reconciler last wrote), else one that
    matches nothing, as the value Oro holds is unknown."""
    found: dict[str, dict[str, str]] = {}
    for integration in desired.integrations:
        where = address(Kind.INTEGRATION, integration.name)
        record = state.objects.get(where)
        stored = record.secret_fingerprints if record is not None else {}
        fields = ["password", *(["oauth_client_secret"] if integration.oauth else [])]
        found[where] = {f: stored.get(f, _UNKNOWN) for f in fields}
    return found


def _variables(desired: DesiredState) -> set[str]:
    found = {i.connection.password.ref for i in desired.integrations}
    found |= {i.oauth.client_secret.ref for i in desired.integrations if i.oauth}
    if desired.settings.oro_client_secret is not None:
        found.add(desired.settings.oro_client_secret.ref)
    return found
