"""``json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False)``, the same text, faster.

The standard library encodes with its C accelerator only without ``indent``; with it, every
value goes through nested Python generators, two thirds of rendering a 10,000-op plan as JSON
(docs/performance.md). This writes the same text with plain loops: strings escaped by the same C
function the standard library uses (``encode_basestring``), ints and floats by the same
``repr``, ``NaN``/``Infinity`` as it spells them. Anything it does not know exactly (a subclass
of ``str``, ``int`` or ``dict``, a key that is not a string, a value JSON cannot hold, a cycle)
makes the whole value go through ``json.dumps`` itself, so the result, or the error, is always
the standard library's. ``tests/plan/render/test_jsontext.py`` compares the two.
"""

from __future__ import annotations

import json
from typing import Any

_encode_str = json.encoder.encode_basestring  # what json.dumps uses with ensure_ascii=False
_INFINITY = float("inf")


class _Unusual(Exception):
    """A value this writer leaves to the standard library."""


def dumps(value: Any) -> str:
    """``json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False)``."""
    out: list[str] = []
    try:
        _value(value, "\n", out)
    except (_Unusual, TypeError, RecursionError):
        return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False)
    return "".join(out)


_CONTAINERS = (dict, list, tuple)


def _leaf(value: Any) -> str:
    """The JSON text of a string, number, boolean or null."""
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if value != value:
            return "NaN"
        if value == _INFINITY:
            return "Infinity"
        if value == -_INFINITY:
            return "-Infinity"
        return float.__repr__(value)
    raise _Unusual(kind)


def _value(value: Any, newline: str, out: list[str]) -> None:
    kind = type(value)
    if kind is dict:
        _object(value, newline, out)
    elif kind is list or kind is tuple:
        _array(value, newline, out)
    else:
        out.append(_leaf(value))


def _object(value: dict[Any, Any], newline: str, out: list[str]) -> None:
    if not value:
        out.append("{}")
        return
    inner = newline + "  "
    lead = "{" + inner
    sep = "," + inner
    append = out.append
    for key in sorted(value):
        if type(key) is not str:
            raise _Unusual(type(key))
        item = value[key]
        if type(item) in _CONTAINERS:
            append(f"{lead}{_encode_str(key)}: ")
            _value(item, inner, out)
        elif type(item) is str:
            append(f"{lead}{_encode_str(key)}: {_encode_str(item)}")
        else:
            append(f"{lead}{_encode_str(key)}: {_leaf(item)}")
        lead = sep
    out.append(newline + "}")


def _array(value: list[Any] | tuple[Any, ...], newline: str, out: list[str]) -> None:
    if not value:
        out.append("[]")
        return
    inner = newline + "  "
    lead = "[" + inner
    for item in value:
        if type(item) in _CONTAINERS:
            # Each item joined on its own: one string per resource change, not a dozen
            # small ones per value held until the end (the peak memory of a large plan).
            parts = [lead]
            _value(item, inner, parts)
            out.append("".join(parts))
        else:
            out.append(lead + _leaf(item))
        lead = "," + inner
    out.append(newline + "]")
