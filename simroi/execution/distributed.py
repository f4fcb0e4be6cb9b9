"""Running blocks of trials on a Dask distributed cluster (the optional ``dask`` extra).

:func:`dask_client` connects to a scheduler (``tcp://HOST:PORT``) or, without one,
starts a local cluster of worker processes, and checks before any block is sent that the
cluster can run simroi's blocks bit-identically: at least one worker is connected, and every
worker has the same simroi and numpy versions as this process. Problems become one-line
:class:`~simroi.errors.SimroiError` messages (exit status 2 in the CLI), never a hang: connecting
and waiting for workers are bounded by :data:`CONNECT_TIMEOUT_S`.

Dask only ships the work; which numbers a block draws is fixed by its index (DESIGN.md §3), so a
Dask run equals a local run with the same seed.

A worker that dies mid-run (killed by the OS, its machine gone) is handled by Dask: the blocks it
held are run again on the other workers (and on the worker a nanny restarts), which gives the
same bits, since a block's numbers depend on its index only. :func:`finished_blocks` turns what
Dask cannot recover into a one-line :class:`~simroi.execution.workers.WorkerLost` rather than a
hang or a smaller result: a block whose workers died more often than Dask's
``distributed.scheduler.allowed-failures`` (``KilledWorker``), a block whose inputs were lost
with every worker holding them, and a cluster left with no worker for
:data:`NO_WORKERS_TIMEOUT_S` seconds.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError
from queue import Empty, SimpleQueue
from typing import Any

import numpy as np

from simroi import __version__
from simroi.errors import OptionError, SimroiError
from simroi.execution.workers import WorkerLost

__all__ = [
    "CONNECT_TIMEOUT_S",
    "NO_WORKERS_TIMEOUT_S",
    "dask_client",
    "finished_blocks",
    "worker_threads",
]

#: Seconds to wait for a scheduler to answer, and for it to have at least one worker.
CONNECT_TIMEOUT_S = 10.0
#: Seconds a run waits for a worker when its cluster has none left, before giving up.
NO_WORKERS_TIMEOUT_S = 60.0
#: Seconds between looks at the cluster while no block finishes.
_POLL_S = 1.0

_INSTALL = "install the dask extra: pip install 'simroi[dask]'"
_TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
_ADDRESS = re.compile(r"^(?:(tcp|tls|ws|wss)://)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})/?$")


def _versions() -> tuple[str, str]:
    """This process's simroi and numpy versions (run on every worker to compare)."""
    import numpy

    import simroi

    return simroi.__version__, numpy.__version__


def _check_address(scheduler: str) -> str:
    match = _ADDRESS.match(scheduler.strip())
    if match is None or not 0 < int(match.group(3)) < 65536:
        raise OptionError(
            f"`scheduler` {scheduler!r}: not a Dask scheduler address; expected "
            "tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786)"
        )
    scheme = match.group(1) or "tcp"
    return f"{scheme}://{match.group(2)}:{match.group(3)}"


def _check_workers(client: Any, where: str) -> None:
    """Fail clearly when the cluster has no workers or runs other simroi or numpy versions."""
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
    except TimeoutError:
        raise SimroiError(
            f"{where}: the Dask scheduler has no workers (waited {CONNECT_TIMEOUT_S:g} s); "
            "start some with: dask worker <scheduler address>"
        ) from None
    try:
        found = client.run(_versions)
    except Exception as exc:  # a worker that cannot import simroi fails to unpickle _versions
        raise SimroiError(
            f"{where}: the Dask workers cannot run simroi ({type(exc).__name__}: {exc}); "
            f"install simroi {__version__} on every worker"
        ) from None
    ours = (__version__, np.__version__)
    for worker, theirs in sorted(found.items()):
        if tuple(theirs) != ours:
            raise SimroiError(
                f"{where}: Dask worker {worker} has simroi {theirs[0]} with numpy {theirs[1]}, "
                f"but this is simroi {ours[0]} with numpy {ours[1]}; results would not be "
                "bit-identical: install the same versions on every worker"
            )


