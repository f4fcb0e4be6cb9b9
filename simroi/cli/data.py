"""Commands about users' data files: sample-data."""

from __future__ import annotations

import click

from simroi.cli.options import console_for, prepare_engine, seed_option

#: The seed sample-data uses without --seed: the same files every time
#: (:data:`simroi.exports.sample_files.DEFAULT_SAMPLE_SEED`; here so that the command line
#: starts without numpy, and tested equal).
DEFAULT_SAMPLE_SEED = 1


@click.command(name="sample-data")
@click.argument("directory", type=click.Path(file_okay=False))
@seed_option(f"Root seed (default {DEFAULT_SAMPLE_SEED}: the same files every time).")
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    default=56,
    show_default=True,
    help="Days simulated, from Monday 2025-01-06 (56: calibrate on 7 weeks, backtest on the 8th).",
)
@click.option(
    "--scenario",
    default=None,
    metavar="NAME|FILE",
    help="The scenario simulated (a bundled name or a TOML file; default: the default scenario).",
)
@click.option(
    "--customers",
    type=click.IntRange(2, 10_000_000),
    default=20_000,
    show_default=True,
    help="Rows of customers.csv.",
)
@click.option("--force", is_flag=True, help="Overwrite the files if DIRECTORY already has them.")
@click.pass_context
def sample_data(
    ctx: click.Context,
    directory: str,
    seed: int | None,
    days: int,
    scenario: str | None,
    customers: int,
    force: bool,
) -> None:
    """Write sample data files into DIRECTORY (made if missing), simulated from a scenario with
    the real queue engine, to try calibrate and backtest on:

    \b
      intervals.csv   15-minute interval report, every channel: offered, answered,
                      abandoned, answered_within_sla, handle and wait means, agents
      contacts.csv    one row per contact: arrived_at, channel, outcome, wait_seconds,
                      handle_seconds, resolved, public, customer_id
      customers.csv   one row per customer: customer_id, experience, months_observed,
                      churned, monthly_margin
      truth.json      the inputs the files were simulated from (one trial's draw of the
                      scenario's uncertain inputs), to compare fitted values against

    Existing files are not overwritten without --force; each file is written whole or not at
    all. Contacts are the scenario's first contacts and the repeats and retries they send back
    on one of the next 7 days, as a real export counts them (no deflection, no events;
    truth.json counts each kind); half the customers had a contact, half none (a sample for
    fitting, not the base's share).

    \b
    Example:
      simroi sample-data data/
      simroi calibrate data/intervals.csv data/contacts.csv data/customers.csv --out my.toml
    """
    from simroi.exports.sample_files import write_sample_data

    used = DEFAULT_SAMPLE_SEED if seed is None else seed
    prepare_engine("compiled")
    written = write_sample_data(
        directory, scenario=scenario, days=days, customers=customers, seed=used, force=force
    )
    console = console_for(ctx)
    for path in written.paths:
        what = "" if path.suffix == ".json" else f" ({written.rows(path.name):,} rows)"
        console.print(f"wrote {path}{what}", markup=False, soft_wrap=True)
    console.print(
        f"simulated {days} days of {written.scenario} (seed {used}); the inputs used are in "
        f"{written.directory / 'truth.json'}",
        markup=False,
        soft_wrap=True,
    )
