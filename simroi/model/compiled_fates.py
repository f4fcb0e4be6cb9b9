"""What a month's contacts leave for later, compiled with numba (the compiled engine).

:func:`book_fates` does for the pieces a month's tally marked (the ``fates`` of
:func:`simroi.model.compiled_tallies.tally_month`) what :class:`simroi.model.outcomes._Fates`
does piece by piece in numpy: it finds the contacts served after their arrival day, whose busy
time is booked on the day they start, and, on a deferrable channel, those whose fate (an answer
started, or a deadline passed) comes at or after the month's end, which the books carry
(:mod:`simroi.model.books`). The same contacts in the same order, with the same numbers:
``tests/model/test_compiled_tallies.py`` holds the two paths to the same bits.
"""

from __future__ import annotations

import math

import numpy as np

from simroi.model.books import ANSWERED, FAST, PUBLIC, RESOLVED
from simroi.model.calendar import DAY
from simroi.model.compiled_tallies import check_month
from simroi.queueing.compiled import kernel, plain

__all__ = ["KERNELS", "book_fates", "warm_up"]

_jit = kernel()


@_jit
def _scan(
    pieces: np.ndarray,
    start: np.ndarray,
    present: np.ndarray,
    ends: tuple[np.ndarray, float],
    realtime: bool,
    deadline: np.ndarray,
    counts: np.ndarray,
    cells: np.ndarray,
    fill: bool,
) -> None:
    """Count each piece's contacts served after their day, answered at or after the month's
    end and present but unanswered where a deadline may fall after it, into ``counts``
    (pieces, 3); or, with ``fill``, given where each piece's cells of each kind begin in
    ``cells`` (3, 2, entries), write their rows and columns there, row by row (advancing
    ``counts``)."""
    day_end, month_end = ends
    for p in range(pieces.shape[0]):
        lo, hi, off, n, j = pieces[p]
        end = day_end[j]
        unanswered = False  # a deadline in the piece (deferrable channels)
        if not realtime:
            for c in range(off, off + n):
                unanswered = unanswered or deadline[c]
        after, late, waiting = counts[p, 0], counts[p, 1], counts[p, 2]
        if not fill:  # counting only: a plain sum per kind, which the compiler vectorizes
            for r in range(lo, hi):
                for c in range(off, off + n):
                    s = start[r, c]
                    after += s >= end
                    late += not realtime and s >= month_end
                    waiting += unanswered and present[r, c] and not math.isfinite(s)
        else:
            for r in range(lo, hi):
                for c in range(off, off + n):
                    s = start[r, c]
                    if s >= end:
                        cells[0, 0, after], cells[0, 1, after] = r, c
                        after += 1
                    if not realtime and s >= month_end:
                        cells[1, 0, late], cells[1, 1, late] = r, c
                        late += 1
                    if unanswered and present[r, c] and not math.isfinite(s):
                        cells[2, 0, waiting], cells[2, 1, waiting] = r, c
                        waiting += 1
        counts[p, 0], counts[p, 1], counts[p, 2] = after, late, waiting


