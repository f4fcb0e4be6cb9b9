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
:mod:`simroi.reference` is the same queue written as simpy processes; the tests hold the two to
the same outcome for every contact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["SECONDS_PER_DAY", "SECONDS_PER_WEEK", "QueueState", "ShiftPattern", "serve_fcfs"]

SECONDS_PER_DAY = 86_400.0
SECONDS_PER_WEEK = 7 * SECONDS_PER_DAY

# Finite stand-in for "never free" inside the recursion: the server index can be written into its
# low bits (it cannot be into +inf), it stays above any real clock time (2**60 s ≈ 3.7e10 years),
# and adding a handle time to it cannot overflow.
_NEVER = 2.0**60
#: Spans per server in the table behind ShiftPattern.next_spans (1.4 years of daily shifts).
_TABLE_SPANS = 512


def _span_lists_to_arrays(
    spans: list[list[tuple[float, float]]], period_seconds: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-server lists of (start, end) in cycle seconds → sorted, merged, +inf-padded arrays.

    Spans may run past the end of the cycle; they are wrapped (split at the cycle end). Spans that
    touch are merged; spans that overlap are an error.
    """
    merged: list[list[tuple[float, float]]] = []
    for server, own in enumerate(spans):
        pieces: list[tuple[float, float]] = []
        for start, end in own:
            if not (math.isfinite(start) and start < end):
                raise ValueError(
                    f"server {server}: a span must have start < end (got {start}, {end})"
                )
            if math.isinf(period_seconds):
                pieces.append((start, end))
                continue
            if end - start > period_seconds:
                raise ValueError(
                    f"server {server}: span ({start}, {end}) is longer than the cycle "
                    f"({period_seconds} s)"
                )
            offset = math.floor(start / period_seconds) * period_seconds
            start, end = start - offset, end - offset
            if end > period_seconds:
                pieces += [(start, period_seconds), (0.0, end - period_seconds)]
            else:
                pieces.append((start, end))
        pieces.sort()
        out: list[tuple[float, float]] = []
        for start, end in pieces:
            if out and start < out[-1][1]:
                raise ValueError(
                    f"server {server}: on-duty spans overlap near {start} s in the cycle"
                )
            if out and start == out[-1][1]:
                out[-1] = (out[-1][0], end)
            else:
                out.append((start, end))
        merged.append(out)
    width = max((len(m) for m in merged), default=0) or 1
    starts = np.full((len(spans), width), np.inf)
    ends = np.full((len(spans), width), np.inf)
    for server, own in enumerate(merged):
        for j, (start, end) in enumerate(own):
            starts[server, j], ends[server, j] = start, end
    return starts, ends


@dataclass(frozen=True, eq=False)
class ShiftPattern:
    """When each server (agent slot) is on duty; the spans repeat every ``period_seconds``.

    Parameters
    ----------
    starts, ends : ndarray of float, shape (servers, spans)
        Start and end of each on-duty span, in seconds from the start of the cycle (t = 0 is a
        Monday 00:00 for the weekly patterns built here); per server sorted, disjoint, with
        ``0 ≤ start < end ≤ period_seconds``, padded with ``+inf`` in both arrays. A server with no
        spans is never on duty. A span ending at the cycle end and the same server's span starting
        at 0 are one span across the cycle boundary (a server on duty the whole cycle is always on
        duty). Touching spans are merged.
    period_seconds : float
        Length of the cycle (> 0). ``+inf`` means the spans do not repeat: they are absolute times.

    Patterns are immutable (the arrays are read-only). Build them with :meth:`always_on`,
    :meth:`daily` or :meth:`from_staffing`; :meth:`replicate` models concurrency.
    """

    starts: np.ndarray
    ends: np.ndarray
    period_seconds: float
    _counts: np.ndarray = field(init=False, repr=False)
    _wraps: np.ndarray = field(init=False, repr=False)
    _full: np.ndarray = field(init=False, repr=False)
    _table: dict[str, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        starts = np.array(self.starts, dtype=np.float64, copy=True, ndmin=2)
        ends = np.array(self.ends, dtype=np.float64, copy=True, ndmin=2)
        period = float(self.period_seconds)
        if starts.shape != ends.shape or starts.ndim != 2:
            raise ValueError(
                "starts and ends must be 2-D arrays of one shape "
                f"(got {starts.shape}, {ends.shape})"
            )
        if not period > 0:
            raise ValueError(f"period_seconds must be > 0 (got {period})")
        spans = []
        for server in range(starts.shape[0]):
            present = np.isfinite(starts[server])
            count = int(present.sum())
            if not present[:count].all() or not np.isinf(ends[server, count:]).all():
                raise ValueError(f"server {server}: spans must come first, then +inf padding")
            s, e = starts[server, :count], ends[server, :count]
            if count and (s.min() < 0 or (np.isfinite(period) and e.max() > period)):
                raise ValueError(
                    f"server {server}: spans must lie within [0, {period}] s "
                    f"(got {s.min()}–{e.max()})"
                )
            if count > 1 and (np.diff(s) <= 0).any():
                raise ValueError(f"server {server}: spans must be sorted by start")
            spans.append(list(zip(s.tolist(), e.tolist(), strict=True)))
        starts, ends = _span_lists_to_arrays(spans, period)
        for array in (starts, ends):
            array.flags.writeable = False
        counts = np.isfinite(starts).sum(axis=1)
        last = np.take_along_axis(ends, np.maximum(counts - 1, 0)[:, None], axis=1)[:, 0]
        wraps = (counts > 0) & (starts[:, 0] == 0.0) & (last == period)
        object.__setattr__(self, "starts", starts)
        object.__setattr__(self, "ends", ends)
        object.__setattr__(self, "period_seconds", period)
        object.__setattr__(self, "_counts", counts)
        object.__setattr__(self, "_wraps", wraps)
        object.__setattr__(self, "_full", wraps & (counts == 1))
        object.__setattr__(self, "_table", {})

    @classmethod
    def always_on(cls, servers: int) -> ShiftPattern:
        """``servers`` servers on duty all the time."""
        _check_count("servers", servers)
        return cls(
            np.zeros((servers, 1)), np.full((servers, 1), SECONDS_PER_WEEK), SECONDS_PER_WEEK
        )

    @classmethod
    def daily(
        cls,
        servers: int,
        open_seconds: float,
        close_seconds: float,
        weekdays: Sequence[int] = range(7),
    ) -> ShiftPattern:
        """``servers`` servers on duty from ``open_seconds`` to ``close_seconds`` on each weekday.

        A weekly cycle (day 0 is Monday). ``0 ≤ open, close ≤ 86400``; ``close < open`` is an
        overnight shift that ends the next morning; ``open == close`` is closed. Days that join
        (``open == 0`` and ``close == 86400`` on consecutive days) make one span.
        """
        _check_count("servers", servers)
        for name, value in (("open_seconds", open_seconds), ("close_seconds", close_seconds)):
            if not 0 <= value <= SECONDS_PER_DAY:
                raise ValueError(f"{name} must be within [0, 86400] (got {value})")
        days = _check_weekdays(weekdays)
        length = (close_seconds - open_seconds) % SECONDS_PER_DAY
        if close_seconds - open_seconds == SECONDS_PER_DAY:
            length = SECONDS_PER_DAY
        opens = [d * SECONDS_PER_DAY + open_seconds for d in days] if length else []
        own = [(start, start + length) for start in opens]
        return cls(*_span_lists_to_arrays([own] * servers, SECONDS_PER_WEEK), SECONDS_PER_WEEK)

    @classmethod
    def from_staffing(
        cls,
        interval_starts_seconds: Sequence[float] | np.ndarray,
        interval_ends_seconds: Sequence[float] | np.ndarray,
        agents_per_interval: Sequence[float] | np.ndarray,
        weekdays: Sequence[int] = range(7),
    ) -> ShiftPattern:
        """A staffing schedule: server *k* is on duty in every interval where ``k < agents``.

        Interval times are seconds from the start of each listed weekday (a weekly cycle, day 0 is
        Monday); an interval may run past midnight. Adjacent intervals merge into one span, also
        across midnight. There are ``max(agents)`` servers.
        """
        begins = np.asarray(interval_starts_seconds, dtype=np.float64).ravel()
        ends = np.asarray(interval_ends_seconds, dtype=np.float64).ravel()
        agents = np.asarray(agents_per_interval, dtype=np.float64).ravel()
        if not begins.shape == ends.shape == agents.shape:
            raise ValueError(
                "interval starts, ends and agents must have one length "
                f"(got {begins.size}, {ends.size}, {agents.size})"
            )
        if not (np.isfinite(agents).all() and (agents >= 0).all()):
            raise ValueError(f"agents per interval must be finite and ≥ 0 (got {agents.tolist()})")
        if ((begins < 0) | ~(ends > begins) | (ends - begins > SECONDS_PER_WEEK)).any():
            raise ValueError("every interval must have 0 ≤ start < end ≤ start + 1 week")
        days = _check_weekdays(weekdays)
        servers = int(np.ceil(agents.max(initial=0.0)))
        spans = [
            [
                (d * SECONDS_PER_DAY + b, d * SECONDS_PER_DAY + e)
                for d in days
                for b, e, a in zip(begins.tolist(), ends.tolist(), agents.tolist(), strict=True)
                if k < a
            ]
            for k in range(servers)
        ]
        return cls(*_span_lists_to_arrays(spans, SECONDS_PER_WEEK), SECONDS_PER_WEEK)

    def replicate(self, slots: int) -> ShiftPattern:
        """Concurrency: each agent becomes ``slots`` servers with the same spans (agent-major)."""
        if not (isinstance(slots, int | np.integer) and slots >= 1):
            raise ValueError(f"slots must be an integer ≥ 1 (got {slots!r})")
        return ShiftPattern(
            np.repeat(self.starts, slots, axis=0),
            np.repeat(self.ends, slots, axis=0),
            self.period_seconds,
        )

    @property
    def servers(self) -> int:
        """Number of servers (agent slots)."""
        return int(self.starts.shape[0])

    def next_spans(
        self, servers: np.ndarray | Sequence[int], t: np.ndarray | Sequence[float]
    ) -> tuple[np.ndarray, np.ndarray]:
        """For each (server, time ``t``) pair, the server's first on-duty span ending after ``t``.

        Returns absolute ``(start, end)`` arrays; ``start`` may lie before ``t`` (the server is on
        duty at ``t``). A span across the cycle boundary is one span; a server on duty the whole
        cycle has ``(-inf, +inf)``; one with no span left has ``(+inf, +inf)``. Both engines move
        servers with this one function, so they agree to the last bit on shift boundaries.

        The engine asks this for a few servers at a time, tens of thousands of times a run, so
        answers come from a table of each server's spans in absolute time (built from
        :meth:`_spans_after` and extended as the clock runs on).
        """
        k = np.asarray(servers, dtype=np.intp).ravel()
        t = np.asarray(t, dtype=np.float64).ravel()
        if k.size == 0:
            return np.empty(0), np.empty(0)
        horizon = float(t.max())
        if not (math.isfinite(horizon) and float(t.min()) >= 0):
            return self._spans_after(k, t)
        return self._tabled_spans(k, t, horizon)

    def _tabled_spans(
        self, k: np.ndarray, t: np.ndarray, horizon: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`next_spans` for servers ``k`` (intp) at finite times ``0 ≤ t ≤ horizon``, from
        the table: the engine's shift checks call this directly, without the checks."""
        table = self._table
        if table.get("until", -1.0) <= horizon and not table.get("full", False):
            self._extend_table(horizon)
        if table["until"] <= horizon:  # beyond the table (absurdly long services)
            return self._spans_after(k, t)
        j = (table["ends"][k] <= t[:, None]).sum(axis=1)
        return table["starts"][k, j], table["ends"][k, j]

    def _extend_table(self, horizon: float) -> None:
        """Tabulate every server's spans until the first one ending after ``2 × horizon``.

        At most ``_TABLE_SPANS`` spans a server: the table then answers for times before the
        earliest last span's end, and :meth:`_spans_after` for later ones.
        """
        target = max(
            2.0 * horizon, self.period_seconds if math.isfinite(self.period_seconds) else 0
        )
        servers = np.arange(self.servers)
        starts, ends = [], []
        t = np.zeros(self.servers)
        full = True  # unless every server reaches past the target within the cap
        for _ in range(_TABLE_SPANS):
            start, end = self._spans_after(servers, t)
            starts.append(start)
            ends.append(end)
            if not (end <= target).any():
                full = False
                break
            t = np.where(end <= target, end, t)
        table_starts, table_ends = np.stack(starts, axis=1), np.stack(ends, axis=1)
        until = float(table_ends[:, -1].min(initial=np.inf))  # every row has a span ending later
        # A server whose chain ended early repeats its last span: clear the repeats to +inf, so
        # that the first span ending after t is always the first entry of the row above t.
        repeat = np.zeros_like(table_ends, dtype=bool)
        repeat[:, 1:] = table_ends[:, 1:] == table_ends[:, :-1]
        table_starts[repeat], table_ends[repeat] = np.inf, np.inf
        self._table.update(starts=table_starts, ends=table_ends, until=until, full=full)

    def _spans_after(self, k: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`next_spans`, computed from the cycle (the table's source)."""
        period = self.period_seconds
        rows = np.arange(k.size)
        starts, ends, counts = self.starts[k], self.ends[k], self._counts[k]
        if math.isinf(period):
            base = np.zeros_like(t)
        else:
            base = np.floor(t / period) * period
            base -= period * (base > t)  # guard the rounding of t / period, both ways
            base += period * (t - base >= period)
        # the first span whose absolute end, computed as below, is after t
        j = (base[:, None] + ends <= t[:, None]).sum(axis=1)
        wrap = j >= counts
        if not math.isinf(period):
            base = base + period * wrap
        j = np.where(wrap, 0, j)
        start = base + starts[rows, j]
        end = base + ends[rows, j]
        if not math.isinf(period):
            wraps = self._wraps[k]
            last = np.maximum(counts - 1, 0)
            # the cycle's first span continues the previous cycle's last one, and vice versa
            start = np.where(wraps & (j == 0), base - period + starts[rows, last], start)
            end = np.where(wraps & (j == last), base + period + ends[rows, 0], end)
            full = self._full[k]
            start[full], end[full] = -np.inf, np.inf
        else:
            start[wrap], end[wrap] = np.inf, np.inf
        none = counts == 0
        start[none], end[none] = np.inf, np.inf
        return start, end


def _check_count(name: str, value: int) -> None:
    if not (isinstance(value, int | np.integer) and value >= 0):
        raise ValueError(f"{name} must be an integer ≥ 0 (got {value!r})")


def _check_weekdays(weekdays: Sequence[int]) -> list[int]:
    days = sorted({int(d) for d in weekdays})
    if any(not 0 <= d <= 6 for d in days):
        raise ValueError(f"weekdays must be within 0 (Monday) … 6 (Sunday) (got {list(weekdays)})")
    return days


@dataclass
class QueueState:
    """Per-server state carried between calls, so backlog and busy agents carry across days.

    Parameters
    ----------
    free_at : ndarray of float, shape (servers, trials)
        Absolute seconds when the server is next free (``+inf``: never again).
    span_end : ndarray of float, shape (servers, trials)
        Absolute end of the on-duty span the server is in, or has been assigned to.
    """

    free_at: np.ndarray
    span_end: np.ndarray

    def __post_init__(self) -> None:
        self.free_at = np.asarray(self.free_at, dtype=np.float64)
        self.span_end = np.asarray(self.span_end, dtype=np.float64)
        if self.free_at.ndim != 2 or self.free_at.shape != self.span_end.shape:
            raise ValueError(
                "free_at and span_end must be 2-D arrays of one shape (servers, trials) "
                f"(got {self.free_at.shape}, {self.span_end.shape})"
            )
        if np.isnan(self.free_at).any() or (self.free_at < 0).any():
            raise ValueError("free_at must be ≥ 0 and not NaN (times run from t = 0)")

    @classmethod
    def initial(cls, shifts: ShiftPattern, trials: int, t0: float = 0.0) -> QueueState:
        """Every server idle at its first on-duty span at or after ``t0`` (an empty system)."""
        _check_count("trials", trials)
        if not (math.isfinite(t0) and t0 >= 0):
            raise ValueError(f"t0 must be finite and ≥ 0 (got {t0})")
        servers = shifts.servers
        start, end = shifts.next_spans(np.arange(servers), np.full(servers, float(t0)))
        free_at = np.maximum(start, t0) + 0.0  # + 0.0 turns a -0.0 into +0.0
        return cls(
            np.repeat(free_at[:, None], trials, axis=1), np.repeat(end[:, None], trials, axis=1)
        )

    @property
    def servers(self) -> int:
        """Number of servers (rows)."""
        return int(self.free_at.shape[0])

    @property
    def trials(self) -> int:
        """Number of trials (columns)."""
        return int(self.free_at.shape[1])

    def copy(self) -> QueueState:
        """An independent copy (the engines never modify the state they are given)."""
        return QueueState(self.free_at.copy(), self.span_end.copy())


def serve_fcfs(
    arrival_s: np.ndarray,
    handle_s: np.ndarray,
    patience_s: np.ndarray,
    present: np.ndarray,
    shifts: ShiftPattern,
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
    shifts : ShiftPattern
        When each server is on duty.
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
    arrival_s, handle_s, patience_s = (
        np.asarray(x, dtype=np.float64) for x in (arrival_s, handle_s, patience_s)
    )
    present = np.asarray(present, dtype=bool)
    if arrival_s.ndim != 2 or not (arrival_s.shape == handle_s.shape == patience_s.shape):
        raise ValueError(
            "arrival_s, handle_s, patience_s must be 2-D arrays of one shape (n, trials) (got "
            f"{arrival_s.shape}, {handle_s.shape}, {patience_s.shape})"
        )
    present = np.broadcast_to(present, arrival_s.shape)
    n, trials = arrival_s.shape
    servers = shifts.servers
    if state.free_at.shape != (servers, trials):
        raise ValueError(
            f"state must have shape (servers, trials) = {(servers, trials)} "
            f"(got {state.free_at.shape})"
        )
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
    for c0 in range(0, trials, int(chunk)):
        cols = slice(c0, min(trials, c0 + int(chunk)))
        _serve_chunk(
            arrival_s, handle_s, patience_s, present, out, shifts, new, cols, moves, active
        )
    return out, new


def _serve_chunk(
    arrival_s: np.ndarray,
    handle_s: np.ndarray,
    patience_s: np.ndarray,
    present: np.ndarray,
    out: np.ndarray,
    shifts: ShiftPattern,
    state: QueueState,
    cols: slice,
    moves: Sequence[tuple[int, float]] = (),
    active: Sequence[tuple[int, int, int]] | None = None,
) -> None:
    """Run the recursion over every row for the trials ``cols``; update ``state`` in place."""
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
    rows = arrivals.shape[0]
    if active is None:
        widths = np.full(rows, width, dtype=np.int64)
    else:
        widths = np.zeros(rows, dtype=np.int64)
        for first, end, n in active:
            widths[first:end] = max(0, min(width, n - cols.start))
        starts.fill(np.nan)
    # Rows where every trial in reach has a contact skip the two masking steps.
    on = presents.sum(axis=1)
    full_rows: list[bool] = (on == widths).tolist()
    bulk: dict[int, float] = {}
    for row, time in moves:
        bulk[int(row)] = max(float(time), bulk.get(int(row), -math.inf))
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
        if check and i in bulk and _advance(free, span_end, bulk[i], shifts, mask):
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
                blocked = _settle(free, span_end, m_, k_, start, a, flag_, shifts, mask, e_trial)
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


def _move(
    free_flat: np.ndarray,
    end_flat: np.ndarray,
    server: np.ndarray,
    at: np.ndarray,
    t: np.ndarray,
    shifts: ShiftPattern,
    mask: np.int64,
) -> np.ndarray:
    """Send servers (flat positions ``at``) to their first span ending after ``t`` (finite times
    ≥ 0); return the ends of their new spans."""
    if at.size == 0:
        return np.empty(0)
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


def _advance(
    free: np.ndarray, span_end: np.ndarray, t: float, shifts: ShiftPattern, mask: np.int64
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
    _move(free.reshape(-1), span_end.reshape(-1), server, at, np.full(at.size, t), shifts, mask)
    return True


def _settle(
    free: np.ndarray,
    span_end: np.ndarray,
    m: np.ndarray,
    k: np.ndarray,
    start: np.ndarray,
    a: np.ndarray,
    flagged: np.ndarray,
    shifts: ShiftPattern,
    mask: np.int64,
    earliest_end: np.ndarray,
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
        ends[ended] = _move(free_flat, end_flat, server, at, t[which], shifts, mask)
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
