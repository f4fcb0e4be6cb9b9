"""Tasks the tests hand to a pool's worker processes: importable there by name (``tests/`` is
on the path pytest gives them), where a test module may not be."""

from __future__ import annotations

import time
from typing import Any

import numba

from simroi.execution import runner, workers
from simroi.model.kernels import use_threads
from simroi.scenario.load import LoadedScenario

#: How long a task waits for the pool to count the tasks it expects (seconds).
DEADLINE_S = 60.0


def share_once_counted(tasks: int, together: Any = None) -> int:
    """The threads this worker's kernels may use once its pool counts ``tasks`` tasks; with a
    barrier ``together``, returned only when the other tasks have read theirs too (none
    finishes, and leaves the count, before all have read it)."""
    share = workers.thread_share()
    assert share is not None, "not a pool's worker"
    end = time.monotonic() + DEADLINE_S
    while workers._busy.value < tasks and time.monotonic() < end:
        time.sleep(0.01)
    threads = share()
    if together is not None:
        together.wait(DEADLINE_S)
    return threads


def threads_after_a_block(loaded: LoadedScenario) -> int:
    """numba's thread count after this worker, set to one thread, runs a block of two trials
    the way a run does (:func:`simroi.execution.runner._run_block`)."""
    use_threads("compiled", 1)
    runner._run_block(loaded, 1, 0, 2, "compiled")
    return int(numba.get_num_threads())
