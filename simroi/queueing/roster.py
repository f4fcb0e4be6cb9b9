"""Staffing that differs by trial: a weekly roster of agents per interval, one row per trial.

A :class:`~simroi.queueing.shifts.ShiftPattern` is shared by every trial. When agents are sized
to each trial's forecast (a staffing rule), trial *t* has ``agents[t, j]`` agents on queue in
interval *j* of the week, and a :class:`TrialShiftPattern` says when each agent slot is on duty
*in each trial*: slot *k* (agent ``k // slots_per_agent``) is on duty in the intervals where its
agent is below the count, merged into spans exactly as
:meth:`ShiftPattern.from_staffing <simroi.queueing.shifts.ShiftPattern.from_staffing>` merges
them (the tests hold the two to the same spans, trial by trial). A slot not staffed in a trial
is, for that trial, off duty: busy until its next staffed start. Both engines ask
:meth:`TrialShiftPattern.trial_spans`; the simpy reference takes one trial's pattern from
:meth:`TrialShiftPattern.for_trial`.

The answers come from a table built once per roster: for every agent level, trial and interval
of the week, the first span ending after the interval begins (from the intervals of three
consecutive weeks laid end to end, so spans that cross the week's end come out whole).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simroi.queueing.shifts import SECONDS_PER_WEEK, QueueState, ShiftPattern

__all__ = ["TrialShiftPattern", "reseat", "rise_and_fall", "side_by_side"]


@dataclass(frozen=True, eq=False)
class TrialShiftPattern:
    """Agents per weekly interval, per trial.

    Parameters
    ----------
    interval_starts, interval_ends : ndarray of float, shape (intervals,)
        Seconds from Monday 00:00 of each staffing interval; sorted, disjoint, within
        ``[0, 604800]``. Touching intervals make one span where a slot works both.
    agents : ndarray of int, shape (trials, intervals)
        Agents on queue in each interval, per trial (≥ 0).
    slots_per_agent : int
        Servers per agent (concurrency); slot *k* belongs to agent ``k // slots_per_agent``.
    """

    interval_starts: np.ndarray
    interval_ends: np.ndarray
    agents: np.ndarray
    slots_per_agent: int = 1
    _table: dict[str, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        starts = np.asarray(self.interval_starts, dtype=np.float64).ravel()
        ends = np.asarray(self.interval_ends, dtype=np.float64).ravel()
        agents = np.asarray(self.agents, dtype=np.int64)
        if agents.ndim != 2 or agents.shape[1] != starts.size or ends.shape != starts.shape:
            raise ValueError(
                "agents must be (trials, intervals) with one start and end per interval "
                f"(got {agents.shape}, {starts.size}, {ends.size})"
            )
        if starts.size and (
            starts[0] < 0
            or ends[-1] > SECONDS_PER_WEEK
            or (ends <= starts).any()
            or (starts[1:] < ends[:-1]).any()
        ):
            raise ValueError("intervals must be sorted, disjoint and within one week")
        if (agents < 0).any():
            raise ValueError(f"agents must be ≥ 0 (got min {int(agents.min())})")
        if not (isinstance(self.slots_per_agent, int | np.integer) and self.slots_per_agent >= 1):
            raise ValueError(f"slots_per_agent must be an integer ≥ 1 (got {self.slots_per_agent})")
        object.__setattr__(self, "interval_starts", starts)
        object.__setattr__(self, "interval_ends", ends)
        object.__setattr__(self, "agents", agents)
        object.__setattr__(self, "_table", {})

    @property
    def servers(self) -> int:
        """Slots: the most agents any trial has in any interval, times the slots per agent."""
        return int(self.agents.max(initial=0)) * int(self.slots_per_agent)

    @property
    def trials(self) -> int:
        """Number of trials (rows of ``agents``)."""
        return int(self.agents.shape[0])

    @property
    def whole_seconds(self) -> bool:
        """Every interval bound is a whole number of seconds (as staffing rules make them).

        Then every span time :meth:`trial_spans` gives is a whole number below 2**53, summed
        exactly: the same span comes out as the same float whichever time it is asked from
        (the engine relies on that to look a slot's next span up ahead of time).
        """
        bounds = np.concatenate([self.interval_starts, self.interval_ends])
        return bool((np.floor(bounds) == bounds).all() and (np.abs(bounds) < 2.0**50).all())

    def trial_spans(
        self, servers: np.ndarray, trials: np.ndarray, t: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """For each (server, trial, time ``t`` ≥ 0), the first on-duty span ending after ``t``.

        The same answer as ``ShiftPattern.next_spans`` of that trial's pattern: absolute
        ``(start, end)``; ``(-inf, inf)`` for a slot on duty all week, ``(inf, inf)`` for one
        never on duty.
        """
        k = np.asarray(servers, dtype=np.intp).ravel()
        trial = np.asarray(trials, dtype=np.intp).ravel()
        t = np.asarray(t, dtype=np.float64).ravel()
        return self._spans(k, trial, t)

    def _spans(
        self, k: np.ndarray, trial: np.ndarray, t: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`trial_spans` for intp ``k``, ``trial`` and float ``t`` (the engine's call)."""
        period = SECONDS_PER_WEEK
        base = np.floor(t / period)
        base *= period
        # t / period may round up to the next whole week, never down below the true one
        base -= period * (base > t)
        j = np.searchsorted(self.interval_ends, t - base, side="right")
        table = self.span_table()
        level = k // self.slots_per_agent if self.slots_per_agent > 1 else k
        at = level * self.trials
        at += trial
        at *= table["width"]
        if "per_day" in table:  # that day's span if it ends at or after interval j, else the next
            day = j // table["per_day"]
            at += day
            j -= day * table["per_day"]
            # one gather of (start, end, last interval, next start, next end) per query
            row = table["rows"].take(at, axis=0)
            today = row[:, 2] >= j
            start = np.where(today, row[:, 0], row[:, 3])
            start += base
            end = np.where(today, row[:, 1], row[:, 4])
            end += base
            return start, end
        at += j
        return base + table["start"].take(at), base + table["end"].take(at)

    def span_table(self, make_grid: DayGrid | None = None) -> dict[str, Any]:
        """The table :meth:`trial_spans` reads (built on first use: a roster only read for its
        hours needs none). Per (agent level, trial, day) rows of five numbers when every level
        works at most one span a day (``per_day``, ``rows``), else per (level, trial, interval)
        ``start`` and ``end``; ``width`` columns per (level, trial).

        ``make_grid`` makes the per-day rows in place of :func:`day_grid` when the table is built
        by this call (the compiled engine passes its kernel, which gives the same numbers).
        """
        table = self._table
        if not table:
            table.update(self._build(make_grid or day_grid))
        return table

    def _build(self, make: DayGrid) -> dict[str, Any]:
        starts, ends, agents = self.interval_starts, self.interval_ends, self.agents
        return _day_table(starts, ends, agents, make) or _span_table(starts, ends, agents)

    def for_trial(self, trial: int) -> ShiftPattern:
        """Trial ``trial``'s own pattern, as a shared :class:`ShiftPattern` (simpy engine)."""
        pattern = ShiftPattern.from_staffing(
            self.interval_starts, self.interval_ends, self.agents[trial], weekdays=[0]
        )
        servers = self.servers // int(self.slots_per_agent)
        pad = servers - pattern.servers
        if pad:
            pattern = ShiftPattern(
                np.vstack([pattern.starts, np.full((pad, pattern.starts.shape[1]), np.inf)]),
                np.vstack([pattern.ends, np.full((pad, pattern.ends.shape[1]), np.inf)]),
                pattern.period_seconds,
            )
        slots = int(self.slots_per_agent)
        return pattern.replicate(slots) if slots > 1 else pattern

    def initial_state(self, t0: float = 0.0) -> QueueState:
        """Every slot of every trial idle at its first on-duty span at or after ``t0``."""
        servers, trials = self.servers, self.trials
        k = np.repeat(np.arange(servers), trials)
        trial = np.tile(np.arange(trials), servers)
        start, end = self.trial_spans(k, trial, np.full(k.size, float(t0)))
        free_at = np.maximum(start, t0) + 0.0
        return QueueState(free_at.reshape(servers, trials), end.reshape(servers, trials))


def _span_table(
    starts: np.ndarray, ends: np.ndarray, agents: np.ndarray, *, shortcut: bool = True
) -> dict[str, Any]:
    """Per (agent level, trial, j): the first span ending after the end of interval j − 1 of the
    week (j = 0 … intervals; seconds from the week's start, flattened level-major), as
    ``start`` and ``end`` tables; ``±inf`` as :meth:`TrialShiftPattern.trial_spans` says.

    Level *a* of trial *t* is on duty in the intervals where ``agents[t] > a``. The intervals of
    three weeks are laid end to end (the middle one is the week asked about), so a span that
    crosses the week's end comes out whole: at interval e, the span's last interval is the first
    run end at or after e, and its first interval is the run start before e (e on duty) or the
    next interval on duty (e off duty).
    """
    trials, n = agents.shape
    levels = int(agents.max(initial=0))
    three_starts = np.concatenate([starts - SECONDS_PER_WEEK, starts, starts + SECONDS_PER_WEEK])
    three_ends = np.concatenate([ends - SECONDS_PER_WEEK, ends, ends + SECONDS_PER_WEEK])
    shape = (levels, trials, n + 1)
    if levels == 0 or n == 0:
        return {"start": np.full(shape, np.inf).ravel(), "end": np.full(shape, np.inf).ravel(),
                "width": n + 1}  # fmt: skip
    # link[e]: interval e continues interval e − 1 without a gap.
    link = np.zeros(3 * n, dtype=bool)
    link[1:] = three_starts[1:] == three_ends[:-1]
    seamless = bool(link[1 : n + 1].all()) and starts[0] == 0 and ends[-1] == SECONDS_PER_WEEK
    level = np.arange(levels, dtype=np.int64)[:, None]
    if shortcut and (agents == agents[:, :1]).all():
        # The same agents all week in every trial (a deferrable rule): level a works every
        # interval where agents > a, i.e. the opening hours, or never.
        lone = _span_table(starts, ends, np.ones((1, n), dtype=np.int64), shortcut=False)
        works = (agents[None, :, 0] > level)[:, :, None]
        return {
            "start": np.where(works, lone["start"].reshape(1, 1, n + 1), np.inf).ravel(),
            "end": np.where(works, lone["end"].reshape(1, 1, n + 1), np.inf).ravel(),
            "width": n + 1,
        }
    if not (starts[0] == 0 and ends[-1] == SECONDS_PER_WEEK):
        # No span crosses the week's end: one week of intervals will do.
        return _week_table(starts, ends, agents, link[:n])
    on = np.tile(agents, 3)[None, :, :] > level[:, :, None]  # (levels, trials, 3n)
    small = 3 * n < 2**15 - 1
    e = np.arange(3 * n, dtype=np.int16 if small else np.int32)
    big = int(np.iinfo(np.int16).max if small else np.iinfo(np.int32).max)
    carries = on[:, :, :-1] & link[None, None, 1:]  # [e]: e on duty, e + 1 follows with no gap
    continued = on[:, :, 1:] & link[None, None, 1:]  # [e]: e + 1 on duty, follows e with no gap
    # Run starts up to the middle week's end; run ends and next on-duty intervals from it on.
    head = on[:, :, : 2 * n + 1].copy()
    head[:, :, 1:] &= ~carries[:, :, : 2 * n]
    run_first = np.maximum.accumulate(np.where(head, e[: 2 * n + 1], -1), axis=2)[:, :, n:]
    tail = on[:, :, n:].copy()
    tail[:, :, :-1] &= ~continued[:, :, n:]
    run_last = np.minimum.accumulate(np.where(tail, e[n:], big)[:, :, ::-1], axis=2)[:, :, ::-1]
    nxt = np.minimum.accumulate(np.where(on[:, :, n:], e[n:], big)[:, :, ::-1], axis=2)[:, :, ::-1]
    first = np.where(on[:, :, n : 2 * n + 1], run_first, nxt[:, :, : n + 1])
    last = run_last[:, :, : n + 1]
    never = last == big
    start = np.where(never, np.inf, three_starts[np.where(never, 0, first)])
    end = np.where(never, np.inf, three_ends[np.where(never, 0, last)])
    if seamless:
        full = np.asarray(on[:, :, :n].all(axis=2))[:, :, None]
        start = np.where(full, -np.inf, start)
        end = np.where(full, np.inf, end)
    return {"start": start.ravel(), "end": end.ravel(), "width": n + 1}


def _day_table(
    starts: np.ndarray, ends: np.ndarray, agents: np.ndarray, make: DayGrid
) -> dict[str, Any] | None:
    """The span table when every agent level works at most one span a day, or None.

    That is the case when each open day has the same number of intervals, back to back, no span
    crosses midnight, and each trial's agents rise and then fall within each day (a roster of
    daily shifts, as :mod:`simroi.model.staffing` builds): then level *a* of trial *t* works, on
    day *i*, from the first to the last interval where ``agents > a``. The table holds, per
    (level, trial, open day) and one more column for "after the week's last day", that day's
    span, its last interval within the day, and the next span after it — a few numbers per
    level instead of one per interval: ``make`` (:func:`day_grid`) makes them.
    """
    trials, n = agents.shape
    days = np.unique(starts // 86_400.0)
    if n == 0 or n % days.size:
        return None
    m = n // days.size
    shape = (days.size, m)
    by_day_start, by_day_end = starts.reshape(shape), ends.reshape(shape)
    if not (
        (by_day_start[:, 1:] == by_day_end[:, :-1]).all()
        and (np.floor(by_day_start / 86_400.0) == days[:, None]).all()
        and (by_day_end <= (days[:, None] + 1) * 86_400.0).all()
        and not (ends[-1] == SECONDS_PER_WEEK and starts[0] == 0)
        and all(starts[i * m] != ends[i * m - 1] for i in range(1, days.size))  # no day runs on
    ):
        return None
    per_day = agents.reshape(trials, days.size, m)
    rises, falls = rise_and_fall(per_day)
    if not (np.minimum(rises, falls) == per_day).all():
        return None  # some level works twice a day
    levels = int(agents.max(initial=0))
    grid = make(starts.reshape(shape), ends.reshape(shape), rises, falls, levels)
    return _with_rows({"per_day": m, "width": days.size + 1, "grid": grid})


#: Makes the rows of a per-day span table: ``(starts, ends, rises, falls, levels) → grid``
#: (see :func:`day_grid`).
DayGrid = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int], np.ndarray]


