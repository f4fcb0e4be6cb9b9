"""The compiled queue engine: :func:`simroi.queueing.engine.serve_fcfs`, one trial per thread.

The same Kiefer–Wolfowitz recursion as the vectorized engine, compiled with numba: per trial
keep when each server is next free, with the server's index in the lowest mantissa bits of its
free-at time (so the minimum also names the server, and no two keys tie: a tournament tree per
trial finds it in log(servers) steps); arrival *i* takes the earliest-free server,
starts at ``max(arrival, free_at)`` and, unless its wait exceeds its patience, makes the server
free again at ``start + handle``. Shift changes follow the same rules in the same order: bulk
moves where the caller promises that no later contact arrives before a time, and the lazy move
of every server whose span ended by the start a contact would get. Every floating-point
operation is the one the vectorized engine makes, so the two give the same bits (the tests hold
them to it on every bundled scenario); only the loop is turned inside out — groups of trials
in parallel (``prange``, without the GIL), arrival index inside, the group's trials one after the
other within a row — so the group's state stays in cache and one process uses every core.

The span lookups are ports of :meth:`ShiftPattern._spans_after
<simroi.queueing.shifts.ShiftPattern>` (a pattern shared by all trials) and
:meth:`TrialShiftPattern._spans <simroi.queueing.roster.TrialShiftPattern>` (a roster per trial,
read from its span table). This module imports numba; the rest of the package reaches it only
when a compiled run asks for it (see :mod:`simroi.queueing.kernels`), so commands that do not
simulate never load it. Compiled code is cached on disk (``cache=True``), beside this file or,
where that is read-only, in numba's per-user cache directory.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from simroi.queueing.engine import NEVER, serve_fcfs
from simroi.queueing.roster import TrialShiftPattern
from simroi.queueing.shifts import (
    SECONDS_PER_WEEK,
    QueueState,
    ShiftPattern,
    bulk_times,
    checked_batch,
    row_widths,
)

__all__ = [
    "FALLBACK_CACHE",
    "KERNELS",
    "bits_of",
    "cached",
    "float_of",
    "kernel",
    "plain",
    "rebuild_tree",
    "serve_fcfs_compiled",
    "set_leaf",
    "tree_shape",
    "use_threads",
    "waiting_threads_sleep",
    "warm_up",
]

# The same stand-in for "never free" as the numpy engine's.
_NEVER = NEVER

# How a kernel finds a server's next span: a periodic pattern shared by all trials, or a
# roster per trial read from its span table (per day, or per interval).
_PERIODIC, _ROSTER_BY_DAY, _ROSTER_BY_INTERVAL = 0, 1, 2

#: Where compiled code is cached when neither the install nor the user's cache directory is
#: writable (numba's own choices, in that order): a folder of the user's own in the temporary
#: folder (numba reads its cache with pickle: nobody else's files).
FALLBACK_CACHE = os.path.join(
    tempfile.gettempdir(), f"simroi-numba-cache-{os.getuid() if hasattr(os, 'getuid') else 0}"
)


def _own_folder(path: str) -> bool:
    """Make ``path`` a folder only this user can write, or say it is someone else's."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        mine = not hasattr(os, "getuid") or os.stat(path).st_uid == os.getuid()
    except OSError:
        return False
    return mine


