"""Observed days for backtest tests: synthetic interval reports simulated from a scenario.

Each observed day comes from its own world: trial k of a simulation with another seed gives day
k, so the days are independent draws of what the scenario predicts for them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simroi.data.frames import DataSource, IntervalReport
from simroi.model.day import simulate_days
from simroi.randomness import Streams
from simroi.scenario.load import LoadedScenario, load_scenario

#: A small brand: a fixed phone team of 2 (08:00–20:00) and one email agent.
SMALL = (
    "customers.active_customers=60000",
    'channels.phone.staffing=[{ start = "08:00", end = "20:00", agents = 2 }]',
    "channels.email.agents=1",
    "simulation.block_size=100",
)
MONDAY = np.datetime64("2003-09-01")  # a Monday
#: The backtest's clock puts the first day a week (its warm-up) after a Monday: day 7.
FIRST_DAY = 7


def small(*more: str) -> LoadedScenario:
    """The default scenario at the size of :data:`SMALL`, with ``more`` overrides."""
    return load_scenario(overrides=[*SMALL, *more])


def synthetic_reports(
    loaded: LoadedScenario, days: int, *, seed: int, channels: tuple[str, ...]
) -> list[IntervalReport]:
    """Interval reports of ``days`` days from Monday 2003-09-01, one row a day at noon."""
    numbers = np.arange(FIRST_DAY, FIRST_DAY + days)
    truth = simulate_days(
        loaded.program, dict.fromkeys(channels, numbers), trials=days, streams=Streams(seed, 0)
    )
    dates = MONDAY + np.arange(days)
    reports = []
    for channel in channels:
        out = truth[channel]

        def own(values: np.ndarray) -> np.ndarray:
            return values[np.arange(days), np.arange(days)]

        with np.errstate(invalid="ignore", divide="ignore"):
            wait = own(out.wait_sum_s) / own(out.answered)
        reports.append(
            IntervalReport(
                source=DataSource(Path(f"{channel}.csv"), "intervals", days, dates[0], dates[-1]),
                channel=channel,
                interval_minutes=60,
                start=dates.astype("datetime64[s]") + np.timedelta64(12, "h"),
                offered=own(out.offered),
                answered=own(out.answered),
                abandoned=own(out.unanswered),
                answered_within_sla=own(out.within_sla),
                wait_seconds_mean=wait,
            )
        )
    return reports


def write_interval_csv(reports: list[IntervalReport], path: Path) -> Path:
    """The reports as one interval report file of hourly rows 08:00–19:00: each day's counts in
    its 12:00 row, nothing in the others (the daily sums are the reports' own)."""
    lines = [
        "interval_start,channel,offered,answered,abandoned,answered_within_sla,wait_seconds_mean"
    ]
    for report in reports:
        assert report.answered is not None and report.abandoned is not None
        assert report.answered_within_sla is not None and report.wait_seconds_mean is not None
        for i, start in enumerate(report.start.astype("datetime64[D]")):
            for hour in range(8, 20):
                stamp = f"{start} {hour:02d}:00"
                if hour != 12:
                    lines.append(f"{stamp},{report.channel},0,0,0,0,")
                    continue
                wait = report.wait_seconds_mean[i]
                counts = (
                    report.offered[i],
                    report.answered[i],
                    report.abandoned[i],
                    report.answered_within_sla[i],
                )
                fields = ",".join(f"{c:.0f}" for c in counts)
                shown = "" if np.isnan(wait) else repr(float(wait))
                lines.append(f"{stamp},{report.channel},{fields},{shown}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
