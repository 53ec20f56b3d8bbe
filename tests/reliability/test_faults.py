"""Remote faults during a 30-operation apply: every create answered by a dropped connection after
the emulator committed it, and a storm of 5xx and 429 answers. The apply must end with every
object made exactly once, and the next plan must find nothing to do."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from harness import TALLY, Lab

from reconciler.sandbox.core import Faults, Request, Response

APPLY = ("apply", "integrations", "--auto-approve")
REGIONS = ("", "/r2", "/r3")
# Every request that creates an object (dotdigital-api-v2.md §4; oro-jsonapi.md §9).
CREATES = tuple(
    f"{r}/v2/{what}" for r in REGIONS for what in ("data-fields", "address-books")
) + tuple(
    f"/admin/api/{t}"
    for t in (
        "integrationchannels",
        "dotmailerdatafields",
        "dotmaileraddressbooks",
        "dotmailerdatafieldmappings",
    )
)


def _reference(lab: Lab) -> Counter[tuple[str, ...]]:
    applied = lab.run(*APPLY)
    assert applied.code == 0, applied.err
    counts = lab.census()
    lab.reset()
    return counts


def _journal(lab: Lab) -> Counter[tuple[str, str | None, str | None]]:
    store = lab.state()
    try:
        return Counter((e.step, e.outcome, e.resolution) for e in store.dump().journal)
    finally:
        store.close()


def test_commit_then_drop_on_every_create(lab: Lab) -> None:
    lab.scenario = "commit then drop"
    expected = _reference(lab)
    lab.server.set_faults(Faults(drop_after_commit_rate=1.0, methods=("POST",), paths=CREATES))
    applied = lab.run(*APPLY)
    drops = lab.server.fault_counters.drops
    TALLY.add(lab.scenario, faults=drops)
    assert applied.code == 0, applied.err
    assert applied.out.endswith("Apply finished: 30 succeeded, 0 failed, 0 skipped.\n")
    # Each create's outcome was unknown and the live list showed it had been made.
    found = "found in the live list"
    assert _journal(lab) == {
        ("dotmailer.check", "ok", None): 3,
        ("dotmailer.create", "unknown", found): 17,
        ("oro.create", "unknown", found): 34,
        ("oro.sync", "ok", None): 3,
        ("sync.owed", "ok", None): 3,
    }
    assert drops == 17 + 34
    lab.server.set_faults(Faults())
    lab.converged(expected)


class _TooManyRequests:
    """Answers a share of dotmailer requests 429 with X-RateLimit-Reset as a delta of 1 s, the
    tiered scheme of dotdigital-api-v2.md §4 (the emulator's own limiter works in whole minutes)."""

    def __init__(self, share: float, seed: int) -> None:
        self.share = share
        self.answered = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Response | None:
        if request.path.startswith("/admin/api") or request.path == "/oauth2-token":
            return None
        with self._lock:
            if self._rng.random() >= self.share:
                return None
            self.answered += 1
        response = Response.json(429, {"message": "Too many requests. ERROR_APIUSAGE_EXCEEDED"})
        response.headers.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"})
        return response


@pytest.mark.slow
def test_a_storm_of_30_percent_5xx_and_429_converges(lab: Lab) -> None:
    lab.scenario = "5xx + 429 storm"
    expected = _reference(lab)
    limiter = _TooManyRequests(0.1, seed=429)
    lab.wrap = limiter
    lab.server.set_faults(Faults(error_rate=0.3, seed=503))
    codes = []
    # Backoff rides out almost every storm in one run; an operation whose six attempts all
    # met a 5xx (0.3^6 per request) fails alone, and the next run finishes it.
    for _ in range(3):
        applied = lab.run(*APPLY)
        codes.append(applied.code)
        assert applied.code in (0, 4, 6), applied.err
        if applied.code == 0:
            break
    errors = lab.server.fault_counters.errors
    TALLY.add(lab.scenario, faults=errors + limiter.answered)
    lab.wrap = None
    lab.server.set_faults(Faults())
    assert codes[-1] == 0, codes
    assert errors > 0 and limiter.answered > 0
    lab.converged(expected)
