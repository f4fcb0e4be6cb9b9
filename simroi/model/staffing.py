"""Staffing rules: agents sized to each trial's forecast, month by month, as a planner would.

A channel with a ``staffing_rule`` has no fixed team. Before each month the planner forecasts
the channel's load in every trial — the trial's *expected* arrivals (first contacts × customer
volume factor × (1 − deflected share) + the repeats sent back by last month, shaped by the
weekday factors and the hour-of-day profile), its mean handle time and patience; never the
realized busyness of the days to come, nor events (outages are not forecast) — and sets agents
per staffing interval (an hour of the opening hours, per weekday):

* **real-time** (``target_service_level``, ``answer_within_seconds``): the fewest agents whose
  Erlang A service level meets the target on the interval's forecast (exactly
  :func:`~simroi.queueing.staffing.required_agents`; Erlang A assumes exponential handle times
  and patience with the trial's means — the usual planning approximation);
* **deferrable, occupancy** (``target_occupancy``): ⌈week's work / (open hours × target)⌉
  agents in every open interval: a backlog absorbs the shape of the week, so the desk is staffed
  to its work;
* **deferrable, response time** (``target_answered_within_hours``, ``share``): Erlang C on the
  week's arrivals compressed into opening hours (a contact that arrives while the desk is closed
  waits for it to open: a fluid argument), with the threshold shortened by the longest closed
  stretch of the week (the wait such a contact has already spent), the same count in every open
  interval.

Then ``min_agents`` and ``max_agents`` clip it, and agents work daily shifts that cover the
requirement (:meth:`RuleStaffing.shifts`). With concurrency (k conversations at once, each
slower by k^(1−α)), an agent is k slots and the formulas see one server per agent with the
handle time × slowdown / k.

The agents on duty become a :class:`~simroi.queueing.roster.TrialShiftPattern` for the month,
and paid hours follow them: on-queue hours = Σ agents × interval hours × 30.44 / 7 per month.
"""

from __future__ import annotations

import math

import numpy as np

from simroi.errors import ScenarioError
from simroi.limits import MAX_AGENTS
from simroi.model.calendar import DAY, DAYS_PER_MONTH, hourly_shares
from simroi.model.contacts import ChannelInputs
from simroi.queueing.roster import TrialShiftPattern, rise_and_fall
from simroi.queueing.shifts import SECONDS_PER_WEEK
from simroi.queueing.staffing import erlang_a_thresholds, erlang_c_required_agents
from simroi.scenario.spec import ChannelSpec, StaffingRuleSpec, clock_seconds
from simroi.weekdays import WEEKDAYS

__all__ = ["RuleStaffing", "staffing_intervals"]

HOUR = 3600.0
#: Comparisons made at once when reading agents off the rate tables (bounds working memory).
_COMPARE_CELLS = 4_000_000


def staffing_intervals(spec: ChannelSpec) -> tuple[np.ndarray, np.ndarray]:
    """The staffing intervals of a week: each hour of the opening hours (clipped to them), on
    each open day; seconds from Monday 00:00, shape (intervals,) each."""
    open_s, close_s = clock_seconds(spec.hours.open), clock_seconds(spec.hours.close)
    starts, ends = [], []
    for day in sorted(WEEKDAYS.index(d) for d in spec.hours.days):
        for hour in range(24):
            begin, end = max(hour * HOUR, open_s), min((hour + 1) * HOUR, close_s)
            if begin < end:
                starts.append(day * DAY + begin)
                ends.append(day * DAY + end)
    return np.asarray(starts), np.asarray(ends)


