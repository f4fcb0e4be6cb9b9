"""``simroi calibrate``: fit a scenario to the user's own data, report the fit, write the file.

The command reads the data files (:func:`simroi.data.read.read_data`), calls
:func:`simroi.analysis.calibration.calibrate`, and renders its result: one table per channel
(key, fitted value, 90 % interval, method, n), the customer section with the counts behind each
churn multiplier, what was not fitted and why, the outlier days and the notes; ``--json`` prints
the same content as JSON. ``--plots DIR`` writes the figures of
:mod:`simroi.exports.calibration_plots`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simroi.cli.options import FLAGS, check_writable, console_for, seed_option
from simroi.cli.reading import Reading, date_range, date_range_options, reader_options
from simroi.errors import worded_text
from simroi.formatting import interval_text, pct, significant
from simroi.weekdays import WEEKDAYS

if TYPE_CHECKING:
    from simroi.analysis.calibration import CalibrationResult
    from simroi.data.fit import FittedInput
    from simroi.data.fit_outcomes import ChurnFit

__all__ = ["calibrate_command", "render_calibration"]

#: Keys whose values are shares, shown as percentages.
_SHARES = ("fcr", "public_share", "retry_share")


def _number(key: str, x: Any) -> str:
    if not isinstance(x, int | float) or not math.isfinite(x):
        return "—"
    return pct(x, 1) if key.rsplit(".", 1)[-1] in _SHARES else significant(x, 3)


def _profile_text(values: Sequence[float], minutes: int) -> str:
    peak = max(range(len(values)), key=lambda i: values[i])
    start = peak * minutes
    return f"{len(values)} × {minutes} min, peak {start // 60:02d}:{start % 60:02d}"


def _days_text(days: Sequence[str]) -> str:
    """``mon–fri, sun``: runs of consecutive weekdays joined."""
    index = sorted(WEEKDAYS.index(d) for d in days)
    runs: list[list[int]] = []
    for i in index:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return ", ".join(
        WEEKDAYS[r[0]] if len(r) == 1 else f"{WEEKDAYS[r[0]]}–{WEEKDAYS[r[-1]]}" for r in runs
    )


def _weekday_text(values: Sequence[float]) -> str:
    open_days = [i for i, v in enumerate(values) if v > 0]
    if not open_days:
        return "closed"
    low = min(open_days, key=lambda i: values[i])
    high = max(open_days, key=lambda i: values[i])
    text = f"{WEEKDAYS[low]} {values[low]:.2f} to {WEEKDAYS[high]} {values[high]:.2f}"
    closed = [d for d, v in zip(WEEKDAYS, values, strict=True) if v <= 0]
    return text + (f"; closed {_days_text(closed)}" if closed else "")


def _value_text(fit: FittedInput, minutes: int) -> str:
    value, key = fit.value, fit.key
    if key == "intraday_profile":
        return _profile_text(value, minutes)
    if key == "weekday_factors":
        return _weekday_text(value)
    if key == "hours" and isinstance(value, dict):
        days = value.get("days", list(WEEKDAYS))
        shown = "every day" if len(days) == 7 else _days_text(days)
        return f"{value['open']}–{value['close']} {shown}"
    if isinstance(value, str):
        return value
    return _number(key, value)


def _interval(fit: FittedInput) -> str:
    low, high = fit.interval90
    if not (math.isfinite(low) and math.isfinite(high)) or low == high:
        return "—"  # a plain setting: no interval
    return interval_text(_number(fit.key, low), _number(fit.key, high))


#: Narrower than this, the method of each fitted number goes under its table, one line each.
METHOD_COLUMN_WIDTH = 110


def _channel_table(channel: str, fits: Sequence[FittedInput], width: int) -> Table:
    minutes = next((int(f.value) for f in fits if f.key == "intraday_profile_minutes"), 60)
    table = Table(
        title=f"channels.{channel}", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False
    )
    table.add_column("key", no_wrap=True)
    # Words wrap (a profile's or the hours' description); numbers never break.
    table.add_column("fitted", justify="right", min_width=11)
    table.add_column("90% interval", justify="right", no_wrap=True)
    table.add_column("n", justify="right", no_wrap=True)
    wide = width >= METHOD_COLUMN_WIDTH
    if wide:
        table.add_column("method", overflow="fold", min_width=12, ratio=1)
    for fit in _shown(fits):
        row = [fit.key, _value_text(fit, minutes), _interval(fit), f"{fit.n:,}"]
        table.add_row(*row, *([_method(fit)] if wide else []))
    return table


def _shown(fits: Sequence[FittedInput]) -> list[FittedInput]:
    return [f for f in fits if f.key != "intraday_profile_minutes"]


def _method(fit: FittedInput) -> str:
    """The estimator; the whole method line is in --json and in the scenario's source."""
    return fit.method.split(";")[0]


