"""Defence in depth: no renderer prints a sensitive value, even from a faulty op.

SPEC §2.5: secret values never appear in any output. Ops should never carry one, but if compare
ever slips, a field named in ``op.sensitive`` (or a change flagged sensitive) is still masked.
"""

from __future__ import annotations

import json

import pytest
from render_plans import drift, plan

from reconciler.plan.ops import AdoptOp, CreateOp, DeleteOp, FieldChange, Plan, UpdateOp
from reconciler.plan.render import Format, render

SECRETS = ("old-Pa55word!", "new-Pa55word!", "oauth-s3cret", "drifted-s3cret")


def leaky_plan() -> Plan:
    """Every place a buggy compare could put a secret value."""
    base = {"address": "integration.emea", "kind": "integration", "integration": "emea"}
    return plan(
        CreateOp(
            **base,
            reason="not_in_state",
            after={"name": "EMEA", "password": "new-Pa55word!"},
            sensitive=("password",),
        ),
        UpdateOp(
            **base,
            reason="config_changed",
            before={"password": "old-Pa55word!"},
            after={"password": "new-Pa55word!"},
            changes=(FieldChange("password", "old-Pa55word!", "new-Pa55word!"),),
            sensitive=("password",),
        ),
        AdoptOp(
            **base,
            reason="exists_unmanaged",
            changes=(FieldChange("oauth_client_secret", None, "oauth-s3cret", sensitive=True),),
        ),
        DeleteOp(
            **base,
            reason="removed_from_config",
            before={"name": "EMEA", "password": "old-Pa55word!"},
            sensitive=("password",),
        ),
        drift=(
            drift(
                "integration.emea",
                FieldChange("password", "old-Pa55word!", "drifted-s3cret", sensitive=True),
            ),
        ),
    )


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
@pytest.mark.parametrize("color", [False, True])
def test_no_renderer_prints_a_sensitive_value(fmt: Format, color: bool) -> None:
    output = render(leaky_plan(), fmt, color=color)
    assert [value for value in SECRETS if value in output] == []


def test_text_shows_masked_fields_as_sensitive() -> None:
    lines = render(leaky_plan(), "text").splitlines()
    assert [line for line in lines if "(sensitive)" in line] == [
        "      + password = (sensitive)",
        "      ~ password = (sensitive)",
        "      ~ oauth_client_secret = (sensitive)",
        "      - password = (sensitive)",
        "  integration.emea: password (sensitive)  # apply will revert",
    ]


def test_json_masks_sensitive_fields_and_keeps_the_rest() -> None:
    data = json.loads(render(leaky_plan(), "json"))
    changes = [entry["change"] for entry in data["resource_changes"]]
    assert [
        (c["before"], c["after"], c["before_sensitive"], c["after_sensitive"]) for c in changes
    ] == [
        (None, {"name": "EMEA"}, {}, {"password": True}),
        ({}, {}, {"password": True}, {"password": True}),
        ({}, {}, {"oauth_client_secret": True}, {"oauth_client_secret": True}),
        ({"name": "EMEA"}, None, {"password": True}, {}),
    ]
    assert data["resource_drift"][0]["change"] == {
        "actions": ["update"],
        "before": {},
        "after": {},
        "after_unknown": {},
        "before_sensitive": {"password": True},
        "after_sensitive": {"password": True},
    }
