"""The compiled month tallies give numpy's bits: numpy's pairwise sum, and random months.

:func:`simroi.model.outcomes.month_outcomes` on the compiled path (one pass,
:mod:`simroi.model.compiled_tallies`) against its numpy path, on random served months of both
channel kinds: pieces one column wide (summed pairwise by numpy) and wider (summed row by row),
pieces longer than numpy's 128-value blocks, services after their day and after the month,
deadlines and response bands.
"""

from __future__ import annotations

import math

import numpy as np
from bits import arrays, assert_same_bits
from channels import banded_channel
from hypothesis import given, settings
from hypothesis import strategies as st

from simroi.model.calendar import DAY, interp_by_trial
from simroi.model.compiled import place_arrivals
from simroi.model.compiled_tallies import _pairwise, _percentile90
from simroi.model.outcomes import ChannelMonth, _p90, month_outcomes


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 5000), lo=st.integers(0, 3), seed=st.integers(0, 2**32 - 1))
def test_the_pairwise_sum_is_numpys(n: int, lo: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.exponential(size=lo + n) * 10.0 ** rng.uniform(-3, 6, size=lo + n)
    values[rng.random(lo + n) < 0.3] = 0.0
    column = np.zeros((lo + n, 3))
    column[:, 1] = values  # strided, as a one-column piece of a month is
    expected = column[lo:, 1:2].sum(axis=0)[0]
    assert math.isclose(expected, values[lo:].sum(), rel_tol=1e-12) or n == 0
    assert np.float64(_pairwise(values, lo, n)).view(np.int64) == expected.view(np.int64)


def _month(seed: int, kind: str, width: int, engine: str, bands: bool = True) -> ChannelMonth:
    """A random served month of two sampled days, each a staircase of pieces over ``width``
    columns; a tenth of the contacts unanswered, some answered days later."""
    rng = np.random.default_rng(seed)
    days = np.array([3, 4])
    pieces: list[list[tuple[int, int, int, int]]] = []
    lo = 0
    for _ in days:
        day = []  # a staircase, as the model lays a day out: fewer columns further down
        widths = sorted(rng.integers(1, width + 1, size=int(rng.integers(1, 4))), reverse=True)
        for n in widths:
            rows = int(rng.integers(1, 300))
            day.append((lo, lo + rows, 0, int(n)))
            lo += rows
        pieces.append(day)
    rows = lo
    arrival = np.zeros((rows, width))
    for j, day in enumerate(pieces):
        for a, b, _, _ in day:
            arrival[a:b] = np.sort(rng.uniform(days[j] * DAY, (days[j] + 1) * DAY, (b - a, width)),
                                   axis=0)  # fmt: skip
    delay = rng.exponential(3 * 3600.0 if kind == "deferrable" else 60.0, (rows, width))
    delay[rng.random((rows, width)) < 0.05] *= 20.0  # some answered on a later day
    start = np.where(rng.random((rows, width)) < 0.9, arrival + delay, math.nan)
    start[rng.random((rows, width)) < 0.02] = arrival[0, 0]  # answered at once, some zero waits
    start = np.maximum(start, arrival)
    start[:, rng.random(width) < 0.1] = math.nan  # columns with nobody answered: no P90
    handle = rng.exponential(300.0, (rows, width))
    present = rng.random((rows, width)) < 0.95
    start[~present] = math.nan
    patience = np.where(rng.random(width) < 0.5, 86_400.0, np.inf)
    return month_outcomes(
        banded_channel(*((5.0, 60.0, 600.0) if bands else ()), kind=kind),
        pieces,
        rng.uniform(0.3, 20.0, (2, width)),  # below 1 too: a waiting contact carries min(1, w)
        arrival,
        start,
        handle,
        present,
        rng.random((rows, width)) < 0.7,
        rng.random((rows, width)) < 0.4,
        5 * DAY,
        days=days,
        patience_s=patience,
        on_duty_s=np.full((2, width), 8 * 3600.0),
        calendar_weight=np.array([15.0, 15.0]),
        books=None,
        horizon_end_s=30 * DAY,
        engine=engine,
    )


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["realtime", "deferrable"]),
    width=st.integers(1, 300),  # past 128: columns split among threads
    bands=st.booleans(),
)
def test_a_random_month_tallies_to_the_same_bits_on_both_paths(
    seed: int, kind: str, width: int, bands: bool
) -> None:
    numpy = arrays(_month(seed, kind, width, "numpy", bands))
    compiled = arrays(_month(seed, kind, width, "compiled", bands))
    assert numpy[".band_counts"].shape == (width, 4 if bands else 0)
    assert_same_bits(numpy, compiled)


@settings(max_examples=300, deadline=None)
@given(
    knots=st.lists(st.sampled_from([0.0, 0.125, 0.25, 0.5, 0.75, 1.0]), min_size=1, max_size=8),
    xs=st.lists(
        st.sampled_from([-0.5, 0.0, 0.125, 0.2, 0.25, 0.5, 0.6, 0.75, 1.0, 1.5, math.nan]),
        min_size=1,
        max_size=12,
    ),
    per_trial=st.booleans(),
)
def test_arrival_times_follow_numpys_interpolation_to_the_bit(
    knots: list[float], xs: list[float], per_trial: bool
) -> None:
    """Repeated knots, points on a knot, outside the knots, one knot, NaN: the compiled map
    from fractions to times is ``np.interp`` (or ``interp_by_trial``) bit for bit."""
    xp = np.sort(np.array(knots))
    fp = np.cumsum(np.arange(1.0, xp.size + 1.0)) * 3600.0
    trials = len(xs)
    # Partial sums whose ratio to the last row is each x: x · total, then the total.
    total = 7.0
    sums = np.vstack([np.array(xs) * total, np.full(trials, total)])
    count = np.ones(trials, dtype=np.int64)
    arrival = np.zeros((1, trials))
    present = np.zeros((1, trials), dtype=bool)
    fraction = sums[0] / sums[1]
    if per_trial:
        if xp.size < 2:
            return  # a profile has at least two knots
        low, high = np.zeros(trials), np.ones(trials)
        knots_by_trial = np.tile(xp, (trials, 1))
        profile: tuple[np.ndarray, ...] = (knots_by_trial, fp, low, high)
        expected = interp_by_trial(low + fraction * (high - low), knots_by_trial, fp)
    else:
        profile = (xp, fp)
        expected = np.interp(fraction, xp, fp)
    place_arrivals(sums, count, [(0, 1, trials)], profile, (0, 0, 1), arrival, present)
    assert_same_bits({"t": expected}, {"t": arrival[0]})
    assert present.all()


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(st.sampled_from([0.0, 1.0, 2.5, 3.0, 60.0, 1e6]), max_size=60)
    | st.lists(st.floats(0.0, 1e6, width=32), max_size=300)
)
def test_the_p90_by_selection_is_the_sorted_one(values: list[float]) -> None:
    """Ties and all: :func:`_percentile90` against the numpy code's sort (``_p90``)."""
    response = np.array(values, dtype=np.float32)[:, None]
    expected = _p90(response, np.array([response.shape[0]]), [(0, 1, response.shape[0])])
    got = _percentile90(response[:, 0].copy())
    assert_same_bits({"p90": expected}, {"p90": np.array([got])})