class RuleStaffing:
    """One channel's staffing rule in one world of a block.

    Parameters
    ----------
    spec : ChannelSpec
        The channel; its ``staffing_rule`` is set.
    inputs : ChannelInputs
        The block's per-trial inputs (handle time, patience, concurrency slowdown), shape
        (trials,), and the profile and weekday factors the forecast is shaped by: the channel's
        own or, when uncertain, each trial's (the planner of a trial's world knows its shape as
        it knows its mean handle time).
    tables : dict, optional
        Erlang A rate tables shared with other worlds of the block (program and baseline share
        a channel's handle times and patience, so they share its table); changes no result.
    """

    def __init__(
        self,
        spec: ChannelSpec,
        inputs: ChannelInputs,
        tables: dict[object, np.ndarray] | None = None,
        name: str = "",
    ) -> None:
        if spec.staffing_rule is None:
            raise ValueError("RuleStaffing needs a channel with a staffing_rule")
        self.spec = spec
        self.name = name
        self.rule: StaffingRuleSpec = spec.staffing_rule
        self.starts, self.ends = staffing_intervals(spec)
        seconds = self.ends - self.starts
        k = spec.concurrency
        # Agent-level handle time: k conversations at once, each slower by the slowdown.
        self.handle_s = inputs.handle_mean_s * inputs.slot_slowdown / k
        self.patience_s = inputs.patience_mean_s
        # Real-time: the share of a day's contacts (average weekday) arriving in each interval,
        # per second of it, (1, intervals) or (trials, intervals) when the shares are per trial.
        # The profile already gives a realtime channel's hours by their open part, so the
        # interval (that open part) gets all of its hour's share. A deferrable channel is
        # forecast by its weekly total (see the module docstring).
        day = (self.starts // DAY).astype(int)
        hour = ((self.starts % DAY) // HOUR).astype(int)
        hourly = hourly_shares(inputs.intraday_shares)
        shape = inputs.weekday_factors[..., day] * hourly[..., hour] / seconds
        self.shape_per_s = shape.reshape(-1, self.starts.size)
        self.open_seconds = float(seconds.sum())
        self.interval_hours = seconds / HOUR
        self._tables = {} if tables is None else tables
        rule = self.rule
        self._key = (
            "erlang_a",
            self.handle_s.tobytes(),
            self.patience_s.tobytes(),
            rule.target_service_level,
            rule.answer_within_seconds,
        )

    def agents(self, contacts_per_day: np.ndarray) -> np.ndarray:
        """Agents per interval, shape (trials, intervals), for a forecast of
        ``contacts_per_day`` (trials,) expected contacts a day at an average weekday."""
        rule = self.rule
        trials = contacts_per_day.size
        if rule.realtime:
            rates = contacts_per_day[:, None] * self.shape_per_s
            n = self._erlang_a_agents(rates)
        elif rule.target_occupancy is not None:
            work = 7.0 * contacts_per_day * self.handle_s
            need = np.ceil(work / (self.open_seconds * rule.target_occupancy))
            if rule.max_agents is None and need.max(initial=0) > MAX_AGENTS:
                self._too_many(float(need.max() * rule.target_occupancy))
            n = np.repeat(need.astype(np.int64)[:, None], self.starts.size, axis=1)
        else:
            assert rule.target_answered_within_hours is not None and rule.share is not None
            rate = 7.0 * contacts_per_day / max(self.open_seconds, 1e-300)
            threshold = max(0.0, rule.target_answered_within_hours * HOUR - self.closed_gap())
            load = float((rate * self.handle_s).max(initial=0.0))
            if rule.max_agents is None and load > MAX_AGENTS:
                self._too_many(load)
            need = erlang_c_required_agents(rate, self.handle_s, rule.share, threshold)
            n = np.repeat(need[:, None], self.starts.size, axis=1)
        n = np.maximum(n, rule.min_agents)
        if rule.max_agents is not None:
            n = np.minimum(n, rule.max_agents)
        return n.reshape(trials, self.starts.size)

    def _too_many(self, load: float) -> None:
        raise ScenarioError(
            f"channels.{self.name}.staffing_rule: the forecast needs more than "
            f"{MAX_AGENTS:,} agents (a load of {load:,.0f} Erlangs); check "
            "contacts_per_customer_per_year and customers.active_customers, or set max_agents"
        )

    def closed_gap(self) -> float:
        """The longest stretch of the week with the desk closed, in seconds."""
        if self.starts.size == 0:
            return SECONDS_PER_WEEK
        following = np.roll(self.starts, -1)
        following[-1] += SECONDS_PER_WEEK
        return float((following - self.ends).max())

    def _erlang_a_agents(self, rates: np.ndarray) -> np.ndarray:
        """Fewest agents meeting the service level at each rate (trials, intervals), read off
        each trial's table of the highest rate 1, 2, … agents can take (grown as needed)."""
        rule = self.rule
        assert rule.target_service_level is not None and rule.answer_within_seconds is not None
        peak = rates.max(axis=1, initial=0.0)
        table = self._tables.get(self._key, np.empty((self.handle_s.size, 0)))
        while table.shape[1] == 0 or (peak > table[:, -1]).any():
            have = table.shape[1]
            # Enough agents for the peak load with room (A + 4√A + 4 Erlangs): one growth step
            # in the common case; more, eight at a time, if that was not enough.
            load = float((peak * self.handle_s).max(initial=0.0))
            need = math.ceil(load + 4.0 * math.sqrt(load) + 4.0)
            if rule.max_agents is not None:
                need = min(need, rule.max_agents)
            elif need > MAX_AGENTS:
                self._too_many(load)
            more = max(8, need - have)
            if rule.max_agents is not None and have >= rule.max_agents:
                break  # the cap decides beyond it
            extra = erlang_a_thresholds(
                self.handle_s,
                self.patience_s,
                np.arange(have + 1, have + more + 1),
                rule.target_service_level,
                rule.answer_within_seconds,
            )
            table = np.concatenate([table, extra], axis=1)
        self._tables[self._key] = table
        # Agents = 1 + the table entries below the rate, counted for a few intervals at a time
        # (trials × intervals × table entries booleans, kept to a few megabytes).
        n = np.empty(rates.shape, dtype=np.int64)
        step = max(1, _COMPARE_CELLS // max(1, table.size))
        for j in range(0, rates.shape[1], step):
            below = table[:, None, :] < rates[:, j : j + step, None]
            n[:, j : j + step] = 1 + below.sum(axis=2)
        return np.where(rates > 0, n, 0)

    def shifts(self, agents: np.ndarray) -> np.ndarray:
        """Agents on duty, (trials, intervals): the requirement covered by daily shifts.

        An agent works one shift a day, from the first to the last hour the rule needs them:
        on each day the count on duty is the requirement's envelope, min(running maximum from
        the morning, running maximum from the evening) ≥ the requirement, equal at the day's
        peak. Hours inside a shift where fewer agents are needed are paid and on queue (agents
        do not leave for an hour), as with a planner's shifts.
        """
        trials, n = agents.shape
        days = max(1, len(self.spec.hours.days))
        by_day = agents.reshape(trials, days, n // days)
        morning, evening = rise_and_fall(by_day)
        return np.minimum(morning, evening).reshape(trials, n)

    def roster(self, agents: np.ndarray) -> TrialShiftPattern:
        """The month's roster for ``agents`` (trials, intervals)."""
        return TrialShiftPattern(
            self.starts, self.ends, agents, slots_per_agent=self.spec.concurrency
        )

    def on_queue_hours_per_month(self, agents: np.ndarray) -> np.ndarray:
        """Agent hours on queue in an average month, per trial (trials,)."""
        weekly = agents @ self.interval_hours
        return np.asarray(weekly * (DAYS_PER_MONTH / 7.0), dtype=np.float64)
