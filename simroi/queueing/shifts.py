"""Shifts and queue state shared by both queue engines.

A :class:`ShiftPattern` says when each agent slot ("server") is on duty: periodic spans laid out
as a table, so the next on-duty span of many servers at many times is one lookup.
:class:`QueueState` is when each server of each trial is next free, carried from one call of an
engine to the next so busy agents and backlogs carry across days. The vectorized engine
(:mod:`simroi.queueing.engine`) and the simpy reference (:mod:`simroi.queueing.reference`) both
read these; neither imports the other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "SECONDS_PER_DAY",
    "SECONDS_PER_WEEK",
    "QueueState",
    "ShiftPattern",
    "bulk_times",
    "checked_batch",
    "row_widths",
]

SECONDS_PER_DAY = 86_400.0


SECONDS_PER_WEEK = 7 * SECONDS_PER_DAY


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


def checked_batch(
    arrival_s: np.ndarray,
    handle_s: np.ndarray,
    patience_s: np.ndarray,
    present: np.ndarray,
    servers: int,
    state: QueueState,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """An engine's inputs as float64 arrays of one shape (n, trials) and ``present`` broadcast
    to it, after the checks every engine makes (see ``serve_fcfs``); ValueError otherwise."""
    arrival_s, handle_s, patience_s = (
        np.asarray(x, dtype=np.float64) for x in (arrival_s, handle_s, patience_s)
    )
    if arrival_s.ndim != 2 or not (arrival_s.shape == handle_s.shape == patience_s.shape):
        raise ValueError(
            "arrival_s, handle_s, patience_s must be 2-D arrays of one shape (n, trials) (got "
            f"{arrival_s.shape}, {handle_s.shape}, {patience_s.shape})"
        )
    present = np.asarray(present, dtype=bool)
    if present.shape != arrival_s.shape:  # a view of the caller's marks when it has the shape
        present = np.broadcast_to(present, arrival_s.shape)
    if state.free_at.shape != (servers, arrival_s.shape[1]):
        raise ValueError(
            f"state must have shape (servers, trials) = {(servers, arrival_s.shape[1])} "
            f"(got {state.free_at.shape})"
        )
    return arrival_s, handle_s, patience_s, present


def row_widths(active: Sequence[tuple[int, int, int]] | None, rows: int, trials: int) -> np.ndarray:
    """The engines' reading of ``active`` (see ``serve_fcfs``): per row, how many leading trials
    may hold its contacts, shape (rows,); every trial when ``active`` is None."""
    if active is None:
        return np.full(rows, trials, dtype=np.int64)
    widths = np.zeros(rows, dtype=np.int64)
    for first, end, count in active:
        widths[first:end] = max(0, min(trials, count))
    return widths


def bulk_times(moves: Sequence[tuple[int, float]], rows: int) -> np.ndarray:
    """The engines' reading of ``moves`` (see ``serve_fcfs``): per row, the latest time by which
    every finished span moves on before the row, shape (rows,); −inf where there is no move."""
    bulk = np.full(rows, -math.inf)
    for row, time in moves:
        if 0 <= int(row) < rows:
            bulk[int(row)] = max(float(time), bulk[int(row)])
    return bulk
