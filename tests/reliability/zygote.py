"""A warm launcher: imports the CLI once, then forks one child per run of ``reconciler``.

Protocol, one JSON line per run on stdin: ``{"args": [...], "cwd": ..., "env": {...},
"out": path, "err": path}``. It answers ``pid N`` as soon as the child exists (so the test can
``kill -9`` it) and ``exit C`` when it ends (``C`` negative for a signal, as subprocess does).
The child is a real process running ``reconciler.cli.main``; forking a single-threaded,
already-imported interpreter only saves the half second of imports each run would cost.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

from reconciler.cli import main
from reconciler.providers.http import tls_context

tls_context()  # the process-wide TLS context the clients share, warmed as the imports are


def _child(job: dict[str, object]) -> None:
    os.chdir(str(job["cwd"]))
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in dict(job["env"]).items()})  # type: ignore[call-overload]
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, name in ((1, "out"), (2, "err")):
        target = os.open(str(job[name]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
    code = 1
    try:
        code = main([str(a) for a in job["args"]])  # type: ignore[attr-defined]
    except BaseException:  # --debug re-raises: print it as the interpreter would, exit 1
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(job)
        print(f"pid {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"exit {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    serve()
