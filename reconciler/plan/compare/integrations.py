"""An integration's own op: its Oro channel and transport (SPEC §2.2), secrets by fingerprint.

Neither Oro nor dotmailer returns a password, so a secret is compared by the keyed fingerprint
the state keeps (SPEC §2.5) and shown only as ``(sensitive)``. A record with no fingerprints
was imported: its secrets have never been written by reconciler, and are, once, by an adopt.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.model import Integration, LiveWorld, Owner
from reconciler.plan import values as v
from reconciler.plan.compare.common import Planned, changes, create, drift, reason
from reconciler.plan.ops import AdoptOp, FieldChange, UpdateOp, address
from reconciler.plan.specs import IntegrationSpec
from reconciler.plan.steps import IntegrationStep, IntegrationWork, Kind
from reconciler.state import ObjectRecord, Snapshot


def secret_changes(
    fingerprints: Mapping[str, str], record: ObjectRecord | None
) -> tuple[FieldChange, ...]:
    stored = record.secret_fingerprints if record is not None else {}
    return tuple(
        FieldChange(name, None, None, sensitive=True)
        for name in sorted(set(fingerprints) | set(stored))
        if fingerprints.get(name) != stored.get(name)
    )


def plan_integration(
    integration: Integration,
    owner: Owner,
    world: LiveWorld,
    state: Snapshot,
    fingerprints: Mapping[str, str],
) -> Planned:
    """``fingerprints``: the keyed fingerprints of the secrets the config references now."""
    addr = address(Kind.INTEGRATION, integration.name)
    live = world.integration(integration.name)
    record = state.objects.get(addr)
    spec = IntegrationSpec.of(integration, owner)
    wanted = spec.values()
    sensitive = tuple(sorted(fingerprints))
    if live.oro is None:
        work = IntegrationWork(spec, (IntegrationStep.CHECK, IntegrationStep.ORO_CREATE))
        every_secret = tuple(FieldChange(s, None, None, sensitive=True) for s in sensitive)
        made = create(
            addr, integration.name, record, work, secret_changes=every_secret, sensitive=sensitive
        )
        return Planned(ops=(made,))
    current = v.live_integration(live.oro, world).values()
    drifted = drift(addr, integration.name, record, current, wanted)
    changed = changes(current, wanted, wanted) + secret_changes(fingerprints, record)
    credentials = any(c.field in ("username", "password") for c in changed)
    steps = ((IntegrationStep.CHECK,) if credentials else ()) + (
        (IntegrationStep.ORO_UPDATE,) if changed else ()
    )
    work = IntegrationWork(spec, steps)

    def op(cls: type[AdoptOp] | type[UpdateOp], why: str) -> AdoptOp | UpdateOp:
        assert live.oro is not None
        return cls(
            address=addr,
            kind=Kind.INTEGRATION,
            integration=integration.name,
            reason=why,
            before=current,
            work=work,
            changes=changed,
            sensitive=sensitive,
            remote_ids={"oro": live.oro.id, "oro_transport": live.oro.transport_id},
            remote_fingerprint=v.remote_fingerprint(current),
        )

    if record is None:
        return Planned(ops=(op(AdoptOp, "exists_unmanaged"),), drift=drifted)
    if changed and not record.secret_fingerprints and all(c.sensitive for c in changed):
        # Recorded by `import` or `state import`, which cannot know the secrets (Oro keeps
        # them write-only): the adoption ends when apply has written them once.
        return Planned(ops=(op(AdoptOp, "secrets_unknown"),), drift=drifted)
    if changed:
        return Planned(ops=(op(UpdateOp, reason(record, wanted, changed)),), drift=drifted)
    return Planned(drift=drifted)