def kernel(parallel: bool = False) -> Callable[[Callable[..., Any]], Any]:
    """numba's ``njit`` with an on-disk cache, falling back to :data:`FALLBACK_CACHE` when numba
    finds no writable place for it (a read-only install and home directory), and to no cache
    (compiled in every process) when that folder is not the user's own. The fallback is set
    for these kernels only: numba's setting is restored once they are made. A ``parallel``
    kernel's threads wait without spinning (:func:`waiting_threads_sleep`)."""
    if parallel:
        waiting_threads_sleep()

    def compile_(function: Callable[..., Any]) -> Any:
        options = {"nogil": True, "error_model": "numpy", "parallel": parallel}
        try:
            return numba.njit(function, cache=True, **options)  # type: ignore[call-overload]
        except RuntimeError:  # "cannot cache function …: no locator available"
            pass
        if not _own_folder(FALLBACK_CACHE):
            return numba.njit(function, cache=False, **options)  # type: ignore[call-overload]
        before = numba.config.CACHE_DIR  # type: ignore[attr-defined]  # untyped module
        setattr(numba.config, "CACHE_DIR", FALLBACK_CACHE)  # noqa: B010  # the locator reads it
        try:
            return numba.njit(function, cache=True, **options)  # type: ignore[call-overload]
        finally:
            setattr(numba.config, "CACHE_DIR", before)  # noqa: B010

    return compile_


def waiting_threads_sleep() -> None:
    """Have numba's threads sleep while they wait for work (``OMP_WAIT_POLICY=PASSIVE``), unless
    the user set a policy of their own; called before any parallel kernel runs, since the
    OpenMP library numba starts its threads with reads the setting once, as it loads.

    By default OpenMP's idle threads spin for a while after each parallel loop, and a run makes
    thousands of short ones. On a machine with other work (another command, a build, a browser),
    the spinning threads take the cores from the thread with the work: a 100-trial
    ``simroi run`` beside two busy processes took 12.6–13.6 s, and 6.7–7.5 s with the threads
    asleep (benchmarks/README.md, "Threads that wait asleep").

    The setting is made in this process's environment, so the processes it starts later inherit
    it; and it does nothing where an OpenMP library was already loaded (by another package
    imported first), which keeps the policy it read then.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def use_threads(count: int) -> None:
    """Run this thread's next parallel kernels on ``count`` threads, at most the
    ``NUMBA_NUM_THREADS`` numba started with (and at least one). Results do not depend on it.

    numba loads OpenMP when it is first asked for a thread count, and OpenMP reads its wait
    policy then, once: this module set it as it loaded (its parallel kernels do,
    :func:`waiting_threads_sleep`), so a caller that reaches numba's threads through here
    (:func:`simroi.model.kernels.use_threads`) finds them asleep while they wait.
    """
    top = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]  # untyped module
    numba.set_num_threads(max(1, min(int(count), top)))


_jit = kernel()


@_jit
def _periodic_span(
    k: int,
    t: float,
    starts: np.ndarray,
    ends: np.ndarray,
    counts: np.ndarray,
    wraps: np.ndarray,
    full: np.ndarray,
    period: float,
) -> tuple[float, float]:
    """Server ``k``'s first span ending after ``t``: ``ShiftPattern._spans_after``, one pair."""
    finite = not np.isinf(period)
    if finite:
        base = np.floor(t / period) * period
        if base > t:
            base -= period
        if t - base >= period:
            base += period
    else:
        base = 0.0
    count = counts[k]
    j = 0
    for x in range(starts.shape[1]):
        if base + ends[k, x] <= t:
            j += 1
    wrap = j >= count
    if wrap:
        if finite:
            base = base + period
        j = 0
    start = base + starts[k, j]
    end = base + ends[k, j]
    if finite:
        last = max(count - 1, 0)
        if wraps[k] and j == 0:
            start = base - period + starts[k, last]
        if wraps[k] and j == last:
            end = base + period + ends[k, 0]
        if full[k]:
            start, end = -np.inf, np.inf
    elif wrap:
        start, end = np.inf, np.inf
    if count == 0:
        start, end = np.inf, np.inf
    return start, end


