"""A month's outcome tables from its served contacts, compiled with numba (the compiled engine).

:func:`tally_month` is the loop of :func:`simroi.model.outcomes.month_outcomes` in one pass
over the month's contacts: the counts, waits, busy time by day, response bands and the P90, and
which pieces hold contacts whose fate comes later (:mod:`simroi.model.compiled_fates` books
them). See :mod:`simroi.model.compiled` for the rules both follow.

Same seed, same bits: a sum along the contact axis of a piece more than one column wide is a
running sum per column in row order (numpy's axis-0 reduction), and of a piece one column wide
numpy's pairwise sum (:func:`_pairwise`); an order statistic is the same number found by
selection or by a sort. ``tests/model/test_compiled_tallies.py`` holds the two paths to the
same bits on random months, and ``tests/model/test_compiled_model.py`` on every bundled
scenario.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from simroi.model.books import MONTH_TALLIES
from simroi.queueing.compiled import kernel, plain

__all__ = ["KERNELS", "check_month", "tally_month", "warm_up"]

_jit = kernel()

_COUNTS = len(MONTH_TALLIES) - 1  # all but the last, wait


def _marks_table() -> np.ndarray:
    """Which of the 32 combinations of a contact's marks — present, answered, fast, resolved,
    public: bits 0–4 — each count of :data:`MONTH_TALLIES` (but ``wait``) takes: (counts, 32)."""
    code = np.arange(32)
    on, answered, fast, resolved, public = ((code >> b) & 1 == 1 for b in range(5))
    rules = (
        on,
        answered,
        fast,
        fast & resolved,
        answered & resolved,
        public & on,
        public & answered,
        public & answered & resolved,
        public & fast & resolved,
    )
    return np.array(rules, dtype=np.int64)


_MARKS = _marks_table()

#: Columns a thread takes at a time (each column is summed down its rows).
_CHUNK = 128


@_jit
def _block_sum(a: np.ndarray, lo: int, n: int) -> float:
    """numpy's pairwise sum of at most 128 values ``a[lo:lo + n]``: in order below 8, else in
    8 running partial sums combined as a tree, then the rest in order."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - n % 8:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@_jit
def _pairwise(a: np.ndarray, lo: int, n: int) -> float:
    """numpy's pairwise sum of ``a[lo:lo + n]`` (``pairwise_sum_DOUBLE``), as ``np.add.reduce``
    gives it: blocks of at most 128 values (:func:`_block_sum`), and above that the sum of the
    two halves, the first a multiple of 8 long. The recursion is unrolled on a stack (numba's
    cache does not keep recursive functions)."""
    if n <= 128:
        return _block_sum(a, lo, n)
    los = np.empty(64, dtype=np.int64)
    ns = np.empty(64, dtype=np.int64)
    phase = np.zeros(64, dtype=np.int64)  # 0: to start, 1: first half summed, 2: both
    left = np.empty(64)
    los[0], ns[0], top, value = lo, n, 1, 0.0
    while True:
        i = top - 1
        half = ns[i] // 2
        half -= half % 8
        if phase[i] == 0 and ns[i] <= 128:
            value = _block_sum(a, los[i], ns[i])
            top -= 1
        elif phase[i] == 0:
            phase[i] = 1
            los[top], ns[top], phase[top] = los[i], half, 0
            top += 1
            continue
        elif phase[i] == 1:
            left[i], phase[i] = value, 2
            los[top], ns[top], phase[top] = los[i] + half, ns[i] - half, 0
            top += 1
            continue
        else:
            value = left[i] + value
            top -= 1
        if top == 0:
            return value


