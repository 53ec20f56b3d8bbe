"""A clock for tests of waits: ``sleep`` advances ``time`` and records what it was asked."""

from __future__ import annotations

from dataclasses import dataclass, field

EPOCH = 1_800_000_000.0  # on a minute boundary, so rate windows start at a round time


@dataclass
class FakeClock:
    """Shared by an emulator (its rate windows) and a client (its sleeps advance it)."""

    now: float = EPOCH
    slept: list[float] = field(default_factory=list)

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
