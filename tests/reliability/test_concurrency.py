"""Two applies at once: on the same scope one proceeds and the other exits 5 naming the holder;
on two different integrations (--integration emea, --integration amer) both proceed."""

from __future__ import annotations

import base64
import threading

from harness import TALLY, Lab, Launcher

from reconciler.sandbox.core import Request
from reconciler.state.locks import lock_error

APPLY = ("apply", "integrations", "--auto-approve")
EMEA = "apiuser-emea@apiconnector.com"


def _user(request: Request) -> str:
    header = request.headers.get("Authorization") or ""
    if not header.startswith("Basic "):
        return ""
    return base64.b64decode(header[6:]).decode().split(":", 1)[0]


class _HoldEmeaCheck:
    """Holds the apply that reaches EMEA's "Check connection" (its first journaled call, after
    the refresh's own account-info) until released: that apply then holds its lock."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()
        self._seen = 0

    def __call__(self, request: Request) -> None:
        if request.path == "/v2/account-info" and _user(request) == EMEA:
            self._seen += 1
            if self._seen == 2:
                self.reached.set()
                assert self.release.wait(60)


def test_same_scope_one_proceeds_the_other_exits_5_naming_the_holder(
    lab: Lab, launchers: list[Launcher]
) -> None:
    lab.scenario = "concurrent applies"
    hold = _HoldEmeaCheck()
    lab.server.before_app = hold
    first = lab.start(*APPLY)
    try:
        assert hold.reached.wait(60)
        store = lab.state()
        try:
            [holder] = store.locks()
            expected = f"error: {lock_error(store.url, '*', [holder], 0)}\n"
        finally:
            store.close()
        assert (holder.pid, holder.operation, holder.scope) == (first.pid, "apply", "*")
        second = lab.start(*APPLY, "--lock-timeout", "0", launcher=launchers[1]).finish()
        TALLY.add(lab.scenario, faults=1)
        assert (second.code, second.out, second.err) == (5, "", expected)
    finally:
        hold.release.set()
        lab.server.before_app = None
    done = first.finish()
    assert done.code == 0, done.err
    assert done.out.endswith("Apply finished: 30 succeeded, 0 failed, 0 skipped.\n")
    lab.converged()


def test_two_integrations_both_proceed(lab: Lab, launchers: list[Launcher]) -> None:
    lab.scenario = "concurrent applies"
    hold = _HoldEmeaCheck()
    lab.server.before_app = hold
    emea = lab.start(*APPLY, "--integration", "emea")
    try:
        assert hold.reached.wait(60)
        amer = lab.start(*APPLY, "--integration", "amer", "--lock-timeout", "0",
                         launcher=launchers[1]).finish()  # fmt: skip
        TALLY.add(lab.scenario, faults=1)
        # AMER finished while EMEA's apply still held its own lock.
        assert not hold.release.is_set()
        assert amer.code == 0, amer.err
        assert amer.out.endswith("Apply finished: 10 succeeded, 0 failed, 0 skipped.\n")
    finally:
        hold.release.set()
        lab.server.before_app = None
    done = emea.finish()
    assert done.code == 0, done.err
    assert done.out.endswith("Apply finished: 12 succeeded, 0 failed, 0 skipped.\n")
    lab.converged(None, "--integration", "emea", "--integration", "amer")
