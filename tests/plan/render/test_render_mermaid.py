"""Mermaid graph of a plan: exact text for small plans, the cap, labels, secrets (issue 12 item 3).

The renderer itself (mermaid-cli with Chromium) draws these in test_render_mermaid_cli.py.
"""

from __future__ import annotations

import re

from render_plans import (
    book,
    change,
    create_field,
    drift,
    mixed_plan,
    plan,
    read_owner,
    sync,
    update_book,
)
from test_render_secrets import SECRETS, leaky_plan

from reconciler.plan.ops import CreateOp, DeleteOp, UpdateOp, address
from reconciler.plan.render import render, render_mermaid

HEADER = """\
flowchart LR
  classDef create fill:#dafbe1,stroke:#1a7f37,color:#1f2328
  classDef update fill:#fff8c5,stroke:#9a6700,color:#1f2328
  classDef destroy fill:#ffebe9,stroke:#cf222e,color:#1f2328
  classDef adopt fill:#ddf4ff,stroke:#0969da,color:#1f2328
  classDef drift stroke-dasharray:5 5
  classDef more fill:#f6f8fa,stroke:#8c959f,color:#59636e
"""


def test_every_kind_of_change_has_its_colour_and_drift_is_dashed() -> None:
    assert render(mixed_plan(), "mermaid") == HEADER + (
        '  n1["integration apac (adopt)"]\n'
        '  n2["data field LOYALTY_TIER (create)"]\n'
        "  n1 --> n2\n"
        '  n3["integration emea"]\n'
        '  n4["data field LOYALTY (replace, needs approval)"]\n'
        "  n3 --> n4\n"
        '  n5["data field NOTES (drift)"]\n'
        "  n3 -.-> n5\n"
        '  n6["data field OLD_SCORE (delete, blocked)"]\n'
        "  n3 --> n6\n"
        '  n7["data field SCORE (create)"]\n'
        "  n3 --> n7\n"
        '  n8["address book Newsletter EMEA (update)"]\n'
        "  n3 --> n8\n"
        '  n9["address book Promo #124; #60;VIP#62; #96;x#96; (update, drift)"]\n'
        "  n3 -.-> n9\n"
        "  class n2,n7 create\n"
        "  class n8,n9 update\n"
        "  class n4,n6 destroy\n"
        "  class n1 adopt\n"
        "  class n5,n9 drift\n"
    )


BookOp = CreateOp | UpdateOp | DeleteOp


def book_op(
    cls: type[BookOp],
    name: str,
    integration: str = "emea",
    *,
    before: str | None = None,
    after: str | None = None,
    **extra: str,
) -> BookOp:
    """An address-book op whose sides name their marketing list (``extra``: more before)."""
    sides = {
        "before": None if before is None else {"name": name, "marketing_list": before, **extra},
        "after": None if after is None else {"name": name, "marketing_list": after},
    }
    return cls(
        address=book(name, integration),
        kind="address_book",
        integration=integration,
        reason="config_changed",
        **{side: values for side, values in sides.items() if values is not None},
    )


def test_books_carry_their_marketing_list_coloured_only_when_the_link_changes() -> None:
    graph = render_mermaid(
        plan(
            book_op(CreateOp, "Newsletter EMEA", after="EMEA subscribers"),
            book_op(UpdateOp, "Leads EMEA", before="EMEA leads", after="EMEA prospects"),
            book_op(UpdateOp, "VIP", before="VIPs", after="VIPs", visibility="Public"),
            book_op(DeleteOp, "Old", "amer", before="Old list"),
            DeleteOp(
                address=address("integration", "amer"),
                kind="integration",
                integration="amer",
                reason="removed_from_config",
                before={"name": "AMER"},
            ),
            UpdateOp(
                address=address("mapping", "emea", "contact"),
                kind="mapping",
                integration="emea",
                reason="config_changed",
                changes=(change("sync_priority", 1, 2),),
            ),
            read_owner(),
            sync("emea"),
        )
    )
    assert graph == HEADER + (
        '  n1["integration amer (delete)"]\n'
        '  n2["address book Old (delete)"]\n'
        "  n1 --> n2\n"
        '  n3["marketing list Old list (unlinked)"]\n'
        "  n2 --> n3\n"
        '  n4["integration emea"]\n'
        '  n5["address book Leads EMEA (update)"]\n'
        "  n4 --> n5\n"
        '  n6["marketing list EMEA prospects (was EMEA leads)"]\n'
        "  n5 --> n6\n"
        '  n7["address book Newsletter EMEA (create)"]\n'
        "  n4 --> n7\n"
        '  n8["marketing list EMEA subscribers (linked)"]\n'
        "  n7 --> n8\n"
        '  n9["address book VIP (update)"]\n'
        "  n4 --> n9\n"
        '  n10["marketing list VIPs"]\n'
        "  n9 --> n10\n"
        '  n11["mapping contact (update)"]\n'
        "  n4 --> n11\n"
        "  class n7,n8 create\n"
        "  class n5,n6,n9,n11 update\n"
        "  class n1,n2,n3 destroy\n"
    )


