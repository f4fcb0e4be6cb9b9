"""``simroi backtest``: the scenario's simulated days beside the user's observed ones."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from simroi.cli.options import (
    deliver,
    engine_option,
    json_option,
    prepare_engine,
    progress_bar,
    quiet_option,
    replay_command,
    seed_option,
    simulate,
)
from simroi.cli.reading import Reading, date_range, date_range_options, reader_options

if TYPE_CHECKING:
    from simroi.analysis.backtest import BacktestResult

#: Simulated days per observed day (``simroi.analysis.backtest.DEFAULT_TRIALS``; here so that
#: the command line starts without numpy, and tested equal).
DEFAULT_TRIALS = 500


@click.command(name="backtest")
@click.argument("scenario")
@click.argument("data", nargs=-1, required=True, metavar="DATA...")
@date_range_options("to check")
@click.option(
    "--trials",
    type=click.IntRange(min=20),
    default=DEFAULT_TRIALS,
    show_default=True,
    help="Simulated days per observed day (the band's ends are P5 and P95 of them).",
)
@seed_option("Root seed; the same seed gives the same bands. Without it one is drawn and printed.")
@engine_option()
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a scenario value (repeatable), as in simroi run.",
)
@reader_options
@click.option(
    "--all-days", is_flag=True, help="List every day (default: only the days outside the band)."
)
@click.option(
    "--plots",
    default=None,
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Write PNGs into DIR (made if missing): per channel and metric, the observed "
    "days over the simulated 90% band (backtest-CHANNEL-METRIC.png, replaced if "
    "there).",
)
@json_option
@quiet_option
@click.pass_context
def backtest(
    ctx: click.Context,
    scenario: str,
    data: tuple[str, ...],
    start: dt.datetime | None,
    end: dt.datetime | None,
    trials: int,
    seed: int | None,
    engine: str,
    overrides: tuple[str, ...],
    reader: Reading,
    all_days: bool,
    plots: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Simulate each observed day of DATA with SCENARIO and set the observed KPIs beside the
    simulated distribution: the check that the model behaves like your contact centre.

    DATA are interval reports and contact logs (customer outcomes are read and ignored), as
    simroi calibrate reads them. Every channel in the data must be one of the scenario's.

    Each observed day is simulated --trials times with the model's own engine: the day's
    weekday, the scenario's uncertain inputs drawn per trial, the day's busyness, arrivals,
    handle times and patience; the agents on queue the data gives (an interval report's
    agents column), else the scenario's team, schedule or staffing rule. Volume is the
    scenario's first contacts (contact rate × customers) plus their repeat contacts at the
    steady state, as calibrate assumes; events are not applied. Email and social run a week
    before the first day so their backlog has built up.

    \b
    Metrics, per day and channel, of the contacts that arrived that day (observed and
    simulated alike, with the model's KPI definitions):
      offered        contacts that arrived
      service level  answered within the scenario's threshold / offered (the wait
                     against sla_seconds on phone, the response against sla_hours
                     on email and social)
      abandonment    abandoned (phone) or ignored at the deadline / offered
      mean wait      mean wait of the answered contacts, seconds

    A well calibrated model puts the observed value inside the simulated 90% band (P5–P95)
    on about 90% of days. The table lists the days outside it (--all-days: every day), then
    the coverage per metric and channel. A tie between an observed count and simulated ones
    counts for the share of its probability inside the band; a day on which every trial
    gives the observed value (email never abandoned) tells nothing and is left out of the
    coverage ("n/a": every trial equal).

    A day the data covers only in part (an export that starts or ends mid-day: the stretch
    before its first row and after its last usually carries more than 10% of the day's
    contacts, by the data's own days of that weekday) is left out and listed with the reason
    ("skipped" in --json).

    \b
    Example (calibrate on the sample data, then check it day by day; for a fair test,
    calibrate on days before --from and backtest the days after):
      simroi sample-data data/
      simroi calibrate data/intervals.csv data/contacts.csv --out my.toml
      simroi backtest my.toml data/intervals.csv --seed 1
    """

    from simroi.analysis.backtest import backtest as run_backtest
    from simroi.exports.backtest import prepare_plots, write_backtest_plots
    from simroi.scenario.load import load_scenario

    first, last = date_range(start, end)
    loaded = load_scenario(scenario, overrides=overrides)
    if plots is not None:
        prepare_plots(plots)  # before simulating: an unwritable folder fails now
    dataset = reader.read(data)
    prepare_engine(engine)
    bar, update = progress_bar(quiet or as_json)
    result = simulate(
        bar,
        lambda: run_backtest(
            loaded,
            dataset,
            trials=trials,
            seed=seed,
            start=first,
            end=last,
            engine=engine,
            progress=update,
        ),
    )
    written = write_backtest_plots(result, plots) if plots is not None else []
    given = [("--from", first), ("--to", last)]
    days = [w for flag, day in given if day is not None for w in (flag, day.isoformat())]
    command = replay_command(
        "backtest",
        [scenario, *data],
        overrides=overrides,
        seed=result.seed,
        trials=trials,
        engine=engine,
        options=[*days, *reader.words()],
    )

    def show(console: Console) -> None:
        render_backtest(result, console, all_days=all_days)
        if written:
            console.print(
                f"Plots written to {plots} ({len(written)} files)", markup=False, soft_wrap=True
            )

    deliver(
        ctx,
        result,
        command=command,
        show=show,
        as_json=as_json,
        drawn_seed=result.seed if seed is None else None,
    )