@_jit
def _roster_span(
    k: int,
    trial: int,
    t: float,
    mode: int,
    interval_ends: np.ndarray,
    slots: int,
    trials: int,
    width: int,
    per_day: int,
    rows: np.ndarray,
    table_start: np.ndarray,
    table_end: np.ndarray,
) -> tuple[float, float]:
    """Slot ``k``'s first span ending after ``t`` in ``trial``: ``TrialShiftPattern._spans``."""
    period = SECONDS_PER_WEEK
    base = np.floor(t / period)
    base *= period
    if base > t:
        base -= period
    j = np.searchsorted(interval_ends, t - base, side="right")
    level = k // slots if slots > 1 else k
    at = (level * trials + trial) * width
    if mode == _ROSTER_BY_DAY:
        day = j // per_day
        at += day
        j -= day * per_day
        if rows[at, 2] >= j:
            return rows[at, 0] + base, rows[at, 1] + base
        return rows[at, 3] + base, rows[at, 4] + base
    at += j
    return base + table_start[at], base + table_end[at]


def _bits_of_typed(typingctx: Any, x: Any) -> Any:
    """The bits of a float64 as an int64 (a register move, no memory)."""
    if x != types.float64:
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


def _float_of_typed(typingctx: Any, bits: Any) -> Any:
    """The float64 whose bits an int64 holds (a register move, no memory)."""
    if bits != types.int64:
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


#: A tree key's float and a float's key bits: the same reinterpretation as writing one view of
#: a one-cell array and reading the other, which these kernels did before, without the round
#: trip through memory on every contact.
bits_of: Any = intrinsic(_bits_of_typed)
float_of: Any = intrinsic(_float_of_typed)


@_jit
def rebuild_tree(tree: np.ndarray, base: int, leaves: int) -> None:
    """Recompute every inner node of a trial's tournament tree from its leaves."""
    for j in range(leaves - 1, 0, -1):
        tree[base + j] = min(tree[base + 2 * j], tree[base + 2 * j + 1])


@_jit
def tree_shape(servers: int) -> tuple[np.int64, np.int64, int]:
    """A trial's tournament tree for ``servers``: the mask of a key's index bits, the mask
    that clears them, and the leaves (the next power of two)."""
    bits = 0
    while (1 << bits) < servers:
        bits += 1
    mask = np.int64((1 << bits) - 1)
    return mask, ~mask, 1 << bits


@_jit
def set_leaf(tree: np.ndarray, base: int, leaves: int, server: int, key: np.int64) -> None:
    """Give ``server`` the key ``key`` and update the minima above it."""
    j = leaves + server
    tree[base + j] = key
    low = key  # the minimum below the node being updated: one load a level, its sibling's
    while j > 1:
        low = min(low, tree[base + (j ^ 1)])
        j >>= 1
        tree[base + j] = low


@_jit
def _move_ended(
    t: float,
    trial: int,
    tree: np.ndarray,
    end: np.ndarray,
    base: int,
    leaves: int,
    servers: int,
    keep: np.int64,
    mode: int,
    floats: tuple[np.ndarray, ...],
    ints: np.ndarray,
    period: float,
) -> bool:
    """Send every server of a trial whose span ended by ``t`` to its first span ending after
    ``t`` (the numpy engine's ``_move``), and say whether any moved.

    The trial's free-at times are the leaves of ``tree[base : base + 2 * leaves]`` (as the bits
    of the floats, with each server's index in the low bits); ``end[base // 2 + server]`` is
    the end of each server's span.
    """
    starts, ends, interval_ends, rows, table_start, table_end = floats
    at = base // 2
    moved = False
    for s in range(servers):
        if not end[at + s] <= t:
            continue
        if mode == _PERIODIC:
            span_start, span_end = _periodic_span(
                s, t, starts, ends, ints[0], ints[1], ints[2], period
            )
        else:
            span_start, span_end = _roster_span(
                s, trial, t, mode, interval_ends, ints[3, 0], ints[3, 1], ints[3, 2],
                ints[3, 3], rows, table_start, table_end,
            )  # fmt: skip
        free = min(max(float_of(tree[base + leaves + s]), span_start), _NEVER)
        tree[base + leaves + s] = (bits_of(free) & keep) | s
        end[at + s] = span_end
        moved = True
    if moved:
        rebuild_tree(tree, base, leaves)
    return moved


