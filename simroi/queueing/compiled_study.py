"""The compiled tallies of a queue study (``simroi queue``): one pass over its served day.

The tallies of a study's block (:func:`simroi.queueing.study._simulate_block`) are written in
numpy: a dozen passes over (contacts, trials) arrays for five numbers per trial. On the compiled
engine :func:`day_tallies` makes them in one pass, chunks of columns in parallel threads.

Same seed, same bits: a column's sums run down the rows in row order, as numpy's reduction along
the first axis of a C-ordered array adds them (one column alone is summed pairwise by numpy: a
block of one trial stays on the numpy code), and 0 / 0 is numpy's NaN.
``tests/queueing/test_compiled_study.py`` holds the two to the same bits. The arrival times
stay in numpy: its sort (vectorized on processors with AVX-512) is faster than a compiled one.
Like :mod:`simroi.queueing.compiled`, this module imports numba and is reached only when a
compiled run asks for it.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from simroi.queueing.compiled import kernel, plain

__all__ = ["KERNELS", "day_tallies", "warm_up"]


#: Columns a thread takes at a time, with an accumulator per column.
_TALLY_COLUMNS = 128


#: numpy's 0 / 0: the processor's NaN (its sign differs between processors). numba's division
#: of the counts gave +NaN where numpy gives it with the sign bit, so the kernel writes this
#: one. A day with no contact offered or answered has it.
with np.errstate(invalid="ignore"):
    _ZERO_BY_ZERO = float(np.divide(np.zeros(1), np.zeros(1))[0])


@kernel(parallel=True)
def _tallies(
    arrival: np.ndarray,
    start: np.ndarray,
    handle: np.ndarray,
    count: np.ndarray,
    limits: tuple[float, float, float, int],
    out: np.ndarray,
) -> None:
    """See :func:`day_tallies`."""
    warm, end, sl_seconds, agents = limits
    rows, trials = arrival.shape
    for g in numba.prange((trials + _TALLY_COLUMNS - 1) // _TALLY_COLUMNS):
        c0, c1 = g * _TALLY_COLUMNS, min(trials, (g + 1) * _TALLY_COLUMNS)
        counts = np.zeros((3, c1 - c0), dtype=np.int64)  # offered, answered, answered in time
        sums = np.zeros((2, c1 - c0))  # waits, busy time
        for r in range(rows):  # every row, padding included, in order, as numpy adds them
            for c in range(c0, c1):
                k = c - c0
                present = r < count[c]
                counted = present and arrival[r, c] >= warm
                served = present and math.isfinite(start[r, c])
                took = counted and served
                wait = start[r, c] - arrival[r, c] if took else 0.0
                counts[0, k] += counted
                counts[1, k] += took
                counts[2, k] += took and wait <= sl_seconds
                sums[0, k] += wait
                busy = (
                    min(start[r, c] + handle[r, c], end) - max(start[r, c], warm) if served else 0.0
                )
                sums[1, k] += max(busy, 0.0)
        for c in range(c0, c1):
            k = c - c0
            offered, answered = counts[0, k], counts[1, k]
            out[0, c] = float(counts[2, k]) / float(offered) if offered else _ZERO_BY_ZERO
            out[1, c] = float(offered - answered) / float(offered) if offered else _ZERO_BY_ZERO
            out[2, c] = sums[0, k] / float(answered) if answered else _ZERO_BY_ZERO
            out[3, c] = sums[1, k] / (agents * (end - warm)) if agents > 0 else np.nan
            out[4, c] = float(offered)


def day_tallies(
    arrival: np.ndarray,
    start: np.ndarray,
    handle: np.ndarray,
    count: np.ndarray,
    limits: tuple[float, float, float, int],
) -> np.ndarray:
    """A study block's per-trial KPIs from its served day: rows service level, abandonment,
    ASA (seconds), occupancy and offered contacts, each (trials,); ``limits`` is ``(warm-up
    seconds, day's end in seconds, service-level threshold in seconds, agents)``. The same bits
    as the numpy tallies of :func:`simroi.queueing.study._simulate_block` for a block of two
    trials or more (0 / 0 is NaN, as numpy gives it)."""
    trials = arrival.shape[1]
    if not (arrival.shape == start.shape == handle.shape and count.shape == (trials,)):
        raise ValueError(
            f"arrival, start and handle must share a shape (contacts, trials) and count be "
            f"(trials,) (got {arrival.shape}, {start.shape}, {handle.shape}, {count.shape})"
        )
    if count.size and not 0 <= int(count.min()) <= int(count.max()) <= arrival.shape[0]:
        raise ValueError("count must lie between 0 and the contacts of a day")
    out = np.empty((5, trials))
    warm, end, sl_seconds, agents = limits
    reals = (plain(x, np.float64) for x in (arrival, start, handle))
    _tallies(*reals, plain(count, np.int64), (warm, end, sl_seconds, int(agents)), out)
    return out


#: The compiled kernels.
KERNELS = (_tallies,)


def warm_up() -> None:
    """Compile (or load from the cache) every kernel, on a day of two contacts."""
    arrival = np.array([[10.0, 20.0], [30.0, 0.0]])
    day_tallies(arrival, arrival, arrival, np.array([2, 1]), (0.0, 28_800.0, 20.0, 1))