def day_grid(
    starts: np.ndarray, ends: np.ndarray, rises: np.ndarray, falls: np.ndarray, levels: int
) -> np.ndarray:
    """The rows of :func:`_day_table`: per (level, trial, day + 1) the day's span start and end,
    its last interval (−1: none) and the next span's start and end; (levels, trials, days + 1,
    5), the last column of days being "after the week's last day".

    ``starts`` and ``ends`` are the intervals by open day (days, m), seconds from Monday 00:00;
    ``rises`` and ``falls`` each trial's agents by day (trials, days, m) as
    :func:`rise_and_fall` gives them, their minimum the agents; ``levels`` the most agents.
    """
    trials, days, m = rises.shape
    starts, ends = starts.ravel(), ends.ravel()
    rows = trials * days
    # Level a works from the first interval where the rising part passes a to the last where
    # the falling part still does: count, per trial and day, the intervals at or below each
    # level (a histogram of the values, summed up the levels).
    below_first = _at_or_below(rises.reshape(rows, m), levels)  # (rows, levels)
    below_last = _at_or_below(falls.reshape(rows, m), levels)
    works = (below_first < m).T.reshape(levels, trials, days)
    first = np.minimum(below_first, m - 1).T.reshape(levels, trials, days)
    last = (m - 1 - below_last).T.reshape(levels, trials, days)
    day_index = np.arange(days) * m
    # The table: per (level, trial, day), the day's span (start, end), its last interval and
    # the next span (start, end) after it, side by side so one gather reads a row; the last
    # column of days is "after the week's last day" (no span of its own).
    grid = np.empty((levels, trials, days + 1, len(_ROW)))
    grid[:, :, -1, :3] = _NO_SPAN[:3]
    start = np.where(works, starts[day_index + first], np.inf)
    grid[:, :, :-1, 0] = start
    end = np.where(works, ends[day_index + np.maximum(last, 0)], np.inf)
    grid[:, :, :-1, 1] = end
    grid[:, :, :-1, 2] = np.where(works, last, -1)
    # The next span after each day (and, last column, after the week's last day): the first
    # working day after it this week, else the week's first working day a week later.
    carry_start = np.full((levels, trials), np.inf)
    carry_end = np.full((levels, trials), np.inf)
    for lap in (SECONDS_PER_WEEK, 0.0):
        for i in range(days - 1, -1, -1):
            if lap == 0.0:
                grid[:, :, i, 3], grid[:, :, i, 4] = carry_start, carry_end
            carry_start = np.where(works[:, :, i], start[:, :, i] + lap, carry_start)
            carry_end = np.where(works[:, :, i], end[:, :, i] + lap, carry_end)
        if lap:
            grid[:, :, -1, 3], grid[:, :, -1, 4] = carry_start, carry_end
    return grid


