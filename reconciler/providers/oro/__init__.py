"""The Oro back-office JSON:API client: :class:`OroClient`, one per Oro instance.

``session`` holds the token, the HTTP calls, error mapping and paging; ``documents`` the pure
functions that build and read JSON:API documents; ``client`` the resource methods over both.
"""

from __future__ import annotations

from reconciler.providers.oro.client import OroClient
from reconciler.providers.oro.documents import NewIntegration
from reconciler.providers.oro.session import JSONAPI

__all__ = ["JSONAPI", "NewIntegration", "OroClient"]
