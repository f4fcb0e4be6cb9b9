"""The calendar of the contact flow: months, sampled days and the shape of demand within them.

Economics runs in months; contacts run on sampled days laid end to end on one clock (t = 0 is a
Monday 00:00). A :class:`MonthPlan` says which days of a month are simulated and what each stands
for; the intraday profile and weekday factors shape a day's arrivals; the scenario's hours and
staffing become a :class:`~simroi.queueing.shifts.ShiftPattern`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from simroi.queueing.roster import TrialShiftPattern
from simroi.queueing.shifts import SECONDS_PER_WEEK, ShiftPattern
from simroi.scenario.profile import open_fractions
from simroi.scenario.spec import (
    DEFAULT_INTRADAY_PROFILE,
    DEFAULT_WEEKDAY_FACTORS,
    WEEKDAYS,
    ChannelSpec,
    clock_seconds,
)

__all__ = [
    "DAY",
    "DAYS_PER_MONTH",
    "MonthPlan",
    "agent_hours_per_month",
    "calendar_weights",
    "day_cuts",
    "day_weights",
    "hourly_profile",
    "intraday_inverse_cdf",
    "intraday_profile",
    "month_plans",
    "on_duty_slot_seconds",
    "shift_pattern",
    "weekday_factors",
]

DAYS_PER_MONTH = 365.25 / 12


DAY = 86_400.0


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
    shares = intraday_profile(spec)
    if shares.size == 24:
        return shares
    return shares.reshape(24, -1).sum(axis=1)


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
    """
    factors = weekday[plan.day_index % 7]
    weight = np.zeros(plan.day_index.size)
    for part, days in (
        (slice(0, plan.sampled), plan.normal_days),
        (slice(plan.sampled, None), plan.event_days),
    ):
        total = factors[part].sum()
        if total > 0:
            weight[part] = np.where(factors[part] > 0, days / total, 0.0)
    return weight


def calendar_weights(plan: MonthPlan) -> np.ndarray:
    """Calendar days each sampled day stands for: its stratum's days over its sampled days.

    Agent time does not follow the weekday's volume: a quiet Sunday's shifts are as long as a
    Monday's. Busy and on-duty slot time are scaled with these weights, contacts with
    :func:`day_weights`.
    """
    return day_weights(plan, np.ones(7))


def intraday_inverse_cdf(spec: ChannelSpec) -> tuple[np.ndarray, np.ndarray]:
    """Knots of the inverse CDF of arrival times within the day: ``(cdf, seconds)``.

    The arrival density is piecewise constant on the intervals of :func:`intraday_profile`, so
    its CDF is piecewise linear: ``np.interp(u, cdf, seconds)`` maps a uniform ``u`` to a time
    of day in seconds after midnight. Both arrays have the same length (at most 2 × intervals
    + 1); ``cdf`` rises from 0 to 1, never falling. Intervals with no weight are skipped: where
    one or more of them lie between two weighted ones, a knot repeats the CDF's value at the
    gap's start and end, so no arrival falls in the gap.
    """
    profile = intraday_profile(spec)
    width = DAY / profile.size  # seconds per interval: 60 × minutes, a whole number
    weighted = np.flatnonzero(profile > 0)
    # Sequential partial sums, as a running total adds them (np.cumsum is not pairwise).
    after = np.cumsum(profile[weighted])
    before = np.concatenate(([0.0], after[:-1]))
    # Each weighted interval contributes its end knot, and a start knot when it is the first or
    # follows a gap (its start is not the previous knot's time).
    opens = np.concatenate(([True], weighted[1:] != weighted[:-1] + 1))
    cum = np.stack([before, after], axis=1)
    edges = np.stack([weighted * width, (weighted + 1) * width], axis=1)
    keep = np.stack([opens, np.ones_like(opens)], axis=1)
    knots = cum[keep]
    return knots / knots[-1], edges[keep]
