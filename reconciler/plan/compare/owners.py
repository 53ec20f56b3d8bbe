"""Owners and the Oro lookups a plan needs before anything else: the owners' users,
organizations and business units (SPEC §2.1), and the marketing lists books link to."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.model import Integration, LiveWorld, Owner
from reconciler.plan.compare.common import PlanProblem
from reconciler.plan.ops import ReadOp, address
from reconciler.plan.specs import OwnerSpec
from reconciler.plan.steps import Kind


def check_owners(
    owners: Sequence[Owner], integrations: Sequence[Integration], live: LiveWorld
) -> list[PlanProblem]:
    """Every owner an integration in scope names must resolve to an enabled Oro user of its
    organization (and business unit, when one is given)."""
    used = {i.owner for i in integrations}
    users = {u.username: u for u in live.users}
    orgs = {o.name: o for o in live.organizations}
    problems: list[PlanProblem] = []
    for owner in sorted(owners, key=lambda o: o.name):
        if owner.name not in used:
            continue
        user = users.get(owner.username)
        org = orgs.get(owner.organization)
        if org is None:
            problems.append(
                PlanProblem(
                    owner.location,
                    "spec.organization",
                    f"Oro organization {owner.organization!r} does not exist",
                )
            )
        if user is None:
            problems.append(
                PlanProblem(
                    owner.location, "spec.username", f"Oro user {owner.username!r} does not exist"
                )
            )
            continue
        if not user.enabled:
            problems.append(
                PlanProblem(
                    owner.location, "spec.username", f"Oro user {owner.username!r} is disabled"
                )
            )
        if org is not None and org.id not in user.organization_ids:
            problems.append(
                PlanProblem(
                    owner.location,
                    "spec.organization",
                    f"Oro user {owner.username!r} is not in organization {owner.organization!r}",
                )
            )
        if owner.business_unit is not None and not any(
            b.name == owner.business_unit and (org is None or b.organization_id == org.id)
            for b in live.business_units
        ):
            problems.append(
                PlanProblem(
                    owner.location,
                    "spec.businessUnit",
                    f"Oro business unit {owner.business_unit!r} does not exist in "
                    f"organization {owner.organization!r}",
                )
            )
    return problems


def check_marketing_lists(
    integrations: Sequence[Integration], live: LiveWorld
) -> list[PlanProblem]:
    names = {ml.name for ml in live.marketing_lists}
    return [
        PlanProblem(
            book.location,
            "marketingList",
            f"Oro marketing list {book.marketing_list!r} does not exist",
        )
        for integration in integrations
        for book in integration.address_books
        if book.marketing_list is not None and book.marketing_list not in names
    ]


def read_op(owner: Owner, live: LiveWorld) -> ReadOp:
    user = next(u for u in live.users if u.username == owner.username)
    return ReadOp(
        address=address(Kind.OWNER, key=owner.name),
        kind=Kind.OWNER,
        integration=None,
        reason="owner_lookup",
        after=OwnerSpec.of(owner).values(),
        remote_ids={"oro": user.id},
    )
