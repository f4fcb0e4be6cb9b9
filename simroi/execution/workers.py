"""Local worker processes: how many cores, a pool whose workers leave Ctrl-C to the parent and
keep freed memory for reuse, waiting for its work without hanging on a lost worker, stopping it at
once when the parent gives up, and what a run says when a worker is lost (:class:`WorkerLost`)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TypeVar

from simroi.errors import SimroiError
from simroi.formatting import counted

__all__ = [
    "WorkerLost",
    "cores",
    "discard_early",
    "keep_freed_memory",
    "lost_process",
    "new_pool",
    "start_early",
    "stop",
    "thread_share",
    "wait_first",
]


T = TypeVar("T")


class WorkerLost(SimroiError):
    """A worker died while simulating a block: killed by the operating system (most often out
    of memory), by hand, or with its machine; or a Dask cluster lost all its workers.

    A run never goes on with fewer trials than asked for, and never waits for a worker that
    will not come back: it stops with this one-line error. The blocks finished before are in
    the run's checkpoint, if it keeps one (:meth:`kept` says so), and a resumed run finishes it
    with the same bits.
    """

    def kept(self, checkpoint: Path | None, trials_done: int) -> WorkerLost:
        """This error, saying where the finished trials are kept (``checkpoint``; None: nowhere)."""
        if checkpoint is None:
            tail = "no checkpoint was kept (give `checkpoint` to make a run resumable)"
        else:
            tail = (
                f"the {counted(trials_done, 'trial')} finished are kept in {checkpoint}: rerun "
                "with `resume` to finish the run"
            )
        return WorkerLost(f"{self}; {tail}")


def lost_process(
    block: int | str | None,
    pool: Executor | None = None,
    *,
    lower: str = "`workers` or simulation.block_size",
) -> WorkerLost:
    """The error of a local worker process of ``pool`` that died while simulating ``block`` (a
    block's index, or what it simulated; None: the pool found it dead when work was to be sent).

    The pool's processes' exit codes say which kind of death it was (those simroi ended itself
    left out, :func:`_end`):

    - killed (SIGKILL), or nothing to tell: by the operating system, most often for lack of
      memory (lower ``lower``);
    - an error status: the worker exited, with its error printed above; from a Python script,
      most often a call to simroi outside ``if __name__ == "__main__":``, which each worker
      process runs again as it starts, where multiprocessing refuses to start processes;
    - anything else (a status of 0 after a failed start, a crash's signal, an outside
      SIGTERM): that code. The pool itself ends the other workers with SIGTERM.
    """
    what = f"block {block}" if isinstance(block, int) else block
    where = f" while simulating {what}" if what is not None else ""
    codes = _exit_codes(pool)
    kill = getattr(signal, "SIGKILL", None)  # none on Windows
    statuses = [code for code in codes if code > 0]
    others = [code for code in codes if code != -signal.SIGTERM]
    if not codes or (kill is not None and -kill in codes):
        return WorkerLost(
            f"a worker process died{where} (killed by the operating system, most often for "
            f"lack of memory: lower {lower})"
        )
    if statuses:
        return WorkerLost(
            f"a worker process exited with status {statuses[0]}{where} (its error is printed "
            "above; from a Python script, most often because simroi is called outside "
            '`if __name__ == "__main__":`, which each worker process runs again as it starts)'
        )
    return WorkerLost(
        f"a worker process ended unexpectedly{where} ({_described((others or codes)[0])}; its "
        "error, if any, is printed above)"
    )


def _described(code: int) -> str:
    if code >= 0:
        return f"exit status {code}"
    try:
        return f"signal {signal.Signals(-code).name}"
    except ValueError:
        return f"signal {-code}"


#: The processes simroi ended itself, by pool: not a cause :func:`lost_process` reports.
_ended: weakref.WeakKeyDictionary[Executor, set[int]] = weakref.WeakKeyDictionary()


def _processes(pool: Executor | None) -> list[Any]:
    """``pool``'s processes (none once it is shut down, or for another kind of executor)."""
    return list((getattr(pool, "_processes", None) or {}).values())


def _end(pool: Executor, processes: list[Any] | None = None) -> None:
    """Kill every live process of ``pool`` (``processes``, taken before a shutdown forgets
    them; by default its processes now), and remember them as ended here."""
    for process in _processes(pool) if processes is None else processes:
        if process.exitcode is None and process.pid is not None:
            _ended.setdefault(pool, set()).add(process.pid)
            process.kill()


def _exit_codes(pool: Executor | None) -> list[int]:
    """The exit codes of ``pool``'s processes (a signal's as its negative) but those :func:`_end`
    killed, once they have ended: a broken pool ends them all, within moments (at most
    :data:`EXIT_SECONDS` here). The pool's manager thread is waited for first: it reaps the
    processes, and a code it reaps is not seen here until it has stored it."""
    processes = _processes(pool)
    deadline = time.monotonic() + EXIT_SECONDS
    manager = getattr(pool, "_executor_manager_thread", None)
    if manager is not None and manager is not threading.current_thread():
        manager.join(timeout=EXIT_SECONDS)
    for process in processes:
        process.join(timeout=max(0.0, deadline - time.monotonic()))
    ended = _ended.get(pool, set()) if pool is not None else set()
    return [p.exitcode for p in processes if p.exitcode is not None and p.pid not in ended]


#: How long :func:`lost_process` waits for a broken pool's processes to end (seconds).
EXIT_SECONDS = 2.0


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
    process keeps its peak memory until it exits: workers call this, and so does the ``simroi``
    command, a short-lived process; a long-lived program that embeds :mod:`simroi.execution.runner`
    keeps the C library's defaults unless it calls this itself. A no-op except on Linux with glibc;
    once per process.
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


#: In a worker process: its pool's count of tasks submitted and not finished (a shared
#: ``multiprocessing.Value`` the parent keeps), and the pool's size; None in any other process.
_busy: Any = None
_workers = 1


def _init_worker(busy: Any, workers: int) -> None:
    # Ctrl-C in a terminal signals the whole process group. Only the parent should react (it
    # keeps the finished blocks and stops the workers), not each worker with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    keep_freed_memory()
    global _busy, _workers
    _busy, _workers = busy, workers
    # The workers share the cores (thread_share): numba may start a thread per core in each,
    # and each task sets how many its kernels use. A user's own setting caps it.
    os.environ.setdefault("NUMBA_NUM_THREADS", str(cores()))
    import simroi.model.block  # noqa: F401  (every worker simulates blocks: import it while idle)


def thread_share() -> Callable[[], int] | None:
    """In a pool's worker: how many threads its compiled kernels may use now, as a function;
    None outside a pool's workers.

    The cores are divided among the workers with a task (one thread at least each): the
    pool's tasks submitted and not finished, at most its workers. Asked again before each
    month of a block (:func:`simroi.model.block.simulate_block`), so the last tasks of a pool,
    running while the other workers have nothing left to do, take the cores those leave idle
    as they go idle. The parent counts a task from its submission to its result, so a worker
    that has finished is idle only once nothing waits for it. The thread count changes no
    result.
    """
    return None if _busy is None else _share


def _share() -> int:
    busy = min(max(1, int(_busy.value)), _workers)
    return max(1, cores() // busy)


def _ready() -> None:
    """A task that returns at once: submitting one starts a worker process."""


#: A pool started ahead of need by :func:`start_early`, with its number of workers.
_early: tuple[int, ProcessPoolExecutor] | None = None
_early_lock = threading.Lock()
#: Processes started ahead of need: a run of the default size has two blocks. A pool of more
#: workers starts the others as blocks are submitted, as any pool does.
EARLY_PROCESSES = 2


def start_early(workers: int) -> None:
    """Start a pool of ``workers`` now, for the next :func:`new_pool` of that size, with its
    first :data:`EARLY_PROCESSES` processes already running.

    A fresh worker spends about half a second importing numpy, scipy and the model before it
    can simulate; started before the parent loads and checks the scenario, the two overlap. A
    pool nobody takes is stopped by :func:`discard_early`.
    """
    global _early
    discard_early()
    if workers < 2:
        return
    pool = _spawn(workers)
    for _ in range(min(workers, EARLY_PROCESSES)):  # one process starts per task submitted
        pool.submit(_ready)
    with _early_lock:
        _early = (workers, pool)


def _take_early(workers: int | None) -> ProcessPoolExecutor | None:
    """The early pool, now no longer early: if it has ``workers`` workers (any, for None)."""
    global _early
    with _early_lock:
        if _early is None or workers not in (None, _early[0]):
            return None
        pool, _early = _early[1], None
        return pool


def discard_early() -> None:
    """Stop the pool :func:`start_early` started, if :func:`new_pool` did not take it."""
    pool = _take_early(None)
    if pool is not None:
        stop(pool, wait=False)


class _Pool(ProcessPoolExecutor):
    """Worker processes that ignore Ctrl-C from their first instruction, and a count of the
    tasks submitted and not finished (``busy``, shared with them: :func:`thread_share`).

    The initializer ignores SIGINT, but a fresh process spends half a second importing before it
    runs: a Ctrl-C then (``simroi run`` starts its workers at once) would end it with a
    traceback. A process inherits the signal mask of the thread that starts it, across fork and
    exec, so each is started with SIGINT blocked in the parent's thread for a moment: the worker
    never sees it, and a Ctrl-C meanwhile stays pending for the parent rather than being lost.
    (``_spawn_process`` is where CPython 3.9+ starts one; without it, or on Windows, which has
    no signal masks, the initializer still does the job once the imports are done.)
    """

    def __init__(self, workers: int, context: Any) -> None:
        self.busy = context.Value("i", 0)  # tasks submitted and not finished (thread_share)
        super().__init__(
            max_workers=workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(self.busy, workers),
        )

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Run ``fn(*args, **kwargs)`` in a worker, counted in :attr:`busy` until its future is
        done (finished, failed or cancelled)."""
        self._count(1)
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._count(-1)
            raise
        future.add_done_callback(lambda _: self._count(-1))
        return future

    def _count(self, change: int) -> None:
        with self.busy.get_lock():
            self.busy.value += change

    def _spawn_process(self) -> None:
        if not hasattr(signal, "pthread_sigmask"):
            super()._spawn_process()  # type: ignore[misc]
            return
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            super()._spawn_process()  # type: ignore[misc]
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _spawn(workers: int) -> ProcessPoolExecutor:
    return _Pool(workers, get_context("spawn"))


def new_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` fresh (spawned) processes that ignore Ctrl-C, keep freed memory
    for reuse (:func:`keep_freed_memory`), share the cores among their tasks
    (:func:`thread_share`) and have the model imported; the one
    :func:`start_early` started, if it has as many workers."""
    pool = _take_early(workers)
    if pool is not None:
        return pool
    discard_early()
    return _spawn(workers)


#: How long :func:`stop` waits for the manager thread of a pool whose workers it killed
#: (seconds); it normally ends at once.
STOP_SECONDS = 5.0
#: How often :func:`wait_first` looks at the workers, and how long a dead one may go unnoticed
#: by the pool before it is taken as a pool that will never notice (seconds). The pool itself
#: notices a death within milliseconds; these only bound the wait in the case it cannot.
WATCH_SECONDS = 0.5
UNNOTICED_SECONDS = 3.0


def stop(pool: ProcessPoolExecutor, *, wait: bool) -> None:
    """Shut ``pool`` down: let its tasks finish (``wait``), or kill its processes at once.

    Either way the pool's manager thread is joined before returning: left running, it can race
    the interpreter's exit on Python 3.11 and print an "Exception ignored ... Bad file
    descriptor" traceback after a clean Ctrl-C. A manager still running after
    :data:`STOP_SECONDS` is stuck on a dead worker: one killed while sending a result
    (:func:`wait_first`), or one killed while idle, holding the lock of the tasks' queue, so
    that the others never receive the pool's request to exit and are waited for forever. Its
    processes are then killed and its result pipe freed (:func:`_unstick`).
    One that still runs after that (a process outside the pool holding a copy of the result
    pipe) is left to end when that process does, its pipe open.
    """
    manager = getattr(pool, "_executor_manager_thread", None)
    results = getattr(pool, "_result_queue", None)
    processes = _processes(pool)  # the shutdown forgets them
    if not wait:
        _unstick(pool, processes, results)  # do not wait for work nobody will use
    pool.shutdown(wait=False, cancel_futures=True)
    if manager is not None:
        manager.join(timeout=STOP_SECONDS)
        if manager.is_alive():
            _unstick(pool, processes, results)
            manager.join(timeout=STOP_SECONDS)
        if manager.is_alive():
            return
    if results is not None:
        results.close()


def wait_first(pool: Executor, futures: Iterable[Future[T]]) -> set[Future[T]]:
    """The futures of ``futures`` that are done, once at least one is: ``concurrent.futures.wait``
    with ``FIRST_COMPLETED``, except that a worker lost where the pool cannot see it fails the
    futures (``BrokenProcessPool``, as any lost worker does) instead of leaving the caller waiting
    forever.

    The pool reads its workers' results from one pipe. A worker killed while writing a result
    (the out-of-memory killer strikes when memory peaks, and a result is copied as it is sent)
    leaves half a message there. The pool's manager thread then waits for the rest of it,
    forever: the parent holds its own copy of the pipe's writing end, so the read never ends,
    and no future ever completes (CPython 3.11, 3.12 and 3.13). Here, a worker that has been
    dead for :data:`UNNOTICED_SECONDS` while the pool went on waiting is taken as that case, and
    the pool is made to see it (:func:`_unstick`); if it still does not, :class:`WorkerLost`.
    """
    pending = list(futures)
    dead_since: float | None = None
    tries = 0
    while True:
        done, _ = wait(pending, timeout=WATCH_SECONDS, return_when=FIRST_COMPLETED)
        if done:
            return done
        if not _a_worker_died(pool):
            dead_since = None
            continue
        now = time.monotonic()
        if dead_since is None:
            dead_since = now
        elif now - dead_since >= UNNOTICED_SECONDS:
            if tries == 2:  # the pool's pipe is held open by a process outside it
                raise lost_process(None, pool)
            _unstick(pool)
            tries += 1
            dead_since = now  # the futures fail within moments; look again if they do not


def _a_worker_died(pool: Executor) -> bool:
    return any(process.exitcode is not None for process in _processes(pool))


def _unstick(pool: Executor, processes: list[Any] | None = None, results: Any = None) -> None:
    """Free ``pool``'s manager thread, stuck on a dead worker: every worker is killed
    (:func:`_end`; ``processes`` as it takes them), and the parent closes its own copy of the
    writing end of the result pipe (``results``, the pool's result queue, by default the one it
    has now).

    With no worker left, a manager waiting for the rest of a dead worker's result (one still
    alive may wait for the lock the dead one held while writing) reads end-of-file, and one
    waiting for a worker that never receives the request to exit sees it gone: either way the
    pool is broken, its pending futures fail, and the manager ends, as when it sees a worker die.
    """
    _end(pool, processes)
    if results is None:
        results = getattr(pool, "_result_queue", None)
    if results is not None:
        results._writer.close()