@_jit
def _book(
    pieces: np.ndarray,
    marks: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    ends: tuple[np.ndarray, float],
    columns: tuple[np.ndarray, np.ndarray, np.ndarray],
    realtime: bool,
    sla: float,
) -> tuple[
    tuple[np.ndarray, np.ndarray, np.ndarray],
    tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
]:
    """See :func:`book_fates`."""
    arrival, start, handle, present, resolved_mark, public_mark = marks
    month_end = ends[1]
    patience, deadline, day_weight = columns
    # Count the cells of each kind, then find them, each kind's cells piece by piece.
    counts = np.zeros((pieces.shape[0], 3), dtype=np.int64)
    none = np.empty((3, 2, 0), np.int64)
    _scan(pieces, start, present, ends, realtime, deadline, counts, none, False)
    totals = counts.sum(axis=0)
    first = np.zeros_like(counts)
    for p in range(1, pieces.shape[0]):
        first[p] = first[p - 1] + counts[p - 1]
    cells = np.empty((3, 2, max(1, totals.max())), dtype=np.int64)
    _scan(pieces, start, present, ends, realtime, deadline, first.copy(), cells, True)
    services = (cells[0, 1, : totals[0]].copy(), np.empty(totals[0]), np.empty(totals[0]))
    for m in range(totals[0]):
        r, c = cells[0, 0, m], cells[0, 1, m]
        services[1][m], services[2][m] = start[r, c], handle[r, c]
    # Per piece: the answered at or after the month's end, then the unanswered (usually few)
    # whose deadline is at or after it (_Fates.add's order).
    most = totals[1] + totals[2]
    column, day, flags = (np.empty(most, np.int64), np.empty(most, np.int64),
                          np.empty(most, np.int64))  # fmt: skip
    unit, wait_unit = np.empty(most), np.empty(most)
    k = 0
    for p in range(pieces.shape[0]):
        j = pieces[p, 4]
        for kind in (1, 2):
            for m in range(first[p, kind], first[p, kind] + counts[p, kind]):
                r, c = cells[kind, 0, m], cells[kind, 1, m]
                s, a = start[r, c], arrival[r, c]
                if kind == 2 and not (deadline[c] and a >= month_end - patience[c]):
                    continue
                ok = math.isfinite(s)
                fast = s - a + handle[r, c] <= sla  # NaN (unanswered): False
                day[k] = math.floor((s if ok else a + patience[c]) / DAY)
                flags[k] = (
                    ok * ANSWERED | fast * FAST | resolved_mark[r, c] * RESOLVED
                    | public_mark[r, c] * PUBLIC
                )  # fmt: skip
                w = day_weight[j, c]
                unit[k] = w if w < 1.0 else 1.0  # np.minimum(1.0, w) of a weight (never NaN)
                wait = s - a if ok and s - a >= 0.0 else 0.0  # np.fmax(s - a, 0.0) if ok
                wait_unit[k] = unit[k] * wait
                column[k] = c
                k += 1
    return services, (column[:k], day[:k], flags[:k], unit[:k], wait_unit[:k])


def book_fates(
    pieces: np.ndarray,
    marks: tuple[np.ndarray, ...],
    day_end: np.ndarray,
    day_weight: np.ndarray,
    *,
    month_end: float,
    realtime: bool,
    sla: float,
    patience_s: np.ndarray,
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """The services and carried contacts of a month's ``pieces``, as
    :meth:`simroi.model.outcomes._Fates.add` collects them piece by piece.

    ``pieces`` (pieces, 5) lists ``lo, hi, offset, n, day`` as
    :func:`simroi.model.compiled_tallies.tally_month` takes them; ``marks`` the month's (rows,
    columns) arrival, start, handle, present, resolved and public arrays; ``day_end`` (days,)
    each sampled day's end and ``day_weight`` (days, columns) its weight; ``patience_s``
    (columns,) a deferrable channel's deadline (+inf: none). Returns ``(column, start,
    handle)`` of the contacts served after their arrival day and ``(column, fate day, flags,
    unit, unit × wait)`` of those whose fate comes at or after ``month_end`` (none on a
    realtime channel), in piece order and, within a piece, row by row (answered ones first).
    """
    check_month(pieces, marks, day_end, day_weight)
    if patience_s.shape != marks[0].shape[1:]:
        raise ValueError(
            f"patience_s {patience_s.shape} must match the month's columns {marks[0].shape[1:]}"
        )
    arrival, start, handle, present, resolved_mark, public_mark = marks
    patience = plain(patience_s, np.float64)
    floats = (plain(x, np.float64) for x in (arrival, start, handle))
    flags = (plain(x, np.bool_) for x in (present, resolved_mark, public_mark))
    a, s, h = floats
    on, resolved, public = flags
    return _book(
        plain(pieces, np.int64), (a, s, h, on, resolved, public),
        (plain(day_end, np.float64), float(month_end)),
        (patience, plain(np.isfinite(patience)), plain(day_weight, np.float64)),
        bool(realtime), float(sla),
    )  # fmt: skip


#: The compiled kernels (the helpers they call are compiled into them).
KERNELS = (_book,)


def warm_up() -> None:
    """Compile (or load from the cache) every kernel, on a month of two contacts."""
    one = np.array([[10.0], [20.0]])
    on = np.ones_like(one, dtype=bool)
    for realtime in (True, False):
        book_fates(
            np.array([[0, 2, 0, 1, 0]]), (one, one, one, on, on, on), np.array([0.0]),
            np.ones((1, 1)), month_end=0.0, realtime=realtime, sla=20.0,
            patience_s=np.ones(1),
        )  # fmt: skip
