"""jsontext.dumps is json.dumps(sort_keys=True, indent=2, ensure_ascii=...), text for text,
on the plans the renderer and the saved plan see and on the values where the two could part."""

from __future__ import annotations

import enum
import json
import math
from typing import Any

import pytest
from render_plans import SINGLE_OP_PLANS, mixed_plan

from reconciler.plan.jsontext import dumps
from reconciler.plan.render import plan_json
from reconciler.plan.saved import plan_to_dict


def stdlib(value: Any, ensure_ascii: bool = False) -> str:
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=ensure_ascii)


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Ordered(dict[str, Any]):
    pass


@pytest.mark.parametrize("case", [*sorted(SINGLE_OP_PLANS), "mixed"])
def test_plans_encode_as_the_standard_library_does(case: str) -> None:
    plan = mixed_plan() if case == "mixed" else SINGLE_OP_PLANS[case]
    for value in (plan_json(plan), plan_to_dict(plan)):
        assert dumps(value) == stdlib(value)
        assert dumps(value, ensure_ascii=True) == stdlib(value, ensure_ascii=True)


VALUES: list[Any] = [
    {},
    [],
    (),
    {"b": [], "a": {}, "c": [{}], "d": [[]]},
    {"z": 1, "a": [1, 2.5, None, True, False, "x"], "m": {"y": {"x": (1, (2, 3))}}},
    "plain",
    'quote " backslash \\ newline \n tab \t nul \x00 bell \x07 del \x7f',
    "ünïcödé, 中文, emoji 😀, line sep \u2028, surrogate-free",
    {"é": "key not ASCII", "": "empty key", "a b": 'key "quoted"'},
    [0, -1, 2**70, -(2**70)],
    [0.0, -0.0, 1.5, 1e16, 1e-7, 123456789.123456789, 1 / 3],
    [math.nan, math.inf, -math.inf],
    None,
    True,
    3,
    2.0,
    [Colour.RED, {"k": Colour.RED}],
    [Level.HIGH, {"k": Level.HIGH}],
    {Colour.RED: 1},
    Ordered(b=1, a=2),
    {2: "int key", 1.5: "float key"},
    {True: "bool key", False: "another"},
]


@pytest.mark.parametrize("ensure_ascii", [False, True])
@pytest.mark.parametrize("value", VALUES, ids=[repr(v)[:40] for v in VALUES])
def test_values_encode_as_the_standard_library_does(value: Any, ensure_ascii: bool) -> None:
    assert dumps(value, ensure_ascii=ensure_ascii) == stdlib(value, ensure_ascii)


def test_what_the_standard_library_refuses_is_refused_the_same_way() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    for bad, error in (
        ({"a": 1, 2: "b"}, TypeError),
        ({"x": object()}, TypeError),
        (cycle, ValueError),
    ):
        with pytest.raises(error) as ours:
            dumps(bad)
        with pytest.raises(error) as theirs:
            stdlib(bad)
        assert str(ours.value) == str(theirs.value)