def dask_client(scheduler: str | None, workers: int) -> Any:
    """A connected ``distributed.Client`` ready to run blocks of trials.

    Parameters
    ----------
    scheduler : str or None
        A scheduler address, ``tcp://HOST:PORT`` (``HOST:PORT`` means tcp). ``None`` starts a
        local cluster of ``workers`` processes with one thread each, closed with the client.
    workers : int
        Worker processes of the local cluster (≥ 1); ignored with a scheduler.

    Raises
    ------
    OptionError
        Dask is not installed, or the address is malformed.
    SimroiError
        The scheduler does not answer within :data:`CONNECT_TIMEOUT_S`; it has no workers; or
        its workers run other versions.
    """
    try:
        import dask
        from distributed import Client
    except ImportError:
        raise OptionError(f"`executor` dask: {_INSTALL}") from None
    if scheduler is None:
        # Dask's nannies set MALLOC_TRIM_THRESHOLD_=65536 so that workers hand freed memory back
        # to the OS at once. A block allocates and frees large numpy temporaries for every
        # simulated day, and with eager trimming each one page-faults afresh: blocks ran about
        # 45% slower (benchmarks/README.md, "Scaling"). Memory stays bounded by the block size.
        with dask.config.set({_TRIM: None}):
            client = Client(
                n_workers=max(1, workers),
                threads_per_worker=1,  # a block is numpy work that holds the GIL: one per process
                processes=True,
                dashboard_address=None,
                # Workers log tracebacks when the cluster closes under them (heartbeats to a
                # closed scheduler); a block's own errors still reach this process as exceptions.
                silence_logs=logging.CRITICAL,
                set_as_default=False,
                # The workers share the cores: the compiled engine runs one thread in each
                # (a user's own setting stands; local workers also take the cores others leave
                # idle, which a cluster's workers cannot see). Set in each worker as it
                # starts, not as a pre-spawn variable: the nannies would write that into this
                # process's environment, after which numba compiles nothing more here.
                env={"NUMBA_NUM_THREADS": os.environ.get("NUMBA_NUM_THREADS", "1")},
            )
        where = "`executor` dask (a local cluster)"
    else:
        address = _check_address(scheduler)
        where = f"`scheduler` {address}"
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise SimroiError(
                f"{where}: cannot connect to a Dask scheduler within {CONNECT_TIMEOUT_S:g} s "
                f"({exc}); is it running, and is the address right?"
            ) from None
    try:
        _check_workers(client, where)
    except BaseException:
        client.close()
        raise
    return client


def worker_threads(client: Any) -> int:
    """Threads across the cluster's workers: how many blocks can run at once."""
    return max(1, sum(client.nthreads().values()))


def finished_blocks(
    client: Any, plan: list[tuple[int, int]], submit: Callable[[int, int], Any], window: int
) -> Iterator[tuple[int, Any]]:
    """``(block, result)`` for every ``(block, trials)`` of ``plan``, as the blocks finish.

    ``submit(block, trials)`` sends one block to the cluster and returns its future; at most
    ``window`` blocks are in flight.

    Raises
    ------
    WorkerLost
        A block's workers died too often (``KilledWorker``), its inputs were lost, or the
        cluster had no worker for :data:`NO_WORKERS_TIMEOUT_S` seconds.
    """
    from distributed import KilledWorker

    queue = iter(plan)
    pending: dict[Any, int] = {}  # future -> block
    finished: SimpleQueue[Any] = SimpleQueue()  # futures, as Dask finishes them

    def top_up() -> None:
        while len(pending) < window and (item := next(queue, None)) is not None:
            future = submit(*item)
            pending[future] = item[0]
            future.add_done_callback(finished.put)

    top_up()
    alone_since: float | None = None
    while pending:
        try:
            future = finished.get(timeout=_POLL_S)
        except Empty:  # nothing finished for a while: is there still a worker to do it?
            alone_since = _check_alone(client, alone_since)
            continue
        alone_since = None
        block = pending.pop(future)
        try:
            result = future.result()
        except KilledWorker:
            raise WorkerLost(
                f"Dask lost the workers simulating block {block} again and again (each died "
                "while running it, most often for lack of memory: lower simulation.block_size, "
                "or give the workers more memory)"
            ) from None
        except CancelledError:  # its inputs were lost with the workers that held them
            raise WorkerLost(
                f"Dask lost block {block}: every worker holding the scenario it was sent died"
            ) from None
        future.release()
        yield block, result
        top_up()


def _check_alone(client: Any, since: float | None) -> float | None:
    """While no block finishes: when the cluster has had no worker since, or a WorkerLost once
    that has lasted :data:`NO_WORKERS_TIMEOUT_S` seconds."""
    if client.scheduler_info().get("workers"):
        return None
    now = time.monotonic()
    if since is None:
        return now
    if now - since > NO_WORKERS_TIMEOUT_S:
        raise WorkerLost(
            f"the Dask cluster has had no worker for {NO_WORKERS_TIMEOUT_S:g} s, so the run "
            "cannot finish (were the workers stopped or killed?)"
        )
    return since
