"""The contact flow of one channel for one month, for every trial of a block at once.

Time. Economics runs in months; contacts run in continuous time. Each month is represented by a
few *sampled days* (``simulation.sampled_days_per_month``, plus up to as many event days when an
event falls in the month). Sampled days are laid end to end on one absolute clock (t = 0 is a
Monday 00:00), so the queue state — busy agents, the email and social backlog — carries from one
sampled day to the next and from one month to the next. Counts from the sampled days are scaled to
the month: a normal day stands for ``(30.44 − event days) / sampled days`` days, corrected for its
day-of-week factor so the month's volume is unbiased; an event day stands for
``event days / sampled event days``. ``tests/test_contacts.py`` checks that sampling agrees with
simulating every day.

Arrivals. A day's count is Poisson with rate = customers × contacts per customer per year / 365.25
× day-of-week factor × a gamma "busyness" factor with mean 1 (overdispersion, Avramidis et al.
2004) × event multiplier, plus the repeat contacts sent back by last month. Times within the day
follow the hour-of-day profile (an inhomogeneous Poisson process, Brown et al. 2005). The count is
drawn by inversion and every contact slot has its own uniforms, drawn slot-major: a scenario with
more volume has the same first contacts plus more, so program, baseline and sweep points share
their customers (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from simroi.engine import QueueState, ShiftPattern, serve_fcfs
from simroi.randomness import Streams
from simroi.scenario import (
    DEFAULT_INTRADAY_PROFILE,
    DEFAULT_WEEKDAY_FACTORS,
    WEEKDAYS,
    ChannelSpec,
    clock_seconds,
)

__all__ = [
    "DAYS_PER_MONTH",
    "ChannelInputs",
    "ChannelMonth",
    "MonthPlan",
    "month_plans",
    "shift_pattern",
    "simulate_channel_month",
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
    return plans


def shift_pattern(spec: ChannelSpec) -> ShiftPattern:
    """The on-duty spans of the channel's agent slots (concurrency slots replicate each agent)."""
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
    """Agent hours on queue in an average month (concurrency slots are not extra agents)."""
    pattern = shift_pattern(spec)
    spans = np.where(np.isfinite(pattern.starts), pattern.ends - pattern.starts, 0.0)
    per_cycle = float(spans.sum()) / spec.concurrency
    return per_cycle / pattern.period_seconds * DAYS_PER_MONTH * DAY / 3600.0


@dataclass(frozen=True)
class ChannelInputs:
    """One channel's per-trial inputs for a block, all arrays of shape (trials,)."""

    first_contacts_per_day: np.ndarray  # at the month's customer base, before deflection
    handle_mean_s: np.ndarray
    handle_cv: np.ndarray
    patience_mean_s: np.ndarray  # +inf: never abandons
    fcr: np.ndarray
    public_share: np.ndarray
    busyness_cv: np.ndarray
    slot_slowdown: np.ndarray  # handle time multiplier per conversation from concurrency


@dataclass(frozen=True)
class ChannelMonth:
    """What happened on one channel in one month, per trial (all arrays (trials,)).

    Counts are scaled to the whole month. ``classes`` counts contacts by experience class in the
    order of :data:`simroi.scenario.EXPERIENCE_CLASSES`; the ``public_*`` counts are the public
    share of contacts by class.
    """

    offered: np.ndarray
    answered: np.ndarray
    unanswered: np.ndarray  # abandoned (realtime) or ignored (deferrable)
    within_sla: np.ndarray
    wait_sum_s: np.ndarray  # total wait of answered contacts
    response_p90_s: np.ndarray  # of answered contacts in the sampled days (NaN if none)
    busy_slot_s: np.ndarray  # slot time spent serving, scaled to the month
    classes: np.ndarray  # (trials, 5)
    public_classes: np.ndarray  # (trials, 5)


def _profile(spec: ChannelSpec) -> np.ndarray:
    """Hour-of-day arrival weights; a realtime channel only receives contacts while open."""
    weights = np.asarray(spec.intraday_profile or DEFAULT_INTRADAY_PROFILE, dtype=float).copy()
    if spec.kind == "realtime":
        open_h = clock_seconds(spec.hours.open) / 3600.0
        close_h = clock_seconds(spec.hours.close) / 3600.0
        hours = np.arange(24.0)
        overlap = np.clip(np.minimum(hours + 1, close_h) - np.maximum(hours, open_h), 0.0, 1.0)
        weights *= overlap
    if weights.sum() <= 0:
        raise ValueError("the hour-of-day profile has no weight while the channel is open")
    return weights / weights.sum()


