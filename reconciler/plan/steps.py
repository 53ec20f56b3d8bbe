"""What apply does for an op, typed: the kind of object, the remote calls, the work.

Compare decides the steps; apply runs them in the order given, one exhaustive ``match`` per kind
(``reconciler/execute/``). Nothing passes strings between the two: a step is a member of its
kind's enum, and its value is the name the journal records (``dotmailer.create``…), which is
also how a saved plan spells it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reconciler.plan.specs import (
    AddressBookSpec,
    DataFieldSpec,
    IntegrationSpec,
    MappingSpec,
    SpecError,
)


class Kind(StrEnum):
    """The kinds of object a plan addresses, in the order apply creates them (SPEC §4)."""

    OWNER = "owner"
    INTEGRATION = "integration"
    DATA_FIELD = "data_field"
    ADDRESS_BOOK = "address_book"
    MAPPING = "mapping"
    SYNC = "sync"


class IntegrationStep(StrEnum):
    CHECK = "dotmailer.check"  # "Check connection" before credentials are written (SPEC §3)
    ORO_CREATE = "oro.create"
    ORO_UPDATE = "oro.update"
    ORO_DELETE = "oro.delete"


class DataFieldStep(StrEnum):
    DOTMAILER_DELETE = "dotmailer.delete"
    ORO_DELETE = "oro.delete"
    DOTMAILER_CREATE = "dotmailer.create"
    ORO_CREATE = "oro.create"
    ORO_UPDATE = "oro.update"


class AddressBookStep(StrEnum):
    DOTMAILER_CREATE = "dotmailer.create"
    DOTMAILER_UPDATE = "dotmailer.update"
    DOTMAILER_DELETE = "dotmailer.delete"
    # An orphaned Oro book (its integration deleted, oro-verified.md §4) that holds the
    # declared marketing list: deleted first, with prune on, so the list can be linked.
    ORO_DELETE_ORPHAN = "oro.delete_orphan"
    ORO_DELETE = "oro.delete"
    ORO_CREATE = "oro.create"
    ORO_UPDATE = "oro.update"
    ORO_RELINK = "oro.relink"  # an orphaned Oro record of this very book, given its channel


class MappingStep(StrEnum):
    ORO_CREATE = "oro.create"
    ORO_UPDATE = "oro.update"
    ORO_DELETE = "oro.delete"


Step = IntegrationStep | DataFieldStep | AddressBookStep | MappingStep

SYNC_STEP = "oro.sync"
SYNC_OWED_STEP = "sync.owed"  # journaled before an integration's first change (execute.syncs)

# A delete's calls follow from its kind: a data field goes from dotmailer first (the Oro record
# must not outlive it), an address book from Oro first (its marketing-list link).
INTEGRATION_DELETE = (IntegrationStep.ORO_DELETE,)
DATA_FIELD_DELETE = (DataFieldStep.DOTMAILER_DELETE, DataFieldStep.ORO_DELETE)
ADDRESS_BOOK_DELETE = (AddressBookStep.ORO_DELETE, AddressBookStep.DOTMAILER_DELETE)
# A book of a removed integration: Oro keeps books (SET NULL), so its record is deleted there;
# the dotmailer book is kept, like the integration's data fields.
ADDRESS_BOOK_UNLINK = (AddressBookStep.ORO_DELETE,)
MAPPING_DELETE = (MappingStep.ORO_DELETE,)

# Replacing a data field: dotmailer has no update (oro-dotmailer-bundle.md §2).
REPLACE_STEPS: tuple[DataFieldStep, ...] = (
    DataFieldStep.DOTMAILER_DELETE,
    DataFieldStep.ORO_DELETE,
    DataFieldStep.DOTMAILER_CREATE,
    DataFieldStep.ORO_CREATE,
)


@dataclass(frozen=True)
class IntegrationWork:
    spec: IntegrationSpec
    steps: tuple[IntegrationStep, ...] = ()
    kind = Kind.INTEGRATION


@dataclass(frozen=True)
class DataFieldWork:
    spec: DataFieldSpec
    steps: tuple[DataFieldStep, ...] = ()
    kind = Kind.DATA_FIELD


@dataclass(frozen=True)
class AddressBookWork:
    spec: AddressBookSpec
    steps: tuple[AddressBookStep, ...] = ()
    kind = Kind.ADDRESS_BOOK


@dataclass(frozen=True)
class MappingWork:
    spec: MappingSpec
    steps: tuple[MappingStep, ...] = ()
    kind = Kind.MAPPING


Work = IntegrationWork | DataFieldWork | AddressBookWork | MappingWork


def work_from_values(kind: Kind, values: object, steps: list[str]) -> Work:
    """A saved op back to its work (``values``: its ``after``, or ``before`` for a delete);
    raises SpecError or ValueError when the values or a step name do not fit the kind."""
    if not isinstance(values, dict):
        raise SpecError(f"after: expected an object, got {values!r}")
    match kind:
        case Kind.INTEGRATION:
            return IntegrationWork(
                IntegrationSpec.from_values(values), tuple(IntegrationStep(s) for s in steps)
            )
        case Kind.DATA_FIELD:
            return DataFieldWork(
                DataFieldSpec.from_values(values), tuple(DataFieldStep(s) for s in steps)
            )
        case Kind.ADDRESS_BOOK:
            return AddressBookWork(
                AddressBookSpec.from_values(values), tuple(AddressBookStep(s) for s in steps)
            )
        case Kind.MAPPING:
            return MappingWork(
                MappingSpec.from_values(values), tuple(MappingStep(s) for s in steps)
            )
        case Kind.OWNER | Kind.SYNC:
            raise SpecError(f"a {kind} op carries no work")
