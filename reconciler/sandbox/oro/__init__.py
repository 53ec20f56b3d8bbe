"""A faithful fake of Oro's back-office JSON:API (oro-jsonapi.md §9 is the contract).

Two modes:

* ``stock``: what a real Oro answers today. ``integrationchannels`` is read-only (writes answer
  405 with ``Allow: OPTIONS, GET`` and an empty body, its associations are excluded), and the
  dotmailer entities, marketing lists and jobs answer 404 ``resource not accessible exception``.
* ``extended`` (default): the contract of ``docs/oro-api.md``: dotmailer integrations with their
  transports, data fields, mappings with configs, address books, sync scheduling and job polling.

The world is a set of tables of rows ``{"id", "a": attributes, "r": to-one relationships}``;
to-many relationships are derived from the inverse to-one side (a mapping's ``configs`` are the
configs whose ``mapping`` is that mapping), so the two can never disagree. Every write runs in a
small transaction with an undo log: a request with one invalid ``included`` item changes nothing.
The emulator never calls dotmailer (SPEC §3: the tool creates the remote object first).

The rooms: ``schema`` (resource types, modes), ``errors``, ``wire`` (JSON:API plumbing),
``store`` (tables, ids, undo log), ``seed``, ``auth`` (OAuth2), ``read``, ``write``,
``validate``, ``jobs`` (sync scheduling) and ``app`` (``OroApp``, which routes a request).
"""

from __future__ import annotations

from reconciler.sandbox.oro.app import OroApp
from reconciler.sandbox.oro.schema import JSONAPI, TYPES

__all__ = ["JSONAPI", "TYPES", "OroApp"]
