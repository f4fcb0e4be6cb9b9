"""Local worker processes: how many cores, a pool whose workers leave Ctrl-C to the parent, and
stopping it at once when the parent gives up."""

from __future__ import annotations

import os
import signal
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

__all__ = ["cores", "new_pool", "stop"]


def cores() -> int:
    """Cores this process may use (the CPU affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _worker_ignores_ctrl_c() -> None:
    # Ctrl-C in a terminal signals the whole process group. Only the parent should react (it
    # keeps the finished blocks and stops the workers), not each worker with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def new_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` fresh (spawned) processes that ignore Ctrl-C."""
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=get_context("spawn"), initializer=_worker_ignores_ctrl_c
    )


def stop(pool: ProcessPoolExecutor, *, wait: bool) -> None:
    """Shut ``pool`` down: let its tasks finish (``wait``), or kill its processes at once.

    Killed or not, the pool's manager thread is joined before returning: left running, it can
    race the interpreter's exit on Python 3.11 and print an "Exception ignored ... Bad file
    descriptor" traceback after a clean Ctrl-C.
    """
    if not wait:  # do not wait for work nobody will use
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
    pool.shutdown(wait=True, cancel_futures=True)