def _weekday_factors(spec: ChannelSpec) -> np.ndarray:
    factors = np.asarray(spec.weekday_factors or DEFAULT_WEEKDAY_FACTORS, dtype=float)
    if spec.kind == "realtime":
        closed = [i for i, d in enumerate(WEEKDAYS) if d not in spec.hours.days]
        factors = factors.copy()
        factors[closed] = 0.0
    return factors / factors.mean()


def _time_of_day(u: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """Seconds after midnight by inversion of the piecewise-constant hourly profile."""
    cum = np.concatenate([[0.0], np.cumsum(profile)])
    cum[-1] = 1.0
    hour = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, 23)
    width = profile[hour]
    frac = np.where(width > 0, (u - cum[hour]) / np.where(width > 0, width, 1.0), 0.0)
    return (hour + np.clip(frac, 0.0, 1.0)) * 3600.0


def _handle_times(u: np.ndarray, mean: np.ndarray, cv: np.ndarray, dist: str) -> np.ndarray:
    if dist == "exponential":
        return -mean * np.log1p(-u)
    if dist == "lognormal":
        sigma2 = np.log1p(cv**2)
        mu = np.log(mean) - sigma2 / 2
        return np.exp(mu + np.sqrt(sigma2) * special.ndtri(u))
    shape = 1.0 / cv**2
    return special.gammaincinv(shape, u) * mean / shape


def _patience(u: np.ndarray, mean: np.ndarray, dist: str, shape: float) -> np.ndarray:
    if dist == "exponential":
        return -mean * np.log1p(-u)
    if dist == "weibull":
        scale = mean / special.gamma(1.0 + 1.0 / shape)
        return scale * (-np.log1p(-u)) ** (1.0 / shape)
    mu = np.log(mean) - shape**2 / 2
    return np.exp(mu + shape * special.ndtri(u))


def simulate_channel_month(
    name: str,
    spec: ChannelSpec,
    inputs: ChannelInputs,
    plan: MonthPlan,
    *,
    volume_factor: np.ndarray,
    repeats_per_day: np.ndarray,
    deflected_share: np.ndarray,
    state: QueueState,
    shifts: ShiftPattern,
    streams: Streams,
    engine: str = "vectorized",
) -> tuple[ChannelMonth, QueueState]:
    """Simulate one channel over one month's sampled days for every trial of a block.

    Parameters
    ----------
    volume_factor : (trials,) customers now / customers at the start
    repeats_per_day : (trials,) repeat contacts arriving per day (sent back by earlier months)
    deflected_share : (trials,) share of first contacts deflected before they reach the queue
    state : the queue state carried from the previous month
    """
    trials = volume_factor.shape[0]
    profile = _profile(spec)
    weekday = _weekday_factors(spec)
    rate = inputs.first_contacts_per_day * volume_factor * (1.0 - deflected_share) + repeats_per_day
    cv = inputs.busyness_cv
    shape = np.where(cv > 0, 1.0 / np.maximum(cv, 1e-12) ** 2, np.inf)
    day_blocks = []
    weekday_of_day = plan.day_index % 7
    for j, day in enumerate(plan.day_index):
        key = (name, int(day))
        rng_busy = streams.rng("busyness", *key)
        busy = np.where(
            np.isfinite(shape),
            rng_busy.standard_gamma(np.where(np.isfinite(shape), shape, 1.0)),
            1.0,
        )
        busy = np.where(np.isfinite(shape), busy / np.where(np.isfinite(shape), shape, 1.0), 1.0)
        lam = rate * weekday[weekday_of_day[j]] * busy * plan.multiplier[name][j]
        count = stats.poisson.ppf(streams.rng("count", *key).random(trials), lam)
        count = np.nan_to_num(count, nan=0.0).astype(np.int64)
        slots = int(count.max(initial=0))
        # Slot-major draws: row k is contact k of the day in every trial (common random numbers).
        u_time = streams.rng("time", *key).random((slots, trials))
        u_handle = streams.rng("handle", *key).random((slots, trials))
        u_patience = streams.rng("patience", *key).random((slots, trials))
        u_resolve = streams.rng("resolve", *key).random((slots, trials))
        u_public = streams.rng("public", *key).random((slots, trials))
        present = np.arange(slots)[:, None] < count[None, :]
        arrival = np.where(present, day * DAY + _time_of_day(u_time, profile), np.inf)
        day_blocks.append((arrival, u_handle, u_patience, u_resolve, u_public, present, j))
    arrival = np.concatenate([b[0] for b in day_blocks]) if day_blocks else np.empty((0, trials))
    order = np.argsort(arrival, axis=0, kind="stable")

    def gather(parts: list[np.ndarray]) -> np.ndarray:
        return np.take_along_axis(np.concatenate(parts), order, axis=0)

    arrival = np.take_along_axis(arrival, order, axis=0)
    present = gather([b[5] for b in day_blocks])
    day_of = gather([np.full(b[0].shape, b[6]) for b in day_blocks])
    handle = (
        _handle_times(
            gather([b[1] for b in day_blocks]),
            inputs.handle_mean_s,
            inputs.handle_cv,
            spec.handle_time_dist,
        )
        * inputs.slot_slowdown
    )
    if spec.kind == "realtime":
        patience = _patience(
            gather([b[2] for b in day_blocks]),
            inputs.patience_mean_s,
            spec.patience_dist,
            spec.patience_shape,
        )
    else:
        patience = np.broadcast_to(inputs.patience_mean_s, arrival.shape)
    resolved_mark = gather([b[3] for b in day_blocks]) < inputs.fcr
    public_mark = gather([b[4] for b in day_blocks]) < inputs.public_share
    arrival = np.where(present, arrival, 0.0)
    if engine == "simpy":
        from simroi.reference import serve_fcfs_simpy

        start, state = serve_fcfs_simpy(arrival, handle, patience, present, shifts, state)
    else:
        start, state = serve_fcfs(arrival, handle, patience, present, shifts, state)
    return _outcomes(
        spec, plan, weekday, arrival, start, handle, present, day_of, resolved_mark, public_mark
    ), state


