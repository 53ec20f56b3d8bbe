"""The sandbox world: the dotmailer and Oro emulators, seeded from YAML, persisted in a directory.

``Sandbox.open(data_dir, seed)`` loads ``data_dir/world.json`` when it exists (so separate CLI runs
see one world) and otherwise builds the world from the seed file (the packaged
``default-seed.yaml`` when none is given). ``sandbox.serve(host, port, faults)`` starts both apps on
one loopback port. Every request runs under a file lock (``data_dir/world.lock``): the world is
reloaded first if another process wrote it, and written back afterwards, atomically (temp file,
mode 0600, ``os.replace``) whenever it changed. SPEC §6.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import ConfigError, CorruptStateError
from reconciler.sandbox.core import Faults, Request, Response, SandboxServer
from reconciler.sandbox.dotmailer import DotmailerApp
from reconciler.sandbox.oro import OroApp

Clock = Callable[[], float]

WORLD_FILE = "world.json"
LOCK_FILE = "world.lock"
WORLD_FORMAT = 1
DEFAULT_SEED = Path(__file__).with_name("default-seed.yaml")


def load_seed(path: Path) -> dict[str, Any]:
    """Read a seed YAML file; the top level is a mapping with ``dotmailer`` and ``oro`` keys."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the sandbox seed: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: the sandbox seed is not valid YAML: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the sandbox seed must be a mapping with dotmailer and oro keys")
    unknown = sorted(set(raw) - {"dotmailer", "oro"})
    if unknown:
        raise ConfigError(
            f"{path}: unknown top-level keys in the sandbox seed: {', '.join(unknown)}"
        )
    return raw


class _Mounted:
    """What the server sees: one app of the sandbox, run under the world's lock."""

    def __init__(self, sandbox: Sandbox, name: str, prefixes: tuple[str, ...]) -> None:
        self._sandbox = sandbox
        self.name = name
        self.prefixes = prefixes

    def handle(self, request: Request) -> Response:
        return self._sandbox.handle(self.name, request)


class Sandbox:
    """Both emulators, their persistence, and request counters per app."""

    def __init__(
        self,
        data_dir: Path | None,
        dotmailer: DotmailerApp,
        oro: OroApp | None,
        *,
        clock: Clock,
        oro_mode: str,
    ) -> None:
        self.data_dir = data_dir
        self.dotmailer = dotmailer
        self.oro = oro
        self.clock = clock
        self.oro_mode = oro_mode
        self.requests: Counter[str] = Counter()  # per app name: "dotmailer", "oro"
        self._lock = threading.RLock()
        self._seen: tuple[int, int, int] | None = None
        self._written: str | None = None

    # -- construction --------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        data_dir: Path,
        seed: Path | None,
        *,
        clock: Clock = time.time,
        oro_mode: str = "extended",
    ) -> Sandbox:
        """Load ``data_dir/world.json``, or build the world from ``seed`` and write it there."""
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        sandbox = cls(
            data_dir, DotmailerApp(None, clock=clock), None, clock=clock, oro_mode=oro_mode
        )
        with sandbox._file_lock():
            if (data_dir / WORLD_FILE).exists():
                sandbox._reload()
            else:
                sandbox._build(load_seed(seed or DEFAULT_SEED))
                sandbox._persist()
        return sandbox

    @classmethod
    def in_memory(
        cls, seed: Mapping[str, Any], *, clock: Clock = time.time, oro_mode: str = "extended"
    ) -> Sandbox:
        """A world that is never written anywhere (tests)."""
        sandbox = cls(None, DotmailerApp(None, clock=clock), None, clock=clock, oro_mode=oro_mode)
        sandbox._build(seed)
        return sandbox

    def _build(self, seed: Mapping[str, Any]) -> None:
        try:
            self.dotmailer = DotmailerApp(seed.get("dotmailer") or {}, clock=self.clock)
            self.oro = OroApp(seed.get("oro") or {}, clock=self.clock, mode=self.oro_mode)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"the sandbox seed is invalid: {exc}") from None
        self._connect()

    def _connect(self) -> None:
        """Oro's data-field import reads the integration's dotmailer account, as the bundle's
        transport does with GET /v2/data-fields (the world serialises both apps)."""
        if self.oro is not None:
            self.oro.store.dotmailer_fields = self._dotmailer_fields

    def _dotmailer_fields(self, username: str) -> list[dict[str, Any]] | None:
        account = self.dotmailer.accounts.get(username)
        if account is None:
            return None
        return [dict(f) for _, f in sorted(account.data_fields.items())]

    # -- serving -------------------------------------------------------------------------

    @property
    def apps(self) -> list[_Mounted]:
        mounted = [_Mounted(self, "dotmailer", self.dotmailer.prefixes)]
        if self.oro is not None:
            mounted.append(_Mounted(self, "oro", tuple(self.oro.prefixes)))
        return mounted

    def serve(
        self, host: str = "127.0.0.1", port: int = 0, faults: Faults | None = None
    ) -> SandboxServer:
        """Start both apps on ``host:port`` (0: a free port) in a daemon thread."""
        return SandboxServer(self.apps, host=host, port=port, faults=faults).start()

    def handle(self, name: str, request: Request) -> Response:
        with self._lock, self._file_lock():
            self._reload_if_changed()
            app: OroApp | DotmailerApp | None = self.dotmailer if name == "dotmailer" else self.oro
            if app is None:
                return Response.json(404, {"message": f"No {name} emulator in this sandbox"})
            self.requests[name] += 1
            response = app.handle(request)
            self._persist()
            return response

    # -- persistence -----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {
            "format": WORLD_FORMAT,
            "oroMode": self.oro_mode,
            "dotmailer": self.dotmailer.snapshot(),
            "oro": self.oro.snapshot() if self.oro is not None else None,
        }

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        if self.data_dir is None:
            yield
            return
        fd = os.open(self.data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _stat(self) -> tuple[int, int, int] | None:
        assert self.data_dir is not None
        try:
            st = (self.data_dir / WORLD_FILE).stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _reload_if_changed(self) -> None:
        if self.data_dir is not None and self._stat() != self._seen:
            self._reload()

    def _reload(self) -> None:
        assert self.data_dir is not None
        path = self.data_dir / WORLD_FILE
        try:
            text = path.read_text(encoding="utf-8")
            raw = json.loads(text)
            if not isinstance(raw, dict) or raw.get("format") != WORLD_FORMAT:
                raise ValueError("unknown format")
            self.dotmailer = DotmailerApp.restore(raw["dotmailer"], clock=self.clock)
            if raw.get("oro") is not None:
                self.oro = OroApp.restore(raw["oro"], clock=self.clock, mode=self.oro_mode)
                self._connect()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CorruptStateError(
                f"{path}: not a readable sandbox world ({exc}); delete the directory to reseed"
            ) from None
        self._written = text
        self._seen = self._stat()

    def _persist(self) -> None:
        if self.data_dir is None:
            return
        text = json.dumps(self.snapshot(), indent=1, sort_keys=True)
        if text == self._written:
            return
        fd, tmp = tempfile.mkstemp(prefix=".world-", suffix=".tmp", dir=self.data_dir)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, self.data_dir / WORLD_FILE)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._written = text
        self._seen = self._stat()
