"""How a command shows its progress on stderr: the two observers of :mod:`reconciler.progress`.

* On a terminal (stderr is a tty): a rich display, per task a bar with done/total, failures,
  rate, elapsed time and ETA, and a line for every wait (a rate limit, a retry). rich is
  imported only when the first task or wait is shown.
* Elsewhere (piped, CI): :class:`PlainLines`, at most one line every 10 s and none in the first
  10 s, so a short run prints nothing extra: ``apply: 1,200/7,635 ops, 0 failed, 2m10s``.

stdout is never touched: everything here goes to stderr.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

import click

from reconciler.progress import APPLY, REFRESH, Observer, current, observing

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

INTERVAL = 10.0  # seconds between two plain lines at most

# What one unit of each task is called in a line.
_UNITS = {APPLY: "ops", REFRESH: "integrations read"}
_LABELS = {APPLY: "Applying", REFRESH: "Refreshing"}


def elapsed_text(seconds: float) -> str:
    """``12s``, ``2m10s``, ``1h02m``."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def wait_text(seconds: float, why: str) -> str:
    shown = f"{seconds:.0f}" if seconds >= 1 else f"{seconds:.1f}"
    return f"waiting {shown} s {why}"


@dataclass
class _Count:
    total: int
    started: float
    done: int = 0
    failed: int = 0


class PlainLines:
    """One plain line at most every ``interval`` seconds, none before ``interval`` has passed
    since the first event, except a wait of ``interval`` or more, which is long work itself and
    is said at once (still one line per ``interval`` at most). Thread-safe; ``clock`` is
    injected (tests use a fake one)."""

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        clock: Callable[[], float] = time.monotonic,
        interval: float = INTERVAL,
    ) -> None:
        self._write = write
        self._clock = clock
        self._interval = interval
        self._lock = threading.Lock()
        self._tasks: dict[str, _Count] = {}
        self._last: float | None = None  # the last line written, or the first event
        self._wrote = False

    def begin(self, task: str, total: int) -> None:
        with self._lock:
            now = self._clock()
            self._tasks[task] = _Count(total, now)
            if self._last is None:
                self._last = now

    def advance(self, task: str, *, failed: bool = False) -> None:
        with self._lock:
            count = self._tasks.get(task)
            if count is None:
                return
            count.done += 1
            count.failed += int(failed)
            line = self._line(task, count) if self._due() else None
        if line:
            self._write(line)

    def end(self, task: str) -> None:
        with self._lock:
            self._tasks.pop(task, None)

    def waiting(self, seconds: float, why: str) -> None:
        self._say(wait_text(seconds, why), long=seconds >= self._interval)

    def status(self, task: str, text: str) -> None:
        self._say(f"{task}: {text}")

    def _say(self, line: str, *, long: bool = False) -> None:
        with self._lock:
            due = self._due(long=long)
        if due:
            self._write(line)

    def _due(self, *, long: bool = False) -> bool:
        now = self._clock()
        if self._last is None:
            self._last = now
            if not long:
                return False
        elif now - self._last < self._interval and not (long and not self._wrote):
            return False
        self._last, self._wrote = now, True
        return True

    def _line(self, task: str, count: _Count) -> str:
        unit = _UNITS.get(task, "done")
        failed = f", {count.failed:,} failed" if task == APPLY else ""
        took = elapsed_text(self._clock() - count.started)
        return f"{task}: {count.done:,}/{count.total:,} {unit}{failed}, {took}"


class TerminalDisplay:
    """The rich display on a terminal's stderr; started with the first task, stopped when the
    last one ends (so what a command prints next is not drawn over)."""

    def __init__(self, *, color: bool) -> None:
        self._color = color
        self._lock = threading.RLock()
        self._progress: Progress | None = None
        self._console: Console | None = None
        self._tasks: dict[str, TaskID] = {}
        self._failed: dict[str, int] = {}

    def begin(self, task: str, total: int) -> None:
        with self._lock:
            progress = self._start()
            self._failed[task] = 0
            self._tasks[task] = progress.add_task(
                f"{_LABELS.get(task, task)} ({_UNITS.get(task, 'done')})",
                total=total,
                extra=self._extra(task),
            )

    def advance(self, task: str, *, failed: bool = False) -> None:
        with self._lock:
            if task not in self._tasks or self._progress is None:
                return
            self._failed[task] += int(failed)
            self._progress.update(self._tasks[task], advance=1, extra=self._extra(task))

    def end(self, task: str) -> None:
        with self._lock:
            task_id = self._tasks.pop(task, None)
            if task_id is not None and self._progress is not None:
                self._progress.stop_task(task_id)
            if not self._tasks:
                self.close()

    def waiting(self, seconds: float, why: str) -> None:
        self.say(wait_text(seconds, why))

    def status(self, task: str, text: str) -> None:
        with self._lock:
            progress = self._start()
            if task not in self._tasks:
                self._tasks[task] = progress.add_task(task, total=None, extra="")
            progress.update(self._tasks[task], description=f"{task}: {text}")

    def say(self, text: str) -> None:
        """A line above the bars (or a plain stderr line when no bar is shown)."""
        with self._lock:
            console = self._console or self._make_console()
            from rich.text import Text

            console.print(Text(text, style="dim" if self._progress else ""))

    def close(self) -> None:
        with self._lock:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None
            self._tasks.clear()

    def _extra(self, task: str) -> str:
        return f"{self._failed.get(task, 0):,} failed" if task == APPLY else ""

    def _make_console(self) -> Console:
        from rich.console import Console

        # No colour: no SGR code at all (rich's no_color would keep bold and dim).
        self._console = Console(
            stderr=True, color_system="auto" if self._color else None, highlight=False
        )
        return self._console

    def _start(self) -> Progress:
        if self._progress is not None:
            return self._progress
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[extra]}"),
            _rate_column(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self._console or self._make_console(),
            redirect_stdout=False,  # stdout stays the command's own, byte for byte
            redirect_stderr=False,
        )
        self._progress.start()
        return self._progress


def _rate_column() -> Any:
    from rich.progress import ProgressColumn
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Units per second over the task's recent progress."""

        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text("-/s" if speed is None else f"{speed:,.1f}/s")

    return RateColumn()


def make_observer(*, color: bool, stream: IO[str] | None = None) -> Observer:
    """The observer for a command: the rich display when stderr is a terminal, else plain
    lines."""
    err = stream or sys.stderr
    if err.isatty() and os.environ.get("TERM") != "dumb":
        return TerminalDisplay(color=color)
    return PlainLines(lambda line: click.echo(line, err=True))


@contextmanager
def installed(*, color: bool) -> Iterator[Observer]:
    """The command's observer, installed for its life and closed after it."""
    observer = make_observer(color=color)
    try:
        with observing(observer):
            yield observer
    finally:
        if isinstance(observer, TerminalDisplay):
            observer.close()


def say(text: str) -> None:
    """A line for a person on a terminal: above the bars when they are shown; nothing when
    stderr is not a terminal (CI logs stay clean)."""
    observer = current()
    if isinstance(observer, TerminalDisplay):
        observer.say(text)
    elif sys.stderr.isatty():
        click.echo(text, err=True)
