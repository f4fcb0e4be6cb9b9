"""A staffing rule's per-day span table, compiled: :func:`simroi.queueing.roster.day_grid`.

A channel staffed by rule gets a new roster every month, and the engine reads its agents' shifts
from a table of a few numbers per (agent level, trial, day) (:class:`~simroi.queueing.roster.
TrialShiftPattern`). numpy builds it in passes over the whole table, a dozen of them for the
days' "next span"; here one pass per trial makes its rows, trials in parallel threads. The
table holds the same numbers: each is a selected interval bound, or one plus a week (the same
addition), so the two agree bit for bit (``tests/queueing/test_compiled_roster.py``).

Like :mod:`simroi.queueing.compiled`, this module imports numba and is reached only when a
compiled run asks for it.
"""

from __future__ import annotations

import numba
import numpy as np

from simroi.queueing.compiled import kernel, plain
from simroi.queueing.roster import rise_and_fall
from simroi.queueing.shifts import SECONDS_PER_WEEK

__all__ = ["KERNELS", "day_grid", "warm_up"]


@kernel(parallel=True)
def _grid(
    starts: np.ndarray, ends: np.ndarray, rises: np.ndarray, falls: np.ndarray, grid: np.ndarray
) -> None:
    """See :func:`day_grid`."""
    levels = grid.shape[0]
    trials, days, m = rises.shape
    for t in numba.prange(trials):
        # Level a works on day i from the first interval where the rising part passes a
        # (m: never) to the last where the falling part still does (-1: never).
        first = np.full((levels, days), m, dtype=np.int64)
        last = np.full((levels, days), -1, dtype=np.int64)
        for i in range(days):
            a = 0
            for j in range(m):
                while a < rises[t, i, j]:
                    first[a, i] = j
                    a += 1
            a = 0
            for j in range(m - 1, -1, -1):
                while a < falls[t, i, j]:
                    last[a, i] = j
                    a += 1
        for a in range(levels):
            row = grid[a, t]
            for i in range(days):
                works = first[a, i] < m
                row[i, 0] = starts[i, first[a, i]] if works else np.inf
                row[i, 1] = ends[i, max(last[a, i], 0)] if works else np.inf
                row[i, 2] = last[a, i] if works else -1.0
            row[days, 0], row[days, 1], row[days, 2] = np.inf, np.inf, -1.0
            # The next span after each day: the first working day after it this week, else the
            # week's first working day a week later (after the week's last day: the latter).
            next_start, next_end = np.inf, np.inf
            for i in range(days - 1, -1, -1):
                if first[a, i] < m:
                    next_start, next_end = (
                        row[i, 0] + SECONDS_PER_WEEK,
                        row[i, 1] + SECONDS_PER_WEEK,
                    )
            row[days, 3], row[days, 4] = next_start, next_end
            for i in range(days - 1, -1, -1):
                row[i, 3], row[i, 4] = next_start, next_end
                if first[a, i] < m:
                    next_start, next_end = row[i, 0] + 0.0, row[i, 1] + 0.0


def day_grid(
    starts: np.ndarray, ends: np.ndarray, rises: np.ndarray, falls: np.ndarray, levels: int
) -> np.ndarray:
    """:func:`simroi.queueing.roster.day_grid`, compiled: the same (levels, trials, days + 1, 5)
    rows, bit for bit."""
    trials, days, m = rises.shape
    if not (
        rises.shape == falls.shape
        and starts.shape == ends.shape == (days, m)
        and max(int(rises.max(initial=0)), int(falls.max(initial=0))) <= levels
    ):  # the kernel writes a row per level an agent count reaches, unchecked
        raise ValueError(f"rises and falls (trials, days, m) must stay within {levels} levels")
    grid = np.empty((levels, trials, days + 1, 5))
    if grid.size:
        whole = (plain(x, np.int64) for x in (rises, falls))
        _grid(plain(starts, np.float64), plain(ends, np.float64), *whole, grid)
    return grid


#: The compiled kernels.
KERNELS = (_grid,)


def warm_up() -> None:
    """Compile (or load from the cache) the kernel, on one trial's one-day roster."""
    starts = np.array([[0.0, 3600.0]])
    rises, falls = rise_and_fall(np.array([[[1, 2]]], dtype=np.int64))
    day_grid(starts, starts + 3600.0, rises, falls, 2)
