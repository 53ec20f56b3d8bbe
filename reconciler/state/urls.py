"""State URLs: the default, where an SQLite URL points, and the form shown (never a password)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from reconciler.errors import ConfigError

DEFAULT_STATE_URL = "sqlite:///.reconciler/state.db"
DEFAULT_SCHEMA = "reconciler"  # PostgreSQL's, when the URL names none


def sqlite_path(url: str, *, base_dir: Path) -> Path:
    """'sqlite:///a/b.db' -> base_dir/a/b.db; 'sqlite:////abs/b.db' -> /abs/b.db."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ConfigError(f"invalid SQLite state URL {url!r}: expected sqlite:///PATH")
    path = Path(url[len(prefix) :])
    return path if path.is_absolute() else base_dir / path


def display_url(url: str) -> str:
    """The URL without password (userinfo or ``password=`` query parameter)."""
    parts = urlsplit(url)
    query_pairs = parse_qsl(parts.query, keep_blank_values=True)
    if "@" not in parts.netloc and all(k != "password" for k, _ in query_pairs):
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{hostport}" if user else hostport
    query = urlencode([(k, v) for k, v in query_pairs if k != "password"])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def environment_url(url: str, environment: str | None) -> str:
    """The state URL of one environment (docs/environments.md): every environment keeps its own
    state and locks, wherever the URL came from. SQLite: ``.NAME`` before the file's suffix
    (``state.db`` -> ``state.staging.db``); PostgreSQL: ``_NAME`` after the schema
    (``reconciler`` -> ``reconciler_staging``). ``None`` (no environments) keeps the URL."""
    if environment is None:
        return url
    prefix = "sqlite:///"
    if url[: len(prefix)].lower() == prefix:
        path = PurePosixPath(url[len(prefix) :])
        return prefix + str(path.with_name(f"{path.stem}.{environment}{path.suffix}"))
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((value for key, value in query if key == "schema"), DEFAULT_SCHEMA)
    kept = [(key, value) for key, value in query if key != "schema"]
    return urlunsplit(
        parts._replace(query=urlencode([*kept, ("schema", f"{schema}_{environment}")]))
    )