#: The numbers of a row of the per-day table, and those of a level that never works.
_ROW = ("start", "end", "last", "next_start", "next_end")
_NO_SPAN = np.array([np.inf, np.inf, -1.0, np.inf, np.inf])


def rise_and_fall(per_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The running maximum of each day's agents (trials, days, intervals) from its first
    interval and from its last: their minimum is the day's envelope of single shifts."""
    rises = np.maximum.accumulate(per_day, axis=2)
    falls = np.maximum.accumulate(per_day[:, :, ::-1], axis=2)[:, :, ::-1]
    return rises, falls


def _with_rows(table: dict[str, Any]) -> dict[str, Any]:
    """Add ``rows``: the ``grid`` (levels, trials, days + 1, 5) flattened to one row per
    (level, trial, day), for one gather per lookup (a view, no copy)."""
    table["rows"] = table["grid"].reshape(-1, len(_ROW))
    return table


def _at_or_below(values: np.ndarray, levels: int) -> np.ndarray:
    """Per row of ``values`` (rows, m) and level a = 0 … levels − 1: how many values are ≤ a."""
    rows = values.shape[0]
    counts = np.bincount(
        (np.arange(rows)[:, None] * (levels + 1) + np.minimum(values, levels)).ravel(),
        minlength=rows * (levels + 1),
    ).reshape(rows, levels + 1)
    return np.cumsum(counts[:, :levels], axis=1)


def _week_table(
    starts: np.ndarray, ends: np.ndarray, agents: np.ndarray, link: np.ndarray
) -> dict[str, Any]:
    """:func:`_span_table` when no span crosses the end of the week (the common case: a desk
    closed at some point of Sunday night), from one week of intervals: a span found in the next
    week is the week's first span, a week later."""
    trials, n = agents.shape
    levels = int(agents.max(initial=0))
    on = agents[None, :, :] > np.arange(levels)[:, None, None]  # (levels, trials, n)
    small = n < 2**15 - 1
    e = np.arange(n, dtype=np.int16 if small else np.int32)
    big = int(np.iinfo(np.int16).max if small else np.iinfo(np.int32).max)
    # heads of runs: on duty, and not continuing the interval before; tails: not continued
    head = on.copy()
    head[:, :, 1:] &= ~(on[:, :, :-1] & link[None, None, 1:])
    tail = on.copy()
    tail[:, :, :-1] &= ~(on[:, :, 1:] & link[None, None, 1:])
    run_first = np.maximum.accumulate(np.where(head, e, -1), axis=2)
    run_last = np.minimum.accumulate(np.where(tail, e, big)[:, :, ::-1], axis=2)[:, :, ::-1]
    nxt = np.minimum.accumulate(np.where(on, e, big)[:, :, ::-1], axis=2)[:, :, ::-1]
    first = np.where(on, run_first, nxt).astype(np.int32)
    last = run_last.astype(np.int32)
    # Past the week's last span: the next week's first one.
    later = last == big
    first = np.concatenate([first, first[:, :, :1]], axis=2)
    last = np.concatenate([last, last[:, :, :1]], axis=2)
    later = np.concatenate([later, np.ones((levels, trials, 1), dtype=bool)], axis=2)
    first = np.where(later, first[:, :, :1] + n, first)
    last = np.where(later, last[:, :, :1] + n, last)
    never = last >= big
    two_starts = np.concatenate([starts, starts + SECONDS_PER_WEEK])
    two_ends = np.concatenate([ends, ends + SECONDS_PER_WEEK])
    start = np.where(never, np.inf, two_starts[np.where(never, 0, first)])
    end = np.where(never, np.inf, two_ends[np.where(never, 0, last)])
    return {"start": start.ravel(), "end": end.ravel(), "width": n + 1}


def reseat(
    state: QueueState,
    old: ShiftPattern | TrialShiftPattern,
    new: TrialShiftPattern,
    t0: float,
) -> QueueState:
    """The queue at ``t0`` under a new roster: each slot finishes its contact, then follows ``new``.

    A slot's ``free_at`` is either when it finishes a contact or, when it was off duty under the
    old roster, the start of its next old span; the latter is dropped (the slot is off duty until
    its next span of ``new``). Rows are added or dropped to ``new.servers``: a new slot starts
    idle, a dropped one is idle (the roster that needed it is over) or finishes off the books —
    its contact was already served in the batch that started it.
    """
    servers, trials = new.servers, state.trials
    free = np.empty((servers, trials))
    keep = min(servers, state.servers)
    free[:keep] = state.free_at[:keep]
    free[keep:] = t0
    known = min(keep, old.servers)  # rows past the old pattern's slots were never on duty
    k = np.repeat(np.arange(known), trials)
    trial = np.tile(np.arange(trials), known)
    old_free = free[:known].ravel()
    if isinstance(old, TrialShiftPattern):
        old_start, _ = old.trial_spans(k, trial, np.full(k.size, t0))
    else:
        old_start, _ = old.next_spans(k, np.full(k.size, t0))
    # The engine keeps a slot's index in the last bits of its free-at time: compare loosely.
    waiting = (old_free > t0) & np.isclose(old_free, np.maximum(old_start, t0), rtol=1e-12, atol=0)
    free[:known] = np.where(waiting, t0, old_free).reshape(known, trials)
    free[np.isinf(free)] = t0
    busy_until = np.maximum(free, t0)
    k_all = np.repeat(np.arange(servers), trials)
    trial_all = np.tile(np.arange(trials), servers)
    start, end = new.trial_spans(k_all, trial_all, busy_until.ravel())
    free = np.maximum(free.ravel(), start) + 0.0
    free = np.where(free == -np.inf, t0, free)
    return QueueState(free.reshape(servers, trials), end.reshape(servers, trials))


def _interleaved_tables(rosters: Sequence[TrialShiftPattern]) -> dict[str, Any]:
    """The per-day span table of interleaved rosters, from theirs (no rebuild); empty (build it
    when needed) unless every roster has one.

    Each roster's rows are copied once into the interleaved grid; levels beyond a roster's own
    are levels that never work in its trials, as a build from the interleaved agents gives.
    """
    tables = [roster.span_table() for roster in rosters]
    if not all("grid" in t for t in tables):
        return {}
    levels = max(t["grid"].shape[0] for t in tables)
    trials, width = tables[0]["grid"].shape[1:3]
    grid = np.empty((levels, trials, len(tables), width, len(_ROW)))
    for j, t in enumerate(tables):
        own = t["grid"].shape[0]
        grid[:own, :, j] = t["grid"]
        grid[own:, :, j] = _NO_SPAN
    grid = grid.reshape(levels, trials * len(tables), width, len(_ROW))
    return _with_rows({"per_day": tables[0]["per_day"], "width": width, "grid": grid})


def side_by_side(
    patterns: Sequence[ShiftPattern | TrialShiftPattern], states: Sequence[QueueState]
) -> tuple[ShiftPattern | TrialShiftPattern, QueueState]:
    """Worlds that queue alike, in one engine call: trial *t* of world *w* in column
    ``t × worlds + w``.

    Shared patterns must be the same pattern (the first is used) and the states are interleaved.
    Rosters must have the same intervals: their agents are interleaved the same way, and states
    with fewer slots than the most any world has get slots that are never on duty.
    """
    worlds = len(states)
    lead = patterns[0]
    combined: ShiftPattern | TrialShiftPattern
    if isinstance(lead, TrialShiftPattern):
        rosters = [p for p in patterns if isinstance(p, TrialShiftPattern)]
        agents = np.stack([r.agents for r in rosters], axis=1).reshape(-1, lead.agents.shape[1])
        combined = TrialShiftPattern(
            lead.interval_starts, lead.interval_ends, agents, lead.slots_per_agent
        )
        combined._table.update(_interleaved_tables(rosters))
        rows = combined.servers
        padded = [
            np.pad(x, ((0, rows - x.shape[0]), (0, 0)), constant_values=np.inf)
            for state in states
            for x in (state.free_at[:rows], state.span_end[:rows])
        ]
        free_at, span_end = padded[0::2], padded[1::2]
    else:
        combined = lead
        free_at = [state.free_at for state in states]
        span_end = [state.span_end for state in states]
    trials = states[0].trials
    return combined, QueueState(
        np.stack(free_at, axis=2).reshape(-1, worlds * trials),
        np.stack(span_end, axis=2).reshape(-1, worlds * trials),
    )
