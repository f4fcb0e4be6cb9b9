"""One writer per output: a lock file beside a result file (or a checkpoint directory).

Two commands writing the same ``--out``, or resuming the same checkpoint, at the same time would
mix their blocks and race to rename their results into place. :func:`writer_lock` makes the
second one refuse at once, with a one-line :class:`~simroi.errors.OutputError` naming the lock
file and the process that holds it.

The lock is an advisory ``flock`` (``fcntl.flock``, Linux and macOS) on ``<target>.lock``, which
holds the holder's process id and host name. The operating system releases a ``flock`` when its
process ends, however it ends (a crash, SIGKILL, the out-of-memory killer), so a lock file left
behind by a dead process is not held by anyone: the next command locks it, writes its own process
id into it and goes on — a stale lock is taken over without any guess about whether its process
id is still alive (a guess that fails when process ids are reused). A command that finishes, or
stops on Ctrl-C, removes the file while it still holds it; a command that had opened the old file
meanwhile notices that the path no longer names the file it locked, and locks the new one.

``flock`` is not reliable on some network filesystems (old NFS) and does not exist on Windows:
there, the file is still written but only one writer per machine is guaranteed (Linux emulates
``flock`` over NFS with ``fcntl`` record locks), or none without ``fcntl``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from simroi.errors import OutputError

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

__all__ = ["lock_path", "writer_lock"]


def lock_path(target: str | Path) -> Path:
    """The lock file of ``target``: ``<target>.lock`` beside it."""
    target = Path(target)
    return target.with_name(target.name + ".lock")


@contextlib.contextmanager
def writer_lock(target: str | Path) -> Iterator[Path]:
    """Hold the lock of ``target`` (a result file or checkpoint directory) while in the block.

    Yields the lock file's path; the file is removed on leaving the block, whatever the reason.

    Raises
    ------
    OutputError
        Another process holds the lock (the message names the lock file and the holder's process
        id), or the lock file cannot be created.
    """
    lock = lock_path(target)
    fd = _acquire(lock, Path(target))
    try:
        yield lock
    finally:
        # Remove the file while still holding it, then release it (closing the descriptor).
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)


def _acquire(lock: Path, target: Path) -> int:
    """Lock ``lock`` (creating it), write this process's id in it; the open descriptor."""
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise OutputError(
                f"{lock}: cannot create the lock file of {target}: {exc.strerror or exc}"
            ) from None
        if fcntl is None:
            return fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _holder(fd)
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise OutputError(f"{lock}: cannot lock {target}: {exc.strerror or exc}") from None
            raise OutputError(
                f"{lock}: {target} is in use by another simroi command ({holder}), which is "
                "writing it or resuming its checkpoint; wait for it to finish or stop it (a lock "
                "left by a command that has ended is taken over)"
            ) from None
        if _still_there(fd, lock):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {socket.gethostname()}\n".encode(), 0)
            return fd
        os.close(fd)  # its holder removed it as we opened it: lock the one now at the path


def _still_there(fd: int, lock: Path) -> bool:
    """Whether the path ``lock`` still names the file open as ``fd``."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(lock))
    except FileNotFoundError:
        return False


def _holder(fd: int) -> str:
    """``pid 1234 on host`` as the lock file says, or what is known."""
    try:
        words = os.pread(fd, 256, 0).decode("utf-8", "replace").split()
    except OSError:
        words = []
    if not words:
        return "process id not yet written"
    return f"pid {words[0]}" + (f" on {words[1]}" if len(words) > 1 else "")
