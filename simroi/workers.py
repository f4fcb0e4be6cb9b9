"""Local worker processes: how many cores, a pool whose workers leave Ctrl-C to the parent and
keep freed memory for reuse, and stopping it at once when the parent gives up."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

__all__ = ["cores", "keep_freed_memory", "new_pool", "stop"]


def cores() -> int:
    """Cores this process may use (the CPU affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc's mallopt parameters (malloc.h)
_kept = False


def keep_freed_memory() -> None:
    """Let this process reuse the memory it frees instead of handing it back to the system.

    A block allocates and frees tables of the same sizes month after month. By default glibc
    gives every large one a fresh mapping, whose pages the kernel zero-fills on first touch and
    takes back on free: about 70 k page faults and 0.3 s for a block of the default scenario
    (benchmarks/README.md). With mappings off and trimming off, freed tables are reused. The
    process keeps its peak memory until it exits, which a worker does, and a parent of a
    single-block run soon does. A no-op except on Linux with glibc; once per process.
    """
    global _kept
    if _kept or not sys.platform.startswith("linux"):
        return
    _kept = True
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return
    mallopt(_M_MMAP_MAX, 0)
    mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)


def _init_worker() -> None:
    # Ctrl-C in a terminal signals the whole process group. Only the parent should react (it
    # keeps the finished blocks and stops the workers), not each worker with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    keep_freed_memory()


def new_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` fresh (spawned) processes that ignore Ctrl-C and keep freed memory
    for reuse (:func:`keep_freed_memory`)."""
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=get_context("spawn"), initializer=_init_worker
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
