"""The Oro back-office JSON:API client: :class:`OroClient`, one per Oro instance."""

from __future__ import annotations

from reconciler.providers.oro.client import JSONAPI, OroClient

__all__ = ["JSONAPI", "OroClient"]