def test_the_cap_keeps_the_riskiest_nodes_and_counts_the_rest() -> None:
    assert render_mermaid(mixed_plan(), max_nodes=4) == HEADER + (
        '  n1["integration apac (adopt)"]\n'
        '  n2["+1 more"]\n'
        "  n1 --> n2\n"
        '  n3["integration emea"]\n'
        '  n4["data field LOYALTY (replace, needs approval)"]\n'
        "  n3 --> n4\n"
        '  n5["data field OLD_SCORE (delete, blocked)"]\n'
        "  n3 --> n5\n"
        '  n6["+4 more"]\n'
        "  n3 --> n6\n"
        "  class n4,n5 destroy\n"
        "  class n1 adopt\n"
        "  class n2,n6 more\n"
    )


def test_a_large_plan_is_capped_at_40_nodes_with_one_more_node_per_place() -> None:
    big = plan(
        *(create_field(f"FIELD_{n:02d}", f"team-{i:03d}") for i in range(300) for n in range(40))
    )
    graph = render_mermaid(big)
    labels = re.findall(r'^  n\d+\["(.*)"\]$', graph, re.M)
    assert labels == [
        "integration team-000",
        *(f"data field FIELD_{n:02d} (create)" for n in range(39)),
        "+1 more",
        f"+{299 * 41} more",  # the 299 integrations not drawn, each with its 40 fields
    ]
    assert graph.endswith(f'  n1 --> n41\n  n42["+{299 * 41} more"]\n' + _classes(40))


def _classes(last: int) -> str:
    created = ",".join(f"n{n}" for n in range(2, last + 1))
    return f"  class {created} create\n  class n{last + 1},n{last + 2} more\n"


def test_labels_are_entity_coded_so_a_name_is_never_parsed() -> None:
    graph = render_mermaid(plan(create_field('x"y] #1;<b>é', 'a "b"')))
    assert graph == HEADER + (
        '  n1["integration a #34;b#34;"]\n'
        '  n2["data field x#34;y#93; #35;1#59;#60;b#62;#233; (create)"]\n'
        "  n1 --> n2\n"
        "  class n2 create\n"
    )


def test_a_refresh_only_plan_draws_its_drift_dashed() -> None:
    drifted = plan(
        update_book("Newsletter EMEA", change("visibility", "Private", "Public")),
        refresh_only=True,
        drift=(
            drift(address("data_field", "emea", "NOTES"), change("notes", "a", "b")),
            drift(address("integration", "emea"), change("enabled", True, False)),
        ),
    )
    assert render_mermaid(drifted) == HEADER + (
        '  n1["integration emea (drift)"]\n'
        '  n2["data field NOTES (drift)"]\n'
        "  n1 -.-> n2\n"
        "  class n1,n2 drift\n"
    )


def test_a_plan_with_nothing_to_draw_is_one_node_saying_so() -> None:
    assert render_mermaid(plan(read_owner())) == (
        'flowchart LR\n  n1["No changes. Live systems match the configuration."]\n'
    )
    assert render_mermaid(plan(refresh_only=True)) == (
        'flowchart LR\n  n1["No drift. Live systems match the last applied state."]\n'
    )
    assert render_mermaid(plan(sync("emea"))) == (
        'flowchart LR\n  n1["Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, '
        '0 to adopt#59; 1 sync to schedule."]\n'
    )


def test_no_secret_value_reaches_the_graph() -> None:
    graph = render_mermaid(leaky_plan())
    assert [secret for secret in SECRETS if secret in graph] == []
    assert graph == HEADER + (
        '  n1["integration emea (create, update, adopt, delete, drift)"]\n'
        "  class n1 destroy\n"
        "  class n1 drift\n"
    )
