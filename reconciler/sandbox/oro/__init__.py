"""A faithful fake of Oro's back-office JSON:API (oro-jsonapi.md §9 is the contract)."""

from __future__ import annotations

from reconciler.sandbox.oro.app import JSONAPI, TYPES, OroApp

__all__ = ["JSONAPI", "TYPES", "OroApp"]
