"""The calendar of the contact flow: months, sampled days and the shape of demand within them.

Economics runs in months; contacts run on sampled days laid end to end on one clock (t = 0 is a
Monday 00:00). A :class:`MonthPlan` says which days of a month are simulated and what each stands
for; the intraday profile and weekday factors shape a day's arrivals; the scenario's hours and
staffing become a :class:`~simroi.queueing.shifts.ShiftPattern`.

**Shared or per trial.** The profile's shares and the weekday factors are the channel's own,
the same in every trial — shape (intervals,) and (7,) — unless the channel states how uncertain
they are (``intraday_profile_concentration``, ``weekday_factors_concentration``): then each
trial has its own, drawn by :func:`simroi.model.inputs.draw_inputs`, shape (trials, intervals)
and (trials, 7). The functions below that take shares or factors accept either; with the shared
form they compute exactly what they always did.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from simroi.queueing.roster import TrialShiftPattern
from simroi.queueing.shifts import SECONDS_PER_WEEK, ShiftPattern
from simroi.scenario.profile import (
    DEFAULT_INTRADAY_PROFILE,
    DEFAULT_WEEKDAY_FACTORS,
    open_fractions,
)
from simroi.scenario.spec import ChannelSpec, clock_seconds
from simroi.weekdays import WEEKDAYS

__all__ = [
    "DAY",
    "DAYS_PER_MONTH",
    "MonthPlan",
    "agent_hours_per_month",
    "calendar_weights",
    "clock_map",
    "day_cuts",
    "day_weights",
    "hourly_profile",
    "hourly_shares",
    "interp_by_trial",
    "intraday_inverse_cdf",
    "intraday_profile",
    "month_plans",
    "on_duty_slot_seconds",
    "part_clock",
    "part_profile",
    "part_shares",
    "profile_inverse_cdf",
    "shift_pattern",
    "weekday_factors",
]

DAYS_PER_MONTH = 365.25 / 12


DAY = 86_400.0
# The smallest normal float: a part's share of the day below it is no share (below it floats
# keep a few digits, and a part that small never gets an arrival).
_SMALLEST_SHARE = float(np.finfo(np.float64).tiny)


@dataclass(frozen=True)
class MonthPlan:
    """Which days stand for one month: absolute day index, volume multiplier and weight of each."""

    month: int
    day_index: np.ndarray  # (days,) absolute day numbers on the run's clock
    multiplier: dict[str, np.ndarray]  # channel -> (days, trials) event volume multipliers
    normal_days: float  # month days without events, stood for by the first `sampled` days
    event_days: float  # month days with events, stood for by the rest
    sampled: int  # number of sampled normal days
    horizon_end_s: float = math.inf  # end of the horizon's last sampled day on the run's clock
    weights: np.ndarray | None = None  # (days,) month days each day stands for, if not by weekday


def month_plans(
    horizon_months: int,
    sampled_days: int,
    events: list[tuple[int, int, list[str], np.ndarray]],
    trials: int,
    channels: list[str],
) -> list[MonthPlan]:
    """Lay out the sampled days of every month on one clock.

    ``events`` holds ``(start_month (0-based), days, channels, multiplier by trial)``.
    """
    plans = []
    next_day = 0
    for month in range(horizon_months):
        month_events = [e for e in events if e[0] == month]
        event_days = min(sum(e[1] for e in month_events), int(DAYS_PER_MONTH))
        sampled_event = min(event_days, sampled_days)
        n = sampled_days + sampled_event
        days = np.arange(next_day, next_day + n)
        next_day += n
        multiplier = {c: np.ones((n, trials)) for c in channels}
        for _start, _days, event_channels, mult in month_events:
            for c in event_channels:
                multiplier[c][sampled_days:] *= mult[None, :]
        plans.append(
            MonthPlan(
                month, days, multiplier, DAYS_PER_MONTH - event_days, event_days, sampled_days
            )
        )
    return [replace(plan, horizon_end_s=next_day * DAY) for plan in plans]


def shift_pattern(spec: ChannelSpec) -> ShiftPattern:
    """The on-duty spans of the channel's agent slots (concurrency slots replicate each agent).

    A channel staffed by rule has none here: its roster differs by trial and month and comes from
    :mod:`simroi.model.staffing`.
    """
    weekdays = [WEEKDAYS.index(d) for d in spec.hours.days]
    if spec.staffing is not None:
        pattern = ShiftPattern.from_staffing(
            [clock_seconds(s.start) for s in spec.staffing],
            [clock_seconds(s.end) for s in spec.staffing],
            [s.agents for s in spec.staffing],
            weekdays,
        )
    else:
        pattern = ShiftPattern.daily(
            spec.agents or 0,
            clock_seconds(spec.hours.open),
            clock_seconds(spec.hours.close),
            weekdays,
        )
    return pattern.replicate(spec.concurrency) if spec.concurrency > 1 else pattern


def agent_hours_per_month(spec: ChannelSpec) -> float:
    """Agent hours on queue in an average month (concurrency slots are not extra agents); 0 for
    a staffing rule, whose hours are per trial and month (``World.paid_hours``)."""
    pattern = shift_pattern(spec)
    # Slots never on duty have infinite starts and ends: leave them out (inf - inf is NaN).
    on_duty = np.isfinite(pattern.starts)
    spans = np.subtract(
        pattern.ends, pattern.starts, out=np.zeros_like(pattern.starts), where=on_duty
    )
    per_cycle = float(spans.sum()) / spec.concurrency
    return per_cycle / pattern.period_seconds * DAYS_PER_MONTH * DAY / 3600.0


def on_duty_slot_seconds(shifts: ShiftPattern | TrialShiftPattern, days: np.ndarray) -> np.ndarray:
    """Slot-seconds on duty in each of ``days`` (absolute day numbers on the run's clock).

    The sum over the pattern's servers (agent slots) of the time their on-duty spans overlap
    the day, 00:00 to 24:00: the paid slot time a sampled day holds, against which its busy
    time is capped (see :mod:`simroi.model.books`). Read from the pattern's spans (a cycle of
    whole days, or absolute times); returns a (days, 1) array, or (days, columns) for rosters
    per trial (staffing rules: agents × slots per agent × each interval's overlap with the day,
    on the roster's weekly clock, day 0 a Monday).
    """
    if isinstance(shifts, TrialShiftPattern):
        begin = (np.asarray(days, dtype=np.int64) * DAY) % SECONDS_PER_WEEK
        lo, hi = shifts.interval_starts[None, :], shifts.interval_ends[None, :]
        overlap = np.clip(
            np.minimum(hi, begin[:, None] + DAY) - np.maximum(lo, begin[:, None]), 0, None
        )
        return overlap @ shifts.agents.T.astype(float) * shifts.slots_per_agent
    starts, ends, period = shifts.starts, shifts.ends, shifts.period_seconds
    out = np.zeros((len(days), 1))
    if starts.size == 0:
        return out
    for i, day in enumerate(np.asarray(days, dtype=np.int64).tolist()):
        begin = day * DAY
        if math.isfinite(period):
            begin -= math.floor(begin / period) * period
        # A day that runs past the cycle's end continues at its start.
        for lo in (begin, begin - period) if math.isfinite(period) else (begin,):
            # +inf padding gives hi − inf < 0: no overlap.
            overlap = np.minimum(ends, lo + DAY) - np.maximum(starts, lo)
            out[i, 0] += float(overlap[overlap > 0].sum())
    return out


def intraday_profile(spec: ChannelSpec) -> np.ndarray:
    """Each interval's share of the day's arrivals, at the profile's resolution.

    Shape (1440 / ``intraday_profile_minutes``,): interval *k* covers minutes
    [k·m, (k + 1)·m) after midnight; the shares sum to 1. A realtime channel only receives
    contacts while open, so each weight counts in proportion to the part of its interval within
    opening hours (:func:`~simroi.scenario.profile.open_fractions`); a deferrable channel's
    weights count as given. Arrival times follow these shares as a piecewise-constant density
    (:func:`intraday_inverse_cdf`).
    """
    minutes = spec.intraday_profile_minutes
    weights = np.asarray(spec.intraday_profile or DEFAULT_INTRADAY_PROFILE, dtype=float).copy()
    if spec.kind == "realtime":
        opening = clock_seconds(spec.hours.open), clock_seconds(spec.hours.close)
        weights *= open_fractions(minutes, *opening)
    if weights.sum() <= 0:
        raise ValueError("the intraday profile has no weight while the channel is open")
    return weights / weights.sum()


def hourly_profile(spec: ChannelSpec) -> np.ndarray:
    """Each hour's share of the day's arrivals, shape (24,): the intraday profile summed by hour.

    What a staffing rule forecasts, hour by hour (:mod:`simroi.model.staffing`); for a realtime
    channel only the open part of an hour has any share. With hourly intervals (the default)
    this is :func:`intraday_profile` itself.
    """
    return hourly_shares(intraday_profile(spec))


def hourly_shares(shares: np.ndarray) -> np.ndarray:
    """Profile shares summed by hour: (intervals,) → (24,), or (trials, intervals) → (trials, 24).

    Hourly shares (24 a day) are returned as they are.
    """
    if shares.shape[-1] == 24:
        return shares
    return shares.reshape(*shares.shape[:-1], 24, -1).sum(axis=-1)


def weekday_factors(spec: ChannelSpec) -> np.ndarray:
    """Day-of-week volume factors, Monday first, with mean 1; a realtime channel gets none while
    closed."""
    factors = np.asarray(spec.weekday_factors or DEFAULT_WEEKDAY_FACTORS, dtype=float)
    if spec.kind == "realtime":
        closed = [i for i, d in enumerate(WEEKDAYS) if d not in spec.hours.days]
        factors = factors.copy()
        factors[closed] = 0.0
    return factors / factors.mean()


def day_cuts(spec: ChannelSpec) -> tuple[tuple[float, ...], ...]:
    """For each weekday, the times of day (seconds) at which the day is cut into parts.

    A day is simulated in parts between these times: at the start of each part every agent slot
    whose shift has ended moves to its next one, for all trials at once (see ``moves`` in
    :func:`simroi.queueing.engine.serve_fcfs`), instead of trial by trial as contacts meet it. The
    cut is the channel's closing time, where every shift ends: it depends on the opening hours only,
    never on staffing, so a program and its baseline, the alternatives of a comparison and the
    points of a staffing sweep cut their days alike and share their contacts. (Cutting at every
    staffing-interval end as well saved a little more time but made contacts depend on the
    schedule.)
    """
    open_s, close_s = clock_seconds(spec.hours.open), clock_seconds(spec.hours.close)
    cuts: list[set[float]] = [set() for _ in range(7)]
    if 0 < close_s < DAY:
        for weekday in (WEEKDAYS.index(d) for d in spec.hours.days):
            # an overnight opening (close ≤ open) closes the next morning
            cuts[(weekday + (close_s <= open_s)) % 7].add(float(close_s))
    return tuple(tuple(sorted(c)) for c in cuts)


def day_weights(plan: MonthPlan, weekday: np.ndarray) -> np.ndarray:
    """Month days each sampled day stands for.

    (days in its stratum) / (sum of the stratum's sampled weekday factors), so the month's
    expected volume is unbiased whatever weekdays were sampled; closed days weigh nothing.
    ``weekday`` is (7,), giving weights (days,), or per trial (trials, 7), giving (days, trials).
    A plan with its own ``weights`` (a backtest's day, which stands for itself) gives those,
    (days,), whatever the factors.
    """
    if plan.weights is not None:
        return plan.weights
    factors = weekday[..., plan.day_index % 7].T  # (days,) or (days, trials)
    weight = np.zeros(factors.shape)
    for part, days in (
        (slice(0, plan.sampled), plan.normal_days),
        (slice(plan.sampled, None), plan.event_days),
    ):
        total = factors[part].sum(axis=0)
        some = total > 0
        weight[part] = np.where((factors[part] > 0) & some, days / np.where(some, total, 1.0), 0.0)
    return weight


def calendar_weights(plan: MonthPlan) -> np.ndarray:
    """Calendar days each sampled day stands for: its stratum's days over its sampled days.

    Agent time does not follow the weekday's volume: a quiet Sunday's shifts are as long as a
    Monday's. Busy and on-duty slot time are scaled with these weights, contacts with
    :func:`day_weights`.
    """
    return day_weights(replace(plan, weights=None), np.ones(7))


def intraday_inverse_cdf(spec: ChannelSpec) -> tuple[np.ndarray, np.ndarray]:
    """Knots of the inverse CDF of the channel's arrival times within the day: ``(cdf, seconds)``.

    :func:`profile_inverse_cdf` of the channel's own shares (:func:`intraday_profile`).
    """
    return profile_inverse_cdf(intraday_profile(spec))


def profile_inverse_cdf(shares: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knots of the inverse CDF of arrival times within the day: ``(cdf, seconds)``.

    The arrival density is piecewise constant on the intervals of the profile ``shares`` (shape
    (intervals,), summing to 1, as :func:`intraday_profile` gives them), so its CDF is piecewise
    linear: ``np.interp(u, cdf, seconds)`` maps a uniform ``u`` to a time of day in seconds after
    midnight. Both arrays have the same length (at most 2 × intervals + 1); ``cdf`` rises from
    0 to 1, never falling. Intervals with no weight are skipped: where one or more of them lie
    between two weighted ones, a knot repeats the CDF's value at the gap's start and end, so no
    arrival falls in the gap.

    Shares per trial, shape (trials, intervals), give ``cdf`` (trials, knots) — one CDF per
    trial on the same ``seconds`` (knots,): an interval is skipped when no trial weights it, so
    a trial's CDF may be flat between knots (it weights the interval 0); map uniforms through
    them with :func:`interp_by_trial`.
    """
    width = DAY / shares.shape[-1]  # seconds per interval: 60 × minutes, a whole number
    used = shares > 0 if shares.ndim == 1 else (shares > 0).any(axis=0)
    weighted = np.flatnonzero(used)
    # Sequential partial sums, as a running total adds them (np.cumsum is not pairwise).
    after = np.cumsum(shares[..., weighted], axis=-1)
    before = np.concatenate((np.zeros_like(after[..., :1]), after[..., :-1]), axis=-1)
    # Each weighted interval contributes its end knot, and a start knot when it is the first or
    # follows a gap (its start is not the previous knot's time).
    opens = np.concatenate(([True], weighted[1:] != weighted[:-1] + 1))
    cum = np.stack([before, after], axis=-1)
    edges = np.stack([weighted * width, (weighted + 1) * width], axis=1)
    keep = np.stack([opens, np.ones_like(opens)], axis=1)
    knots = cum[..., keep]
    return knots / knots[..., -1:], edges[keep]


def interp_by_trial(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """``np.interp(x[..., t], xp[t], fp)`` for every trial ``t``, in one pass over the arrays.

    Parameters
    ----------
    x : numpy.ndarray, shape (..., trials)
        Points, one column per trial (e.g. (rows, trials) CDF values).
    xp : numpy.ndarray, shape (trials, knots)
        Each trial's knots, nondecreasing along the row (a trial's CDF from
        :func:`profile_inverse_cdf`; repeated values are flat stretches).
    fp : numpy.ndarray, shape (knots,)
        The values at the knots, shared by the trials (times of day).

    Returns
    -------
    numpy.ndarray, shape of ``x``
        As :func:`numpy.interp` gives: the ends' values outside ``[xp[t, 0], xp[t, -1]]``, and
        at a repeated knot the segment after it. Found by a bisection on every column at once
        (⌈log₂ knots⌉ steps of gathers), not a loop over trials.
    """
    trials, k = xp.shape
    column = np.arange(trials)
    table = xp.T  # (knots, trials): table[j, t] is trial t's j-th knot
    lo = np.zeros(x.shape, dtype=np.intp)  # invariant: xp[t, lo] <= x or lo = 0
    hi = np.full(x.shape, k - 1, dtype=np.intp)  # invariant: x < xp[t, hi] or hi = k - 1
    while True:
        wide = hi - lo > 1
        if not wide.any():
            break
        mid = (lo + hi) // 2
        below = table[mid, column] <= x
        lo = np.where(wide & below, mid, lo)
        hi = np.where(wide & ~below, mid, hi)
    left, right = table[lo, column], table[hi, column]
    span = right - left
    step = np.divide(x - left, span, out=np.zeros(x.shape), where=span > 0)
    out = fp[lo] + np.clip(step, 0.0, 1.0) * (fp[hi] - fp[lo])
    out = np.where(x >= table[-1, column], fp[-1], out)
    # Below the first knot, fp[0]; on it, the bisection's segment (after a repeated first knot,
    # as np.interp: a trial whose day starts with intervals it does not weight).
    return np.where(x < table[0, column], fp[0], out)


def _cdf_at(seconds: np.ndarray, cum: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Per-trial CDFs ``cum`` (trials, knots) on the shared ``edges`` (knots,) at times of day
    ``seconds`` (points,): (points, trials), as ``np.interp(seconds, edges, cum[t])``."""
    if edges.size == 1:
        return np.repeat(cum.T, seconds.size, axis=0)
    j = np.clip(np.searchsorted(edges, seconds, side="right") - 1, 0, edges.size - 2)
    w = np.clip((seconds - edges[j]) / (edges[j + 1] - edges[j]), 0.0, 1.0)[:, None]
    return cum[:, j].T * (1.0 - w) + cum[:, j + 1].T * w


def part_shares(cum: np.ndarray, edges: np.ndarray, cuts: Sequence[float]) -> np.ndarray:
    """Each part's share of the day's arrivals, the day cut at ``cuts`` (seconds, sorted).

    ``(cum, edges)`` is :func:`profile_inverse_cdf`'s; the shares are (parts,) for a shared
    profile and (parts, trials) for one per trial, parts = len(cuts) + 1.
    """
    bounds = np.array([0.0, *cuts, DAY])
    if cum.ndim == 1:
        return np.diff(np.interp(bounds, edges, cum))
    return np.diff(_cdf_at(bounds, cum, edges), axis=0)


def part_profile(
    cum: np.ndarray, edges: np.ndarray, span: Sequence[float], offset: float
) -> tuple[np.ndarray, ...]:
    """What :func:`part_clock`'s map is made of: ``(knots, clock)`` for a profile all trials
    share (the map is ``np.interp(fraction, knots, clock)``), or ``(cum, clock, low, high)``
    for one per trial (``interp_by_trial(low + fraction × (high − low), cum, clock)``).

    A part with no share of the day's arrivals (``high − low`` below the smallest normal float:
    a drawn share can underflow to 3e-321, where floats keep a few digits) maps every fraction
    to one time on both paths, ``np.interp(low, cum, clock)``: where the day's CDF, flat at
    ``low`` over the part, starts to rise again (the last weighted interval's end when nothing
    follows). It gets no arrivals, only padding rows.
    """
    clock = edges + offset
    if cum.ndim == 1:
        low, high = np.interp(span, edges, cum)
        if not high - low >= _SMALLEST_SHARE:
            return np.array([0.0, 1.0]), np.full(2, np.interp(low, cum, clock))
        return (cum - low) / (high - low), clock
    low, high = _cdf_at(np.asarray(span, dtype=float), cum, edges)
    return cum, clock, low, np.where(high - low >= _SMALLEST_SHARE, high, low)


def part_clock(
    cum: np.ndarray, edges: np.ndarray, span: Sequence[float], offset: float
) -> Callable[[np.ndarray, int], np.ndarray]:
    """The map from fractions of one part of a day's arrivals to arrival times on the clock.

    ``(cum, edges)`` is :func:`profile_inverse_cdf`'s, ``span`` the part's start and end
    (seconds after midnight) and ``offset`` the day's midnight on the run's clock. The map takes
    ``fraction`` (rows, n), ordered uniforms of the first ``n`` trials (values above 1 are
    padding and land at the part's end or later), and returns the times (rows, n): the inverse
    CDF of the day's profile restricted to the part and rescaled to [0, 1]
    (:func:`part_profile` gives its ingredients).
    """
    return clock_map(part_profile(cum, edges, span, offset))


def clock_map(profile: tuple[np.ndarray, ...]) -> Callable[[np.ndarray, int], np.ndarray]:
    """:func:`part_clock`'s map from its ingredients (:func:`part_profile`)."""
    if len(profile) == 2:
        knots, clock = profile
        return lambda fraction, n: np.interp(fraction, knots, clock)
    cum, clock, low, high = profile

    def to_clock(fraction: np.ndarray, n: int) -> np.ndarray:
        return interp_by_trial(low[:n] + fraction * (high[:n] - low[:n]), cum[:n], clock)

    return to_clock
