"""From served contacts to a month's outcome tables: answered, abandoned, ignored, waits and
classes.

Each contact ends in an experience class (resolved fast or slow, unresolved, abandoned, ignored);
the tables here count them per trial, with the waits and response times the KPIs report, in the
month each happens: :mod:`simroi.model.books` defines every count and what a month carries into
the next (contacts still waiting, services on days to come).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simroi.model.books import (
    ANSWERED,
    BOOK_FIELDS,
    FAST,
    MONTH_TALLIES,
    PUBLIC,
    RESOLVED,
    Books,
    tally,
)
from simroi.model.calendar import DAY
from simroi.model.draws import sort_groups
from simroi.model.response import BandTally
from simroi.queueing.engines import normalize_engine
from simroi.scenario.spec import (
    ChannelSpec,
)

__all__ = ["MONTH_FIELDS", "ChannelMonth", "month_outcomes"]


def _p90(
    response: np.ndarray, answered: np.ndarray, groups: list[tuple[int, int, int]]
) -> np.ndarray:
    """The 90th percentile of each column's answered response times (NaN if none answered).

    ``response`` (n, columns) is NaN where no contact was answered, ``answered`` counts the
    answered per column; NaN sorts last, so each sorted column starts with its answered
    responses. Columns ``a:b`` of a group ``(a, b, rows)`` have nothing below row ``rows``, so
    only that block is sorted. In float32: half the work, and ample for a KPI (about 0.01 s at a
    day's wait).
    """
    out = np.full(response.shape[1], np.nan)
    for a, b, rows in groups:
        m = answered[a:b].astype(np.int64)
        if rows == 0:
            continue
        ordered = np.sort(response[:rows, a:b].T, axis=1)
        position = 0.9 * np.maximum(m - 1, 0)
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, np.maximum(m - 1, 0))
        lanes = np.arange(b - a)
        lo = ordered[lanes, low].astype(np.float64)
        hi = ordered[lanes, high].astype(np.float64)
        with np.errstate(invalid="ignore"):
            value = lo + (position - low) * (hi - lo)
        out[a:b] = np.where(m > 0, np.where(high == low, lo, value), np.nan)
    return out


def month_outcomes(
    spec: ChannelSpec,
    day_pieces: list[list[tuple[int, int, int, int]]],
    day_weight: np.ndarray,
    arrival: np.ndarray,
    start: np.ndarray,
    handle: np.ndarray,
    present: np.ndarray,
    resolved_mark: np.ndarray,
    public_mark: np.ndarray,
    month_end: float,
    *,
    days: np.ndarray,
    patience_s: np.ndarray,
    on_duty_s: np.ndarray,
    calendar_weight: np.ndarray,
    books: Books | None = None,
    horizon_end_s: float = math.inf,
    engine: str = "compiled",
) -> ChannelMonth:
    """Month totals per column, kept as :mod:`simroi.model.books` says.

    ``day_pieces`` lists, for each sampled day, the rectangles ``(lo, hi, offset, n)`` — rows
    ``lo:hi`` of columns ``offset:offset + n`` — that hold its contacts (outside them there are
    none), and ``day_weight`` (days, columns) the month days each day stands for. ``start`` is
    NaN for contacts not answered (and for padding), so every count is a sum of cheap boolean
    arrays along the contact axis, scaled by the day's weight; contacts still waiting at
    ``month_end`` (the end of the last sampled day) are then taken out of the sums one by one
    and carried in the books.

    ``days`` (days,) are the sampled days' absolute numbers; ``patience_s`` (columns,) the
    deferrable channel's deadline per column (``ignore_after_hours``; +inf: none);
    ``on_duty_s`` (days, 1 or columns) the slot-seconds on duty in each sampled day and
    ``calendar_weight`` (days,) the calendar days each stands for (its stratum's days over its
    sampled days, whatever its weekday's volume: agent time does not follow volume); ``books``
    what earlier months carried into this one (None: nothing); ``horizon_end_s`` the end of
    the last sampled day of the horizon. The returned month's ``books`` is what it carries on.
    ``engine`` ``"compiled"`` counts in one compiled pass and books the fates in another
    (:mod:`simroi.model.compiled_tallies`, :mod:`simroi.model.compiled_fates`), any other in
    numpy: the same bits.
    """
    width = start.shape[1]
    realtime = spec.kind == "realtime"
    books = books if books is not None else Books.empty(width)
    backlog_start = books.backlog
    first_day = int(days[0])
    marks = (arrival, start, handle, present, resolved_mark, public_mark)
    deadline = np.isfinite(patience_s)
    fate = _Fates(realtime, spec.sla_threshold_seconds, month_end, patience_s, marks)
    if normalize_engine(engine) == "compiled":
        tallied = _tally_compiled(spec, day_pieces, day_weight, days, marks, fate)
    else:
        tallied = _tally_numpy(spec, day_pieces, day_weight, days, marks, fate)
    total, day_busy, p90, bands = tallied
    late_parts, service_parts = fate.late_parts, fate.service_parts
    t = total
    end_day = int(days[-1]) + 1  # month_end / DAY
    owed, services, books = books.settle(end_day)
    stranded = np.zeros(width)
    waiting: tuple[np.ndarray, ...] = _NOTHING_WAITING
    if realtime:
        # Answered or abandoned within minutes: counted in the arrival month, no backlog.
        t["unanswered"] = t["offered"] - t["answered"]
        t["public_unanswered"] = t["public_offered"] - t["public_answered"]
    else:
        # Unanswered contacts are ignored at their deadline, or never cleared without one.
        unanswered = t["offered"] - t["answered"]
        stranded = np.where(deadline, 0.0, unanswered)
        t["unanswered"] = np.where(deadline, unanswered, 0.0)
        t["public_unanswered"] = np.where(deadline, t["public_offered"] - t["public_answered"], 0.0)
        # Contacts still waiting at month end keep min(1, w) in the books (module docstring),
        # and what earlier months carried counts now if its fate falls in this month.
        if late_parts:
            waiting = tuple(np.concatenate(x) for x in zip(*late_parts, strict=True))
        column, _, flags, unit, wait_unit = waiting
        carried = tally(column, flags, unit, wait_unit, width)
        for k in BOOK_FIELDS:
            t[k] = t[k] - carried[k] + owed[k]
    # Busy time: services carried in, and those of the month past their arrival day, land on
    # the day they start; what starts after the month is carried.
    if service_parts:
        mine = [np.concatenate(x) for x in zip(*service_parts, strict=True)]
        mine[1] = np.floor(mine[1] / DAY).astype(np.int64)
        s_column, s_day, s_time = (
            np.concatenate([a, b]) for a, b in zip(services, mine, strict=True)
        )
    else:
        s_column, s_day, s_time = services
    inside = s_day < end_day
    if inside.any():
        d, c = s_day[inside] - first_day, s_column[inside]
        booked = np.bincount(d * width + c, weights=s_time[inside], minlength=day_busy.size)
        day_busy += booked.reshape(day_busy.shape)
    beyond = ~inside
    column, day, flags, unit, wait_unit = waiting
    books_out = books.carry(
        (column, day, flags, unit, wait_unit),
        stranded,
        (s_column[beyond], s_day[beyond], s_time[beyond]),
        horizon_end_s / DAY,
    )
    # Each day's busy time at most its slot time on duty: occupancy ≤ 1 by construction.
    on_duty = np.broadcast_to(on_duty_s, day_busy.shape)
    capacity = calendar_weight[:, None] * on_duty
    classes, public_classes = (_class_table(t, prefix, realtime) for prefix in ("", "public_"))
    return ChannelMonth(
        offered=t["offered"],
        answered=t["answered"],
        unanswered=t["unanswered"],
        within_sla=t["within_sla"],
        wait_sum_s=t["wait"],
        response_p90_s=p90,
        busy_slot_s=(calendar_weight[:, None] * np.minimum(day_busy, on_duty)).sum(axis=0),
        available_slot_s=capacity.sum(axis=0),
        backlog_start=backlog_start,
        backlog_end=books_out.backlog,
        classes=classes,
        public_classes=public_classes,
        band_counts=bands[0],
        public_band_counts=bands[1],
        books=books_out,
    )


#: A month's sums (:data:`MONTH_TALLIES`), busy seconds by day (days, columns), response P90
#: (columns,) and band counts (columns, bands), all and public.
_Tallied = tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]


class _Fates:
    """What the contacts of a month's pieces leave for later: services that start after their
    arrival day (booked on their own day) and, on a deferrable channel, contacts whose fate
    comes at or after the month's end (carried in the books).

    ``marks`` holds the month's (rows, columns) arrival, start, handle, present, resolved and
    public arrays; :meth:`add` takes one piece, :meth:`take` what the compiled engine found for
    many.
    """

    def __init__(
        self,
        realtime: bool,
        sla: float,
        month_end: float,
        patience_s: np.ndarray,
        marks: tuple[np.ndarray, ...],
    ) -> None:
        self.realtime, self.sla, self.month_end = realtime, sla, month_end
        self.patience_s, self.deadline = patience_s, np.isfinite(patience_s)
        self.marks = marks
        self.service_parts: list[tuple[np.ndarray, ...]] = []
        self.late_parts: list[tuple[np.ndarray, ...]] = []

    def add(
        self,
        piece: tuple[int, int, int, int],
        day_end: float,
        weight: np.ndarray,
        cells: _Cells | None = None,
    ) -> _Cell:
        """Book piece ``(lo, hi, off, n)`` of a day ending at ``day_end``; ``weight`` is the
        day's (columns,) weights, ``cells`` the piece's cells (:meth:`cells`) if found already.
        Returns the piece's rows and columns served after its day."""
        lo, hi, off, n = piece
        here = (slice(lo, hi), slice(off, off + n))
        arrival, start, handle, _, resolved_mark, public_mark = (m[here] for m in self.marks)
        if cells is None:
            cells = self.cells(piece, day_end, np.isfinite(start))
        after, late, unanswered = cells
        if after[0].size:
            r, c = after
            self.service_parts.append((c + off, start[r, c], handle[r, c]))
        if not self.realtime:
            columns = slice(off, off + n)
            self.late_parts += _still_waiting(
                (late, unanswered),
                (start, arrival, handle, resolved_mark, public_mark),
                (self.patience_s[columns], self.deadline[columns], weight[columns]),
                (self.sla, self.month_end),
                off,
            )
        return after

    def take(self, services: tuple[np.ndarray, ...], waiting: tuple[np.ndarray, ...]) -> None:
        """Book what :meth:`add` would collect from many pieces, found at once elsewhere
        (:func:`simroi.model.compiled_fates.book_fates`): their ``(column, start, handle)``
        services after their day and ``(column, fate day, flags, unit, unit × wait)``
        contacts still waiting."""
        if services[0].size:
            self.service_parts.append(services)
        if waiting[0].size:
            self.late_parts.append(waiting)

    def cells(
        self, piece: tuple[int, int, int, int], day_end: float, answered: np.ndarray
    ) -> _Cells:
        """A piece's contacts served after its day, those whose answer comes at or after the
        month's end, and those present but not answered (the last two on a deferrable channel
        only, and the third where a deadline may fall after the month): (rows, columns) of
        each, row by row. ``answered`` is the piece's answered mark."""
        lo, hi, off, n = piece
        start, present = self.marks[1][lo:hi, off : off + n], self.marks[3][lo:hi, off : off + n]
        after_rows, after_columns = np.nonzero(start >= day_end)  # NaN compares False
        after = (after_rows, after_columns)
        if self.realtime:
            return after, _NO_CELLS, _NO_CELLS
        late = after
        if day_end != self.month_end:  # not the month's last day: fewer are still waiting
            late_rows, late_columns = np.nonzero(start >= self.month_end)
            late = (late_rows, late_columns)
        unanswered = _NO_CELLS
        if self.deadline[off : off + n].any():
            rows, columns = np.nonzero(np.less(answered, present))
            unanswered = (rows, columns)
        return after, late, unanswered


#: Rows and columns of cells of a piece; the three kinds :meth:`_Fates.cells` finds.
_Cell = tuple[np.ndarray, np.ndarray]
_Cells = tuple[_Cell, _Cell, _Cell]
_NO_CELLS = (np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp))


def _count(mask: np.ndarray) -> np.ndarray:
    """True values per column of a (rows, columns) mask, int64. Summing into 16 bits where the
    piece is short enough is four times faster than into 64 (the cast per element is the
    cost)."""
    tally = np.uint16 if mask.shape[0] < 2**16 else np.int64
    return mask.view(np.uint8).sum(axis=0, dtype=tally).astype(np.int64)


def _tally_numpy(
    spec: ChannelSpec,
    day_pieces: list[list[tuple[int, int, int, int]]],
    day_weight: np.ndarray,
    days: np.ndarray,
    marks: tuple[np.ndarray, ...],
    fate: _Fates,
) -> _Tallied:
    """The month's sums, piece by piece in numpy: every count is a sum of boolean arrays along
    the contact axis, scaled by the day's weight (see :func:`month_outcomes`)."""
    arrival, start, handle, present, resolved_mark, public_mark = marks
    rows_all, width = start.shape
    realtime, sla = spec.kind == "realtime", spec.sla_threshold_seconds
    total = {k: np.zeros(width) for k in MONTH_TALLIES}
    # Busy slot seconds by the day they are served (days, columns): capped by the caller.
    day_busy = np.zeros((len(days), width))
    answered_in_sample = np.zeros(width, dtype=np.int64)  # unweighted, for the P90
    response_all = np.full((rows_all, width), np.nan, dtype=np.float32)
    bands = BandTally(spec, width)
    for j, (pieces, weight) in enumerate(zip(day_pieces, day_weight, strict=True)):
        day_end = (int(days[j]) + 1) * DAY
        for lo, hi, off, n in pieces:
            here = (slice(lo, hi), slice(off, off + n))
            st = start[here]
            answered = np.isfinite(st)
            response = st - arrival[here]  # the wait; NaN if not answered
            wait = np.fmax(response, 0.0)
            if not realtime:
                response += handle[here]
            response_all[here] = response
            with np.errstate(invalid="ignore"):
                fast = response <= sla  # False where NaN: only answered contacts can be fast
            resolved, public, on = resolved_mark[here], public_mark[here], present[here]
            answered_resolved = answered & resolved
            fast_resolved = fast & resolved
            public_answered = public & answered
            bands.add(off, n, response, answered_resolved, public, weight)
            answered_count = _count(answered)
            answered_in_sample[off : off + n] += answered_count
            piece = {
                "offered": _count(on),
                "answered": answered_count,
                "within_sla": _count(fast),
                "fast_resolved": _count(fast_resolved),
                "answered_resolved": _count(answered_resolved),
                "public_offered": _count(public & on),
                "public_answered": _count(public_answered),
                "public_answered_resolved": _count(public_answered & resolved),
                "public_fast_resolved": _count(public & fast_resolved),
                "wait": wait.sum(axis=0),
            }
            w = weight[off : off + n]
            for k, value in piece.items():
                total[k][off : off + n] += value * w
            # Services that start after the arrival day are booked on their own day (by
            # the caller); the rest on this one.
            cells = fate.cells((lo, hi, off, n), day_end, answered)
            r, c = fate.add((lo, hi, off, n), day_end, weight, cells)
            served = np.multiply(handle[here], answered)
            served[r, c] = 0.0
            day_busy[j, off : off + n] += served.sum(axis=0)
    p90 = _p90(response_all, answered_in_sample, sort_groups(day_pieces))
    return total, day_busy, p90, (bands.counts, bands.public_counts)


def _tally_compiled(
    spec: ChannelSpec,
    day_pieces: list[list[tuple[int, int, int, int]]],
    day_weight: np.ndarray,
    days: np.ndarray,
    marks: tuple[np.ndarray, ...],
    fate: _Fates,
) -> _Tallied:
    """:func:`_tally_numpy`'s sums in one compiled pass (:func:`simroi.model.compiled_tallies.
    tally_month`, the same bits); the pieces with a fate to book are booked in a second one
    (:func:`simroi.model.compiled_fates.book_fates`)."""
    from simroi.model.compiled_fates import book_fates  # numba: compiled runs only
    from simroi.model.compiled_tallies import tally_month

    listed = [(*p, j) for j, pieces in enumerate(day_pieces) for p in pieces]
    day_end = (days.astype(np.int64) + 1) * DAY
    tallied = tally_month(
        np.array(listed, dtype=np.int64).reshape(-1, 5), day_end.astype(np.float64),
        day_weight, *marks, sla=spec.sla_threshold_seconds, realtime=spec.kind == "realtime",
        edges=np.asarray(spec.band_edges_seconds, dtype=np.float64),
        bands=len(spec.response_value or []),
    )  # fmt: skip
    booked = [p for p, b in zip(listed, tallied["fates"], strict=True) if b]
    if booked:
        fate.take(
            *book_fates(
                np.array(booked, dtype=np.int64), marks, day_end.astype(np.float64), day_weight,
                month_end=fate.month_end, realtime=fate.realtime, sla=fate.sla,
                patience_s=fate.patience_s,
            )
        )  # fmt: skip
    total = dict(zip(MONTH_TALLIES, tallied["totals"], strict=True))
    bands = (tallied["band_counts"], tallied["public_band_counts"])
    return total, tallied["day_busy"], tallied["p90"], bands


_NOTHING_WAITING = (
    np.zeros(0, dtype=np.int64),
    np.zeros(0, dtype=np.int64),
    np.zeros(0, dtype=np.int64),
    np.zeros(0),
    np.zeros(0),
)


def _still_waiting(
    cells: tuple[_Cell, _Cell],
    piece: tuple[np.ndarray, ...],
    columns: tuple[np.ndarray, np.ndarray, np.ndarray],
    limits: tuple[float, float],
    off: int,
) -> list[tuple[np.ndarray, ...]]:
    """The contacts of a piece whose fate comes at or after the month's end: answered then,
    or ignored at a deadline then (those never cleared are counted apart, per column).

    ``cells`` holds the piece's rows and columns answered at or after the month's end and those
    present but unanswered (:meth:`_Fates.cells`); ``piece`` its (rows, columns) start,
    arrival, handle, resolved and public arrays; ``columns`` its per-column patience (s),
    whether it is finite, and day weight; ``limits`` the SLA (s) and the month's end. Returns
    ``[(column, fate day, flags, unit, unit × wait)]`` with ``unit = min(1, w)``, or ``[]``.
    """
    (r, c), (ru, cu) = cells
    st, arrival, handle, resolved, public = piece
    patience_s, deadline, weight = columns
    sla, month_end = limits
    if deadline.any():
        # Unanswered contacts (usually few) whose deadline is at or after the month's end.
        keep = deadline[cu] & (arrival[ru, cu] >= month_end - patience_s[cu])
        r, c = np.concatenate([r, ru[keep]]), np.concatenate([c, cu[keep]])
    if r.size == 0:
        return []
    s, a = st[r, c], arrival[r, c]
    ok = np.isfinite(s)
    with np.errstate(invalid="ignore"):
        fast = s - a + handle[r, c] <= sla  # the response time: NaN (False) if unanswered
    day = np.floor(np.where(ok, s, a + patience_s[c]) / DAY).astype(np.int64)
    flags = ok * ANSWERED | fast * FAST | resolved[r, c] * RESOLVED | public[r, c] * PUBLIC
    unit = np.minimum(1.0, weight[c])
    wait_unit = unit * np.where(ok, np.fmax(s - a, 0.0), 0.0)
    return [(c + off, day, flags.astype(np.int64), unit, wait_unit)]


def _class_table(total: dict[str, np.ndarray], prefix: str, realtime: bool) -> np.ndarray:
    """Contacts by experience class, (trials, 5) in the order of ``EXPERIENCE_CLASSES``.

    Unanswered is "abandoned" on a realtime channel and "ignored" on a deferrable one; the
    other of the two is zero.
    """

    def t(key: str) -> np.ndarray:
        return total[prefix + key]

    zero = np.zeros_like(t("unanswered"))
    return np.stack(
        [
            t("fast_resolved"),
            t("answered_resolved") - t("fast_resolved"),
            t("answered") - t("answered_resolved"),
            t("unanswered") if realtime else zero,
            zero if realtime else t("unanswered"),
        ],
        axis=1,
    )


@dataclass(frozen=True)
class ChannelMonth:
    """What happened on one channel in one month, per trial (arrays (trials,) unless noted).

    Counts are month-contacts, kept as :mod:`simroi.model.books` defines them. ``classes``
    counts contacts by experience class in the order of
    :data:`simroi.scenario.spec.EXPERIENCE_CLASSES`; the ``public_*`` counts are the public
    share of contacts by class. Per trial: backlog_start + offered = answered + unanswered +
    backlog_end, and busy_slot_s ≤ available_slot_s. ``band_counts`` (trials, bands) counts the
    answered and resolved contacts by the channel's ``response_value`` bands (no columns without
    a curve; see :mod:`simroi.model.response`), by the month they arrived in.
    """

    offered: np.ndarray  # arrived in the month
    answered: np.ndarray  # answer started in the month
    unanswered: np.ndarray  # abandoned (realtime) or ignored (deferrable) in the month
    within_sla: np.ndarray
    wait_sum_s: np.ndarray  # total wait of the contacts answered in the month
    response_p90_s: np.ndarray  # of the month's arrivals answered, in the sampled days (NaN: none)
    busy_slot_s: np.ndarray  # slot time spent serving in the month, each day capped at on duty
    available_slot_s: np.ndarray  # slot time on duty in the month, weighted like busy_slot_s
    backlog_start: np.ndarray  # waiting when the month began (the previous month's end)
    backlog_end: np.ndarray  # arrived and neither answered nor ignored when the month ends
    classes: np.ndarray  # (trials, 5)
    public_classes: np.ndarray  # (trials, 5)
    band_counts: np.ndarray  # (trials, bands): answered and resolved, by response_value band
    public_band_counts: np.ndarray  # (trials, bands): their public share
    books: Books | None  # what the month carries into the next ones (None once handed on)


#: The per-trial array fields of :class:`ChannelMonth` (all but ``books``).
MONTH_FIELDS = tuple(f for f in ChannelMonth.__dataclass_fields__ if f != "books")
