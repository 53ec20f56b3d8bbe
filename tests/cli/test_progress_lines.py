"""The plain progress lines (issue 13 item 1): without a terminal, at most one line every 10 s
and nothing in the first 10 s, so a short run prints nothing extra. A fake clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from reconciler.cli.display import PlainLines, elapsed_text, wait_text
from reconciler.progress import APPLY, REFRESH, SYNC, NullObserver, current, observing


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def reporter() -> tuple[PlainLines, Clock, list[str]]:
    clock, lines = Clock(), []
    return PlainLines(lines.append, clock=clock), clock, lines


def test_a_short_run_prints_nothing() -> None:
    plain, clock, lines = reporter()
    plain.begin(REFRESH, 3)
    for _ in range(3):
        clock.now += 1.0
        plain.advance(REFRESH)
    plain.end(REFRESH)
    plain.begin(APPLY, 30)
    for _ in range(30):
        clock.now += 0.2
        plain.advance(APPLY)
    plain.waiting(0.5, "to retry GET oro.example.com:443 (HTTP 503; attempt 2 of 6)")
    plain.end(APPLY)
    assert lines == []


def test_a_long_apply_prints_one_line_every_10_s_at_most() -> None:
    plain, clock, lines = reporter()
    plain.begin(APPLY, 7635)
    for n in range(1, 1301):
        clock.now = 1000.0 + n / 10  # 10 ops a second (exact: no float drift)
        plain.advance(APPLY, failed=n % 500 == 0)
    plain.end(APPLY)
    # A line at 10 s, 20 s, … since the start, each with the count at that moment.
    assert lines[:3] == [
        "apply: 100/7,635 ops, 0 failed, 10s",
        "apply: 200/7,635 ops, 0 failed, 20s",
        "apply: 300/7,635 ops, 0 failed, 30s",
    ]
    assert lines[-1] == "apply: 1,300/7,635 ops, 2 failed, 2m10s"
    assert len(lines) == 13


def test_refresh_waits_and_sync_status_share_the_10_s_budget() -> None:
    plain, clock, lines = reporter()
    plain.begin(REFRESH, 200)
    clock.now += 4.0
    plain.advance(REFRESH)
    clock.now += 7.0  # 11 s after the start
    plain.waiting(12.0, "for apiuser-emea@…'s rate limit")
    clock.now += 3.0
    plain.advance(REFRESH)  # 3 s after the last line: quiet
    clock.now += 9.0
    plain.advance(REFRESH)
    plain.end(REFRESH)
    clock.now += 10.0
    plain.status(SYNC, "job 12: running (40%)")
    assert lines == [
        "waiting 12 s for apiuser-emea@…'s rate limit",
        "refresh: 3/200 integrations read, 23s",
        "sync: job 12: running (40%)",
    ]


def test_threads_report_every_unit() -> None:
    plain, clock, lines = reporter()
    plain.begin(APPLY, 4000)

    def work() -> None:
        for _ in range(1000):
            plain.advance(APPLY)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    clock.now += 10.0
    plain.advance(APPLY, failed=True)
    assert lines == ["apply: 4,001/4,000 ops, 1 failed, 10s"]


def test_texts() -> None:
    assert [elapsed_text(s) for s in (0, 59.9, 60, 130, 3599, 3600, 3720)] == [
        "0s", "59s", "1m00s", "2m10s", "59m59s", "1h00m", "1h02m",
    ]  # fmt: skip
    assert wait_text(12.3, "for x's rate limit") == "waiting 12 s for x's rate limit"
    assert wait_text(0.42, "to retry") == "waiting 0.4 s to retry"


def test_the_default_observer_is_silent_and_observing_restores_it() -> None:
    assert isinstance(current(), NullObserver)
    plain, _, _ = reporter()
    with observing(plain):
        assert current() is plain
    assert isinstance(current(), NullObserver)


def test_a_long_wait_is_said_at_once_but_not_twice_in_10_s() -> None:
    plain, clock, lines = reporter()
    plain.begin(REFRESH, 3)
    clock.now += 1.0
    plain.waiting(60.0, "for apiuser-amer@…'s rate limit")  # dotmailer's flat backoff
    clock.now += 60.0
    plain.waiting(120.0, "for apiuser-amer@…'s rate limit")
    clock.now += 1.0
    plain.waiting(240.0, "for apiuser-amer@…'s rate limit")  # 1 s after the last line: quiet
    plain.advance(REFRESH)
    clock.now += 10.0
    plain.advance(REFRESH)
    assert lines == [
        "waiting 60 s for apiuser-amer@…'s rate limit",
        "waiting 120 s for apiuser-amer@…'s rate limit",
        "refresh: 2/3 integrations read, 1m12s",
    ]
