"""The sandbox world: the dotmailer and Oro emulators, seeded from YAML, persisted in a directory.

``Sandbox.open(data_dir, seed)`` loads ``data_dir/world.json`` when it exists (so separate CLI runs
see one world) and otherwise builds the world from the seed file (the packaged
``default-seed.yaml`` when none is given), checked against ``schemas/sandbox-seed.json``. The
world records the seed it was made from (path and SHA-256): a different seed given for an
existing world is refused (``reconciler sandbox reset`` starts again), and the credentials of a
world are read from its own seed. ``sandbox.serve(host, port, faults)`` starts both apps on
one loopback port. Every request runs under a file lock (``data_dir/world.lock``): the world is
reloaded first if another process wrote it, and written back afterwards, atomically (temp file,
mode 0600, ``os.replace``) whenever it changed. SPEC §6.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from reconciler.config.diagnostics import sort_diagnostics
from reconciler.config.loader import display_path, parse_file
from reconciler.config.schema import schema_errors
from reconciler.errors import ConfigError, CorruptStateError
from reconciler.sandbox.core import Faults, Request, Response, SandboxServer
from reconciler.sandbox.dotmailer import DotmailerApp
from reconciler.sandbox.oro import OroApp

Clock = Callable[[], float]

WORLD_FILE = "world.json"
LOCK_FILE = "world.lock"
WORLD_FORMAT = 1
DEFAULT_SEED = Path(__file__).with_name("default-seed.yaml")


SEED_SCHEMA = "sandbox-seed.json"


@dataclass(frozen=True)
class SeedRecord:
    """The seed a world was made from: its file (absolute) and the SHA-256 of its bytes."""

    path: str
    sha256: str

    @classmethod
    def of(cls, path: Path) -> SeedRecord:
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the sandbox seed: {exc.strerror}") from None
        return cls(str(path.resolve()), digest)


def load_seed(path: Path) -> dict[str, Any]:
    """Read a seed YAML file (one document) and check it against the seed schema: every
    problem is reported at its file, line and column."""
    documents, problems = parse_file(path)
    if len(documents) > 1:
        raise ConfigError(f"{display_path(path)}: a sandbox seed is one YAML document")
    if not problems and documents:
        problems = schema_errors(documents[0], SEED_SCHEMA)
    if problems:
        count = f"{len(problems)} error{'s' if len(problems) > 1 else ''}"
        raise ConfigError(
            f"{count} in the sandbox seed {display_path(path)}", tuple(sort_diagnostics(problems))
        )
    data = documents[0].data if documents else {}
    assert isinstance(data, dict)  # the schema says so
    return data


def remove_world(data_dir: Path) -> list[Path]:
    """Delete the world kept in ``data_dir`` (under its lock); the files removed."""
    removed: list[Path] = []
    if not (data_dir / WORLD_FILE).exists():
        return removed
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        for path in [*sorted(data_dir.glob(".world-*.tmp")), data_dir / WORLD_FILE]:
            path.unlink(missing_ok=True)
            removed.append(path)
    finally:
        os.close(fd)
    (data_dir / LOCK_FILE).unlink(missing_ok=True)
    return removed


class _Mounted:
    """What the server sees: one app of the sandbox, run under the world's lock."""

    def __init__(self, sandbox: Sandbox, name: str, prefixes: tuple[str, ...]) -> None:
        self._sandbox = sandbox
        self.name = name
        self.prefixes = prefixes

    def handle(self, request: Request) -> Response:
        return self._sandbox.handle(self.name, request)


def reset_command(data_dir: Path) -> str:
    """The command that removes the world in ``data_dir``: an environment's world
    (``DIR/environments/NAME``, reconciler.sandbox.embedded.sandbox_dir) by its name, so that
    its state beside DIR goes with it."""
    if data_dir.parent.name == "environments":
        root = display_path(data_dir.parent.parent)
        return f"reconciler sandbox reset --data-dir {root} --env {data_dir.name}"
    return f"reconciler sandbox reset --data-dir {display_path(data_dir)}"


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
        self._count_lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._written: str | None = None
        self.seed: SeedRecord | None = None  # None: in memory, or a world older than the record

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
        """Load ``data_dir/world.json``, or build the world from ``seed`` and write it there.

        A ``seed`` other than the one an existing world was made from is refused: the world
        would not be the seed's, nor its credentials the seed's."""
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        sandbox = cls(
            data_dir, DotmailerApp(None, clock=clock), None, clock=clock, oro_mode=oro_mode
        )
        with sandbox._file_lock():
            if (data_dir / WORLD_FILE).exists():
                sandbox._reload()
                if seed is not None:
                    sandbox._check_seed(SeedRecord.of(seed))
            else:
                path = seed or DEFAULT_SEED
                record = SeedRecord.of(path)
                sandbox._build(load_seed(path))
                sandbox.seed = record
                sandbox._persist()
        return sandbox

    def _check_seed(self, given: SeedRecord) -> None:
        if self.seed is None or self.seed.sha256 == given.sha256:
            return
        assert self.data_dir is not None
        world = display_path(self.data_dir / WORLD_FILE)
        was = "that file as it was then" if self.seed.path == given.path else self.seed.path
        raise ConfigError(
            f"the sandbox world {world} was made from {was}, not from {given.path}; "
            f"`{reset_command(self.data_dir)}` removes it, "
            "and the next run starts from the seed it is given"
        )

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
        return self.dotmailer.data_fields_of(username)

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
        if self.data_dir is None:
            # In memory each app runs under its own lock only: a dotmailer call does not wait
            # while the Oro emulator builds a large JSON:API document, nor the other way round
            # (the Oro side reads dotmailer's fields through DotmailerApp.data_fields_of, under
            # dotmailer's lock; dotmailer never calls into Oro, so the order is fixed).
            app = self._app(name)
            if app is None:
                return Response.json(404, {"message": f"No {name} emulator in this sandbox"})
            with self._count_lock:
                self.requests[name] += 1
            return app.handle(request)
        with self._lock, self._file_lock():  # persisted: the world is one file, one writer
            self._reload_if_changed()
            app = self._app(name)
            if app is None:
                return Response.json(404, {"message": f"No {name} emulator in this sandbox"})
            self.requests[name] += 1
            response = app.handle(request)
            self._persist()
            return response

    def _app(self, name: str) -> OroApp | DotmailerApp | None:
        return self.dotmailer if name == "dotmailer" else self.oro

    # -- persistence -----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {
            "format": WORLD_FORMAT,
            "seed": None if self.seed is None else asdict(self.seed),
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
            seed = raw.get("seed")
            self.seed = None if seed is None else SeedRecord(seed["path"], seed["sha256"])
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
