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
from simroi.errors import ScenarioError
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
#: Most contact slots (contacts on a simulated day × trials in the block, summed over the month's
#: simulated days) one channel may hold at once: about 5 GB of working memory. The bundled
#: outage scenario peaks near 2e7; beyond the limit the run stops with advice instead of
#: exhausting memory.
MAX_CONTACT_SLOTS = 30_000_000


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
    # Slots never on duty have infinite starts and ends: leave them out (inf - inf is NaN).
    on_duty = np.isfinite(pattern.starts)
    spans = np.subtract(
        pattern.ends, pattern.starts, out=np.zeros_like(pattern.starts), where=on_duty
    )
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
    backlog_end: np.ndarray  # contacts still waiting when the month's last sampled day ends
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


# Per-contact draws use the distribution's fastest standard form: a standard normal for a
# lognormal, a standard exponential for an exponential or Weibull, a uniform for a gamma.
_STANDARD = {
    "lognormal": "normal",
    "exponential": "exponential",
    "weibull": "exponential",
    "gamma": "uniform",
}


def _standard_draws(rng: np.random.Generator, kind: str, shape: tuple[int, int]) -> np.ndarray:
    if kind == "normal":
        return rng.standard_normal(shape)
    if kind == "exponential":
        return rng.standard_exponential(shape)
    return rng.random(shape)


def _handle_times(z: np.ndarray, mean: np.ndarray, cv: np.ndarray, dist: str) -> np.ndarray:
    """Handle times from standard draws ``z`` (see ``_STANDARD``) with per-trial mean and cv."""
    if dist == "exponential":
        return mean * z
    if dist == "lognormal":
        sigma2 = np.log1p(cv**2)
        mu = np.log(mean) - sigma2 / 2
        return np.exp(mu + np.sqrt(sigma2) * z)
    shape = 1.0 / cv**2
    return special.gammaincinv(shape, z) * mean / shape


def _patience(z: np.ndarray, mean: np.ndarray, dist: str, shape: float) -> np.ndarray:
    """Patience from standard draws ``z`` (see ``_STANDARD``) with per-trial mean."""
    if dist == "exponential":
        return mean * z
    if dist == "weibull":
        scale = mean / special.gamma(1.0 + 1.0 / shape)
        return scale * z ** (1.0 / shape)
    mu = np.log(mean) - shape**2 / 2
    return np.exp(mu + shape * z)


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
    cum, edges = _profile_inverse(profile)
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("arrival", "present", "weight", "handle", "patience", "resolve", "public")
    }
    weights = _day_weights(plan, weekday)
    held = 0
    for j, day in enumerate(plan.day_index):
        key = (name, int(day))
        busy = np.ones(trials)
        varies = np.isfinite(shape)
        if varies.any():
            draw = streams.rng("busyness", *key).standard_gamma(np.where(varies, shape, 1.0))
            busy = np.where(varies, draw / np.where(varies, shape, 1.0), 1.0)
        lam = rate * weekday[plan.day_index[j] % 7] * busy * plan.multiplier[name][j]
        if not np.isfinite(lam).all() or float(lam.max(initial=0.0)) > MAX_CONTACT_SLOTS:
            _too_many_contacts(name, float(np.nan_to_num(lam, nan=np.inf).max()), trials)
        count = stats.poisson.ppf(streams.rng("count", *key).random(trials), lam)
        count = np.nan_to_num(count, nan=0.0).astype(np.int64)
        slots = int(count.max(initial=0))
        held += (slots + 1) * trials
        if held > MAX_CONTACT_SLOTS:
            _too_many_contacts(name, slots, trials)
        # The day's arrival times come out sorted: the order statistics of `count` uniforms are
        # the normalized partial sums of count + 1 exponentials. Contact k of the day (by rank)
        # gets the k-th draw of every per-contact stream, so worlds with a little more or less
        # volume still share their contacts (common random numbers by rank).
        gaps = streams.rng("gaps", *key).standard_exponential((slots + 1, trials))
        sums = np.cumsum(gaps, axis=0)
        total = np.take_along_axis(sums, count[None, :], axis=0)
        present = np.arange(slots)[:, None] < count[None, :]
        time_of_day = np.interp(sums[:slots] / total, cum, edges)
        # Padding rows sit at midnight after the day, which keeps every column non-decreasing.
        parts["arrival"].append(day * DAY + np.where(present, time_of_day, DAY))
        parts["present"].append(present)
        parts["weight"].append(np.where(present, weights[j], 0.0))
        size = (slots, trials)
        handle_kind = _STANDARD[spec.handle_time_dist]
        parts["handle"].append(_standard_draws(streams.rng("handle", *key), handle_kind, size))
        if spec.kind == "realtime":
            patience_kind = "normal" if spec.patience_dist == "lognormal" else "exponential"
            parts["patience"].append(
                _standard_draws(streams.rng("patience", *key), patience_kind, size)
            )
        for purpose in ("resolve", "public"):
            parts[purpose].append(streams.rng(purpose, *key).random(size))
    joined = {k: np.concatenate(v) if v else np.empty((0, trials)) for k, v in parts.items()}
    arrival, present = joined["arrival"], joined["present"].astype(bool)
    handle = (
        _handle_times(
            joined["handle"], inputs.handle_mean_s, inputs.handle_cv, spec.handle_time_dist
        )
        * inputs.slot_slowdown
    )
    if spec.kind == "realtime":
        patience = _patience(
            joined["patience"], inputs.patience_mean_s, spec.patience_dist, spec.patience_shape
        )
    else:
        patience = np.broadcast_to(inputs.patience_mean_s, arrival.shape)
    resolved_mark = joined["resolve"] < inputs.fcr
    public_mark = joined["public"] < inputs.public_share
    if engine == "simpy":
        from simroi.reference import serve_fcfs_simpy

        start, state = serve_fcfs_simpy(arrival, handle, patience, present, shifts, state)
    else:
        start, state = serve_fcfs(arrival, handle, patience, present, shifts, state)
    month_end = (int(plan.day_index[-1]) + 1) * DAY if plan.day_index.size else 0.0
    outcome = _outcomes(
        spec,
        joined["weight"],
        arrival,
        start,
        handle,
        present,
        resolved_mark,
        public_mark,
        month_end,
    )
    return outcome, state


