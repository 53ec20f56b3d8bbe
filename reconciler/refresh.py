"""Refresh: read the live world through the two clients, with list calls only.

Oro costs a fixed number of list calls whatever the number of objects (users, organizations,
business units, marketing lists, integrations, data fields, address books, mappings), fetched
concurrently, and one ``entitystructures`` read per entity the mappings use (its fields' types,
which compare checks the mapped data fields against). dotmailer costs three calls per
integration (account-info, which is also "Check connection" and region discovery; the
data-field list; the address-book list, paged by 1000),
with bounded concurrency across integrations (SPEC §4: never one GET per object).

:func:`refresh` reads what a desired state names; :func:`read_world` is the one reader behind
it, told by a :class:`Reads` what to read, which ``reconciler import`` also uses for an estate
no config describes yet.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from reconciler.errors import RemoteError
from reconciler.model import (
    BusinessUnit,
    DesiredState,
    Integration,
    LiveIntegration,
    LiveUser,
    LiveWorld,
    MarketingList,
    Organization,
    OroAddressBook,
    OroDataField,
    OroIntegration,
    OroMapping,
    RemoteAddressBook,
    RemoteDataField,
)
from reconciler.progress import REFRESH, current


class DotmailerReader(Protocol):
    def account_info(self) -> Any: ...
    def list_data_fields(self) -> list[RemoteDataField]: ...
    def list_address_books(self) -> list[RemoteAddressBook]: ...


class OroReader(Protocol):
    def list_users(self, usernames: Sequence[str]) -> list[LiveUser]: ...
    def list_users_by_id(self, ids: Sequence[str]) -> list[LiveUser]: ...
    def list_organizations(self) -> list[Organization]: ...
    def list_business_units(self) -> list[BusinessUnit]: ...
    def list_marketing_lists(self) -> list[MarketingList]: ...
    def list_integrations(self) -> list[OroIntegration]: ...
    def list_data_fields(self) -> list[OroDataField]: ...
    def list_address_books(self) -> list[OroAddressBook]: ...
    def list_mappings(self) -> list[OroMapping]: ...
    def entity_fields(self, entity: str) -> dict[str, str] | None: ...


# Refresh reads this many accounts per unit of the ``concurrency`` setting, at most READ_CAP.
# Apply's bound protects the systems it writes to; refresh only sends GETs, each account to its
# own dotmailer rate limit (dotdigital-api-v2.md §4), so waiting on 25 ms round trips four at a
# time was most of a 200-integration plan (benchmarks/scale.py, docs/performance.md).
READ_FANOUT = 8
READ_CAP = 64


def read_workers(concurrency: int) -> int:
    """How many dotmailer accounts refresh reads at once for a ``concurrency`` setting."""
    return min(READ_CAP, max(1, concurrency) * READ_FANOUT)


@dataclass(frozen=True)
class Account:
    """One integration's dotmailer account to read: ``reader`` makes its client, ``about``
    names it in an error (``integration 'emea', dotmailer user … at emea.yaml:14:15``)."""

    name: str
    reader: Callable[[], DotmailerReader]
    about: str


@dataclass(frozen=True)
class Reads:
    """What one read of the live world covers beside the Oro lists every read makes.

    ``integrations``: the names the world holds (every Oro integration too when
    ``all_integrations``); ``usernames``/``user_ids``: the Oro users to look up; ``entities``:
    the entities whose fields' types to read; ``accounts``: the dotmailer accounts to read;
    ``channels``: Oro's integrations when the caller has listed them already (``import`` does,
    to choose what to read), so they are not listed again."""

    integrations: Collection[str] = ()
    all_integrations: bool = False
    usernames: Sequence[str] = ()
    user_ids: Sequence[str] = ()
    entities: Sequence[str] = ()
    accounts: Sequence[Account] = ()
    channels: Sequence[OroIntegration] | None = None


def refresh(
    desired: DesiredState,
    oro: OroReader,
    dotmailer_for: Callable[[Integration], DotmailerReader],
    *,
    integrations: Sequence[str] = (),
    concurrency: int = 4,
) -> LiveWorld:
    """The live world for the integrations in scope (all when ``integrations`` is empty)."""
    scope = set(integrations)
    wanted = [i for i in desired.integrations if not scope or i.name in scope]
    reads = Reads(
        integrations={i.name for i in wanted},
        all_integrations=not scope,
        usernames=sorted({o.username for o in desired.owners}),
        entities=mapped_entities(desired),
        accounts=[_account(i, dotmailer_for) for i in wanted],
    )
    return read_world(oro, reads, concurrency=concurrency)


def _account(
    integration: Integration, dotmailer_for: Callable[[Integration], DotmailerReader]
) -> Account:
    where = f" at {integration.location}" if integration.location else ""
    return Account(
        integration.name,
        lambda: dotmailer_for(integration),
        f"integration {integration.name!r}, dotmailer user "
        f"{integration.connection.username}{where}",
    )


def read_world(oro: OroReader, reads: Reads, *, concurrency: int = 4) -> LiveWorld:
    """The live world ``reads`` describes, every list fetched concurrently."""
    workers = read_workers(concurrency)
    with ThreadPoolExecutor(max_workers=workers + 9, thread_name_prefix="refresh") as pool:
        users = [
            *([pool.submit(oro.list_users, reads.usernames)] if reads.usernames else []),
            *([pool.submit(oro.list_users_by_id, reads.user_ids)] if reads.user_ids else []),
        ]
        organizations = pool.submit(oro.list_organizations)
        units = pool.submit(oro.list_business_units)
        lists = pool.submit(oro.list_marketing_lists)
        channels = pool.submit(oro.list_integrations) if reads.channels is None else None
        fields = pool.submit(oro.list_data_fields)
        books = pool.submit(oro.list_address_books)
        mappings = pool.submit(oro.list_mappings)
        entities = {e: pool.submit(oro.entity_fields, e) for e in reads.entities}
        remote = _read_dotmailer(reads.accounts, workers)
        listed = channels.result() if channels is not None else reads.channels or ()
        oro_channels = {c.name: c for c in listed}
        # Grouped once by channel: a scan of every list per integration was O(N^2) (30 million
        # comparisons for 1,000 integrations; docs/performance.md).
        fields_of = _by_channel(fields.result())
        books_of = _by_channel(books.result())
        mappings_of = _by_channel(mappings.result())
        structures = {e: f.result() for e, f in sorted(entities.items())}
        live = []
        names = set(reads.integrations) | (set(oro_channels) if reads.all_integrations else set())
        for name in sorted(names):
            channel = oro_channels.get(name)
            fields_read, books_read = remote.get(name, (None, None))
            channel_id = channel.id if channel is not None else None
            live.append(
                LiveIntegration(
                    name=name,
                    oro=channel,
                    remote_fields=fields_read,
                    remote_books=books_read,
                    oro_fields=fields_of.get(channel_id, ()),
                    oro_books=books_of.get(channel_id, ()),
                    oro_mappings=mappings_of.get(channel_id, ()),
                )
            )
        return LiveWorld(
            users=_users(users),
            organizations=tuple(organizations.result()),
            business_units=tuple(units.result()),
            marketing_lists=tuple(lists.result()),
            integrations=tuple(live),
            orphan_books=books_of.get(None, ()),
            entity_fields=structures,
        )


def _users(found: Sequence[Future[list[LiveUser]]]) -> tuple[LiveUser, ...]:
    """The users of every lookup, each once, in the order they were found."""
    by_id: dict[str, LiveUser] = {}
    for future in found:
        for user in future.result():
            by_id.setdefault(user.id, user)
    return tuple(by_id.values())


def mapped_entities(desired: DesiredState) -> list[str]:
    """The entities the mappings name, and the classes their relation paths end in
    (``addresses+Oro\\...\\ContactAddress::postalCode``), sorted."""
    found = {m.entity for m in desired.mappings}
    for mapping in desired.mappings:
        for f in mapping.fields:
            for path in f.entity_fields:
                last = path.rsplit("+", 1)[-1]
                if "+" in path and "::" in last:
                    found.add(last.split("::", 1)[0])
    return sorted(found)


class _OfChannel(Protocol):
    @property
    def channel_id(self) -> str | None: ...


_T = TypeVar("_T", bound=_OfChannel)


def _by_channel(items: Sequence[_T]) -> dict[str | None, tuple[_T, ...]]:
    """Items per channel id, each group in list order."""
    groups: dict[str | None, list[_T]] = {}
    for item in items:
        groups.setdefault(item.channel_id, []).append(item)
    return {key: tuple(group) for key, group in groups.items()}


def _read_dotmailer(
    accounts: Sequence[Account], workers: int
) -> dict[str, tuple[tuple[RemoteDataField, ...] | None, tuple[RemoteAddressBook, ...] | None]]:
    def read(
        account: Account,
    ) -> tuple[str, tuple[tuple[RemoteDataField, ...], tuple[RemoteAddressBook, ...]]]:
        try:
            client = account.reader()
            client.account_info()  # "Check connection" and region discovery
            return account.name, (
                tuple(client.list_data_fields()),
                tuple(client.list_address_books()),
            )
        except RemoteError as exc:
            raise exc.about(account.about) from None

    observer = current()

    def read_and_count(
        account: Account,
    ) -> tuple[str, tuple[tuple[RemoteDataField, ...], tuple[RemoteAddressBook, ...]]]:
        try:
            return read(account)
        finally:
            observer.advance(REFRESH)

    observer.begin(REFRESH, len(accounts))
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dotmailer") as pool:
            return dict(pool.map(read_and_count, accounts))
    finally:
        observer.end(REFRESH)
