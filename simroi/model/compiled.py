"""The contact flow's per-contact arithmetic around the queue, compiled with numba.

:mod:`simroi.model.contacts` and :mod:`simroi.model.outcomes` write the contact flow in numpy:
each step is a pass over every contact slot of a month — (rows, columns) arrays — and a month
makes a dozen of them. On the compiled engine the heaviest of those steps run compiled instead,
each in one pass that keeps a contact's numbers in registers:

* here, a part of a day's arrival times from its exponential gaps (:func:`partial_sums`,
  :func:`place_arrivals`: the partial sums, the order statistics and the profile's inverse CDF
  of :func:`simroi.model.contacts.simulate_channel_month`);
* in :mod:`simroi.model.compiled_tallies`, a month's outcome tables from its served contacts
  (the loop of :func:`simroi.model.outcomes.month_outcomes`).

Same seed, same bits: every floating-point operation is the one numpy makes, in the same order
(``np.interp`` is followed to the letter, and no multiply–add is fused: numba does not contract
without ``fastmath``). Random numbers, and the transcendental functions numpy computes with its
own vector code, stay in numpy. ``tests/model/test_compiled_model.py`` holds both engines to the
same bits on every bundled scenario.

Like :mod:`simroi.queueing.compiled`, this module imports numba and is reached only when a
compiled run asks for it (:func:`simroi.model.kernels.prepare`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numba
import numpy as np

from simroi.queueing.compiled import kernel, plain

__all__ = [
    "KERNELS",
    "partial_sums",
    "place_arrivals",
    "rectangles",
    "warm_up",
]

_jit = kernel()

#: Columns a thread takes at a time where each column is summed down its rows.
_CHUNK = 128
#: Rows a thread takes at a time where each contact is on its own.
_ROWS = 64


@_jit
def _shared_row(
    r: int,
    n: int,
    at: tuple[int, int, int],
    sums: np.ndarray,
    count: np.ndarray,
    xp: np.ndarray,
    fp: np.ndarray,
    slopes: np.ndarray,
    arrival: np.ndarray,
    present: np.ndarray,
    guess: int,
) -> int:
    """Row ``r`` of a part, its first ``n`` trials, on a profile all trials share: each
    contact's fraction of its trial's total mapped by ``np.interp(fraction, xp, fp)`` to the
    bit (numpy's ``arr_interp``), written at ``at = (row, lane0, lanes)``.

    numpy's rules, in its order: one knot gives its value; NaN stays NaN; outside the knots the
    end values; at ``j``, the last knot with ``xp[j] <= x`` (tried first at ``guess``, the
    previous contact's, as numpy does, then by bisection), its value when ``x`` is on it, else
    ``slope × (x − xp[j]) + fp[j]`` with numpy's fallbacks for a non-finite result;
    ``slopes[j]`` is numpy's ``(fp[j+1] − fp[j]) / (xp[j+1] − xp[j])``. The row is one call
    (a call per contact would cost more than the contact's arithmetic). Returns the last knot
    found.
    """
    row, lane0, lanes = at
    k = xp.size
    for t in range(n):
        lane = lane0 + t * lanes
        present[row, lane] = r < count[t]
        x = sums[r, t] / sums[count[t], t]
        if k == 1 or (x < xp[0]):  # one knot: its value, whatever x (NaN included)
            value = fp[0]
        elif math.isnan(x):
            value = x
        elif x > xp[k - 1]:
            value = fp[k - 1]
        else:
            if guess < k - 1 and xp[guess] <= x and x < xp[guess + 1]:
                j = guess
            else:
                lo, hi = 0, k  # xp[lo] <= x < xp[hi] (hi = k: beyond the last knot)
                while hi - lo > 1:
                    mid = (lo + hi) >> 1
                    if xp[mid] <= x:
                        lo = mid
                    else:
                        hi = mid
                j = lo
            guess = j
            if j == k - 1 or xp[j] == x:
                value = fp[j]
            else:
                value = slopes[j] * (x - xp[j]) + fp[j]
                if math.isnan(value):
                    value = slopes[j] * (x - xp[j + 1]) + fp[j + 1]
                    if math.isnan(value) and fp[j] == fp[j + 1]:
                        value = fp[j]
        arrival[row, lane] = value
    return guess


@_jit
def _per_trial_row(
    r: int,
    n: int,
    at: tuple[int, int, int],
    sums: np.ndarray,
    count: np.ndarray,
    knots: np.ndarray,
    fp: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
    arrival: np.ndarray,
    present: np.ndarray,
) -> None:
    """Row ``r`` of a part, its first ``n`` trials, each on its own profile (knots
    ``knots[t]``): :func:`simroi.model.calendar.interp_by_trial` of ``low + fraction × (high −
    low)`` (``bounds = (low, high)``), with its bisection, clip and ends, written at ``at``."""
    row, lane0, lanes = at
    low, high = bounds
    k = knots.shape[1]
    for t in range(n):
        lane = lane0 + t * lanes
        present[row, lane] = r < count[t]
        fraction = sums[r, t] / sums[count[t], t]
        x = low[t] + fraction * (high[t] - low[t])
        lo, hi = 0, k - 1
        while hi - lo > 1:
            mid = (lo + hi) >> 1
            if knots[t, mid] <= x:
                lo = mid
            else:
                hi = mid
        left, right = knots[t, lo], knots[t, hi]
        span = right - left
        step = (x - left) / span if span > 0 else 0.0
        if step < 0.0:
            step = 0.0
        elif step > 1.0:
            step = 1.0
        value = fp[lo] + step * (fp[hi] - fp[lo])
        if x >= knots[t, k - 1]:
            value = fp[k - 1]
        if x <= knots[t, 0]:
            value = fp[0]
        arrival[row, lane] = value


@kernel(parallel=True)
def _partial_sums(gaps: np.ndarray, steps: np.ndarray, sums: np.ndarray) -> None:
    """Running sums down each column of ``gaps`` over the staircase ``steps`` (lo, hi, n), row
    by row as the numpy code adds them; row 0 is copied."""
    trials = gaps.shape[1]
    for g in numba.prange((trials + _CHUNK - 1) // _CHUNK):
        c0, c1 = g * _CHUNK, min(trials, (g + 1) * _CHUNK)
        for c in range(c0, c1):
            sums[0, c] = gaps[0, c]
        for s in range(steps.shape[0]):
            lo, hi, n = steps[s, 0], steps[s, 1], steps[s, 2]
            for r in range(max(lo, 1), hi):
                for c in range(c0, min(c1, n)):
                    sums[r, c] = sums[r - 1, c] + gaps[r, c]


@kernel(parallel=True)
def _place(
    sums: np.ndarray,
    count: np.ndarray,
    pieces: np.ndarray,
    knots: np.ndarray,
    clock: np.ndarray,
    slopes: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    per_trial: bool,
    row0: int,
    lane0: int,
    lanes: int,
    arrival: np.ndarray,
    present: np.ndarray,
) -> None:
    """See :func:`place_arrivals`."""
    shared = knots[0]
    blocks = _row_blocks(pieces)
    for b in numba.prange(blocks.shape[0]):
        guess = 0
        for r in range(blocks[b, 0], blocks[b, 1]):
            at = (row0 + r, lane0, lanes)
            if per_trial:
                _per_trial_row(r, blocks[b, 2], at, sums, count, knots, clock, (low, high),
                               arrival, present)  # fmt: skip
            else:
                guess = _shared_row(r, blocks[b, 2], at, sums, count, shared, clock, slopes,
                                    arrival, present, guess)  # fmt: skip


@_jit
def _row_blocks(pieces: np.ndarray) -> np.ndarray:
    """Rectangles ``(lo, hi, n)`` cut into blocks of at most ``_ROWS`` rows: (blocks, 3)."""
    total = 0
    for p in range(pieces.shape[0]):
        total += (pieces[p, 1] - pieces[p, 0] + _ROWS - 1) // _ROWS
    blocks = np.empty((total, 3), dtype=np.int64)
    b = 0
    for p in range(pieces.shape[0]):
        for lo in range(pieces[p, 0], pieces[p, 1], _ROWS):
            blocks[b, 0], blocks[b, 1], blocks[b, 2] = (
                lo,
                min(lo + _ROWS, pieces[p, 1]),
                pieces[p, 2],
            )
            b += 1
    return blocks


def partial_sums(gaps: np.ndarray, steps: list[tuple[int, int, int]]) -> np.ndarray:
    """Running sums down the columns of ``gaps`` (rows, trials) over the staircase ``steps``
    (see :func:`simroi.model.draws.staircase`), as :mod:`simroi.model.contacts` adds them;
    outside the staircase the result is undefined."""
    sums = np.empty_like(gaps)
    if gaps.size:
        _partial_sums(gaps, rectangles(steps, 3), sums)
    return sums


def place_arrivals(
    sums: np.ndarray,
    count: np.ndarray,
    pieces: list[tuple[int, int, int]],
    profile: tuple[np.ndarray, ...],
    rows: tuple[int, int, int],
    arrival: np.ndarray,
    present: np.ndarray,
) -> None:
    """A part of a day's arrival times and presence marks, written into the month's tables.

    ``sums`` (slots + 1, trials) holds the part's partial sums of exponential gaps (trial t's
    row ``count[t]`` is its total), ``pieces`` the rectangles (lo, hi, n) to fill. ``profile``
    is the part's map to the clock: ``(knots, clock)`` for a profile all trials share
    (``np.interp(fraction, knots, clock)``), or ``(knots, clock, low, high)`` with knots
    (trials, k) for one per trial (``interp_by_trial(low + fraction × (high − low), …)``); see
    :func:`simroi.model.calendar.part_clock`. ``rows`` is ``(row0, lane0, lanes)``: piece row
    r of trial t goes to row ``row0 + r``, column ``lane0 + t × lanes`` of ``arrival`` and
    ``present`` (worlds interleaved).
    """
    if not pieces:
        return
    knots, clock = profile[0], profile[1]
    per_trial = len(profile) == 4
    if per_trial:
        low, high = profile[2], profile[3]
        slopes = np.zeros(1)
    else:
        low = high = np.zeros(1)
        with np.errstate(divide="ignore", invalid="ignore"):  # flat knots: never read
            slopes = np.diff(clock) / np.diff(knots) if knots.size > 1 else np.zeros(1)
        knots = knots.reshape(1, -1)
    real = (plain(x, np.float64) for x in (knots, clock, slopes, low, high))
    _place(
        sums, plain(count, np.int64), rectangles(pieces, 3), *real, per_trial, *rows, arrival,
        present,
    )  # fmt: skip


def rectangles(rows: Sequence[tuple[int, ...]], width: int) -> np.ndarray:
    """Rectangles as a C-contiguous int64 table (len(rows), width)."""
    return np.array(rows, dtype=np.int64).reshape(-1, width)


#: The compiled kernels (the helpers they call are compiled into them).
KERNELS = (_partial_sums, _place)


def warm_up() -> None:
    """Compile (or load from the cache) every kernel, on a part of two contacts."""
    one = np.array([[10.0], [20.0]])
    sums = partial_sums(np.ones((3, 1)), [(0, 3, 1)])
    knots, clock = np.array([0.0, 1.0]), np.array([0.0, 3600.0])
    for profile in ((knots, clock), (knots[None, :], clock, np.zeros(1), np.ones(1))):
        place_arrivals(sums, np.array([2]), [(0, 2, 1)], profile, (0, 0, 1), one,
                       np.ones_like(one, dtype=bool))  # fmt: skip