@_jit
def _earliest_end(end: np.ndarray, at: int, servers: int) -> float:
    """The earliest end of a trial's servers' spans, at most ``_NEVER``."""
    earliest = _NEVER
    for s in range(servers):
        earliest = min(earliest, end[at + s])
    return earliest


@kernel(parallel=True)
def _serve(
    arrival: np.ndarray,
    handle: np.ndarray,
    patience: np.ndarray,
    present: np.ndarray,
    out: np.ndarray,
    free_at: np.ndarray,
    span_end: np.ndarray,
    widths: np.ndarray,
    bulk: np.ndarray,
    mode: int,
    floats: tuple[np.ndarray, ...],
    ints: np.ndarray,
    period: float,
    group: int,
    patience_rows: int,
) -> None:
    """The recursion for every trial (column); ``free_at``/``span_end`` updated in place.

    Row *i*'s patience is ``patience[i * patience_rows]``: 0 when every row shares row 0.

    ``widths[i]``: row *i* has contacts only in its first ``widths[i]`` columns; ``bulk[i]``:
    before row *i*, every server whose span ended by ``bulk[i]`` moves (−inf: no move).
    Threads take groups of ``group`` trials. Each trial keeps its servers' free-at times in a
    tournament tree: the float's bits as an integer (free-at times are ≥ +0.0, where the two
    orders agree) with the server's index in the low bits, so the root is the earliest-free
    server and no two keys tie; serving a contact updates one path, without a branch to guess.
    """
    n, trials = arrival.shape
    servers = free_at.shape[0]
    mask, keep, leaves = tree_shape(servers)
    groups = (trials + group - 1) // group
    for g in numba.prange(groups):
        c0 = g * group
        lanes = min(group, trials - c0)
        # Padding leaves hold the largest key: never the minimum while a server exists.
        tree = np.full(lanes * 2 * leaves, np.iinfo(np.int64).max, dtype=np.int64)
        end = np.empty(lanes * leaves)
        earliest = np.empty(lanes)
        check = np.zeros(lanes, dtype=np.bool_)
        for lane in range(lanes):
            c = c0 + lane
            base, at = lane * 2 * leaves, lane * leaves
            for s in range(servers):
                free = min(free_at[s, c], _NEVER) + 0.0
                tree[base + leaves + s] = (bits_of(free) & keep) | s
                end[at + s] = span_end[s, c]
                if np.isfinite(end[at + s]) or free >= _NEVER:
                    check[lane] = True
            rebuild_tree(tree, base, leaves)
            earliest[lane] = _earliest_end(end, at, servers)
        for i in range(n):
            t_bulk = bulk[i]
            for lane in range(lanes):
                c = c0 + lane
                base, at = lane * 2 * leaves, lane * leaves
                if check[lane] and t_bulk > -np.inf and _move_ended(
                    t_bulk, c, tree, end, base, leaves, servers, keep, mode, floats, ints,
                    period,
                ):  # fmt: skip
                    earliest[lane] = _earliest_end(end, at, servers)
                if c >= widths[i] or not present[i, c]:
                    out[i, c] = np.nan
                    continue
                # + 0.0: an arrival of -0.0 starts at +0.0, as np.maximum makes it in the
                # numpy engine (on a tie it returns the free-at time; Python's max, the first)
                a = arrival[i, c] + 0.0
                start = max(a, float_of(tree[base + 1]))
                blocked = False
                if check[lane] and start >= earliest[lane]:
                    # The lazy shift check (the numpy engine's _settle), for this trial alone.
                    t = start
                    while True:
                        if not t < _NEVER:
                            blocked = True
                            break
                        _move_ended(
                            t, c, tree, end, base, leaves, servers, keep, mode, floats, ints,
                            period,
                        )  # fmt: skip
                        earliest[lane] = _earliest_end(end, at, servers)
                        t = max(a, float_of(tree[base + 1]))
                        start = t
                        if not t >= earliest[lane]:
                            break
                    blocked = blocked and start >= _NEVER
                k = tree[base + 1] & mask
                # The wait is judged without the index bits (as in the numpy engine).
                if float_of(bits_of(start) & keep) > a + patience[i * patience_rows, c] or blocked:
                    out[i, c] = np.nan
                    continue
                set_leaf(tree, base, leaves, k, (bits_of(start + handle[i, c]) & keep) | k)
                out[i, c] = start
        for lane in range(lanes):
            c = c0 + lane
            base, at = lane * 2 * leaves, lane * leaves
            for s in range(servers):
                free = float_of(tree[base + leaves + s])
                free_at[s, c] = np.inf if free >= _NEVER else free
                span_end[s, c] = end[at + s]


