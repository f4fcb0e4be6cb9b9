"""One writer per output: the lock beside a result file refuses a second holder, names the first,
and is taken over once its holder has ended however it ended (SIGKILL included)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from simroi.errors import OutputError
from simroi.execution.lock import lock_path, writer_lock

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock: Linux and macOS")

HOLD = """
import sys, time
from simroi.execution.lock import writer_lock
with writer_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(60)
"""


def hold_in_another_process(target: Path) -> subprocess.Popen[str]:
    """A process that holds ``target``'s lock until it is killed."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(target)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline() == "held\n"
    return process


def end(process: subprocess.Popen[str], sig: int = signal.SIGKILL) -> None:
    process.send_signal(sig)
    process.wait()
    assert process.stdout is not None
    process.stdout.close()


def test_a_second_writer_is_refused_naming_the_lock_and_its_holder(tmp_path: Path) -> None:
    out = tmp_path / "r.npz"
    holder = hold_in_another_process(out)
    try:
        with pytest.raises(OutputError) as refused, writer_lock(out):
            pass
    finally:
        end(holder)
    message = str(refused.value)
    assert message.startswith(f"{lock_path(out)}: {out} is in use by another simroi command")
    assert f"(pid {holder.pid} on " in message and "\n" not in message


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "r.npz"
    holder = hold_in_another_process(out)
    end(holder, signal.SIGKILL)  # no chance to remove its lock file
    lock = lock_path(out)
    assert lock.read_text().split()[0] == str(holder.pid)  # the stale lock is still there
    with writer_lock(out) as held:
        assert held == lock and lock.read_text().split()[0] == str(os.getpid())
    assert not lock.exists()


def test_the_lock_is_released_and_removed_on_an_exception(tmp_path: Path) -> None:
    out = tmp_path / "r.npz"
    with pytest.raises(KeyboardInterrupt), writer_lock(out):
        assert lock_path(out).exists()
        raise KeyboardInterrupt
    assert not lock_path(out).exists()
    refused = pytest.raises(OutputError, match=f"pid {os.getpid()} on ")
    with writer_lock(out), refused, writer_lock(out):  # twice in one process: per open file
        pass


def test_a_lock_in_a_missing_directory_is_a_one_line_error(tmp_path: Path) -> None:
    refusal = pytest.raises(OutputError, match="cannot create the lock file of")
    with refusal as refused, writer_lock(tmp_path / "missing" / "r.npz"):
        pass
    assert "\n" not in str(refused.value)


def test_a_holder_that_removes_its_lock_lets_the_next_one_lock_a_new_file(tmp_path: Path) -> None:
    out = tmp_path / "r.npz"
    for _ in range(3):  # take, release (removing the file), take again: never a stale refusal
        with writer_lock(out):
            assert lock_path(out).read_text().split()[0] == str(os.getpid())
    assert not lock_path(out).exists()
