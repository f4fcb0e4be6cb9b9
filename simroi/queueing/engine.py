"""The vectorized queue engine: a FCFS multi-server queue with abandonment and shifts.

Each channel is a first-come-first-served queue served by agent slots ("servers") that are on duty
in periodic spans (opening hours, a staffing schedule). A contact is answered if its wait is at
most its patience; otherwise it abandons without ever occupying an agent (the *offered-wait*
formulation of Erlang A; Zeltyn & Mandelbaum). With that formulation the Kiefer–Wolfowitz workload
recursion is exact: per trial keep when each server is next free; arrival *i* takes the
earliest-free server *k*, starts at ``max(arrival, free_at[k])`` and, if it does not abandon, makes
that server free again at ``start + handle``. An idle server that is free earliest is the one that
has been idle longest, so routing is "longest-idle agent first", ties to the lowest server index.

Shifts are applied lazily: when the chosen server could only start after the end of the span it
is in, it is moved to its next on-duty span (``free_at = max(free_at, span start)``) and the choice
is made again. A server busy at the end of its span finishes the contact, then goes off duty: that
falls out of the rule. Servers never on duty are free "at +inf". Where the caller knows that no
later contact arrives before some time (a new part of the day), every finished span is moved at
once for all trials (``moves``), which leaves only contacts waiting across a shift change to the
lazy rule.

The Python loop runs over arrival index; everything inside is a numpy operation across the trials
of a chunk. The state of a chunk is laid out server-major, trials contiguous, ``(servers, chunk)``,
so the earliest-free server is an elementwise ``np.minimum.reduce`` over rows. The server's index
is written into the lowest mantissa bits of its free-at time, so that minimum also says *which*
server it is, without an ``argmin``. That perturbs each free-at time by less than ``2**bits``
units in the last place (90 servers: 1.5e-8 s on a one-week clock), and the perturbations of one
server's back-to-back services add up; waits are judged without the index bits, so exact ties
(a contact arriving the instant an agent comes on duty) resolve as in exact arithmetic.
:mod:`simroi.queueing.reference` is the same queue written as simpy processes; the tests hold the
two to the same outcome for every contact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from simroi.queueing.roster import TrialShiftPattern
from simroi.queueing.shifts import (
    QueueState,
    ShiftPattern,
    bulk_times,
    checked_batch,
    row_widths,
)

__all__ = [
    "NEVER",
    "QueueState",
    "ShiftPattern",
    "serve_fcfs",
]

# Finite stand-in for "never free" inside the recursion: the server index can be written into its
# low bits (it cannot be into +inf), it stays above any real clock time (2**60 s ≈ 3.7e10 years),
# and adding a handle time to it cannot overflow.
NEVER = _NEVER = 2.0**60


def serve_fcfs(
    arrival_s: np.ndarray,
    handle_s: np.ndarray,
    patience_s: np.ndarray,
    present: np.ndarray,
    shifts: ShiftPattern | TrialShiftPattern,
    state: QueueState,
    *,
    chunk: int = 2048,
    out: np.ndarray | None = None,
    moves: Sequence[tuple[int, float]] = (),
    active: Sequence[tuple[int, int, int]] | None = None,
) -> tuple[np.ndarray, QueueState]:
    """Serve one batch of contacts through the FCFS queue, for every trial at once.

    Parameters
    ----------
    arrival_s, handle_s, patience_s, present : ndarray, shape (n, trials)
        Row *i* is the *i*-th arrival of every trial (arrival-index-major, trials contiguous).
        Arrival times are absolute seconds ≥ 0 on the clock of ``shifts`` and non-decreasing
        along axis 0 among each trial's present rows. Handle times are ≥ 0 seconds. Patience is
        ≥ 0 seconds, ``+inf`` for contacts that never abandon (email), not NaN. Rows where
        ``present`` is False are padding or thinned-out contacts: they change nothing, whatever
        their values.
    shifts : ShiftPattern or TrialShiftPattern
        When each server is on duty (in every trial alike, or per trial: a staffing rule).
    state : QueueState
        The queue at the start of the batch, shape (servers, trials); it is not modified.
    chunk : int
        Trials simulated together; working memory is about ``16 × chunk × servers`` bytes.
    out : ndarray, optional
        A float64 C-contiguous (n, trials) array to write the start times into (reusing one
        saves the page faults of a fresh array on every call).
    moves : sequence of (row, time), optional
        Shift changes to make in bulk: before row ``row``, every server whose span ended by
        ``time`` goes to its next span, in every trial at once. A promise by the caller that no
        present contact at that row or later arrives before ``time`` (contacts generated part of
        the day by part know where each part begins). It changes no result, only speed: without
        it the same moves happen lazily, trial by trial, when a contact needs the server.
    active : sequence of (first row, end row, trials), optional
        Where the contacts are: rows ``first:end`` have present contacts only among their first
        ``trials`` columns, and rows in no rectangle have none. A promise by the caller (who
        orders trials roughly by volume, so that a day's contacts form a staircase); the engine then
        skips the padding. It changes no result, only speed.

    Returns
    -------
    start_s : ndarray, shape (n, trials)
        When service starts, absolute seconds; NaN if the contact abandoned, is not present, or
        will never be served (no server is ever on duty again — with infinite patience the
        caller counts it as backlog). A contact is answered iff ``start − arrival ≤ patience``.
        Starts may lie after the last arrival (a carried backlog).
    state : QueueState
        The queue after the batch, to pass to the next call. Servers move to later shifts lazily,
        so it may name spans that have ended; that is equivalent.
    """
    servers = shifts.servers
    arrival_s, handle_s, patience_s, present = checked_batch(
        arrival_s, handle_s, patience_s, present, servers, state
    )
    n, trials = arrival_s.shape
    if not (isinstance(chunk, int | np.integer) and chunk >= 1):
        raise ValueError(f"chunk must be an integer ≥ 1 (got {chunk!r})")
    if out is None:
        out = np.empty((n, trials))
    elif out.shape != (n, trials) or out.dtype != np.float64 or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous float64 array of shape {(n, trials)}")
    new = state.copy()
    if servers == 0 or n == 0 or not np.isfinite(new.free_at).any():
        out.fill(np.nan)
        return out, new
    widths = row_widths(active, n, trials)
    if active is not None:
        out.fill(np.nan)  # rows beyond their rectangles are never visited
    bulk = bulk_times(moves, n)
    for c0 in range(0, trials, int(chunk)):
        cols = slice(c0, min(trials, c0 + int(chunk)))
        _serve_chunk(arrival_s, handle_s, patience_s, present, out, shifts, new, cols, bulk, widths)
    return out, new


def _serve_chunk(
    arrival_s: np.ndarray,
    handle_s: np.ndarray,
    patience_s: np.ndarray,
    present: np.ndarray,
    out: np.ndarray,
    shifts: ShiftPattern | TrialShiftPattern,
    state: QueueState,
    cols: slice,
    bulk: np.ndarray,
    row_width: np.ndarray,
) -> None:
    """Run the recursion over every row for the trials ``cols``; update ``state`` in place.

    ``bulk`` (rows,) and ``row_width`` (rows,) are ``moves`` and ``active`` as
    :func:`~simroi.queueing.shifts.bulk_times` and :func:`~simroi.queueing.shifts.row_widths`
    read them, for all trials.
    """
    servers = shifts.servers
    width = cols.stop - cols.start
    bits = (servers - 1).bit_length()
    mask = np.int64((1 << bits) - 1)
    keep = ~mask
    lanes = np.arange(width, dtype=np.int64)

    # State of this chunk: free-at times with the server index in the low mantissa bits.
    free = np.minimum(state.free_at[:, cols], _NEVER)
    free += 0.0  # a -0.0 would sort below every positive time once viewed as an integer
    free_bits = free.view(np.int64)
    free_bits &= keep
    free_bits |= np.arange(servers, dtype=np.int64)[:, None]
    free_flat = free.reshape(-1)
    span_end = state.span_end[:, cols].copy()
    # Shift bookkeeping is needed only if some span ends, or some server is never free. e_trial
    # is, per trial, the earliest end of any server's current span: a lower bound on the chosen
    # server's span end, so trials whose start is below it need no shift check at all.
    check = bool(np.isfinite(span_end).any() or (free >= _NEVER).any())
    e_trial = np.minimum(span_end.min(axis=0), _NEVER)
    flag = np.empty(width, dtype=bool)
    # Each slot's next span, where known (see _look_ahead): most shift changes read it.
    ahead = None
    if check and isinstance(shifts, TrialShiftPattern) and shifts.whole_seconds:
        ahead = np.full(servers * width, np.inf), np.full(servers * width, -np.inf)
        every = np.arange(servers * width)
        _look_ahead(ahead, every, span_end.reshape(-1), shifts, width, cols.start)

    m = np.empty(width)
    k = np.empty(width, dtype=np.int64)
    v = np.empty(width)
    deadline = np.empty(width)
    q = np.empty(width)
    rejected = np.empty(width, dtype=bool)
    arrivals, handles, patiences = arrival_s[:, cols], handle_s[:, cols], patience_s[:, cols]
    presents, starts = present[:, cols], out[:, cols]
    # Each row works on the first `widths[i]` trials of the chunk: all of them, or the prefix
    # the caller's rectangles say holds the row's contacts (the rest of the row stays NaN).
    widths = np.clip(row_width - cols.start, 0, width)
    # Rows where every trial in reach has a contact skip the two masking steps.
    on = presents.sum(axis=1)
    full_rows: list[bool] = (on == widths).tolist()
    bulk_at: list[float] = bulk.tolist()
    views: dict[int, tuple[np.ndarray, ...]] = {}
    # The loop runs once per arrival row: numpy's functions are bound to local names, and the
    # integer views of the work arrays made once per width.
    add, maximum, greater, greater_equal, less_equal = (
        np.add,
        np.maximum,
        np.greater,
        np.greater_equal,
        np.less_equal,
    )
    bitwise_and, bitwise_or, multiply, putmask, count_nonzero = (
        np.bitwise_and,
        np.bitwise_or,
        np.multiply,
        np.putmask,
        np.count_nonzero,
    )
    least = np.minimum.reduce
    for i, w in enumerate(widths.tolist()):
        if (
            check
            and bulk_at[i] > -math.inf
            and _advance(free, span_end, bulk_at[i], shifts, mask, cols.start, ahead)
        ):
            np.minimum(span_end.min(axis=0), _NEVER, out=e_trial)
        if w == 0:
            continue
        if w not in views:
            views[w] = (m[:w], k[:w], v[:w], deadline[:w], q[:w], rejected[:w], flag[:w])
            views[w] += (e_trial[:w], lanes[:w], free[:, :w])
            views[w] += tuple(x[:w].view(np.int64) for x in (m, v, q))
        m_, k_, v_, deadline_, q_, rejected_, flag_, e_, lanes_, free_, m_bits, v_bits, q_bits = (
            views[w]
        )
        full = full_rows[i]
        cut = slice(None) if w == width else slice(w)  # a whole row is a cheaper view
        a = arrivals[i, cut]
        start = starts[i, cut]
        least(free_, axis=0, out=m_)
        bitwise_and(m_bits, mask, k_)
        maximum(a, m_, out=start)
        blocked = None
        if check:
            greater_equal(start, e_, flag_)
            if not full:
                flag_ &= presents[i, cut]
            if count_nonzero(flag_):
                blocked = _settle(
                    free, span_end, m_, k_, start, a, flag_, shifts, mask, e_trial, cols.start,
                    ahead,
                )  # fmt: skip
        # rejected = abandons (wait > patience) or not present: the state must not change.
        # The wait is judged without the index bits, so that a contact arriving exactly when a
        # server comes free waits 0 s, as it does in the reference engine.
        add(a, patiences[i, cut], deadline_)
        bitwise_and(start.view(np.int64), keep, q_bits)
        greater(q_, deadline_, rejected_)
        if not full:
            less_equal(presents[i, cut], rejected_, rejected_)
        if blocked is not None:
            rejected_ |= blocked
        add(start, handles[i, cut], v_)
        bitwise_and(v_bits, keep, v_bits)
        bitwise_or(v_bits, k_, v_bits)
        putmask(v_, rejected_, m_)
        multiply(k_, width, k_)
        add(k_, lanes_, k_)
        free_flat[k_] = v_
        putmask(start, rejected_, np.nan)

    state.free_at[:, cols] = np.where(free >= _NEVER, np.inf, free)
    state.span_end[:, cols] = span_end


def _look_ahead(
    ahead: tuple[np.ndarray, np.ndarray],
    at: np.ndarray,
    ends: np.ndarray,
    shifts: TrialShiftPattern,
    width: int,
    first_trial: int,
) -> None:
    """Record, for the slots at flat positions ``at`` whose current spans end at ``ends``, the
    span that follows (the first ending after ``ends``); ``ahead`` holds, flat, the next span
    ``(start, end)`` of each slot of the chunk, an end of −inf where none is known.

    When such a slot is moved at a time ``t`` before that span ends, it is the first span
    ending after ``t`` too — the span :meth:`TrialShiftPattern._spans` would give — and, span
    times being whole seconds, the same floats: reading it changes no result, only speed (one
    lookup for all the slots a bulk move sends on, instead of one per shift change).
    """
    known = np.isfinite(ends)
    at, ends = at[known], ends[known]
    if at.size == 0:
        return
    trial = at % width
    if first_trial:
        trial += first_trial
    ahead[0][at], ahead[1][at] = shifts._spans(at // width, trial, ends)


def _move(
    free_flat: np.ndarray,
    end_flat: np.ndarray,
    server: np.ndarray,
    at: np.ndarray,
    t: np.ndarray,
    shifts: ShiftPattern | TrialShiftPattern,
    mask: np.int64,
    width: int,
    first_trial: int,
    ahead: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Send servers (flat positions ``at`` of a chunk ``width`` trials wide starting at trial
    ``first_trial``) to their first span ending after ``t`` (finite times ≥ 0); return the ends
    of their new spans.

    ``ahead`` holds each slot's next span where :func:`_look_ahead` recorded it: a slot whose
    next span ends after ``t`` goes there without a lookup (the same span, as floats).
    """
    if at.size == 0:
        return np.empty(0)
    if isinstance(shifts, TrialShiftPattern):
        if ahead is None:
            span_start, span_stop = _roster_spans(shifts, server, at, t, width, first_trial)
        else:
            span_start, span_stop = ahead[0][at], ahead[1][at]
            # Unknown, or the span the slot is leaving (recorded before it moved there).
            stale = span_stop <= t
            if np.count_nonzero(stale):
                i = stale.nonzero()[0]
                span_start[i], span_stop[i] = _roster_spans(
                    shifts, server[i], at[i], t[i], width, first_trial
                )
    else:
        span_start, span_stop = shifts._tabled_spans(server, t, float(t.max()))
    f = free_flat[at]
    np.maximum(f, span_start, out=f)
    np.minimum(f, _NEVER, out=f)
    f_bits = f.view(np.int64)
    f_bits &= ~mask
    f_bits |= server
    free_flat[at] = f
    end_flat[at] = span_stop
    return span_stop


def _roster_spans(
    shifts: TrialShiftPattern,
    server: np.ndarray,
    at: np.ndarray,
    t: np.ndarray,
    width: int,
    first_trial: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The first spans ending after ``t`` of the slots at flat positions ``at``."""
    trial = at % width
    if first_trial:
        trial += first_trial
    return shifts._spans(server, trial, t)


def _advance(
    free: np.ndarray,
    span_end: np.ndarray,
    t: float,
    shifts: ShiftPattern | TrialShiftPattern,
    mask: np.int64,
    first_trial: int,
    ahead: tuple[np.ndarray, np.ndarray] | None = None,
) -> bool:
    """Move every server whose span ended by ``t``, in every trial; say whether any moved.

    The same move the lazy check makes for a contact arriving at or after ``t`` (see
    ``_settle``): a server is sent to its first span ending after the time it is checked at, and
    ``max`` makes moving at ``t`` and again later the same as moving once, later.
    """
    server, lane = np.nonzero(span_end <= t)
    if server.size == 0:
        return False
    width = free.shape[1]
    at = server * width + lane
    t_all = np.full(at.size, t)
    ends = _move(
        free.reshape(-1),
        span_end.reshape(-1),
        server,
        at,
        t_all,
        shifts,
        mask,
        width,
        first_trial,
        ahead,
    )
    if ahead is not None:
        assert isinstance(shifts, TrialShiftPattern)
        _look_ahead(ahead, at, ends, shifts, width, first_trial)
    return True


def _settle(
    free: np.ndarray,
    span_end: np.ndarray,
    m: np.ndarray,
    k: np.ndarray,
    start: np.ndarray,
    a: np.ndarray,
    flagged: np.ndarray,
    shifts: ShiftPattern | TrialShiftPattern,
    mask: np.int64,
    earliest_end: np.ndarray,
    first_trial: int,
    ahead: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray | None:
    """Move servers whose span ended before they could start to their next span; choose again.

    Called for the ``flagged`` trials (present contacts whose start is at or after the earliest
    span end among the trial's servers). In those trials every server whose span ends by the
    start time is moved: none of them can serve this contact or a later one in its current span
    (the chosen server is the earliest free, and arrivals only grow), so moving them now is the
    same as moving them when chosen. Moving servers only makes them free later, so choosing
    again among the trial's servers keeps the choice where the chosen server stayed.
    Updates ``free``, ``span_end``, ``m``, ``k``, ``start`` and ``earliest_end`` in place for the
    trials concerned. Returns the trials for which no server will ever be free again (None if
    there are none).

    This runs tens of thousands of times a block for a few trials at a time: it works on the
    trials' columns only, in as few numpy calls as it can.
    """
    width = free.shape[1]
    free_flat, end_flat = free.reshape(-1), span_end.reshape(-1)
    # Padding rows move nobody (they are never flagged): their arrival times may be anything.
    lane = flagged.nonzero()[0]
    t = start[lane]
    blocked = False  # some trial's servers will never be free again (its start is ≥ _NEVER)
    while lane.size:
        live = t < _NEVER
        if np.count_nonzero(live) < lane.size:
            blocked = True
            lane, t = lane[live], t[live]
            continue
        ends = span_end[:, lane]
        ended = ends <= t
        server, which = ended.nonzero()  # row-major: the order ``ends[ended]`` takes
        at = server * width + lane[which]
        ends[ended] = _move(
            free_flat, end_flat, server, at, t[which], shifts, mask, width, first_trial, ahead
        )
        earliest = np.minimum(ends.min(axis=0), _NEVER)
        earliest_end[lane] = earliest
        chosen = free[:, lane].min(axis=0)
        m[lane] = chosen
        k[lane] = chosen.view(np.int64) & mask
        t = np.maximum(a[lane], chosen)
        start[lane] = t
        again = t >= earliest  # the new start is past a span end too: a wait across spans
        lane, t = lane[again], t[again]
    return flagged & (start >= _NEVER) if blocked else None
