"""render/common.py: format_value writes exactly what json.dumps writes, fast path or not."""

from __future__ import annotations

import json

import pytest

from reconciler.plan.render.common import format_value


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "",
        'quote " backslash \\ newline \n tab \t line-sep \u2028 naïve <VIP> `x`',
        None,
        True,
        False,
        0,
        -7,
        10**20,
        1.5,
        float("inf"),
        ["a", 1, None],
        {"b": 1, "a": [True]},
    ],
)
def test_format_value_is_one_line_of_json(value: object) -> None:
    assert format_value(value) == json.dumps(value, ensure_ascii=False, sort_keys=True)
