"""``json.dumps(value, sort_keys=True, indent=2, ensure_ascii=...)``, the same text, faster.

The standard library encodes with its C accelerator only without ``indent``; with it, every
value goes through nested Python generators, two thirds of rendering a 10,000-op plan as JSON
(docs/performance.md). This writes the same text with plain loops: strings escaped by the same C
function the standard library uses (``encode_basestring``, or ``encode_basestring_ascii`` with
``ensure_ascii``), ints and floats by the same
``repr``, ``NaN``/``Infinity`` as it spells them. Anything it does not know exactly (a subclass
of ``str``, ``int`` or ``dict``, a key that is not a string, a value JSON cannot hold, a cycle)
makes the whole value go through ``json.dumps`` itself, so the result, or the error, is always
the standard library's. ``tests/plan/render/test_jsontext.py`` compares the two.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_INFINITY = float("inf")
_CONTAINERS = (dict, list, tuple)


class _Unusual(Exception):
    """A value this writer leaves to the standard library."""


def dumps(value: Any, *, ensure_ascii: bool = False) -> str:
    """``json.dumps(value, sort_keys=True, indent=2, ensure_ascii=ensure_ascii)``."""
    try:
        return (_ASCII if ensure_ascii else _UNICODE)(value)
    except (_Unusual, TypeError, RecursionError):
        return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=ensure_ascii)


def _writer(encode_str: Callable[[str], str]) -> Callable[[Any], str]:
    """The writer whose strings are escaped by ``encode_str``."""

    def leaf(value: Any) -> str:
        """The JSON text of a string, number, boolean or null."""
        kind = type(value)
        if kind is str:
            return encode_str(value)
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

    def any_value(value: Any, newline: str, out: list[str]) -> None:
        kind = type(value)
        if kind is dict:
            mapping(value, newline, out)
        elif kind is list or kind is tuple:
            array(value, newline, out)
        else:
            out.append(leaf(value))

    def mapping(value: dict[Any, Any], newline: str, out: list[str]) -> None:
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
                append(f"{lead}{encode_str(key)}: ")
                any_value(item, inner, out)
            elif type(item) is str:
                append(f"{lead}{encode_str(key)}: {encode_str(item)}")
            else:
                append(f"{lead}{encode_str(key)}: {leaf(item)}")
            lead = sep
        out.append(newline + "}")

    def array(value: list[Any] | tuple[Any, ...], newline: str, out: list[str]) -> None:
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
                any_value(item, inner, parts)
                out.append("".join(parts))
            else:
                out.append(lead + leaf(item))
            lead = "," + inner
        out.append(newline + "]")

    def write(value: Any) -> str:
        out: list[str] = []
        any_value(value, "\n", out)
        return "".join(out)

    return write


# What json.dumps escapes strings with, per ensure_ascii (its C functions).
_UNICODE = _writer(json.encoder.encode_basestring)
_ASCII = _writer(json.encoder.encode_basestring_ascii)
