"""The rules of reconciler.yaml (the settings document) that its schema cannot express."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from reconciler.config.diagnostics import YamlPath
from reconciler.config.loader import Document
from reconciler.config.semantic.common import Reporter, as_dict, as_str

__all__ = ["check_settings"]


def check_settings(reporter: Reporter, document: Document) -> None:
    """The top level's settings, then each environment's block (``environments.NAME``)."""
    data = as_dict(document.data)
    _check(reporter, document, data, ())
    for name, block in sorted(as_dict(data.get("environments")).items()):
        _check(reporter, document, as_dict(block), ("environments", name))


def _check(reporter: Reporter, document: Document, data: dict[str, object], at: YamlPath) -> None:
    state = as_str(data.get("state"))
    if state is not None and not (
        state.startswith("sqlite:///") or re.match(r"^postgres(ql)?://[^/]", state)
    ):
        scheme = state.split(":", 1)[0] if ":" in state else state
        reporter.report(
            document,
            (*at, "state"),
            "settings.state",
            f'state must be sqlite:///PATH or postgresql://USER@HOST/DB (got scheme "{scheme}")',
        )
    oro = as_dict(data.get("oro"))
    for path, value in (
        (("oro", "url"), oro.get("url")),
        (("dotmailer", "apiUrl"), as_dict(data.get("dotmailer")).get("apiUrl")),
    ):
        url = as_str(value)
        if url is not None and not _is_http_url(url):
            reporter.report(
                document,
                (*at, *path),
                "settings.url",
                f"{'.'.join(path)} must be an http:// or https:// URL with a host "
                f'(got "{_without_userinfo(url)}")',
            )
    if "clientSecret" in oro:
        reporter.secret(document, (*at, "oro", "clientSecret"), oro["clientSecret"])


def _without_userinfo(url: str) -> str:
    """A URL safe to show: credentials before "@" in the authority are masked."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