#: Bytes of queue state a group of trials keeps (24 per leaf of each trial's tree): about half
#: a core's L2 cache, so that reading a row of a group's inputs (one run of ``group`` floats
#: per array; rows are a page or more apart) is what costs, not the state.
_GROUP_STATE_BYTES = 1 << 20


def _group(servers: int, trials: int) -> int:
    """Trials a thread serves together: as many as the state budget allows (at most 256), and
    few enough that every thread gets about four groups. Changes no result, only speed."""
    leaves = 1 << max(servers - 1, 0).bit_length()
    budget = max(8, min(256, _GROUP_STATE_BYTES // (24 * leaves)))
    share = -(-trials // (4 * numba.get_num_threads()))
    return int(max(8, min(budget, -(-share // 8) * 8)))


def plain(x: np.ndarray, dtype: type | None = None) -> np.ndarray:
    """``x`` as a C-contiguous writable array of ``dtype`` (None: its own), itself when it is
    one: one type signature per kernel for every call, so nothing compiles twice."""
    return np.require(x, dtype=dtype, requirements=["C", "W"])


def _lookup(
    shifts: ShiftPattern | TrialShiftPattern,
) -> tuple[int, tuple[np.ndarray, ...], np.ndarray, float]:
    """The arrays a kernel reads a pattern's spans from: (mode, floats, ints, period)."""
    empty2, empty1 = np.empty((1, 1)), np.empty(1)
    if isinstance(shifts, ShiftPattern):
        starts, ends = plain(shifts.starts), plain(shifts.ends)
        counts = shifts._counts.astype(np.int64)
        ints = np.zeros((4, max(shifts.servers, 4)), dtype=np.int64)
        ints[0, : counts.size] = counts
        ints[1, : counts.size] = shifts._wraps
        ints[2, : counts.size] = shifts._full
        floats = (starts, ends, empty1, empty2, empty1, empty1)
        return _PERIODIC, floats, ints, float(shifts.period_seconds)
    table = shifts.span_table()
    ints = np.zeros((4, 4), dtype=np.int64)
    ints[3] = shifts.slots_per_agent, shifts.trials, table["width"], table.get("per_day", 1)
    if "per_day" in table:
        floats = (
            empty2,
            empty2,
            plain(shifts.interval_ends),
            plain(table["rows"]),
            empty1,
            empty1,
        )
        return _ROSTER_BY_DAY, floats, ints, SECONDS_PER_WEEK
    start, end = plain(table["start"]), plain(table["end"])
    floats = (empty2, empty2, plain(shifts.interval_ends), empty2, start, end)
    return _ROSTER_BY_INTERVAL, floats, ints, SECONDS_PER_WEEK


def serve_fcfs_compiled(
    arrival_s: np.ndarray,
    handle_s: np.ndarray,
    patience_s: np.ndarray,
    present: np.ndarray,
    shifts: ShiftPattern | TrialShiftPattern,
    state: QueueState,
    *,
    moves: Sequence[tuple[int, float]] = (),
    active: Sequence[tuple[int, int, int]] | None = None,
) -> tuple[np.ndarray, QueueState]:
    """:func:`simroi.queueing.engine.serve_fcfs`, compiled: the same arguments, the same bits.

    ``moves`` and ``active`` are the same promises as there (they change no result); the
    kernel reads every row of every trial once, in parallel over trials. A shared pattern whose
    cycle is not a whole number of seconds is served by the numpy engine: its span table adds
    cycles up one by one, which the direct lookup here matches only when every multiple of the
    cycle is exact (simroi's patterns are weekly). Beyond 2**60 s (a handle time of 3.7e10
    years) the engines may differ: the numpy engine's shift check is per chunk of trials.
    """
    servers = shifts.servers
    if isinstance(shifts, ShiftPattern) and not _whole(shifts.period_seconds):
        return serve_fcfs(
            arrival_s, handle_s, patience_s, present, shifts, state, moves=moves, active=active
        )
    queue = checked_batch(arrival_s, handle_s, patience_s, present, servers, state)
    n, trials = queue[0].shape
    new = state.copy()
    if servers == 0 or n == 0 or not np.isfinite(new.free_at).any():
        return np.full((n, trials), np.nan), new  # nobody to serve: nothing to copy either
    # A patience the same in every row (a deferrable channel's deadline, per column) is read
    # from its one row, not copied into every row.
    patience_rows = 0 if queue[2].strides[0] == 0 else 1
    queue = (queue[0], queue[1], queue[2] if patience_rows else queue[2][:1], queue[3])
    # One type signature for every call (C-contiguous, writable), so one compilation serves all.
    arrival_s, handle_s, patience_s, present = (plain(x) for x in queue)
    out = np.empty((n, trials))  # the kernel writes every cell: a start, or NaN
    widths, bulk = row_widths(active, n, trials), bulk_times(moves, n)
    if isinstance(shifts, TrialShiftPattern) and shifts.trials != trials:
        raise ValueError(
            f"shifts: a roster of {shifts.trials} trials cannot staff a queue of {trials}"
        )
    mode, floats, ints, period = _lookup(shifts)
    free_at = np.ascontiguousarray(new.free_at)
    span_end = np.ascontiguousarray(new.span_end)
    _serve(
        arrival_s, handle_s, patience_s, present, out, free_at, span_end, widths, bulk, mode,
        floats, ints, period, _group(servers, trials), patience_rows,
    )  # fmt: skip
    return out, QueueState(free_at, span_end)


#: The compiled kernels (the helpers they call are compiled into them).
KERNELS = (_serve,)


def cached(kernels: Sequence[Any] = KERNELS) -> bool:
    """Whether every kernel's compiled code (by default this module's) is in the cache, for
    this source and numba."""
    try:
        # numba's cache index of a function: empty when missing or made for another source.
        return all(bool(k._cache._cache_file._load_index()) for k in kernels)
    except (AttributeError, OSError):  # another numba's internals: say nothing is cached
        return False


def _whole(period: float) -> bool:
    """A cycle every multiple of which is exact in floats: whole seconds below 2**40 (or none)."""
    return math.isinf(period) or (float(period).is_integer() and period < 2.0**40)


def warm_up() -> None:
    """Compile (or load from the cache) every kernel, on a queue of two contacts."""
    pattern = ShiftPattern.daily(2, 0.0, 3600.0)
    one = np.array([[10.0], [20.0]])
    serve_fcfs_compiled(
        one, one, np.full_like(one, np.inf), np.ones_like(one, dtype=bool), pattern,
        QueueState.initial(pattern, 1), moves=[(0, 0.0)],
    )  # fmt: skip
    roster = TrialShiftPattern(np.array([0.0]), np.array([3600.0]), np.array([[2]]))
    serve_fcfs_compiled(
        one, one, np.full_like(one, np.inf), np.ones_like(one, dtype=bool), roster,
        roster.initial_state(),
    )  # fmt: skip