def _fit_notes(fits: Sequence[FittedInput], width: int) -> list[str]:
    """The notes of a channel's fitted inputs (assumptions kept, truncations, repeats), after
    their methods where the table had no room for them."""
    methods = (
        [] if width >= METHOD_COLUMN_WIDTH else [f"  {f.key}: {_method(f)}" for f in _shown(fits)]
    )
    notes = [f"  {f.key}: {f.note}" for f in fits if f.note and not f.key.startswith("intraday")]
    return methods + notes


def _churn_table(churn: ChurnFit) -> Table:
    table = Table(
        title="customers: churn by experience class",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        show_edge=False,
    )
    for name in ("class", "customers", "churned", "months", "churn/mo", "multiplier",
                 "90% interval"):  # fmt: skip
        table.add_column(name, justify="left" if name == "class" else "right", no_wrap=True)
    from simroi.data.fit import Unfitted  # the command line starts without numpy and scipy

    for c in churn.classes:
        m = c.multiplier
        value, band = ("reference", "") if m is None else ("—", "")
        if m is not None and not isinstance(m, Unfitted):
            value = significant(m.value, 3)
            band = interval_text(*(significant(x, 3) for x in m.interval90))
        table.add_row(
            c.experience,
            f"{c.customers:,}",
            f"{c.churned:,}",
            f"{c.exposure_months:,.0f}",
            pct(c.monthly_hazard, 2),
            value,
            band,
        )
    return table


def render_calibration(console: Console, result: CalibrationResult) -> None:
    """Print the fit report of ``result`` on ``console``."""
    console.print(
        f"[bold]{escape(result.written.loaded.name)}[/bold]: fitted to "
        f"{escape('; '.join(s.describe() for s in result.sources))}",
        highlight=False,
    )
    for channel in result.written.loaded.program.channels:
        fits = [f for f in result.fitted if f.channel == channel]
        if fits:
            console.print(_channel_table(channel, fits, console.width))
            for line in _fit_notes(fits, console.width):
                console.print(line, markup=False, highlight=False, style="dim")
    if result.churn is not None:
        console.print(_churn_table(result.churn))
        for fit in result.fitted:
            # After the caveat and the counts (both shown above): what the writing changed.
            extra = fit.note.split("; ")[2:] if fit.channel is None else []
            if extra:
                console.print(f"  {fit.key}: {'; '.join(extra)}", markup=False,
                              highlight=False, style="dim")  # fmt: skip
        console.print(
            f"Churn multipliers are {result.churn.note}. They say how customers with each "
            "experience churned, not how much changing the experience would change churn.",
            highlight=False,
            markup=False,
        )
    if result.unfitted:
        console.print("[bold]Not fitted[/bold] (the base scenario's value is kept):")
        for u in result.unfitted:
            console.print(f"  {u.scenario_key}: {u.reason}", markup=False, highlight=False)
    for channel, dates in result.outliers.items():
        console.print(
            f"Outlier days, {channel} (left out of busyness_cv; model them as [[events]]): "
            f"{', '.join(dates)}",
            markup=False,
            highlight=False,
        )
    if result.notes:
        console.print("[bold]Notes[/bold]")
        for line in result.notes:
            text = worded_text(line, FLAGS)
            console.print(f"  {text}", markup=False, highlight=False)
    console.print(
        f"Wrote {result.written.path}: {len(result.fitted)} fitted inputs, each with its "
        "source; every other input is the base scenario's.",
        markup=False,
        highlight=False,
    )