def render_backtest(result: BacktestResult, console: Console, *, all_days: bool = False) -> None:
    """Per channel, the days outside the band (or every day), then the coverage table."""
    from simroi.analysis.backtest import METRIC_LABELS, METRICS, calibrated_range
    from simroi.formatting import pct

    days = len(set(result.date.tolist()))
    console.print(
        f"Backtest of {result.scenario['name']}: {days} days, each simulated "
        f"{result.trials:,} times. Each cell: observed (▲ above the simulated 90% band, ▼ "
        "below), then simulated P50 [P5–P95].",
        markup=False,
        soft_wrap=True,
    )
    for channel in result.channels:
        rows = (result.channel == channel).nonzero()[0]
        shown = [m for m in METRICS if any(map(math.isfinite, result.observed[m][rows]))]
        outside = {m: result.outside(m) for m in shown}
        listed = [i for i in rows if all_days or any(outside[m][i] for m in shown)]
        staffing = {"scenario": "the scenario's", "observed agents": "the data's agents"}
        console.print(
            f"\n{channel}: {result.sources[channel].describe()}; staffing: "
            f"{staffing[result.staffing[channel]]}",
            markup=False,
            soft_wrap=True,
        )
        for day in (d for d in result.skipped if d.channel == channel):
            console.print(f"left out {day.date}: {day.reason}", markup=False, soft_wrap=True)
        if not listed:
            console.print("every day inside the band", markup=False)
            continue
        table = Table(title=None if all_days else "days outside the band", title_justify="left")
        table.add_column("date")
        table.add_column("day")
        for m in shown:
            table.add_column(METRIC_LABELS[m][0].removesuffix(" (s)"), justify="right")
        for i in listed:
            date = result.date[i].astype(dt.date)
            cells: list[Text | str] = [date.isoformat(), date.strftime("%a")]
            for m in shown:
                number, unit = _shown(m, float(result.p95[m][i]))
                observed = float(result.observed[m][i])
                mark = ""
                if outside[m][i]:
                    mark = " ▲" if observed > result.p50[m][i] else " ▼"
                line = Text(number(observed) + unit + mark, style="bold red" if mark else "")
                p05, p50, p95 = (
                    number(float(q[m][i])) for q in (result.p05, result.p50, result.p95)
                )
                line.append(f"\n{p50} [{p05}–{p95}]{unit}", style="dim")
                cells.append(line)
            table.add_row(*cells)
        console.print(table)
    coverage = Table(title="\nCoverage of the simulated 90% band", title_justify="left")
    coverage.add_column("metric")
    for channel in [*result.channels, "all"]:
        coverage.add_column(channel, justify="right")
    counts: list[int] = []
    for m in METRICS:
        row = [METRIC_LABELS[m][0].removesuffix(" (s)")]
        for name in [*result.channels, None]:
            share, n = result.coverage(m, name)
            equal = int(result.every_trial_equal(m, name).sum())
            if n:
                row.append(f"{pct(share)} of {n}" + (f" (+{equal} n/a)" if equal else ""))
            else:
                row.append("n/a" if equal else "—")
            if name is None and n:
                counts.append(n)
        coverage.add_row(*row)
    console.print(coverage)
    note = "A well calibrated model covers about 90% of days"
    if counts:
        low, high = calibrated_range(max(counts))
        note += (
            f" ({pct(low)}–{pct(high)} of {max(counts)} days, 95% of the time, were the days "
            "independent; they are not quite: the days of one centre share the error of its "
            "fitted inputs, so a week or two of one centre can stray further from 90%)"
        )
    console.print(note + ".", markup=False, soft_wrap=True)
    if any(result.every_trial_equal(m).any() for m in METRICS):
        console.print(
            "n/a (every trial equal): every simulated trial gives the observed value (e.g. no "
            "email abandoned), so the day cannot tell a good model from a bad one and is left "
            "out of the coverage.",
            markup=False,
            soft_wrap=True,
        )
    if result.skipped:
        console.print(
            f"{len(result.skipped)} day(s) left out: the data covers them only in part.",
            markup=False,
            soft_wrap=True,
        )


def _shown(metric: str, scale: float) -> tuple[Callable[[float], str], str]:
    """How a metric's values read in a cell, all in one unit, and the unit after them: counts
    whole, shares in whole percent, waits in seconds, minutes or hours by the band's top
    (``scale``, seconds)."""
    from simroi.formatting import duration_unit, pct

    if metric == "offered":
        return (lambda x: f"{x:,.0f}" if math.isfinite(x) else "—"), ""
    if metric != "mean_wait":
        return pct, ""
    unit, size = duration_unit("seconds", scale if math.isfinite(scale) else 0.0)

    def number(x: float) -> str:
        if not math.isfinite(x):
            return "—"
        value = x / size
        return f"{value:,.0f}" if value >= 10 or unit == "s" else f"{value:.1f}"

    return number, f" {unit}"
