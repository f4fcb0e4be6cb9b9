"""Calendar days of one channel, each simulated as the model simulates a day: ``simroi backtest``.

A backtest sets each observed day of a contact centre beside the model's distribution for that
day. This module simulates those days with the model's own machinery, nothing rewritten:

- the trial's uncertain inputs are drawn as a run's block draws them
  (:func:`~simroi.model.inputs.draw_inputs`, trials ordered by customers as in
  :func:`~simroi.model.block.simulate_block`), and each channel starts as the model's first month
  does (:class:`~simroi.model.block.World`: the customer base at month 0, no deflection, the
  scenario's fixed team, schedule or staffing rule), except that the repeat contacts are at
  their fixed point (:func:`steady_repeats`) rather than the first month's single round: the
  state of a contact centre that has been running, which is what its data shows and what
  ``simroi calibrate`` assumes when it splits first contacts from the observed volume;
- every calendar day is a one-day "month" (:class:`~simroi.model.calendar.MonthPlan`) given to
  :func:`~simroi.model.contacts.simulate_channel_month`: its weekday factor, the day's gamma
  busyness, Poisson arrivals on the intraday profile, handle times, patience, first-contact
  resolution, all drawn from the streams keyed by channel and day as in a run. The month's
  weight for the day is its weekday factor, so each count is the day's own (weight 1);
- days run back to back on one clock (day 0 is a Monday), so busy agents and the email and social
  backlog carry from one day to the next, as the queue state and books carry between months;
  each day's contacts are then counted by the day they arrived (:class:`ChannelDays`), as
  interval reports and contact logs count them.
  A deferrable channel first runs :data:`WARMUP_DAYS` days before the first requested day, so its
  backlog is not that of an empty desk; a real-time channel empties every night and needs none.

Staffing is the scenario's unless the caller gives :class:`DayRoster` values (the agents on queue
per interval of each day, from an interval report). A day's roster is then laid on the weekly
clock together with those of the six days after it (a
:class:`~simroi.queueing.roster.TrialShiftPattern`), so contacts still waiting at midnight are
served by the next day's agents, and the queue is moved onto each day's pattern at its midnight
(:func:`~simroi.queueing.roster.reseat`, as a staffing rule's roster is each month). A day without
a roster of its own (the warm-up, a day missing from the report) takes the roster of the nearest
day with one on the same weekday, else of the nearest day with one.

Events (``[[events]]``) are not applied: a backtest day is an ordinary day, and an outage in the
data should show up as a day outside the band.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from simroi.model.block import World
from simroi.model.books import Books, tally
from simroi.model.calendar import DAY, MonthPlan, weekday_factors
from simroi.model.contacts import simulate_channel_month
from simroi.model.inputs import draw_inputs, volume_order
from simroi.queueing.roster import TrialShiftPattern, reseat
from simroi.randomness import Streams
from simroi.scenario.spec import Scenario

__all__ = ["WARMUP_DAYS", "ChannelDays", "DayRoster", "simulate_days", "steady_repeats"]

#: Days a deferrable channel is simulated before the first requested day, so its backlog has
#: built up: a week, so that every weekday's volume and staffing has passed once.
WARMUP_DAYS = 7


@dataclass(frozen=True)
class DayRoster:
    """Agents on queue through one day, interval by interval (an interval report's ``agents``).

    ``starts_s`` and ``ends_s`` (intervals,) are seconds from the day's midnight, sorted and
    disjoint within ``[0, 86400]``; ``agents`` (intervals,) whole numbers ≥ 0. Time outside the
    intervals has nobody on queue.
    """

    starts_s: np.ndarray
    ends_s: np.ndarray
    agents: np.ndarray

    def __post_init__(self) -> None:
        starts = np.asarray(self.starts_s, dtype=np.float64).ravel()
        ends = np.asarray(self.ends_s, dtype=np.float64).ravel()
        agents = np.asarray(self.agents, dtype=np.int64).ravel()
        if not starts.shape == ends.shape == agents.shape:
            raise ValueError(
                f"starts, ends and agents must have one length "
                f"(got {starts.size}, {ends.size}, {agents.size})"
            )
        if starts.size and (
            starts[0] < 0
            or ends[-1] > DAY
            or (ends <= starts).any()
            or (starts[1:] < ends[:-1]).any()
        ):
            raise ValueError("intervals must be sorted, disjoint and within one day")
        if (agents < 0).any():
            raise ValueError(f"agents must be ≥ 0 (got min {int(agents.min())})")
        object.__setattr__(self, "starts_s", starts)
        object.__setattr__(self, "ends_s", ends)
        object.__setattr__(self, "agents", agents)


@dataclass(frozen=True)
class ChannelDays:
    """One channel's outcomes on each requested day, per trial, by the day the contacts arrived.

    ``days`` (days,) are the absolute day numbers asked for (day 0 a Monday); every other array is
    (days, trials), in trial order. Of the contacts that arrived on the day: ``offered``, how
    many were ``answered``, ``unanswered`` (abandoned on a real-time channel, ignored at its
    deadline on a deferrable one; a deferrable contact never answered nor ignored is neither),
    answered ``within_sla`` (the wait on a real-time channel, the response — wait + handle — on a
    deferrable one) and ``wait_sum_s``, the total wait of the answered ones (seconds).

    The model counts a month's answers in the month they happen (:mod:`simroi.model.books`); a
    day's own contacts are those counts plus what the day adds to the books (its contacts whose
    answer or deadline comes on a later day, known from the engine's start times) less what it
    settles from them (earlier days' contacts): exactly the day's arrivals, as interval reports
    and contact logs count them.
    """

    days: np.ndarray
    offered: np.ndarray
    answered: np.ndarray
    unanswered: np.ndarray
    within_sla: np.ndarray
    wait_sum_s: np.ndarray

    def metrics(self) -> dict[str, np.ndarray]:
        """The day's KPIs, defined as the model's horizon KPIs (``World.kpis``), (days, trials).

        ``offered``; ``service_level`` = answered within the threshold / offered;
        ``abandonment`` = unanswered / offered; ``mean_wait`` = wait of the answered / answered,
        seconds. NaN where the denominator is 0.
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                "offered": self.offered,
                "service_level": self.within_sla / self.offered,
                "abandonment": self.unanswered / self.offered,
                "mean_wait": self.wait_sum_s / self.answered,
            }


#: The fields of a day, and the books' tally (:func:`~simroi.model.books.tally`) behind each.
_FIELDS = {
    "answered": "answered",
    "unanswered": "unanswered",
    "within_sla": "within_sla",
    "wait_sum_s": "wait",
}


def _owed(books: Books | None, trials: int) -> dict[str, np.ndarray]:
    """What the books hold of each field (contacts whose fate is still to come), (trials,)."""
    if books is None:
        return {f: np.zeros(trials) for f in _FIELDS}
    held = tally(books.column, books.flags, books.unit, books.wait_unit_s, trials)
    return {f: held[key] for f, key in _FIELDS.items()}


def simulate_days(
    scenario: Scenario,
    days: Mapping[str, np.ndarray],
    *,
    trials: int,
    streams: Streams,
    rosters: Mapping[str, Mapping[int, DayRoster]] | None = None,
    engine: str = "compiled",
    progress: Callable[[int], None] | None = None,
) -> dict[str, ChannelDays]:
    """Simulate ``trials`` trials of each channel's ``days``, as one block of a run.

    Parameters
    ----------
    scenario : Scenario
        The program scenario; its channels named in ``days`` are simulated.
    days : mapping of channel to ndarray of int, shape (days,)
        Absolute day numbers to report (day 0 is a Monday; weekday = day % 7), sorted, unique,
        and at least :data:`WARMUP_DAYS` for a deferrable channel. Every day from the first
        (less the warm-up) to the last is simulated, reported or not, so backlogs carry.
    trials : int
        Trials in the block (≥ 1).
    streams : Streams
        The block's streams: inputs and contacts are drawn from them as a run's block draws.
    rosters : mapping of channel to {day: DayRoster}, optional
        Observed agents per interval, by day, for the channels that have them; other channels
        are staffed as the scenario says.
    engine : str
        one of :data:`simroi.queueing.engines.ENGINES`.
    progress : callable, optional
        Called with 1 after each simulated day of each channel.

    Returns
    -------
    dict of channel to ChannelDays
    """
    values = draw_inputs(scenario, trials, streams)
    order = volume_order(values)
    world = World(scenario, {k: v[order] for k, v in values.items()}, trials, engine=engine)
    world.repeats = steady_repeats(scenario, world)
    back = np.argsort(order)
    rosters = rosters or {}
    out = {}
    for channel, wanted in days.items():
        wanted = np.asarray(wanted, dtype=np.int64)
        spec = scenario.channels[channel]
        warmup = 0 if spec.kind == "realtime" else WARMUP_DAYS
        first, last = int(wanted[0]) - warmup, int(wanted[-1])
        if first < 0:
            raise ValueError(f"days must start at day {warmup} or later (got {int(wanted[0])})")
        factors = weekday_factors(spec)
        load = world.load(channel, _plan(channel, first, factors, trials))
        own = rosters.get(channel)
        if own:
            shifts = _window(own, first, spec.concurrency, trials)
            load = replace(
                load, shifts=shifts, state=reseat(load.state, load.shifts, shifts, first * DAY)
            )
        rows: dict[str, list[np.ndarray]] = {f: [] for f in ("offered", *_FIELDS)}
        keep = set(wanted.tolist())
        before = _owed(None, trials)
        for day in range(first, last + 1):
            if own and day > first:
                shifts = _window(own, day, spec.concurrency, trials)
                load = replace(
                    load, shifts=shifts, state=reseat(load.state, load.shifts, shifts, day * DAY)
                )
            load = replace(load, plan=_plan(channel, day, factors, trials))
            ((month, state),) = simulate_channel_month(
                channel, [load], streams=streams, engine=engine
            )
            load = replace(load, state=state, books=month.books)
            after = _owed(month.books, trials)
            if day in keep:
                rows["offered"].append(month.offered[back])
                for f in _FIELDS:
                    # The day's counts, plus its contacts booked for later, less earlier ones.
                    own_day = getattr(month, f) + after[f] - before[f]
                    rows[f].append(own_day[back])
            before = after
            if progress is not None:
                progress(1)
        out[channel] = ChannelDays(wanted, **{f: np.stack(v) for f, v in rows.items()})
    return out


def steady_repeats(scenario: Scenario, world: World) -> dict[str, np.ndarray]:
    """Repeat contacts a day of every channel once they have settled, per trial (trials,).

    The model's first month is seeded with one round of repeats of the first contacts
    (``World``: ``first × (1 − fcr)``, sent by ``repeat_channels``); a contact centre that has
    run for a while has them at their fixed point, every round of repeats coming back in turn:
    ``T = F + M T`` with ``M[c, d] = (1 − fcr_d) · repeat_channels_d[c]``, solved per trial;
    the repeats are ``T − F``. As in the seeding, every contact counts as answered: an
    abandoned or ignored one comes back at the unresolved rate ``1 − fcr``, not at
    ``retry_share`` as ``simroi calibrate``'s split of the observed volume has it (a channel's
    failed share is known only once it is simulated). Against a calibrated scenario the volume
    is then ``failed · (1 − fcr − retry_share) / fcr`` above the data's: about 1 % on a phone
    line that loses 4 % of its calls, nothing on channels that lose none.
    """
    names = list(scenario.channels)
    trials = world.trials
    m = np.zeros((trials, len(names), len(names)))
    first = np.stack([world.inputs[c].first_contacts_per_day for c in names], axis=1)
    for j, d in enumerate(names):
        back = 1.0 - world.inputs[d].fcr
        for target, share in (scenario.channels[d].repeat_channels or {d: 1.0}).items():
            m[:, names.index(target), j] += back * share
    total = np.linalg.solve(np.eye(len(names))[None] - m, first[:, :, None])[:, :, 0]
    return {c: total[:, i] - first[:, i] for i, c in enumerate(names)}


def _plan(channel: str, day: int, factors: np.ndarray, trials: int) -> MonthPlan:
    """A one-day month whose day weighs 1 (``weights``, whatever each trial's weekday factor:
    :func:`~simroi.model.calendar.day_weights`); its stratum holds its own weekday factor of
    days, for the calendar weight; a day with factor 0 gets no contacts."""
    factor = float(factors[day % 7])
    return MonthPlan(
        month=0,
        day_index=np.array([day]),
        multiplier={channel: np.ones((1, trials))},
        normal_days=factor if factor > 0 else 1.0,
        event_days=0.0,
        sampled=1,
        weights=np.array([1.0 if factor > 0 else 0.0]),
    )


def _roster_for(rosters: Mapping[int, DayRoster], day: int) -> DayRoster:
    """The day's roster, else that of the nearest day with one on the same weekday (the earlier
    on a tie), else of the nearest day with one."""
    if day in rosters:
        return rosters[day]
    known = np.fromiter(rosters, dtype=np.int64)
    same = known[known % 7 == day % 7]
    pool = same if same.size else known
    distance = np.abs(pool - day) * 2 + (pool > day)  # earlier first on a tie
    return rosters[int(pool[np.argmin(distance)])]


def _window(
    rosters: Mapping[int, DayRoster], day: int, concurrency: int, trials: int
) -> TrialShiftPattern:
    """The rosters of ``day`` and the six days after it, laid on the weekly clock (day 0 a
    Monday), the same for every trial; each agent is ``concurrency`` slots."""
    parts = []
    for ahead in range(7):
        roster = _roster_for(rosters, day + ahead)
        base = ((day + ahead) % 7) * DAY
        parts.append((base + roster.starts_s, base + roster.ends_s, roster.agents))
    starts = np.concatenate([p[0] for p in parts])
    ends = np.concatenate([p[1] for p in parts])
    agents = np.concatenate([p[2] for p in parts])
    by_time = np.argsort(starts, kind="stable")
    starts, ends, agents = starts[by_time], ends[by_time], agents[by_time]
    return TrialShiftPattern(
        starts, ends, np.broadcast_to(agents, (trials, agents.size)), slots_per_agent=concurrency
    )
