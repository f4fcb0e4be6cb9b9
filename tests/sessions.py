"""Commands run in a session of their own, so that a test that fails or times out kills the
command and every process it started (a pool's workers would otherwise be left running, or
waiting forever on a hung run)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def own_session(args: list[str], **popen: Any) -> Iterator[subprocess.Popen[str]]:
    """Start ``args`` (text mode) in a session of its own; on leaving, kill every process of
    the session still running: the command if a failed assertion or a timeout left it, and
    workers it left behind (a command that died can leave its pool's workers)."""
    child = subprocess.Popen(args, text=True, start_new_session=True, **popen)
    try:
        yield child
    finally:
        # The session's process group outlives its leader while any member runs, so its id
        # still names it (none left: nothing to kill).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
        child.communicate()


def in_own_session(
    args: list[str], timeout: float, **popen: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` in a session of its own, its output captured; on a timeout the whole
    session is killed and TimeoutExpired raised."""
    with own_session(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen) as child:
        stdout, stderr = child.communicate(timeout=timeout)
    return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)
