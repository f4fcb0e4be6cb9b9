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

Arrivals. A day's rate is customers × contacts per customer per year / 365.25 × day-of-week
factor × a gamma "busyness" factor with mean 1 (overdispersion, Avramidis et al. 2004) × event
multiplier, plus the repeat contacts sent back by last month; times within the day follow the
hour-of-day profile (an inhomogeneous Poisson process, Brown et al. 2005). The day is simulated in
two parts cut at the channel's closing time: each part's count is Poisson on its share of the
profile, drawn by inversion, and at the cut the engine moves every finished shift for all trials
at once. Contact k of a part (by rank)
gets draw k of every per-contact stream of that part, from its trial's region of the stream
(:func:`_draw_by_groups`): a scenario with more volume has the same first contacts plus more, so
program, baseline and sweep points share their customers (common random numbers).

Layout. Worlds (program, baseline) that share a channel's sampled days share its draws and sit
side by side on the trial axis, interleaved; the model orders trials by customers, so a
part's contacts form a staircase over the trials (:func:`_staircase`) and the padding after each
trial's last contact is neither queued nor counted, and drawn only up to the busiest trial of
each column group.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import special

from simroi.distributions import poisson_ppf
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
    "ChannelLoad",
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


_MONTH_FIELDS = tuple(ChannelMonth.__dataclass_fields__)


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


