"""One channel's observed days: the daily KPIs a backtest compares, from the user's data.

Per day and channel, of the contacts that arrived that day (see :mod:`simroi.analysis.backtest`
for the definitions): ``offered``, ``service_level``, ``abandonment`` and ``mean_wait``, from an
interval report's columns or a contact log's rows; the agents on queue per interval when an
interval report has them (:class:`~simroi.model.day.DayRoster`); and the days the data covers
only in part (:mod:`simroi.analysis.partial_days`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simroi.analysis.partial_days import LOG_INTERVAL_MINUTES, partial_days
from simroi.data.frames import ANSWERED, ContactLog, DataSource, IntervalReport
from simroi.errors import DataFileError
from simroi.limits import MAX_AGENTS
from simroi.model.calendar import DAY
from simroi.model.day import DayRoster
from simroi.scenario.spec import ChannelSpec

__all__ = [
    "BYTES_PER_AGENT_INTERVAL",
    "MAX_OBSERVED_AGENTS",
    "METRICS",
    "Observed",
    "Report",
    "observe",
    "observed_metrics",
]

#: Most agents on queue an interval report may give for one interval: a scenario's channel limit.
#: The engine holds each agent in every trial (:data:`BYTES_PER_AGENT_INTERVAL`), so a typo of
#: a billion agents would ask for hundreds of GiB.
MAX_OBSERVED_AGENTS = MAX_AGENTS
#: Memory a backtest holds per agent on queue, trial (of a block) and interval of the week when
#: it follows an observed roster: the span tables and their temporaries; rounded up from 77
#: bytes, measured as the peak resident memory (``/usr/bin/time -f %M``) of
#: ``simroi backtest cal.toml f.csv --trials 20 --seed 1`` with 0, 1,000 and 3,000 in one
#: email row's agents of ``f.csv`` (the first 577 lines of ``simroi sample-data S --days 14
#: --customers 2000``'s intervals.csv; ``cal.toml`` calibrated on it): +1.05 and +3.11 GB.
BYTES_PER_AGENT_INTERVAL = 80

#: The metrics of a backtest, in the order shown.
METRICS: tuple[str, ...] = ("offered", "service_level", "abandonment", "mean_wait")

Report = IntervalReport | ContactLog


@dataclass(frozen=True)
class Observed:
    """One channel's observed days: ``dates`` (days,) datetime64[D], sorted; metrics (days,)."""

    source: DataSource
    dates: np.ndarray
    metrics: dict[str, np.ndarray]
    rosters: dict[np.datetime64, DayRoster] | None
    partial: dict[int, str]  # index into dates: why the day is left out

    def keep(self, rows: np.ndarray) -> Observed:
        """The days of ``rows`` (days,) bool; rosters and partial days as they were."""
        return Observed(
            self.source,
            self.dates[rows],
            {m: v[rows] for m, v in self.metrics.items()},
            self.rosters,
            {},
        )


def observed_metrics(report: Report, spec: ChannelSpec) -> dict[str, Any]:
    """The daily metrics of one channel's data, as :func:`backtest` compares them.

    Returns ``{"date": (days,) datetime64[D], metric: (days,) float …}``, NaN where the data does
    not give a metric (see the module docstring for the definitions).
    """
    found = observe(report, spec)
    return {"date": found.dates, **found.metrics}


def observe(report: Report, spec: ChannelSpec) -> Observed:
    if isinstance(report, IntervalReport):
        return _from_intervals(report, spec)
    return _from_log(report, spec)


def _day_sums(day: np.ndarray, dates: np.ndarray, values: np.ndarray | None) -> np.ndarray | None:
    """Sums of ``values`` (rows,) by ``day`` (rows,) index into ``dates``; None stays None."""
    if values is None:
        return None
    return np.bincount(day, weights=np.asarray(values, dtype=float), minlength=dates.size)


def _ratio(top: np.ndarray | None, bottom: np.ndarray | None) -> np.ndarray | None:
    if top is None or bottom is None:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1.0), np.nan)


