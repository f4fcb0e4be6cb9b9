"""A queue study's day compiled (``simroi queue``): one pass that draws, serves and tallies.

On the numpy engine a study's block (:func:`simroi.queueing.study._simulate_block`) makes
(contacts, trials) tables of arrival times, handle times and patience
(:func:`simroi.queueing.study.simulate_day`), serves them, and tallies five KPIs per trial in a
dozen passes. On the compiled engine a day with exponential handle times is one pass,
:func:`study_day`: each column group of trials runs contact by contact, drawing each contact's
gap, handle time and patience from the group's region of each stream (numpy's numbers,
:mod:`simroi.queueing.compiled_draws`), serving it through its trial's tournament tree and
adding it to its trial's tallies, with no per-contact table. Other days (lognormal or gamma
handle times, whose exp and inverse numpy computes with its own vector code; a block of one
trial; no agents; a day longer than a week, or a queue overloaded past a week) are drawn and
served as tables and tallied by :func:`day_tallies`, one pass.

Same seed, same bits: the same numbers in the same order, the same recursion, and a trial's sums
in row order, as numpy's reduction along the first axis of a C-ordered array adds them (one
column alone is summed pairwise by numpy: a block of one trial stays on the numpy code); 0 / 0
is numpy's NaN. ``tests/queueing/test_compiled_study.py`` holds the engines to the same bits.
Like :mod:`simroi.queueing.compiled`, this module imports numba and is reached only when a
compiled run asks for it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

from simroi.queueing.compiled import (
    bits_of,
    float_of,
    kernel,
    plain,
    rebuild_tree,
    set_leaf,
    tree_shape,
)
from simroi.queueing.compiled_draws import exponential
from simroi.queueing.contact_draws import column_groups, region_starts
from simroi.queueing.shifts import SECONDS_PER_WEEK

_jit = kernel()

__all__ = ["KERNELS", "StudyDay", "day_tallies", "study_day", "warm_up"]


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
    until_end: bool,
    out: np.ndarray,
) -> None:
    """See :func:`day_tallies`."""
    warm, end, _, agents = limits
    rows, trials = arrival.shape
    for g in numba.prange((trials + _TALLY_COLUMNS - 1) // _TALLY_COLUMNS):
        c0, c1 = g * _TALLY_COLUMNS, min(trials, (g + 1) * _TALLY_COLUMNS)
        # offered, answered, answered in time, answered after the day's end
        counts = np.zeros((4, c1 - c0), dtype=np.int64)
        sums = np.zeros((2, c1 - c0))  # waits, busy time
        for r in range(rows):  # in row order, as numpy adds them (padding rows add +0.0)
            for c in range(c0, c1):
                if r < count[c]:
                    contact = (arrival[r, c], start[r, c], handle[r, c])
                    _tally(counts[:, c - c0], sums[:, c - c0], contact, limits)
        for c in range(c0, c1):
            _kpis(counts[:, c - c0], sums[:, c - c0], (warm, end, agents, until_end), out[:, c])


@_jit
def _tally(
    counts: np.ndarray,
    sums: np.ndarray,
    contact: tuple[float, float, float],
    limits: tuple[float, float, float, int],
) -> None:
    """Add one contact of a trial's day, ``(arrival, start, handle)`` (start NaN: it hung up),
    to the trial's counts (offered, answered, answered in time, answered after the day's end)
    and sums (waits, busy time), as the numpy tallies add it; ``limits`` as
    :func:`day_tallies` takes them."""
    arrival, start, handle = contact
    warm, end, sl_seconds, _ = limits
    counted = arrival >= warm
    served = math.isfinite(start)
    took = counted and served
    wait = start - arrival if took else 0.0
    counts[0] += counted
    counts[1] += took
    counts[2] += took and wait <= sl_seconds
    counts[3] += took and start >= end
    sums[0] += wait
    busy = min(start + handle, end) - max(start, warm) if served else 0.0
    sums[1] += max(busy, 0.0)


@_jit
def _kpis(
    counts: np.ndarray, sums: np.ndarray, limits: tuple[float, float, int, bool], out: np.ndarray
) -> None:
    """A trial's five KPIs (``out``) from its counts (offered, answered, answered in time,
    answered after the day's end) and sums (waits, busy time), as the numpy code divides them;
    ``limits`` is ``(warm-up, end, agents, until_end)``: with ``until_end`` (nobody hangs up)
    the second KPI counts the contacts not answered before the day's end, else those that hung
    up."""
    warm, end, agents, until_end = limits
    offered, answered = counts[0], counts[1]
    lost = offered - answered + (counts[3] if until_end else 0)
    out[0] = float(counts[2]) / float(offered) if offered else _ZERO_BY_ZERO
    out[1] = float(lost) / float(offered) if offered else _ZERO_BY_ZERO
    out[2] = sums[0] / float(answered) if answered else _ZERO_BY_ZERO
    out[3] = sums[1] / (agents * (end - warm)) if agents > 0 else np.nan
    out[4] = float(offered)


def day_tallies(
    arrival: np.ndarray,
    start: np.ndarray,
    handle: np.ndarray,
    count: np.ndarray,
    limits: tuple[float, float, float, int],
    *,
    until_end: bool = False,
) -> np.ndarray:
    """A study block's per-trial KPIs from its served day: rows service level, abandonment,
    ASA (seconds), occupancy and offered contacts, each (trials,); ``limits`` is ``(warm-up
    seconds, day's end in seconds, service-level threshold in seconds, agents)``. With
    ``until_end`` (a queue where nobody hangs up) the abandonment row is the share not answered
    before the day's end. The same bits as the numpy tallies of
    :func:`simroi.queueing.study._simulate_block` for a block of two trials or more (0 / 0 is
    NaN, as numpy gives it)."""
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
    numbers = (warm, end, sl_seconds, int(agents))
    _tallies(*reals, plain(count, np.int64), numbers, bool(until_end), out)
    return out


#: Where a study's servers' first span ends (they are on duty always: a week's span, then the
#: next). The one-pass day leaves a contact served after it to the general path.
_WEEK = float(SECONDS_PER_WEEK)


@kernel(parallel=True)
def _study_day(
    starts: np.ndarray,
    groups: np.ndarray,
    numbers: tuple[float, float, float, float, float, float],
    staff: tuple[int, bool],
    out: np.ndarray,
    overflow: np.ndarray,
) -> None:
    """See :func:`study_day`. Each column group of trials runs in lockstep, contact by
    contact: a row of gaps (every lane draws, as the group's table of gaps is drawn), then, while
    a lane is still inside the day, a row of handle times and patience, each served contact
    passed to its trial's tournament tree (:func:`simroi.queueing.compiled._serve`'s, whose
    servers here never leave duty) and tallied (:func:`_tally`)."""
    mean_gap, end, handle_mean, patience_mean, warm, sl_seconds = numbers
    agents, patient = staff
    mask, keep, leaves = tree_shape(agents)
    limits = (warm, end, sl_seconds, agents)
    for g in numba.prange(groups.shape[0]):
        first, lanes = groups[g, 0], groups[g, 1] - groups[g, 0]
        # Each stream's state words, kept in registers (the draws are inlined here).
        gap_high, gap_low, gap_inc_high, gap_inc_low = starts[0, g]
        handle_high, handle_low, handle_inc_high, handle_inc_low = starts[1, g]
        wait_high, wait_low, wait_inc_high, wait_inc_low = starts[2, g]
        # Padding leaves hold the largest key; a server free at +0.0 has key = its index.
        tree = np.full(lanes * 2 * leaves, np.iinfo(np.int64).max, dtype=np.int64)
        for lane in range(lanes):
            for server in range(agents):
                tree[lane * 2 * leaves + leaves + server] = server
            rebuild_tree(tree, lane * 2 * leaves, leaves)
        total, arrival = np.zeros(lanes), np.zeros(lanes)
        inside = np.ones(lanes, dtype=np.bool_)
        counts = np.zeros((4, lanes), dtype=np.int64)
        sums = np.zeros((2, lanes))
        while not overflow[g]:
            live = False
            for lane in range(lanes):
                gap_high, gap_low, gap = exponential(gap_high, gap_low, gap_inc_high, gap_inc_low)
                if inside[lane]:
                    total[lane] += gap
                    arrival[lane] = total[lane] * mean_gap
                    inside[lane] = arrival[lane] < end
                    live = live or inside[lane]
            if not live:
                break
            for lane in range(lanes):
                handle_high, handle_low, handle = exponential(
                    handle_high, handle_low, handle_inc_high, handle_inc_low
                )
                handle *= handle_mean
                patience = np.inf
                if patient:
                    wait_high, wait_low, patience = exponential(
                        wait_high, wait_low, wait_inc_high, wait_inc_low
                    )
                    patience *= patience_mean
                if not inside[lane]:
                    continue
                base = lane * 2 * leaves
                a = arrival[lane] + 0.0
                start = max(a, float_of(tree[base + 1]))
                if start >= _WEEK:
                    overflow[g] = True
                    break
                # _serve's step, written out again: through a shared function (inlined by numba
                # or not) this kernel took twice as long (simroi queue, 10,000 trials: 2.2 s →
                # 4.0 s), where _serve's time did not change.
                k = tree[base + 1] & mask
                if float_of(bits_of(start) & keep) > a + patience:  # judged without the index bits
                    start = np.nan
                else:
                    set_leaf(tree, base, leaves, k, (bits_of(start + handle) & keep) | k)
                _tally(counts[:, lane], sums[:, lane], (arrival[lane], start, handle), limits)
        for lane in range(lanes):
            kpi_limits = (warm, end, agents, not patient)
            _kpis(counts[:, lane], sums[:, lane], kpi_limits, out[:, first + lane])


class StudyDay(NamedTuple):
    """A study day's numbers for :func:`study_day`, in seconds."""

    mean_gap_s: float  # 3600 / arrivals per hour
    end_s: float  # the day's length
    handle_mean_s: float  # exponential handle times' mean
    patience_mean_s: float | None  # exponential patience's mean; None: nobody hangs up
    warmup_s: float
    sl_seconds: float


def study_day(
    rngs: tuple[np.random.Generator, np.random.Generator, np.random.Generator],
    trials: int,
    day: StudyDay,
    agents: int,
) -> np.ndarray | None:
    """A study block's per-trial KPIs in one pass, drawing, serving and tallying each contact
    with no per-contact table; None where the pass cannot stand for the general path.

    ``rngs`` are the gaps', handle times' and patience's streams; the day has exponential handle
    times and ``agents`` ≥ 1 always on duty. The rows are those of :func:`day_tallies`, and the
    same bits as the numpy engine's day (:func:`simroi.queueing.study.simulate_day`, served and
    tallied) for two trials or more: the same numbers drawn in the same order
    (:mod:`simroi.queueing.compiled_draws`), the same recursion and the same sums. None when a
    contact could start after the servers' first week of duty (a day longer than a week, or a
    queue overloaded beyond any use), where the general path follows the shifts.
    """
    if trials < 2 or agents < 1:
        raise ValueError(
            f"a one-pass study day needs two trials and an agent (got {trials}, {agents})"
        )
    if day.end_s >= _WEEK:
        return None
    groups = np.array(column_groups(trials), dtype=np.int64)
    starts = np.stack([region_starts(rng, trials) for rng in rngs])
    out = np.empty((5, trials))
    overflow = np.zeros(groups.shape[0], dtype=np.bool_)
    patient = day.patience_mean_s is not None
    patience = 0.0 if day.patience_mean_s is None else day.patience_mean_s
    reals = (day.mean_gap_s, day.end_s, day.handle_mean_s, patience, day.warmup_s, day.sl_seconds)
    staff = (int(agents), patient)
    _study_day(starts, groups, tuple(float(x) for x in reals), staff, out, overflow)
    return None if overflow.any() else out


#: The compiled kernels.
KERNELS = (_tallies, _study_day)


def warm_up() -> None:
    """Compile (or load from the cache) every kernel, on a day of two contacts and a short
    study day with and without patience."""
    arrival = np.array([[10.0, 20.0], [30.0, 0.0]])
    for until_end in (False, True):
        day_tallies(
            arrival,
            arrival,
            arrival,
            np.array([2, 1]),
            (0.0, 28_800.0, 20.0, 1),
            until_end=until_end,
        )
    for patience in (None, 180.0):
        rngs = (np.random.default_rng(0), np.random.default_rng(1), np.random.default_rng(2))
        study_day(rngs, 2, StudyDay(600.0, 3_600.0, 240.0, patience, 0.0, 20.0), 1)
