"""Local worker processes, started early.

A worker process needs about a second to start and import numpy, scipy and the model. ``simroi
run`` calls :func:`prestart` before it reads the scenario, so the workers import while the parent
loads and validates; :mod:`simroi.runner` then takes the started pool (:func:`take`) instead of
starting one. This module imports nothing heavy, so calling it costs the parent nothing.
"""

from __future__ import annotations

import os
import signal
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

__all__ = ["cores", "discard", "new_pool", "prestart", "stop", "take"]

_started: dict[int, ProcessPoolExecutor] = {}


def cores() -> int:
    """Cores this process may use (the CPU affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _worker_ignores_ctrl_c() -> None:
    # Ctrl-C in a terminal signals the whole process group. Only the parent should react (it
    # keeps the finished blocks and stops the workers), not each worker with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _import_model() -> None:
    """A worker's first task: import what simulating a block needs."""
    import simroi.runner  # noqa: F401


def new_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` fresh (spawned) processes that ignore Ctrl-C."""
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=get_context("spawn"), initializer=_worker_ignores_ctrl_c
    )


def prestart(workers: int | None) -> None:
    """Start ``workers`` processes (default: all cores) now, importing the model."""
    count = workers or cores()
    if count < 2 or count in _started:
        return
    pool = new_pool(count)
    for _ in range(count):  # each task still importing makes the pool start another process
        pool.submit(_import_model)
    _started[count] = pool


def take(workers: int) -> ProcessPoolExecutor | None:
    """The pool :func:`prestart` started with ``workers`` processes, if any; the caller owns it."""
    pool = _started.pop(workers, None)
    discard()
    return pool


def stop(pool: ProcessPoolExecutor, *, wait: bool) -> None:
    """Shut ``pool`` down: let its tasks finish (``wait``), or kill its processes at once."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=wait, cancel_futures=True)
    if not wait:  # do not wait for work nobody will use
        for process in processes:
            process.kill()


def discard() -> None:
    """Stop started pools nobody took (a bad scenario, a run of one block) without waiting."""
    while _started:
        stop(_started.popitem()[1], wait=False)