def _from_intervals(report: IntervalReport, spec: ChannelSpec) -> Observed:
    stamp = report.start.astype("datetime64[s]")
    dates, day = np.unique(stamp.astype("datetime64[D]"), return_inverse=True)
    offered = np.bincount(day, weights=report.offered, minlength=dates.size)
    answered = _day_sums(day, dates, report.answered)
    waited = None
    if report.answered is not None and report.wait_seconds_mean is not None:
        # A mean of nothing (NaN, nothing answered) weighs nothing.
        seen = np.asarray(report.answered, dtype=float) > 0
        weighted = np.where(seen, report.wait_seconds_mean * report.answered, 0.0)
        waited = _day_sums(day, dates, weighted)
    metrics = _metrics(
        offered,
        _ratio(_day_sums(day, dates, report.answered_within_sla), offered),
        _ratio(_day_sums(day, dates, report.abandoned), offered),
        _ratio(waited, answered),
        dates.size,
    )
    seconds = (stamp - stamp.astype("datetime64[D]")).astype(np.int64).astype(float)
    partial = partial_days(
        dates, day, seconds, report.offered, report.interval_minutes, what="rows"
    )
    rosters = None
    if report.agents is not None:
        rosters = _rosters(report, report.agents, dates, day)
        # A partial day's roster ends with its rows: other days' stand in for it.
        for i in partial:
            del rosters[dates[i]]
    return Observed(report.source, dates, metrics, rosters, partial)


def _metrics(
    offered: np.ndarray,
    service_level: np.ndarray | None,
    abandonment: np.ndarray | None,
    mean_wait: np.ndarray | None,
    days: int,
) -> dict[str, np.ndarray]:
    nothing = np.full(days, np.nan)
    values = (offered, service_level, abandonment, mean_wait)
    return {
        m: (nothing if v is None else np.asarray(v, dtype=float))
        for m, v in zip(METRICS, values, strict=True)
    }


def _rosters(
    report: IntervalReport, agents: np.ndarray, dates: np.ndarray, day: np.ndarray
) -> dict[np.datetime64, DayRoster]:
    """Each day's agents on queue per interval. Reports give the mean agents on queue over an
    interval; the engine staffs whole agents, so it is rounded to the nearest (half up)."""
    stamp = report.start.astype("datetime64[s]")
    seconds = (stamp - stamp.astype("datetime64[D]")).astype(np.int64).astype(float)
    length = report.interval_minutes * 60.0
    agents = np.floor(np.nan_to_num(np.asarray(agents, dtype=float)) + 0.5)
    if agents.size and agents.max() > MAX_OBSERVED_AGENTS:
        at = int(np.argmax(agents))
        names = report.source.names
        raise DataFileError(
            f"{names}, column agents, interval {str(report.start[at])[:16]}: must be at most "
            f"{MAX_OBSERVED_AGENTS:,} agents on queue to simulate (got {agents[at]:,.0f})"
        )
    out = {}
    for i, date in enumerate(dates):
        rows = day == i
        starts = seconds[rows]
        out[date] = DayRoster(starts, np.minimum(starts + length, DAY), agents[rows])
    return out


def _from_log(log: ContactLog, spec: ChannelSpec) -> Observed:
    arrived = log.arrived_at.astype("datetime64[s]")
    dates, day = np.unique(arrived.astype("datetime64[D]"), return_inverse=True)
    answered = log.outcome == ANSWERED
    wait = np.asarray(log.wait_seconds, dtype=float)
    response = wait if spec.kind == "realtime" else wait + np.nan_to_num(log.handle_seconds)
    in_time = answered & (response <= spec.sla_threshold_seconds)

    def per_day(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = None if weights is None else weights[mask]
        return np.bincount(day[mask], weights=w, minlength=dates.size).astype(float)

    everything = np.ones(day.size, dtype=bool)
    offered = per_day(everything)
    metrics = _metrics(
        offered,
        _ratio(per_day(in_time), offered),
        _ratio(per_day(~answered), offered),
        _ratio(per_day(answered, wait), per_day(answered)),
        dates.size,
    )
    seconds = (arrived - arrived.astype("datetime64[D]")).astype(np.int64).astype(float)
    partial = partial_days(
        dates, day, seconds, np.ones(day.size), LOG_INTERVAL_MINUTES, what="contacts"
    )
    return Observed(log.source, dates, metrics, None, partial)
