"""The contact flow's per-contact arithmetic around the queue, compiled with numba.

:mod:`simroi.model.contacts` and :mod:`simroi.model.outcomes` write the contact flow in numpy:
each step is a pass over every contact slot of a month — (rows, columns) arrays — and a month
makes a dozen of them. On the compiled engine the heaviest of those steps run compiled instead,
each in one pass that keeps a contact's numbers in registers:

* here, a part of a day's arrival times from its exponential gaps (:func:`partial_sums`,
  :func:`place_arrivals`: the partial sums, the order statistics and the profile's inverse CDF
  of :func:`simroi.model.contacts.simulate_channel_month`), and each contact's handle time,
  patience and marks (:func:`contact_numbers`);
* in :mod:`simroi.queueing.compiled_draws`, the per-contact standard draws (numpy's PCG64 and
  its ziggurats, written out);
* in :mod:`simroi.model.compiled_tallies`, a month's outcome tables from its served contacts
  (the loop of :func:`simroi.model.outcomes.month_outcomes`), and in
  :mod:`simroi.model.compiled_fates` what they carry into later months.

Same seed, same bits: every floating-point operation is the one numpy makes, in the same order
(``np.interp`` is followed to the letter, and no multiply–add is fused: numba does not contract
without ``fastmath``), and the draws are numpy's numbers. The functions numpy computes with its
own vector code (exp, log, a gamma's inverse, a Weibull's power) stay in numpy.
``tests/model/test_compiled_model.py`` holds both engines to the same bits on every bundled
scenario and every handle and patience distribution.

The kernels do not check their indices: each wrapper checks the shapes it is given.

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
    "contact_numbers",
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
    counted: tuple[np.ndarray, np.ndarray],
    xp: np.ndarray,
    fp: np.ndarray,
    slopes: np.ndarray,
    tables: tuple[np.ndarray, np.ndarray],
    knot: np.ndarray,
) -> None:
    """Row ``r`` of a part, its first ``n`` trials, on a profile all trials share: each
    contact's fraction of its trial's total (``counted = (count, total)``, each (trials,))
    mapped by ``np.interp(fraction, xp, fp)`` to the bit (numpy's ``arr_interp``), written at
    ``at = (row, lane0, lanes)`` of ``tables = (arrival, present)``.

    numpy's rules, in its order: one knot gives its value; NaN stays NaN; outside the knots the
    end values; at ``j``, the last knot with ``xp[j] <= x``, its value when ``x`` is on it, else
    ``slope × (x − xp[j]) + fp[j]`` with numpy's fallbacks for a non-finite result;
    ``slopes[j]`` is numpy's ``(fp[j+1] − fp[j]) / (xp[j+1] − xp[j])``. That ``j`` depends on
    ``x`` alone, so it is found by :func:`_walk` from trial t's previous one, ``knot[t]``
    (numpy searches from the previous point's; either finds the same knot). The row is one call
    (a call per contact would cost more than the contact's arithmetic).
    """
    row, lane0, lanes = at
    count, total = counted
    arrival, present = tables
    k = xp.size
    for t in range(n):
        lane = lane0 + t * lanes
        present[row, lane] = r < count[t]
        x = sums[r, t] / total[t]
        if k == 1 or (x < xp[0]):  # one knot: its value, whatever x (NaN included)
            value = fp[0]
        elif math.isnan(x):
            value = x
        elif x > xp[k - 1]:
            value = fp[k - 1]
        else:
            j = _walk(xp, x, knot[t], k - 1)
            knot[t] = j
            if j == k - 1 or xp[j] == x:
                value = fp[j]
            else:
                value = slopes[j] * (x - xp[j]) + fp[j]
                if math.isnan(value):
                    value = slopes[j] * (x - xp[j + 1]) + fp[j + 1]
                    if math.isnan(value) and fp[j] == fp[j + 1]:
                        value = fp[j]
        arrival[row, lane] = value


@_jit
def _per_trial_row(
    r: int,
    n: int,
    at: tuple[int, int, int],
    sums: np.ndarray,
    counted: tuple[np.ndarray, np.ndarray],
    knots: np.ndarray,
    fp: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
    tables: tuple[np.ndarray, np.ndarray],
    knot: np.ndarray,
) -> None:
    """Row ``r`` of a part, its first ``n`` trials, each on its own profile (knots
    ``knots[t]``): :func:`simroi.model.calendar.interp_by_trial` of ``low + fraction × (high −
    low)`` (``bounds = (low, high)``), with its clip and ends, written at ``at``. Its bisection
    finds the last knot ``lo ≤ k − 2`` with ``knots[t, lo] <= x`` (0 when there is none): found
    here by :func:`_walk` from trial t's previous one, ``knot[t]``."""
    row, lane0, lanes = at
    count, total = counted
    arrival, present = tables
    low, high = bounds
    k = knots.shape[1]
    for t in range(n):
        lane = lane0 + t * lanes
        present[row, lane] = r < count[t]
        fraction = sums[r, t] / total[t]
        x = low[t] + fraction * (high[t] - low[t])
        lo = _walk(knots[t], x, knot[t], max(k - 2, 0))
        knot[t] = lo
        hi = min(lo + 1, k - 1)
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
        if x < knots[t, 0]:
            value = fp[0]
        arrival[row, lane] = value


@_jit
def _walk(xp: np.ndarray, x: float, j: int, last: int) -> int:
    """The last knot ``j ≤ last`` with ``xp[j] <= x``, or 0 when there is none, walking up from
    ``j`` (from 0 when ``xp[j] > x``); ``xp`` nondecreasing (a CDF's knots). A trial's contacts
    come in rank order, so its points rise and the walk mostly takes a step or none (each block
    of rows starts its trials at knot 0): it replaces a bisection per contact."""
    if xp[j] > x or math.isnan(x):
        j = 0
    while j < last and xp[j + 1] <= x:
        j += 1
    return j


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
    total: np.ndarray,
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
    counted, tables = (count, total), (arrival, present)
    for b in numba.prange(blocks.shape[0]):
        knot = np.zeros(blocks[b, 2], dtype=np.int64)  # each trial's last knot
        for r in range(blocks[b, 0], blocks[b, 1]):
            at = (row0 + r, lane0, lanes)
            if per_trial:
                _per_trial_row(r, blocks[b, 2], at, sums, counted, knots, clock, (low, high),
                               tables, knot)  # fmt: skip
            else:
                _shared_row(r, blocks[b, 2], at, sums, counted, shared, clock, slopes, tables,
                            knot)  # fmt: skip


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
    (see :func:`simroi.queueing.contact_draws.staircase`), as :mod:`simroi.model.contacts`
    adds them; outside the staircase the result is undefined."""
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
    count = plain(count, np.int64)
    # Each trial's total, read once: reading it beside every contact would fetch a row per trial.
    total = plain(sums[count, np.arange(count.size)], np.float64)
    real = (plain(x, np.float64) for x in (knots, clock, slopes, low, high))
    _place(
        sums, count, total, rectangles(pieces, 3), *real, per_trial, *rows, arrival, present
    )  # fmt: skip


@kernel(parallel=True)
def _numbers(
    pieces: np.ndarray,
    targets: np.ndarray,
    worlds: int,
    kinds: tuple[int, int, int],
    draws: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    per_trial: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    tables: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """See :func:`contact_numbers`."""
    handle_kind, patience_kind, with_public = kinds
    z, z_patience, u_resolve, u_public = draws
    a, b, patience_mean, fcr, share = per_trial
    handle, patience, resolved, public = tables
    computed = handle_kind in (_MEAN_TIMES, _SCALE_AND_SHIFT)
    waits = patience_kind in (_MEAN_TIMES, _MEAN)
    blocks = _row_blocks(pieces)
    for q in numba.prange(blocks.shape[0]):
        for r in range(blocks[q, 0], blocks[q, 1]):
            for t in range(blocks[q, 2]):
                h = a[t] * z[r, t] if handle_kind == _MEAN_TIMES else b[t] * z[r, t] + a[t]
                w = patience_mean[t]
                if patience_kind == _MEAN_TIMES:
                    w = patience_mean[t] * z_patience[r, t]
                done = u_resolve[r, t] < fcr[t]
                seen = with_public and u_public[r, t] < share[t]
                # Every world with these inputs gets the same numbers (worlds interleaved).
                for world in targets:
                    lane = world + worlds * t
                    if computed:
                        handle[r, lane] = h
                    if waits:
                        patience[r, lane] = w
                    resolved[r, lane] = done
                    if with_public:
                        public[r, lane] = seen


#: What :func:`contact_numbers` makes of a draw ``z`` of trial t: ``a[t] × z``,
#: ``b[t] × z + a[t]`` (numpy's order: a product, then a sum), the mean alone, nothing (left to
#: numpy), no table at all.
_MEAN_TIMES, _SCALE_AND_SHIFT, _MEAN, _NUMPY, _NO_PATIENCE = range(5)
_NUMBER_KINDS = {
    "mean_times": _MEAN_TIMES,
    "scale_and_shift": _SCALE_AND_SHIFT,
    "mean": _MEAN,
    "numpy": _NUMPY,
    "none": _NO_PATIENCE,
}


def contact_numbers(
    pieces: list[tuple[int, int, int]],
    lanes: tuple[Sequence[int], int],
    kinds: tuple[str, str, bool],
    draws: tuple[np.ndarray, ...],
    per_trial: tuple[np.ndarray, ...],
    tables: tuple[np.ndarray, ...],
) -> None:
    """The handle times, patience and resolution and public marks of the worlds that share
    per-contact inputs, written into the month's tables (rows, trials × worlds) over
    ``pieces`` (lo, hi, n).

    ``lanes = (targets, worlds)``: trial t of world w is column ``w + worlds × t``, and every
    world in ``targets`` gets the same numbers. ``kinds = (handle, patience, public)``: what to
    make of the handle and patience draws (:data:`_NUMBER_KINDS`: ``"mean_times"`` is
    ``a[t] × z``, ``"scale_and_shift"`` ``b[t] × z + a[t]``, ``"mean"`` the patience mean
    alone, ``"numpy"`` leaves the cells to the numpy code, ``"none"`` when there is no patience
    table), and whether the public marks are drawn. ``draws = (z, z_patience, u_resolve,
    u_public)`` are the standard draws (rows, trials); ``per_trial = (a, b, patience_mean, fcr,
    public_share)`` each (trials,); ``tables = (handle, patience, resolved, public)``. Every
    number is the one :func:`simroi.model.contacts.simulate_channel_month`'s numpy code makes.
    """
    handle_kind, patience_kind, with_public = kinds
    codes = (_NUMBER_KINDS[handle_kind], _NUMBER_KINDS[patience_kind], int(with_public))
    reals = tuple(plain(x, np.float64) for x in per_trial)
    targets, worlds = np.array(lanes[0], dtype=np.int64).reshape(-1), int(lanes[1])
    rows = max((hi for _, hi, _ in pieces), default=0)
    n = max((n for _, _, n in pieces), default=0)
    last = int(targets.max(initial=0))
    columns = last + worlds * (n - 1) + 1 if n else 0
    writes = (True, codes[1] != _NO_PATIENCE, True, True)
    written = [t for t, on in zip(tables, writes, strict=True) if on]
    reads = (True, codes[1] == _MEAN_TIMES, True, bool(with_public))
    read = [d for d, on in zip(draws, reads, strict=True) if on]
    if not (
        targets.size
        and 0 <= int(targets.min()) <= last < worlds
        and all(t.shape[0] >= rows and t.shape[1] >= columns for t in written)
        and all(t.flags.c_contiguous and t.flags.writeable for t in written)
        and all(d.shape[0] >= rows and d.shape[1] >= n for d in read)
        and all(x.size >= n for x in reals)
    ):
        raise ValueError(f"pieces reach beyond the tables or the per-trial inputs (lanes {lanes})")
    _numbers(rectangles(pieces, 3), targets, worlds, codes, draws, reals, tables)


def rectangles(rows: Sequence[tuple[int, ...]], width: int) -> np.ndarray:
    """Rectangles as a C-contiguous int64 table (len(rows), width)."""
    return np.array(rows, dtype=np.int64).reshape(-1, width)


#: The compiled kernels (the helpers they call are compiled into them).
KERNELS = (_partial_sums, _place, _numbers)


def warm_up() -> None:
    """Compile (or load from the cache) every kernel, on a part of two contacts."""
    one = np.array([[10.0], [20.0]])
    marks = np.zeros((2, 1), dtype=bool)
    vector = np.ones(1)
    contact_numbers([(0, 2, 1)], ((0,), 1), ("scale_and_shift", "mean_times", True),
                    (one, one, one, one), (vector,) * 5, (one.copy(), one.copy(), marks,
                    marks.copy()))  # fmt: skip
    sums = partial_sums(np.ones((3, 1)), [(0, 3, 1)])
    knots, clock = np.array([0.0, 1.0]), np.array([0.0, 3600.0])
    for profile in ((knots, clock), (knots[None, :], clock, np.zeros(1), np.ones(1))):
        place_arrivals(sums, np.array([2]), [(0, 2, 1)], profile, (0, 0, 1), one,
                       np.ones_like(one, dtype=bool))  # fmt: skip