def _too_many_contacts(name: str, contacts: float, trials: int) -> None:
    """Refuse a month that would not fit in memory (rather than crash or silently drop it)."""
    amount = f"{contacts:,.0f}" if contacts < 1e12 else f"{contacts:.3g}"
    raise ScenarioError(
        f"channels.{name}: up to {amount} contacts on one simulated day × {trials} "
        f"trials in a block is more than simroi holds at once ({MAX_CONTACT_SLOTS:,} contact "
        "slots per channel and month); lower simulation.block_size, or check "
        "contacts_per_customer_per_year and customers.active_customers"
    )


def _day_weights(plan: MonthPlan, weekday: np.ndarray) -> np.ndarray:
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


def _profile_inverse(profile: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knots of the inverse CDF of the hourly profile (hours with no weight are skipped)."""
    cum = [0.0]
    edges = [float(np.argmax(profile > 0)) * 3600.0]
    for hour, weight in enumerate(profile):
        if weight > 0:
            if edges[-1] != hour * 3600.0:  # jump over closed hours
                cum.append(cum[-1])
                edges.append(hour * 3600.0)
            cum.append(cum[-1] + float(weight))
            edges.append((hour + 1) * 3600.0)
    knots = np.asarray(cum)
    return knots / knots[-1], np.asarray(edges)


def _p90(response: np.ndarray, answered: np.ndarray) -> np.ndarray:
    """The 90th percentile of each trial's answered response times (NaN if none answered)."""
    ordered = np.sort(np.where(answered, response, np.inf).T, axis=1)
    m = answered.sum(axis=0)
    position = 0.9 * np.maximum(m - 1, 0)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, np.maximum(m - 1, 0))
    rows = np.arange(ordered.shape[0])
    if ordered.shape[1] == 0:
        return np.full(answered.shape[1], np.nan)
    a, b = (
        ordered[rows, np.minimum(low, ordered.shape[1] - 1)],
        ordered[rows, np.minimum(high, ordered.shape[1] - 1)],
    )
    with np.errstate(invalid="ignore"):
        value = a + (position - low) * (b - a)
    return np.where(m > 0, np.where(high == low, a, value), np.nan)


def _outcomes(
    spec: ChannelSpec,
    w: np.ndarray,
    arrival: np.ndarray,
    start: np.ndarray,
    handle: np.ndarray,
    present: np.ndarray,
    resolved_mark: np.ndarray,
    public_mark: np.ndarray,
    month_end: float,
) -> ChannelMonth:
    """Month totals per trial; ``w`` (n, trials) is each contact's weight (0 for padding).

    The backlog at month end counts contacts that arrived in the month and were not yet picked
    up when its last sampled day ended: answered later, or never (deferrable, no agent ever).
    """
    answered = present & np.isfinite(start)
    wait = np.where(answered, start - arrival, 0.0)
    response = wait if spec.kind == "realtime" else wait + np.where(answered, handle, 0.0)
    fast = answered & (response <= spec.sla_threshold_seconds)
    unanswered = present & ~answered
    # One pass per table: each contact's class code (0-4, or 5 for padding) indexes a bincount
    # by (trial, class), weighted by the contact's weight.
    trials = w.shape[1]
    unanswered_code = 3 if spec.kind == "realtime" else 4
    code = np.where(
        answered, np.where(resolved_mark, np.where(fast, 0, 1), 2), unanswered_code
    ).astype(np.int64)
    code[~present] = 5
    cell = code * trials + np.arange(trials)
    counts = np.bincount(cell.ravel(), weights=w.ravel(), minlength=6 * trials)
    counts = counts.reshape(6, trials)[:5].T
    public = np.bincount(cell.ravel(), weights=(w * public_mark).ravel(), minlength=6 * trials)
    public_counts = public.reshape(6, trials)[:5].T
    wa = w * answered
    return ChannelMonth(
        offered=w.sum(axis=0),
        answered=wa.sum(axis=0),
        unanswered=(w * unanswered).sum(axis=0),
        within_sla=(w * fast).sum(axis=0),
        wait_sum_s=(wa * wait).sum(axis=0),
        response_p90_s=_p90(response, answered),
        busy_slot_s=(wa * handle).sum(axis=0),
        backlog_end=(w * (present & ~(start < month_end)) * (spec.kind != "realtime")).sum(axis=0),
        classes=counts,
        public_classes=public_counts,
    )