@click.command(name="calibrate")
@click.argument("data", nargs=-1, required=True, metavar="DATA...")
@click.option(
    "--into",
    default=None,
    metavar="SCENARIO",
    help="The scenario that supplies every input the data does not tell (a bundled "
    "name or a TOML file; default: the bundled default). Its comments are kept.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="The calibrated scenario to write (validated first, written atomically).",
)
@click.option(
    "--customers",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="The customers behind the contacts: contact rates are per customer, and N "
    "becomes customers.active_customers; at least the most distinct customer_id with a "
    "contact on one day of the logs, or without customer ids the most contacts offered on "
    "one day (the whole base behind the data: accounts, for a business). Without it the "
    "rates are against the "
    "scenario's customer count, so it simulates the observed volume.",
)
@reader_options
@click.option(
    "--plots",
    default=None,
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Write PNGs into DIR (made if missing): per channel, the intraday profile, "
    "the daily totals against the fitted range, and patience survival.",
)
@seed_option("Seed of the bootstrap intervals (default 0: the same report every time).")
@date_range_options("to fit on")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def calibrate_command(
    ctx: click.Context,
    data: tuple[str, ...],
    into: str | None,
    out: str,
    customers: int | None,
    reader: Reading,
    plots: str | None,
    seed: int | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    as_json: bool,
) -> None:
    """Fit a scenario to your own data files and write it as a new scenario.

    DATA are interval reports (one row per channel and interval: interval_start, channel,
    offered, and where present answered, abandoned, answered_within_sla,
    handle_seconds_mean, wait_seconds_mean, agents), contact logs (one row per contact:
    arrived_at, channel, outcome, wait_seconds, handle_seconds, and where present resolved,
    public, customer_id) and customer outcomes (customer_id, experience, months_observed,
    churned), in any mix; each file's kind is told by its header.

    Fitted, per channel: the intraday profile at the data's resolution, weekday factors,
    opening hours, day-to-day variation (busyness_cv), the contact rate, handle time,
    patience (with censoring: an answered call's wait is a lower bound), FCR, public and
    retry shares; from customer outcomes, the churn multiplier of each experience class
    against customers without a contact (observational). Every fitted number is written as
    an uncertain input carrying its sampling uncertainty and a source naming the file, rows,
    dates and method; everything else is the --into scenario's, comments included.

    \b
    Example:
      simroi sample-data data/
      simroi calibrate data/intervals.csv data/contacts.csv data/customers.csv --out my.toml
      simroi run my.toml
    """
    from pathlib import Path

    from simroi.analysis.calibration import calibrate
    from simroi.errors import OutputError
    from simroi.exports.calibration_plots import write_calibration_plots

    console = console_for(ctx)
    first, last = date_range(start, end)
    # Refuse an unwritable --out or --plots before reading anything: nothing is written then.
    check_writable(out)
    if plots is not None:
        try:
            Path(plots).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{plots}: cannot make the folder: {exc.strerror or exc}") from None
        check_writable(str(Path(plots) / "calibration.png"))
    dataset = reader.read(data).between(first, last)
    result = calibrate(dataset, out, into=into, customers=customers, seed=seed or 0)
    written = write_calibration_plots(result, Path(plots)) if plots is not None else []
    if as_json:
        payload = result.to_json()
        payload["notes"] = [worded_text(line, FLAGS) for line in payload["notes"]]
        payload["plots"] = [str(p) for p in written]
        click.echo(json.dumps(payload, indent=2, allow_nan=False))
        return
    render_calibration(console, result)
    for path in written:
        console.print(f"Wrote {path}", markup=False, highlight=False)
