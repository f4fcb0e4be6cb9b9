"""Nanoseconds per number and per contact of the compiled kernels, on one thread.

Two kernels that every compiled run spends much of its time in (benchmarks/README.md, "The
compiled engine"), timed on fixed inputs so that two checkouts can be set side by side:

1. the per-contact standard draws (:func:`simroi.queueing.compiled_draws.fill_groups`):
   a 4,000 × 1,024 table in groups of 64 columns, each kind, in ns a number;
2. the queue (:func:`simroi.queueing.compiled.serve_fcfs_compiled`): 1,024 trials of 10,000
   Poisson arrivals at 0.35 a second, exponential handle times (mean 240 s) and patience
   (180 s), 90 agents on a daily shift covering the day, in ns a contact.

Each figure is the best of ``--repeat`` timings after a warm-up (which compiles or loads the
kernels). A checksum of each output is printed beside it: two checkouts that make the same
bits print the same checksums.

Usage::

    python benchmarks/kernel_bench.py [--repeat 4]                      # this checkout
    PYTHONPATH=/path/to/other/checkout python benchmarks/kernel_bench.py  # another one
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

from simroi.queueing.compiled import serve_fcfs_compiled
from simroi.queueing.compiled_draws import fill_groups
from simroi.queueing.shifts import QueueState, ShiftPattern


def _best(work: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The shortest of ``repeat`` timings of ``work()`` after one untimed call, and its result."""
    result = work()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def draws(repeat: int) -> dict[str, Any]:
    """ns a number of each standard draw, and the sum of the table drawn."""
    rows, columns, width = 4_000, 1_024, 64
    out = np.empty((rows, columns))
    groups = np.array([(c, c + width, rows) for c in range(0, columns, width)], dtype=np.int64)
    seeds = np.arange(groups.shape[0] * 4, dtype=np.uint64).reshape(-1, 4)

    def fill(kind: str) -> float:
        states = seeds * np.uint64(2_654_435_761) + np.uint64(1)  # fresh streams every time
        fill_groups(states, kind, out, groups)
        return float(out.sum())

    figures = {}
    for kind in ("normal", "exponential", "uniform"):
        seconds, checksum = _best(lambda kind=kind: fill(kind), repeat)  # type: ignore[misc]
        figures[kind] = {"ns_per_number": seconds / out.size * 1e9, "checksum": checksum}
    return figures


def queue(repeat: int) -> dict[str, Any]:
    """ns a contact served, and the sum of the start times."""
    rng = np.random.default_rng(1)
    trials, n = 1_024, 10_000
    arrival = np.cumsum(rng.exponential(1 / 0.35, (n, trials)), axis=0)
    handle = rng.exponential(240.0, (n, trials))
    patience = rng.exponential(180.0, (n, trials))
    present = np.ones((n, trials), dtype=bool)
    pattern = ShiftPattern.daily(90, 0.0, 86_400.0)

    def serve() -> float:
        start, _ = serve_fcfs_compiled(
            arrival, handle, patience, present, pattern, QueueState.initial(pattern, trials)
        )
        return float(np.nansum(start))

    seconds, checksum = _best(serve, repeat)
    return {"ns_per_contact": seconds / (n * trials) * 1e9, "checksum": checksum}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=4, help="best of this many timings (4)")
    args = parser.parse_args()
    numba.set_num_threads(1)
    print(json.dumps({"draws": draws(args.repeat), "queue": queue(args.repeat)}, indent=2))


if __name__ == "__main__":
    main()
