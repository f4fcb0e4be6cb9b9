"""Simulated against observed, day by day: does the model behave like the user's contact centre?

For every day and channel in the user's data, :func:`backtest` simulates that day ``trials``
times with the model's own engine (:func:`simroi.model.day.simulate_days`: the day's weekday,
the scenario's uncertain inputs drawn per trial, the day's busyness, arrivals, handle times and
patience; the agents the data says were on queue when it has an ``agents`` column, else the
scenario's staffing) and sets the observed KPIs beside the simulated distribution.

Metrics, per day and channel, the same on both sides, of the contacts that arrived that day (as
interval reports count them, and as :class:`~simroi.model.day.ChannelDays` counts the model's),
with the model's KPI definitions (``World.kpis``):

* ``offered`` — contacts that arrived;
* ``service_level`` — answered within the scenario's threshold / offered: ``sla_seconds`` on
  the wait of a real-time channel, ``sla_hours`` on the response (wait + handle) of a
  deferrable one;
* ``abandonment`` — abandoned (real-time) or ignored at the deadline (deferrable) / offered;
* ``mean_wait`` — mean wait of the answered contacts, seconds.

From an interval report the columns give them (``answered_within_sla``, ``abandoned``,
``answered`` with ``wait_seconds_mean``); a metric whose columns the file lacks is not observed.
From a contact log the rows give them. A channel with both takes the interval report.

Coverage. A well calibrated model puts the observed value inside the simulated 90 % band
(P5 to P95) on about 90 % of days. For counts and ratios of counts the observed value can tie
with simulated ones; a day then counts for the share of the tied probability that lies inside
the band — the randomized PIT of Czado, Gneiting & Held (2009) in expectation, without the
randomness — so a discrete metric is neither flattered (``≤``/``≥`` inclusive) nor penalised
(exclusive). Without ties the share is 0 or 1. A day is listed as outside when less than half
of it is inside. A day on which every trial gives the observed value (no email is ever
abandoned, every one answered in time) would count 0.9 inside whatever the model; it is left
out of that metric's coverage (``inside`` NaN, shown "n/a (every trial equal)"). ``coverage90``
is the mean share over the remaining (day, channel) pairs observed.

Partial days. A day whose data starts late or ends early (an export cut at 11:45) is not
compared with a whole simulated day: it is left out and listed in ``skipped`` with the reason
(:mod:`simroi.analysis.partial_days`). Its agents do not staff the simulated clock either: the
day takes the roster of the nearest whole day of its weekday, as a day missing from the data does.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from simroi.analysis.observed_days import (
    BYTES_PER_AGENT_INTERVAL,
    METRICS,
    Observed,
    Report,
    observe,
    observed_metrics,
)
from simroi.analysis.partial_days import SkippedDay
from simroi.data.frames import ContactLog, DataSet, DataSource, IntervalReport, unknown_channels
from simroi.data.read import check_span
from simroi.errors import DataFileError, OptionError
from simroi.execution.footprint import available_memory
from simroi.formatting import json_ready
from simroi.model.day import WARMUP_DAYS, ChannelDays, simulate_days
from simroi.queueing.engines import engine_problem, normalize_engine
from simroi.queueing.queue_spec import is_whole
from simroi.randomness import Streams, fresh_entropy
from simroi.scenario.load import LoadedScenario

__all__ = [
    "BAND",
    "DEFAULT_TRIALS",
    "METRICS",
    "METRIC_LABELS",
    "BacktestResult",
    "SkippedDay",
    "backtest",
    "band_share",
    "calibrated_range",
    "observed_metrics",
]

#: Each metric's name on a screen and its unit (:func:`simroi.formatting.fmt`).
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "offered": ("offered", "num"),
    "service_level": ("service level", "pct"),
    "abandonment": ("abandonment", "pct"),
    "mean_wait": ("mean wait (s)", "num"),
}
#: The simulated band: its lower and upper probability.
BAND = (0.05, 0.95)
#: Trials per day when none are asked for: the band's ends to about ±1 percentile point.
DEFAULT_TRIALS = 500


@dataclass(frozen=True)
class BacktestResult:
    """Observed KPIs beside the simulated distribution, one row per (channel, day).

    Rows run channel by channel (in the scenario's order), date by date. ``channel`` (rows,)
    str and ``date`` (rows,) ``datetime64[D]``; ``observed``, ``p05``, ``p50``, ``p95`` and
    ``inside`` map each of :data:`METRICS` to (rows,) float arrays — NaN where the day's data
    does not give the metric (``inside``: the share of the day counted inside the band, see
    the module docstring); ``simulated`` maps each metric to the (rows, trials) simulated
    values. ``coverage90`` is the mean ``inside`` per metric over the rows observed where the
    trials differ (NaN: no such row). ``skipped`` lists the days in range left out because the
    data covers them only in part (:mod:`simroi.analysis.partial_days`). ``staffing`` says
    per channel whether the days had the observed agents (``"observed agents"``) or the
    scenario's (``"scenario"``); ``sources`` describes the data behind each channel's rows.
    """

    scenario: dict[str, Any]
    data: tuple[DataSource, ...]
    sources: dict[str, DataSource]
    staffing: dict[str, str]
    seed: int
    trials: int
    engine: str
    channel: np.ndarray
    date: np.ndarray
    observed: dict[str, np.ndarray]
    p05: dict[str, np.ndarray]
    p50: dict[str, np.ndarray]
    p95: dict[str, np.ndarray]
    inside: dict[str, np.ndarray]
    simulated: dict[str, np.ndarray]
    coverage90: dict[str, float]
    skipped: tuple[SkippedDay, ...] = ()

    @property
    def channels(self) -> list[str]:
        """The channels backtested, in row order."""
        return list(dict.fromkeys(self.channel.tolist()))

    def outside(self, metric: str) -> np.ndarray:
        """(rows,) bool: observed and less than half inside the band (the days listed)."""
        share = self.inside[metric]
        return np.isfinite(share) & (share < 0.5)

    def _rows(self, channel: str | None) -> np.ndarray:
        if channel is None:
            return np.ones(self.channel.size, dtype=bool)
        return np.asarray(self.channel == channel)

    def coverage(self, metric: str, channel: str | None = None) -> tuple[float, int]:
        """``(coverage, days)`` of ``metric``, over all channels or one: the days observed on
        which the trials differ (:meth:`every_trial_equal` days are left out); NaN with none."""
        return _coverage(self.inside[metric][self._rows(channel)])

    def every_trial_equal(self, metric: str, channel: str | None = None) -> np.ndarray:
        """(rows,) bool: observed, and every simulated trial gives the observed value (e.g. no
        email is ever abandoned): the day cannot tell a good model from a bad one, so it is
        left out of the coverage (``inside`` NaN). Only the rows of ``channel`` if given."""
        equal = np.isfinite(self.observed[metric]) & np.isnan(self.inside[metric])
        return equal & self._rows(channel)

    def __repr__(self) -> str:
        days = self.channel.size
        lines = [
            f"BacktestResult: {self.scenario.get('name', '?')}, {days} days × channels, "
            f"{self.trials} trials, seed {self.seed}"
        ]
        for m in METRICS:
            share, counted = self.coverage(m)
            if counted:
                lines.append(f"  coverage90 {m:<14} {share:.0%} of {counted}")
        if self.skipped:
            lines.append(f"  skipped: {len(self.skipped)} day(s) cut short by the export")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``simroi backtest --json`` (NaN becomes null).

        ``{"scenario": {name, hash, source}, "data": [file …], "trials", "seed", "engine",
        "days": [{"date", "channel", "metrics": {metric: {observed, p05, p50, p95, inside,
        every_trial_equal}}}], "coverage90": {metric: share}, "coverage90_days": {metric: days},
        "coverage90_by_channel": {channel: {metric: share}}, "skipped": [{"date", "channel",
        "reason"}]}``; a day lists the metrics its data gives. ``inside`` is null on a day where
        every trial equals the observed value, and a coverage is null when no day counts.
        """
        days = []
        for i in range(self.channel.size):
            metrics = {
                m: {
                    "observed": self.observed[m][i],
                    "p05": self.p05[m][i],
                    "p50": self.p50[m][i],
                    "p95": self.p95[m][i],
                    "inside": self.inside[m][i],
                    "every_trial_equal": bool(self.every_trial_equal(m)[i]),
                }
                for m in METRICS
                if math.isfinite(self.observed[m][i])
            }
            days.append(
                {"date": str(self.date[i]), "channel": str(self.channel[i]), "metrics": metrics}
            )
        return json_ready(
            {
                "scenario": self.scenario,
                "data": [_describe(s) for s in self.data],
                "trials": self.trials,
                "seed": str(self.seed),
                "engine": self.engine,
                "staffing": self.staffing,
                "days": days,
                "coverage90": self.coverage90,
                "coverage90_days": {m: self.coverage(m)[1] for m in METRICS},
                "coverage90_by_channel": {
                    c: {m: self.coverage(m, c)[0] for m in METRICS} for c in self.channels
                },
                "skipped": [s.to_dict() for s in self.skipped],
            }
        )


def _coverage(inside: np.ndarray) -> tuple[float, int]:
    """The mean share inside the band over the observed rows, and their number."""
    seen = inside[np.isfinite(inside)]
    return (float(seen.mean()) if seen.size else math.nan), int(seen.size)


def _describe(source: DataSource) -> dict[str, Any]:
    return {
        "path": str(source.path),
        "also": [str(p) for p in source.also],
        "kind": source.kind,
        "rows": source.rows,
        "first": None if source.first is None else str(source.first),
        "last": None if source.last is None else str(source.last),
        "description": source.describe(),
    }


def band_share(
    simulated: np.ndarray, observed: np.ndarray, band: tuple[float, float] = BAND
) -> np.ndarray:
    """The share of each observed value that lies inside the simulated band.

    ``simulated`` (rows, trials), ``observed`` (rows,). With the simulated CDF just below and at
    the observed value, ``F−`` and ``F``, the observed value's PIT is uniform on ``[F−, F]``
    (randomized PIT); the share is the length of that interval inside ``band`` over its length,
    or, without ties (``F− = F``), 1 inside and 0 outside. NaN where the observed value or every
    simulated one is NaN, and where every simulated value equals the observed one (the share
    would be 0.9 whatever the model: the day is not informative); NaN trials (a ratio with
    nothing to divide) are left out.
    """
    sim = np.asarray(simulated, dtype=float)
    obs = np.asarray(observed, dtype=float)[:, None]
    finite = np.isfinite(sim)
    count = finite.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        below = (finite & (sim < obs)).sum(axis=1) / count
        at_or_below = (finite & (sim <= obs)).sum(axis=1) / count
    low, high = band
    width = at_or_below - below
    overlap = np.clip(np.minimum(at_or_below, high) - np.maximum(below, low), 0.0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        tied = overlap / width
    point = ((below >= low) & (below <= high)).astype(float)
    share = np.where(width > 0, tied, point)
    # Every trial equal to the observed value: its PIT is uniform on [0, 1] whatever the model,
    # so the day would count 0.9 inside without telling anything.
    equal = (finite & (sim == obs)).sum(axis=1) == count
    return np.where(np.isfinite(obs[:, 0]) & (count > 0) & ~equal, share, np.nan)


def calibrated_range(days: int, level: float = 0.95) -> tuple[float, float]:
    """The coverage a well calibrated model shows over ``days`` independent days, ``level`` of
    the time: the central interval of Binomial(days, 0.9) / days. A guide, not a test: the days
    of one centre share one true world, so their coverages are not independent.
    """
    tail = (1.0 - level) / 2.0
    low, high = stats.binom.ppf([tail, 1.0 - tail], days, BAND[1] - BAND[0])
    return float(low) / days, float(high) / days


def _day_number(dates: np.ndarray, origin: np.datetime64) -> np.ndarray:
    return (dates - origin).astype(np.int64)


def backtest(
    loaded: LoadedScenario,
    data: DataSet | Sequence[Report],
    *,
    trials: int = DEFAULT_TRIALS,
    seed: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    engine: str = "compiled",
    sources: Sequence[DataSource] = (),
    progress: Callable[[int, int], None] | None = None,
) -> BacktestResult:
    """Simulate each observed day of ``data`` ``trials`` times and set the observed KPIs beside.

    Parameters
    ----------
    loaded : LoadedScenario
        The scenario to check (its program; the baseline is not used).
    data : DataSet, or sequence of IntervalReport or ContactLog
        What :func:`simroi.data.read.read_data` returns, or reports of one channel each; a
        channel with both an interval report and a contact log takes the interval report.
    trials : int
        Simulated days per observed day (≥ 20); run in blocks of the scenario's
        ``simulation.block_size``, block *k* on the streams of block *k* of a run with the
        same seed (so its trials draw the inputs that run's do).
    seed : int, optional
        Root seed; a fresh one is drawn (and recorded) when None.
    start, end : datetime.date, optional
        Only days from ``start`` to ``end``, both included.
    engine : str
        One of :data:`simroi.queueing.engines.ENGINES`.
    sources : sequence of DataSource
        Every file read, for the result's ``data``; default: the data set's sources, or
        those of the reports.
    progress : callable, optional
        ``progress(done, planned)`` in trials (``planned`` = ``trials``): the share of the
        channel-days simulated, as a run reports its trials.

    Raises
    ------
    DataFileError
        No interval report or contact log; a channel the scenario lacks; no day in range;
        days in range running longer than :data:`~simroi.data.read.MAX_SPAN_DAYS`.
    OptionError
        ``trials`` < 20, ``seed`` < 0, ``start`` after ``end``, an unknown engine.
    """
    program = loaded.program
    _check_options(trials, seed, start, end, engine)
    if isinstance(data, DataSet):
        sources = sources or data.sources
        data = [*data.intervals.values(), *data.contacts.values()]
    sources = sources or [r.source for r in data]
    if not data:
        files = ", ".join(s.names for s in sources) or "the data"
        raise DataFileError(
            f"{files}: no interval report or contact log: a backtest compares days of contacts "
            "(customer outcomes alone have none)"
        )
    if problems := unknown_channels(data, list(program.channels), loaded.name):
        raise DataFileError(problems)
    chosen: dict[str, Report] = {}
    for report in data:
        held = chosen.get(report.channel)
        if held is None or (isinstance(report, IntervalReport) and isinstance(held, ContactLog)):
            chosen[report.channel] = report
    observed = {}
    skipped: list[SkippedDay] = []
    for name in program.channels:  # the scenario's order
        if name in chosen:
            found = observe(chosen[name], program.channels[name])
            keep = np.ones(found.dates.size, dtype=bool)
            if start is not None:
                keep &= found.dates >= np.datetime64(start, "D")
            if end is not None:
                keep &= found.dates <= np.datetime64(end, "D")
            for i, reason in found.partial.items():
                if keep[i]:
                    skipped.append(SkippedDay(found.dates[i], name, reason))
                keep[i] = False
            if keep.any():
                column = (
                    "interval_start" if isinstance(chosen[name], IntervalReport) else "arrived_at"
                )
                check_span(found.source, column, found.dates[keep][0], found.dates[keep][-1])
                observed[name] = found.keep(keep)
    if not observed:
        spans = "; ".join(r.source.describe() for r in chosen.values())
        asked = f"{start or 'the start'} to {end or 'the end'}"
        left = f"; {len(skipped)} partial days left out" if skipped else ""
        raise DataFileError(f"no observed day from {asked} in the data ({spans}){left}")
    first = min(o.dates[0] for o in observed.values())
    # Day 0 of the clock is a Monday at least a warm-up before the first day.
    earliest = first - np.timedelta64(WARMUP_DAYS, "D")
    weekday = (earliest.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    origin = earliest - np.timedelta64(int(weekday), "D")
    days = {c: _day_number(o.dates, origin) for c, o in observed.items()}
    rosters = {
        c: {int(_day_number(np.array([d]), origin)[0]): r for d, r in o.rosters.items()}
        for c, o in observed.items()
        if o.rosters is not None
    }
    entropy = int(seed) if seed is not None else fresh_entropy()
    block = int(program.simulation.block_size)
    _check_memory(observed, min(trials, block))
    blocks = -(-trials // block)
    per_block = sum(
        int(d[-1] - d[0]) + 1 + (WARMUP_DAYS if program.channels[c].kind != "realtime" else 0)
        for c, d in days.items()
    )
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:  # in trials, as a run reports: the share of the days done
            progress(trials * done // (per_block * blocks), trials)

    parts: list[dict[str, ChannelDays]] = []
    for k in range(blocks):
        n = min(block, trials - k * block)
        parts.append(
            simulate_days(
                program,
                days,
                trials=n,
                streams=Streams(entropy, k),
                rosters=rosters,
                engine=engine,
                progress=step,
            )
        )
    engine = normalize_engine(engine)
    return _result(loaded, observed, parts, entropy, trials, engine, sources, skipped)


def _check_memory(observed: dict[str, Observed], trials: int) -> None:
    """Refuse, before simulating, observed agents the machine's memory cannot hold: the engine
    keeps each agent on queue in each of a block's ``trials``, interval by interval of a week."""
    available = available_memory()
    for name, found in observed.items():
        if found.rosters is None or not found.rosters or available is None:
            continue
        date, roster = max(found.rosters.items(), key=lambda item: item[1].agents.max(initial=0))
        most = int(roster.agents.max(initial=0))
        intervals = 7 * max(r.agents.size for r in found.rosters.values()) + 1
        need = most * trials * intervals * BYTES_PER_AGENT_INTERVAL
        if need > available:
            raise DataFileError(
                f"{found.source.names}, column agents: {most:,} agents on queue on {date} "
                f"({name}) need about {need / 2**30:.1f} GiB to simulate over {trials:,} trials "
                f"at once, and {available / 2**30:.1f} GiB is available; give fewer `trials` "
                "(20 at least) or a smaller simulation.block_size (the trials simulated at "
                "once), or check the agents column"
            )


def _result(
    loaded: LoadedScenario,
    observed: dict[str, Observed],
    parts: list[dict[str, ChannelDays]],
    entropy: int,
    trials: int,
    engine: str,
    sources: Sequence[DataSource],
    skipped: Sequence[SkippedDay],
) -> BacktestResult:
    channel, date = [], []
    obs: dict[str, list[np.ndarray]] = {m: [] for m in METRICS}
    sim: dict[str, list[np.ndarray]] = {m: [] for m in METRICS}
    for name, found in observed.items():
        channel.append(np.full(found.dates.size, name, dtype=object))
        date.append(found.dates)
        simulated = [p[name].metrics() for p in parts]
        for m in METRICS:
            obs[m].append(found.metrics[m])
            sim[m].append(np.concatenate([s[m] for s in simulated], axis=1))
    observed_all = {m: np.concatenate(obs[m]) for m in METRICS}
    simulated_all = {m: np.concatenate(sim[m]) for m in METRICS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a day NaN in every trial: NaN
        q = {m: np.nanquantile(simulated_all[m], [BAND[0], 0.5, BAND[1]], axis=1) for m in METRICS}
    inside = {m: band_share(simulated_all[m], observed_all[m]) for m in METRICS}
    coverage = {m: _coverage(inside[m])[0] for m in METRICS}
    return BacktestResult(
        scenario={"name": loaded.name, "hash": loaded.content_hash, "source": loaded.source},
        data=tuple(sources),
        sources={c: o.source for c, o in observed.items()},
        staffing={
            c: "scenario" if o.rosters is None else "observed agents" for c, o in observed.items()
        },
        seed=entropy,
        trials=trials,
        engine=engine,
        channel=np.concatenate(channel).astype(str),
        date=np.concatenate(date),
        observed=observed_all,
        p05={m: q[m][0] for m in METRICS},
        p50={m: q[m][1] for m in METRICS},
        p95={m: q[m][2] for m in METRICS},
        inside=inside,
        simulated=simulated_all,
        coverage90=coverage,
        skipped=tuple(skipped),
    )


def _check_options(
    trials: int, seed: int | None, start: dt.date | None, end: dt.date | None, engine: str
) -> None:
    problems = []
    if not (is_whole(trials) and trials >= 20):
        problems.append(f"`trials` must be a whole number ≥ 20 for a 90% band (got {trials!r})")
    if seed is not None and not (is_whole(seed) and seed >= 0):
        problems.append(f"`seed` must be a whole number ≥ 0 (got {seed!r})")
    if start is not None and end is not None and start > end:
        problems.append(f"`start` {start} is after `end` {end}")
    engine_rule = engine_problem(engine)
    if engine_rule is not None:
        problems.append(engine_rule)
    if problems:
        raise OptionError("; ".join(problems))