@_jit
def _select(values: np.ndarray, k: int) -> float:
    """Move the ``k``-th smallest of ``values`` to ``values[k]``, the smaller ones before it and
    the larger after (Hoare's selection, pivot the median of three), and return it."""
    lo, hi = 0, values.size - 1
    while hi > lo:
        a, b, c = values[lo], values[(lo + hi) >> 1], values[hi]
        pivot = max(min(a, b), min(max(a, b), c))
        i, j = lo, hi
        while i <= j:
            while values[i] < pivot:
                i += 1
            while values[j] > pivot:
                j -= 1
            if i <= j:
                values[i], values[j] = values[j], values[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break  # values[j + 1 : i] all equal the pivot
    return values[k]


@_jit
def _percentile90(values: np.ndarray) -> float:
    """The 90th percentile of float32 ``values`` (reordered here), NaN if there are none:
    :func:`simroi.model.outcomes._p90`'s interpolation between the order statistics it reads
    from a sorted copy, found here by selection (the same values: an order statistic is one
    number however it is found)."""
    m = values.size
    if m == 0:
        return np.nan
    position = 0.9 * max(m - 1, 0)
    low = math.floor(position)
    high = min(low + 1, m - 1)
    lo = np.float64(_select(values, low))
    if high == low:
        return lo
    hi = np.float64(values[high:].min())  # after the selection, the larger ones
    return lo + (position - low) * (hi - lo)


@_jit
def _tally_columns(
    c0: int,
    c1: int,
    longest: int,
    pieces: np.ndarray,
    day_end: np.ndarray,
    day_weight: np.ndarray,
    arrival: np.ndarray,
    start: np.ndarray,
    handle: np.ndarray,
    present: np.ndarray,
    resolved_mark: np.ndarray,
    public_mark: np.ndarray,
    sla: float,
    realtime: bool,
    edges: np.ndarray,
    totals: np.ndarray,
    day_busy: np.ndarray,
    p90: np.ndarray,
    band_counts: np.ndarray,
    public_band_counts: np.ndarray,
    fates: np.ndarray,
) -> None:
    """:func:`_tally` for columns ``c0:c1`` (at most ``_CHUNK``); ``longest`` is the most rows
    of any piece."""
    bands = band_counts.shape[1]
    kinds = np.zeros((_CHUNK, 32), dtype=np.int64)
    counts = np.zeros(_COUNTS, dtype=np.int64)
    waits = np.zeros(_CHUNK)
    served = np.zeros(_CHUNK)
    upto = np.zeros((2, bands, _CHUNK), dtype=np.int64)
    column_waits = np.zeros(longest)  # a one-column piece's values, for the pairwise sums
    column_served = np.zeros(longest)
    # Each column's answered response times, for the P90 (as many rows as the month has).
    answered_responses = np.empty((c1 - c0, start.shape[0]), dtype=np.float32)
    kept = np.zeros(_CHUNK, dtype=np.int64)
    for p in range(pieces.shape[0]):
        lo, hi, off, n, j = pieces[p, 0], pieces[p, 1], pieces[p, 2], pieces[p, 3], pieces[p, 4]
        a, b = max(c0, off), min(c1, off + n)
        if a >= b:
            continue
        end = day_end[j]
        kinds[: b - a] = 0
        waits[: b - a] = 0.0
        served[: b - a] = 0.0
        upto[:, :, : b - a] = 0
        late = False
        for r in range(lo, hi):
            for c in range(a, b):
                k = c - a
                st = start[r, c]
                answered = math.isfinite(st)
                on = present[r, c]
                if not (on or answered or n == 1):
                    # Padding: adds nothing but zeros and uncounted marks. (In a one-column
                    # piece its zeros still take their place in the pairwise sums.)
                    continue
                resolved = resolved_mark[r, c]
                public = public_mark[r, c]
                response = st - arrival[r, c]  # NaN where not answered
                wait = response if response > 0.0 else 0.0  # np.fmax(response, 0): NaN → 0
                if not realtime:
                    response += handle[r, c]
                fast = response <= sla
                work = handle[r, c] if answered else 0.0
                if st >= end:  # served on a day to come: booked there (month_outcomes)
                    work = 0.0
                    late = True
                if n == 1:
                    column_waits[r - lo] = wait
                    column_served[r - lo] = work
                else:
                    waits[k] += wait
                    served[k] += work
                if answered:
                    answered_responses[c - c0, kept[c - c0]] = np.float32(response)
                    kept[c - c0] += 1
                # One count per combination of the contact's five marks (_MARKS).
                kinds[k, on + 2 * answered + 4 * fast + 8 * resolved + 16 * public] += 1
                if bands and answered and resolved:
                    for e in range(bands - 1):
                        if response <= edges[e]:
                            upto[0, e, k] += 1
                            upto[1, e, k] += public
                    upto[0, bands - 1, k] += 1
                    upto[1, bands - 1, k] += public
        if n == 1:
            waits[0] = 0.0 + _pairwise(column_waits, 0, hi - lo)
            served[0] = 0.0 + _pairwise(column_served, 0, hi - lo)
        if late:
            fates[p] = True
        for c in range(a, b):
            k = c - a
            w = day_weight[j, c]
            for t in range(_COUNTS):
                counts[t] = 0
                for code in range(32):
                    counts[t] += _MARKS[t, code] * kinds[k, code]
                totals[t, c] += np.float64(counts[t]) * w
            totals[_COUNTS, c] += waits[k] * w
            day_busy[j, c] += served[k]
            for code in range(32):  # present and not answered: booked by the numpy code
                if code & 1 and not code & 2 and kinds[k, code]:
                    fates[p] = True
            for e in range(bands):
                below = np.float64(upto[0, e - 1, k]) if e else 0.0
                band_counts[c, e] += (np.float64(upto[0, e, k]) - below) * w
                below = np.float64(upto[1, e - 1, k]) if e else 0.0
                public_band_counts[c, e] += (np.float64(upto[1, e, k]) - below) * w

    for c in range(c0, c1):
        p90[c] = _percentile90(answered_responses[c - c0, : kept[c - c0]])


@kernel(parallel=True)
def _tally(
    pieces: np.ndarray,
    day_end: np.ndarray,
    day_weight: np.ndarray,
    arrival: np.ndarray,
    start: np.ndarray,
    handle: np.ndarray,
    present: np.ndarray,
    resolved_mark: np.ndarray,
    public_mark: np.ndarray,
    sla: float,
    realtime: bool,
    edges: np.ndarray,
    totals: np.ndarray,
    day_busy: np.ndarray,
    p90: np.ndarray,
    band_counts: np.ndarray,
    public_band_counts: np.ndarray,
    fates: np.ndarray,
) -> None:
    """See :func:`tally_month`; ``pieces`` is (pieces, 5): lo, hi, offset, n, day."""
    width = start.shape[1]
    chunks = (width + _CHUNK - 1) // _CHUNK
    longest = 1
    for p in range(pieces.shape[0]):
        longest = max(longest, pieces[p, 1] - pieces[p, 0])
    for g in numba.prange(chunks):
        _tally_columns(
            g * _CHUNK, min(width, (g + 1) * _CHUNK), longest, pieces, day_end, day_weight,
            arrival, start, handle, present, resolved_mark, public_mark, sla, realtime, edges,
            totals, day_busy, p90, band_counts,
            public_band_counts, fates,
        )  # fmt: skip


def tally_month(
    pieces: np.ndarray,
    day_end: np.ndarray,
    day_weight: np.ndarray,
    arrival: np.ndarray,
    start: np.ndarray,
    handle: np.ndarray,
    present: np.ndarray,
    resolved_mark: np.ndarray,
    public_mark: np.ndarray,
    *,
    sla: float,
    realtime: bool,
    edges: np.ndarray,
    bands: int,
) -> dict[str, np.ndarray]:
    """A month's outcome tables, as the loop of :func:`simroi.model.outcomes.month_outcomes`
    keeps them (same bits), in one pass over its contacts.

    ``pieces`` (pieces, 5) lists the rectangles ``lo, hi, offset, n, day``: rows ``lo:hi`` of
    columns ``offset:offset + n`` hold sampled day ``day``'s contacts, in the order the numpy
    loop visits them; ``day_end`` (days,) is each sampled day's end (s), ``day_weight`` (days,
    columns) the month days it stands for. The (rows, columns) arrays are those of
    ``month_outcomes``; ``edges`` (bands − 1,) the response bands' upper edges (s).

    Returns ``totals`` (len(:data:`MONTH_TALLIES`), columns), weighted by the day weights;
    ``day_busy`` (days, columns), the busy seconds served on each contact's arrival day;
    ``p90`` (columns,), the 90th percentile of the sampled days' answered response times (s;
    NaN: none answered), as :func:`simroi.model.outcomes._p90` takes it; ``band_counts`` and
    ``public_band_counts`` (columns, bands); and ``fates`` (pieces,) bool: whether a piece has
    a contact served after its day or one not answered, whose fate is then booked
    (:func:`simroi.model.compiled_fates.book_fates`).
    """
    marks = (arrival, start, handle, present, resolved_mark, public_mark)
    check_month(pieces, marks, day_end, day_weight)
    width = start.shape[1]
    out: dict[str, np.ndarray] = {
        "totals": np.zeros((len(MONTH_TALLIES), width)),
        "day_busy": np.zeros((day_end.size, width)),
        "p90": np.full(width, np.nan),
        "band_counts": np.zeros((width, bands)),
        "public_band_counts": np.zeros((width, bands)),
        "fates": np.zeros(pieces.shape[0], dtype=bool),
    }
    if pieces.shape[0]:
        real = (plain(x, np.float64) for x in (day_end, day_weight, arrival, start, handle))
        flags = (plain(x, np.bool_) for x in (present, resolved_mark, public_mark))
        _tally(
            plain(pieces, np.int64), *real, *flags, float(sla), bool(realtime),
            plain(edges, np.float64), *out.values(),
        )  # fmt: skip
    return out


def check_month(
    pieces: np.ndarray,
    marks: tuple[np.ndarray, ...],
    day_end: np.ndarray,
    day_weight: np.ndarray,
) -> None:
    """Refuse pieces ``(lo, hi, offset, n, day)`` that reach beyond a month's (rows, columns)
    ``marks`` or its (days, columns) ``day_weight``, marks of different shapes, or a
    ``day_end`` not one per day: the kernels do not check their indices."""
    if day_end.shape != day_weight.shape[:1]:
        raise ValueError(f"day_end {day_end.shape} and day_weight {day_weight.shape}: one per day")
    shape = marks[0].shape
    rows, columns = shape if len(shape) == 2 else (-1, -1)
    shapes = [m.shape for m in marks]
    if any(s != shape for s in shapes) or day_weight.shape[1:] != (columns,):
        raise ValueError(
            f"a month's marks {shapes} and day weights {day_weight.shape} must share their "
            "(rows, columns) and columns"
        )
    p = np.asarray(pieces)
    if p.ndim != 2 or p.shape[1] != 5:
        raise ValueError(f"pieces must be (pieces, 5): lo, hi, offset, n, day (got {p.shape})")
    lo, hi, off, n, day = p.T
    if not (
        ((lo >= 0) & (lo <= hi) & (hi <= rows)).all()
        and ((off >= 0) & (n >= 0) & (off + n <= columns)).all()
        and ((day >= 0) & (day < day_weight.shape[0])).all()
    ):
        raise ValueError(
            f"pieces reach beyond the month's tables {shape} or its {day_weight.shape[0]} days"
        )


#: The compiled kernels (the helpers they call are compiled into them).
KERNELS = (_tally,)


def warm_up() -> None:
    """Compile (or load from the cache) every kernel, on a month of two contacts."""
    one = np.array([[10.0], [20.0]])
    on = np.ones_like(one, dtype=bool)
    pieces = np.array([[0, 2, 0, 1, 0]])
    tally_month(
        pieces, np.array([86_400.0]), np.ones((1, 1)), one, one, one, on, on, on, sla=20.0,
        realtime=True, edges=np.array([60.0]), bands=2,
    )  # fmt: skip