def _outcomes(
    spec: ChannelSpec,
    plan: MonthPlan,
    weekday: np.ndarray,
    arrival: np.ndarray,
    start: np.ndarray,
    handle: np.ndarray,
    present: np.ndarray,
    day_of: np.ndarray,
    resolved_mark: np.ndarray,
    public_mark: np.ndarray,
) -> ChannelMonth:
    # Each sampled day stands for (days in its stratum) / (sum of the sampled days' weekday
    # factors) days, so the month's expected volume is unbiased whatever weekdays were sampled.
    factors = weekday[plan.day_index % 7]
    weight = np.zeros(plan.day_index.size)
    for part, days in (
        (slice(0, plan.sampled), plan.normal_days),
        (slice(plan.sampled, None), plan.event_days),
    ):
        total = factors[part].sum()
        if total > 0:
            weight[part] = days / total * factors[part]
    weight = np.where(factors > 0, weight / np.where(factors > 0, factors, 1.0), 0.0)
    w = weight[day_of] * present
    answered = present & np.isfinite(start)
    wait = np.where(answered, start - arrival, np.nan)
    if spec.kind == "realtime":
        response = wait
    else:
        response = np.where(answered, start + handle - arrival, np.nan)
    fast = answered & (response <= spec.sla_threshold_seconds)
    resolved = answered & resolved_mark
    classes = np.stack(
        [
            resolved & fast,
            resolved & ~fast,
            answered & ~resolved_mark,
            present & ~answered & (spec.kind == "realtime"),
            present & ~answered & (spec.kind != "realtime"),
        ]
    )  # (5, n, trials)
    counts = (classes * w).sum(axis=1).T
    public_counts = (classes * (w * public_mark)).sum(axis=1).T
    p90 = np.full(arrival.shape[1], np.nan)
    some = answered.any(axis=0)
    if some.any():
        p90[some] = np.nanpercentile(np.where(answered, response, np.nan)[:, some], 90, axis=0)
    return ChannelMonth(
        offered=w.sum(axis=0),
        answered=(w * answered).sum(axis=0),
        unanswered=(w * (present & ~answered)).sum(axis=0),
        within_sla=(w * fast).sum(axis=0),
        wait_sum_s=(np.where(answered, wait, 0.0) * w).sum(axis=0),
        response_p90_s=np.asarray(p90, dtype=float),
        busy_slot_s=(np.where(answered, handle, 0.0) * w).sum(axis=0),
        classes=counts,
        public_classes=public_counts,
    )
