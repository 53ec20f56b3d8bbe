"""The dotmailer (Dotdigital) v2 API emulator; :class:`DotmailerApp` is its face."""

from __future__ import annotations

from reconciler.sandbox.dotmailer.app import DotmailerApp, password_digest

__all__ = ["DotmailerApp", "password_digest"]