def _standard_draws(rng: np.random.Generator, kind: str, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` (C-contiguous) with standard draws of ``kind``."""
    if kind == "normal":
        return rng.standard_normal(out=out)
    if kind == "exponential":
        return rng.standard_exponential(out=out)
    return rng.random(out=out)


#: Trials are grouped in column groups of ``ceil(trials / _GROUPS)`` for drawing per-contact
#: numbers: each group draws from its own region of the stream, only as many rows as its busiest
#: trial needs.
_GROUPS = 16
#: Group g's draws start 2**40 raw outputs into the stream: regions never overlap (a region
#: would need more draws than memory holds).
_REGION_BITS = 40


def _draw_by_groups(
    rng: np.random.Generator, kind: str, out: np.ndarray, cover: list[tuple[int, int, int]]
) -> None:
    """Fill ``out`` (rows, trials) with standard draws of ``kind`` where ``cover`` needs them.

    ``cover`` is a staircase of rectangles (rows ``lo:hi`` of columns ``:n``, see
    :func:`_staircase`). Column group g (``_GROUPS`` groups of equal width) draws its rows
    slot-major from region g of the stream, which starts ``g << _REGION_BITS`` raw outputs in:
    entry (k, t) of a group is its k·width + t-th draw whatever the number of rows drawn, so
    contact k of trial t gets the same number whatever the other trials' volumes (common random
    numbers by rank), and the padding beyond a group's busiest trial is never drawn. Elsewhere
    ``out`` is left as it was.
    """
    trials = out.shape[1]
    if trials == 0:
        return
    width = -(-trials // _GROUPS)
    generator = rng.bit_generator
    if not isinstance(generator, np.random.PCG64):  # regions need a generator that can advance
        raise TypeError(f"per-contact streams must be PCG64 (got {type(generator).__name__})")
    origin = generator.state
    for first in range(0, trials, width):
        rows = max((hi for _, hi, n in cover if n > first), default=0)
        if rows == 0:
            continue
        generator.state = origin
        generator.advance((first // width) << _REGION_BITS)
        cols = slice(first, min(trials, first + width))
        block = np.empty((rows, cols.stop - cols.start))
        _standard_draws(rng, kind, block)
        out[:rows, cols] = block


def _handle_times(
    z: np.ndarray, mean: np.ndarray, cv: np.ndarray, dist: str, out: np.ndarray
) -> None:
    """Handle times from standard draws ``z`` (see ``_STANDARD``) with per-trial mean and cv,
    written into ``out``."""
    if dist == "exponential":
        np.multiply(mean, z, out=out)
    elif dist == "lognormal":
        sigma2 = np.log1p(cv**2)
        mu = np.log(mean) - sigma2 / 2
        np.multiply(np.sqrt(sigma2), z, out=out)
        out += mu
        np.exp(out, out=out)
    else:
        shape = 1.0 / cv**2
        np.multiply(special.gammaincinv(shape, z), mean / shape, out=out)


def _patience(z: np.ndarray, mean: np.ndarray, dist: str, shape: float) -> np.ndarray:
    """Patience from standard draws ``z`` (see ``_STANDARD``) with per-trial mean."""
    if dist == "exponential":
        return mean * z
    if dist == "weibull":
        scale = mean / special.gamma(1.0 + 1.0 / shape)
        return scale * z ** (1.0 / shape)
    mu = np.log(mean) - shape**2 / 2
    return np.exp(mu + shape * z)


@dataclass(frozen=True)
class ChannelLoad:
    """One world's side of a channel for one month (a world is the program or its baseline).

    ``volume_factor`` is customers now / customers at the start, ``repeats_per_day`` the repeat
    contacts sent back by earlier months, ``deflected_share`` the share of first contacts
    deflected before they reach the queue (all (trials,)); ``state`` is the queue carried from
    the previous month.
    """

    spec: ChannelSpec
    inputs: ChannelInputs
    plan: MonthPlan
    volume_factor: np.ndarray
    repeats_per_day: np.ndarray
    deflected_share: np.ndarray
    state: QueueState
    shifts: ShiftPattern


def simulate_channel_month(
    name: str,
    loads: list[ChannelLoad],
    *,
    streams: Streams,
    engine: str = "vectorized",
) -> list[tuple[ChannelMonth, QueueState]]:
    """Simulate one channel over one month's sampled days, for every world and trial of a block.

    Streams are keyed by purpose, channel, day and part of the day, never by world, so worlds
    with the same sampled days and closing time would draw identical numbers: they share one set
    of draws, and worlds whose shifts agree go through the queue engine together, side by side on
    the trial axis (twice the width, half the engine steps). Returns one (outcome, new state) per
    load, in order.
    """
    results: list[tuple[ChannelMonth, QueueState] | None] = [None] * len(loads)
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, load in enumerate(loads):
        plan = load.plan
        cuts = _day_cuts(load.spec)
        key = (plan.day_index.tobytes(), plan.sampled, plan.normal_days, plan.event_days, cuts)
        groups.setdefault(key, []).append(i)
    for members in groups.values():
        cuts = _day_cuts(loads[members[0]].spec)
        counts = [_day_counts(name, loads[i], streams, cuts) for i in members]
        rows = sum(
            int(np.max([c.max(axis=1, initial=0) for c in day], axis=0).sum())
            for day in zip(*counts, strict=True)
        )
        if len(members) > 1 and rows * len(members) * loads[0].volume_factor.size > (
            MAX_CONTACT_SLOTS
        ):
            # Too wide to hold side by side: one world at a time (same numbers, less memory).
            for i, c in zip(members, counts, strict=True):
                (results[i],) = _simulate_shared(name, [loads[i]], [c], cuts, streams, engine)
            continue
        members_loads = [loads[i] for i in members]
        shared = _simulate_shared(name, members_loads, counts, cuts, streams, engine)
        for i, result in zip(members, shared, strict=True):
            results[i] = result
    return [r for r in results if r is not None]


def _day_cuts(spec: ChannelSpec) -> tuple[tuple[float, ...], ...]:
    """For each weekday, the times of day (seconds) at which the day is cut into parts.

    A day is simulated in parts between these times: at the start of each part every agent slot
    whose shift has ended moves to its next one, for all trials at once (see ``moves`` in
    :func:`simroi.engine.serve_fcfs`), instead of trial by trial as contacts meet it. The cut is
    the channel's closing time, where every shift ends: it depends on the opening hours only,
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


def _day_counts(
    name: str, load: ChannelLoad, streams: Streams, cuts: tuple[tuple[float, ...], ...]
) -> list[np.ndarray]:
    """Contacts per part of each sampled day of the month, per trial: (parts, trials) a day.

    A day's rate is Poisson with a gamma busyness; its parts (``cuts``) are independent Poisson
    counts with the rate's share of the day's profile, drawn by inversion.
    """
    inputs, plan = load.inputs, load.plan
    trials = load.volume_factor.shape[0]
    weekday = _weekday_factors(load.spec)
    cum, edges = _profile_inverse(_profile(load.spec))
    rate = (
        inputs.first_contacts_per_day * load.volume_factor * (1.0 - load.deflected_share)
        + load.repeats_per_day
    )
    cv = inputs.busyness_cv
    shape = np.where(cv > 0, 1.0 / np.maximum(cv, 1e-12) ** 2, np.inf)
    varies = np.isfinite(shape)
    counts = []
    held = 0
    for j, day in enumerate(plan.day_index):
        key = (name, int(day))
        busy = np.ones(trials)
        if varies.any():
            draw = streams.rng("busyness", *key).standard_gamma(np.where(varies, shape, 1.0))
            busy = np.where(varies, draw / np.where(varies, shape, 1.0), 1.0)
        lam = rate * weekday[plan.day_index[j] % 7] * busy * plan.multiplier[name][j]
        if not np.isfinite(lam).all() or float(lam.max(initial=0.0)) > MAX_CONTACT_SLOTS:
            _too_many_contacts(name, float(np.nan_to_num(lam, nan=np.inf).max()), trials)
        share = np.diff(np.interp([0.0, *cuts[int(day) % 7], DAY], edges, cum))
        u = streams.rng("count", *key).random((share.size, trials))
        count = poisson_ppf(u, share[:, None] * lam[None, :])
        slots = int(count.max(axis=1, initial=0).sum())
        held += (slots + share.size) * trials
        if held > MAX_CONTACT_SLOTS:
            _too_many_contacts(name, slots, trials)
        counts.append(count)
    return counts


def _simulate_shared(
    name: str,
    loads: list[ChannelLoad],
    counts: list[list[np.ndarray]],
    cuts: tuple[tuple[float, ...], ...],
    streams: Streams,
    engine: str,
) -> list[tuple[ChannelMonth, QueueState]]:
    """Worlds with the same sampled days, side by side: world *l* owns columns l, l + L, l + 2L …

    Each part of a day comes out sorted: the order statistics of `count` uniforms are the
    normalized partial sums of count + 1 exponentials. Contact k of a part (by rank) gets the
    k-th draw of every per-contact stream of that part, so worlds with a little more or less
    volume still share their contacts (common random numbers by rank).
    """
    plan = loads[0].plan
    trials = loads[0].volume_factor.shape[0]
    worlds = len(loads)
    width = trials * worlds

    def lanes(i: int, n: int) -> slice:
        """World i's columns for its first n trials: worlds are interleaved, trial-major."""
        return slice(i, i + worlds * n, worlds)

    # Rows run day by day and, within a day, part by part (see _day_cuts).
    part_slots = [
        np.max([c[j].max(axis=1, initial=0) for c in counts], axis=0).tolist()
        for j in range(plan.day_index.size)
    ]
    rows = int(sum(sum(day) for day in part_slots))
    # Only the staircase of each day (see _staircase) is filled; the rest stays zero / False,
    # which the engine and the outcomes read as padding.
    arrival = np.zeros((rows, width))
    present = np.zeros((rows, width), dtype=bool)
    handle = np.zeros((rows, width))
    resolved_mark = np.zeros((rows, width), dtype=bool)
    public_mark = np.zeros((rows, width), dtype=bool)
    realtime = [load.spec.kind == "realtime" for load in loads]
    public = [bool((load.inputs.public_share > 0).any()) for load in loads]
    # Per-contact standard draws, made once and shared by every world; turned into handle
    # times, patience and marks per world once the month's rows are filled. Each column group
    # draws from its own region of the stream (_draw_by_groups), so that contact k of trial t
    # gets the same numbers whatever the other trials' volumes (common random numbers by rank).
    z_handle = {_STANDARD[load.spec.handle_time_dist] for load in loads}
    z_patience = {
        "normal" if load.spec.patience_dist == "lognormal" else "exponential"
        for load, rt in zip(loads, realtime, strict=True)
        if rt
    }
    draws = {("handle", k): np.empty((rows, trials)) for k in z_handle}
    draws |= {("patience", k): np.empty((rows, trials)) for k in z_patience}
    draws["resolve", "uniform"] = np.empty((rows, trials))
    if any(public):
        draws["public", "uniform"] = np.empty((rows, trials))
    # Month days each sampled day stands for, per day and column.
    day_weight = np.stack(
        [
            np.repeat(_day_weights(plan, _weekday_factors(load.spec))[:, None], trials, axis=1)
            for load in loads
        ],
        axis=2,
    ).reshape(plan.day_index.size, width)
    inverse = [_profile_inverse(_profile(load.spec)) for load in loads]
    day_rows = []
    day_pieces: list[list[tuple[int, int, int]]] = []
    moves = []
    r0 = 0
    every = np.arange(trials)
    for j, day in enumerate(plan.day_index):
        first = r0
        bounds = [0.0, *cuts[int(day) % 7], DAY]
        day_pieces.append([])
        for part, slots in enumerate(part_slots[j]):
            if slots == 0:
                continue
            # Nobody in these rows arrives before the part begins: every slot whose shift has
            # ended moves to its next one, for all trials at once.
            moves.append((r0, day * DAY + bounds[part]))
            key = (name, int(day), part)
            # Row count of column t holds its total (the partial sum of count + 1 exponentials).
            steps = _staircase(np.max([c[j][part] for c in counts], axis=0) + 1)
            gaps = np.empty((slots + 1, trials))
            _draw_by_groups(streams.rng("gaps", *key), "exponential", gaps, steps)
            # Partial sums down each column, row by row over the staircase (numpy's cumsum
            # along axis 0 is several times slower); the same additions in the same order.
            sums = np.empty_like(gaps)
            sums[0] = gaps[0]
            for lo, hi, n in steps:
                for r in range(max(lo, 1), hi):
                    np.add(sums[r - 1, :n], gaps[r, :n], out=sums[r, :n])
            pieces = [(lo, min(hi, slots), n) for lo, hi, n in steps if lo < slots]
            for i in range(len(loads)):
                count = counts[i][j][part]
                total = sums[count, every]
                cum, edges = inverse[i]
                low, high = np.interp(bounds[part : part + 2], edges, cum)
                # The inverse CDF of the day's profile, restricted to the part and rescaled to
                # [0, 1], on the run's clock: order statistics map straight to arrival times.
                knots = (cum - low) / max(high - low, 1e-300)
                clock = edges + day * DAY
                for lo, hi, n in pieces:
                    rank = np.arange(lo, hi)[:, None]
                    np.less(rank, count[None, :n], out=present[r0 + lo : r0 + hi, lanes(i, n)])
                    # Padding rows (rank ≥ count) land after the part; the engine ignores them.
                    fraction = sums[lo:hi, :n] / total[:n]
                    arrival[r0 + lo : r0 + hi, lanes(i, n)] = np.interp(fraction, knots, clock)
            for (purpose, kind), out in draws.items():
                _draw_by_groups(streams.rng(purpose, *key), kind, out[r0 : r0 + slots], pieces)
            day_pieces[-1] += [(r0 + lo, r0 + hi, n) for lo, hi, n in pieces]
            r0 += slots
        day_rows.append(slice(first, r0))
    month_pieces = [p for day in day_pieces for p in day]
    patience = np.zeros((rows, width)) if any(realtime) else None
    tables = [t for t in (handle, patience, resolved_mark, public_mark) if t is not None]
    # A world whose per-contact inputs are those of an earlier one (program and baseline
    # usually differ in staffing and volume, not in handle times) copies its numbers.
    twins: dict[tuple[object, ...], int] = {}
    for i, load in enumerate(loads):
        spec, inputs = load.spec, load.inputs
        twin = twins.setdefault(_contact_key(load), i)
        z = draws["handle", _STANDARD[spec.handle_time_dist]]
        for lo, hi, n in month_pieces:
            here = (slice(lo, hi), lanes(i, n))
            if twin != i:
                for table in tables:
                    table[here] = table[lo:hi, lanes(twin, n)]
                continue
            # Concurrency slows each conversation: a scale factor on the mean handle time.
            mean = inputs.handle_mean_s[:n] * inputs.slot_slowdown[:n]
            _handle_times(
                z[lo:hi, :n], mean, inputs.handle_cv[:n], spec.handle_time_dist, handle[here]
            )
            if patience is not None:
                if realtime[i]:
                    kind = "normal" if spec.patience_dist == "lognormal" else "exponential"
                    patience[here] = _patience(
                        draws["patience", kind][lo:hi, :n],
                        inputs.patience_mean_s[:n],
                        spec.patience_dist,
                        spec.patience_shape,
                    )
                else:
                    patience[here] = inputs.patience_mean_s[:n]
            np.less(draws["resolve", "uniform"][lo:hi, :n], inputs.fcr[:n], out=resolved_mark[here])
            if public[i]:
                u = draws["public", "uniform"][lo:hi, :n]
                np.less(u, inputs.public_share[:n], out=public_mark[here])
    if patience is None:
        means = np.stack([load.inputs.patience_mean_s for load in loads], axis=1).reshape(width)
        patience = np.broadcast_to(means, (rows, width))
    month_end = (int(plan.day_index[-1]) + 1) * DAY  # sampled_days_per_month ≥ 1
    # Worlds go through the engine together when they all queue alike; else one by one.
    together: list[tuple[list[int], slice]] = [(list(range(worlds)), slice(None))]
    if len({_queue_key(load) for load in loads}) > 1:
        together = [([i], slice(i, None, worlds)) for i in range(worlds)]
    results: dict[int, tuple[ChannelMonth, QueueState]] = {}
    for members, columns in together:
        lead = loads[members[0]]
        size = len(members)
        state = QueueState(
            np.stack([loads[i].state.free_at for i in members], axis=2).reshape(-1, size * trials),
            np.stack([loads[i].state.span_end for i in members], axis=2).reshape(-1, size * trials),
        )
        queue = (arrival[:, columns], handle[:, columns], patience[:, columns], present[:, columns])
        if engine == "simpy":
            from simroi.reference import serve_fcfs_simpy

            start, state = serve_fcfs_simpy(*queue, lead.shifts, state)
        else:
            active = [(lo, hi, size * n) for lo, hi, n in month_pieces]
            start, state = serve_fcfs(*queue, lead.shifts, state, moves=moves, active=active)
        outcome = _outcomes(
            lead.spec,
            [[(lo, hi, 0, size * n) for lo, hi, n in pieces] for pieces in day_pieces],
            day_weight[:, columns],
            arrival[:, columns],
            start,
            handle[:, columns],
            present[:, columns],
            resolved_mark[:, columns],
            public_mark[:, columns],
            month_end,
        )
        for j, i in enumerate(members):
            own = slice(j, None, size)
            results[i] = (
                ChannelMonth(**{f: getattr(outcome, f)[own] for f in _MONTH_FIELDS}),
                QueueState(state.free_at[:, own], state.span_end[:, own]),
            )
    return [results[i] for i in range(worlds)]


def _staircase(need: np.ndarray, pieces: int = _GROUPS) -> list[tuple[int, int, int]]:
    """Cover what each column needs with a few rectangles: rows ``lo:hi`` of columns ``:n``.

    Column t needs rows ``0 … need[t] − 1``. Trials are ordered by customers, largest first (see
    :func:`simroi.model.volume_order`), so the needs fall roughly along the columns and the
    cover is a staircase of at most ``pieces + 1`` steps whose widths are multiples of
    ``trials / pieces``: the padding beyond each trial's last contact is mostly skipped.
    """
    trials = need.shape[0]
    if trials == 0 or int(need.max(initial=0)) == 0:
        return []
    # Width needed at row r: 1 + the last column that needs row r (a suffix maximum).
    reach = np.maximum.accumulate(need[::-1])[::-1]
    rows = np.arange(int(reach[0]))
    width = np.searchsorted(-reach, -rows, side="left")
    quantum = -(-trials // pieces)
    width = np.minimum(-(-width // quantum) * quantum, trials)
    change = np.flatnonzero(np.diff(width)) + 1
    bounds = [0, *change.tolist(), rows.size]
    return [(lo, hi, int(width[lo])) for lo, hi in itertools.pairwise(bounds)]


def _contact_key(load: ChannelLoad) -> tuple[object, ...]:
    """What must agree for two worlds' contacts to get the same handle time, patience and
    resolution and public marks from the same draws."""
    spec, inputs = load.spec, load.inputs
    arrays = (
        inputs.handle_mean_s,
        inputs.slot_slowdown,
        inputs.handle_cv,
        inputs.patience_mean_s,
        inputs.fcr,
        inputs.public_share,
    )
    dists = (spec.kind, spec.handle_time_dist, spec.patience_dist, spec.patience_shape)
    return (*dists, *(a.tobytes() for a in arrays))


def _queue_key(load: ChannelLoad) -> tuple[object, ...]:
    """What must agree for worlds to share the engine: shifts, kind and SLA."""
    s = load.shifts
    kind, sla = load.spec.kind, load.spec.sla_threshold_seconds
    return (s.starts.tobytes(), s.ends.tobytes(), s.period_seconds, kind, sla)


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


def _outcomes(
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
) -> ChannelMonth:
    """Month totals per column.

    ``day_pieces`` lists, for each sampled day, the rectangles ``(lo, hi, offset, n)`` — rows
    ``lo:hi`` of columns ``offset:offset + n`` — that hold its contacts (outside them there are
    none), and ``day_weight`` (days, columns) the month days each day stands for. ``start`` is
    NaN for contacts not answered (and for padding), so every count is a sum of cheap boolean
    arrays along the contact axis, scaled by the day's weight. The backlog at month end counts
    contacts that arrived in the month and were not yet picked up when its last sampled day
    ended: answered later, or never.
    """
    rows_all, width = start.shape
    realtime = spec.kind == "realtime"
    sla = spec.sla_threshold_seconds
    names = (
        "offered",
        "answered",
        "within_sla",
        "fast_resolved",
        "answered_resolved",
        "public_offered",
        "public_answered",
        "public_answered_resolved",
        "public_fast_resolved",
        "wait",
        "busy",
        "backlog",
    )
    total = {k: np.zeros(width) for k in names}
    answered_in_sample = np.zeros(width, dtype=np.int64)  # unweighted, for the P90
    response_all = np.full((rows_all, width), np.nan, dtype=np.float32)

    def count(mask: np.ndarray) -> np.ndarray:
        # Summing into 16 bits where the piece is short enough is four times faster than into
        # 64 (the cast per element is the cost).
        tally = np.uint16 if mask.shape[0] < 2**16 else np.int64
        return mask.view(np.uint8).sum(axis=0, dtype=tally).astype(np.int64)

    for pieces, weight in zip(day_pieces, day_weight, strict=True):
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
            answered_count = count(answered)
            answered_in_sample[off : off + n] += answered_count
            offered = count(on)
            piece = {
                "offered": offered,
                "answered": answered_count,
                "within_sla": count(fast),
                "fast_resolved": count(fast_resolved),
                "answered_resolved": count(answered_resolved),
                "public_offered": count(public & on),
                "public_answered": count(public_answered),
                "public_answered_resolved": count(public_answered & resolved),
                "public_fast_resolved": count(public & fast_resolved),
                "wait": wait.sum(axis=0),
                "busy": np.multiply(handle[here], answered).sum(axis=0),
                "backlog": 0.0 if realtime else offered - count(st < month_end),
            }
            w = weight[off : off + n]
            for k, value in piece.items():
                total[k][off : off + n] += value * w
    t = total
    classes, public_classes = (_class_table(t, prefix, realtime) for prefix in ("", "public_"))
    return ChannelMonth(
        offered=t["offered"],
        answered=t["answered"],
        unanswered=t["offered"] - t["answered"],
        within_sla=t["within_sla"],
        wait_sum_s=t["wait"],
        response_p90_s=_p90(response_all, answered_in_sample, _sort_groups(day_pieces)),
        busy_slot_s=t["busy"],
        backlog_end=t["backlog"],
        classes=classes,
        public_classes=public_classes,
    )


def _class_table(total: dict[str, np.ndarray], prefix: str, realtime: bool) -> np.ndarray:
    """Contacts by experience class, (trials, 5) in the order of ``EXPERIENCE_CLASSES``.

    Unanswered is "abandoned" on a realtime channel and "ignored" on a deferrable one; the
    other of the two is zero.
    """

    def t(key: str) -> np.ndarray:
        return total[prefix + key]

    unanswered = t("offered") - t("answered")
    zero = np.zeros_like(unanswered)
    return np.stack(
        [
            t("fast_resolved"),
            t("answered_resolved") - t("fast_resolved"),
            t("answered") - t("answered_resolved"),
            unanswered if realtime else zero,
            zero if realtime else unanswered,
        ],
        axis=1,
    )


def _sort_groups(day_pieces: list[list[tuple[int, int, int, int]]]) -> list[tuple[int, int, int]]:
    """Column ranges with the last row any of their contacts can be in: ``(a, b, rows)``."""
    groups = []
    pieces = [p for day in day_pieces for p in day]
    for off in sorted({p[2] for p in pieces}):
        own = [p for p in pieces if p[2] == off]
        edges = sorted({0, *(n for _, _, _, n in own)})
        for a, b in itertools.pairwise(edges):
            rows = max(hi for _, hi, _, n in own if n > a)
            groups.append((off + a, off + b, rows))
    return groups
