"""The ``simroi`` command line: parse, call the library, render, map errors to exit codes.

Exit status: 0 success; 2 bad input (scenario files, options, result files, unwritable outputs),
with one line per problem on stderr and never a traceback; 130 interrupted. Anything else is a bug
and surfaces as one.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from simroi import __version__
from simroi.errors import SimroiError

__all__ = ["main"]

SCENARIO_HELP = "a scenario file, or the name of a bundled scenario (see `simroi scenarios`)"


class _Group(click.Group):
    """Maps SimroiError to a one-line message per problem and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SimroiError as exc:
            err = Console(stderr=True, highlight=False, soft_wrap=True)
            for line in str(exc).splitlines() or [type(exc).__name__]:
                err.print(f"error: {line}", markup=False)
            ctx.exit(2)
        except KeyboardInterrupt:
            Console(stderr=True).print("interrupted")
            ctx.exit(130)


def _console(ctx: click.Context) -> Console:
    return ctx.obj["console"] if ctx.obj and "console" in ctx.obj else Console(highlight=False)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="simroi")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Monte Carlo ROI of customer service and social customer care.

    simroi simulates customer contacts on phone, email and social channels (queues, waits,
    abandonment, response times), links each contact's outcome to churn, spending and word of
    mouth, and runs thousands of trials so every answer is a distribution with an interval.

    \b
    Start here:
      simroi run                      the bundled default scenario against its baseline
      simroi scenarios                the bundled scenarios
      simroi inputs default           the assumptions behind it, with sources
      simroi init my.toml             a commented starter scenario to edit
    """
    ctx.ensure_object(dict)


def _trials(value: str | None) -> int | str | None:
    if value is None or value == "auto":
        return value
    try:
        n = int(value)
    except ValueError:
        raise click.BadParameter(f"must be a whole number or 'auto' (got {value!r})") from None
    if n < 1:
        raise click.BadParameter(f"must be ≥ 1 (got {n})")
    return n


def _seed(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        seed = int(value, 0)
    except ValueError:
        raise click.BadParameter(f"must be a whole number ≥ 0 (got {value!r})") from None
    if seed < 0:
        raise click.BadParameter(f"must be ≥ 0 (got {seed})")
    return seed


def run_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options shared by every command that simulates."""
    options = [
        click.option("--trials", "trials", default=None, metavar="N|auto",
                     help="Trials to run (default: the scenario's [simulation] trials). 'auto' "
                          "runs until the Monte Carlo s.e. of P(ROI>0) < 0.005 and the mean NPV "
                          "is known to ±1%, with at least 2,000 trials."),
        click.option("--seed", default=None, metavar="INT",
                     help="Root seed; the same seed gives bit-identical results with any number "
                          "of workers. Without it a fresh seed is drawn and printed."),
        click.option("--engine", type=click.Choice(["vectorized", "simpy"]), default="vectorized",
                     show_default=True,
                     help="Queue engine: vectorized numpy (fast) or the simpy reference "
                          "(the readable specification, trials one at a time)."),
        click.option("--workers", type=click.IntRange(min=1), default=None,
                     help="Local processes (default: all cores)."),
        click.option("--executor", type=click.Choice(["local", "dask"]), default="local",
                     show_default=True, help="Where blocks of trials run."),
        click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
                     help="Dask scheduler address (with --executor dask; default: a local "
                          "cluster)."),
        click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                     help="Override a scenario value, e.g. --set channels.social.agents=2 or "
                          "--set 'customers.monthly_churn={ dist = \"pert\", low = 0.01, mode = "
                          "0.02, high = 0.03 }'. Repeatable; typed and validated like the file."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _options(trials: str | None, seed: str | None, engine: str, workers: int | None,
             executor: str, scheduler: str | None) -> Any:
    from simroi.runner import RunOptions

    return RunOptions(
        trials=_trials(trials),  # type: ignore[arg-type]
        seed=_seed(seed),
        engine=engine,  # type: ignore[arg-type]
        workers=workers,
        executor=executor,  # type: ignore[arg-type]
        scheduler=scheduler,
    )


def _progress(quiet: bool) -> tuple[Any, Callable[[int, int], None] | None]:
    """A rich progress bar on stderr (so --json output stays clean), or nothing."""
    if quiet or not sys.stderr.isatty():
        return None, None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("simulating"), BarColumn(), TextColumn("{task.completed:,} trials"),
                   TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    task = bar.add_task("trials", total=None)

    def update(done: int, planned: int) -> None:
        bar.update(task, completed=done, total=max(planned, done))

    return bar, update


@main.command()
@click.argument("scenario", required=False)
@run_options
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write a result file (.npz) with every per-trial sample and the provenance; "
                   "`simroi export` turns it into slides, charts and tables without re-running.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def run(ctx: click.Context, scenario: str | None, trials: str | None, seed: str | None,
        engine: str, workers: int | None, executor: str, scheduler: str | None,
        overrides: tuple[str, ...], out: str | None, as_json: bool, quiet: bool) -> None:
    """Simulate SCENARIO against its baseline and print the ROI distribution.

    SCENARIO is a scenario file or a bundled scenario's name; without it, the bundled default
    (a mid-size consumer brand starting a social care team) runs.

    Prints ROI, NPV and payback as mean, P5, P50, P95 with P(ROI > 0) and its Monte Carlo
    standard error; each benefit and cost line; a TEI-style risk-adjusted view; KPIs per channel
    for program and baseline; the probability of meeting each objective; and the seed that
    replays the run exactly.
    """
    from simroi.loading import load_scenario

    loaded = load_scenario(scenario, overrides=overrides)
    if loaded.baseline is None:
        raise SimroiError(
            f"{loaded.source}: scenario.baseline: ROI is measured against a baseline; name a "
            "baseline file in [scenario] baseline = \"...\" or add a [baseline] table of overrides"
        )
    options = _options(trials, seed, engine, workers, executor, scheduler)
    if out is not None:
        _check_writable(out)
    from simroi.analysis import summarize
    from simroi.render import render_run_summary
    from simroi.runner import run as run_scenario

    bar, update = _progress(quiet or as_json)
    if bar is not None:
        with bar:
            result = run_scenario(loaded, options, progress=update)
    else:
        result = run_scenario(loaded, options, progress=update)
    summary = summarize(result)
    if out is not None:
        result.save(out)
    console = _console(ctx)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        render_run_summary(summary, console, source=scenario or "")
        if out is not None:
            console.print(f"Result written to {out}")
        if options.seed is None:
            console.print(f"(no --seed given: this run used seed {result.provenance.seed})")


def _check_writable(path: str) -> None:
    """Fail before simulating when the output directory does not exist."""
    from simroi.errors import OutputError

    parent = Path(path).parent
    if not parent.is_dir():
        raise OutputError(f"{path}: cannot write: directory {str(parent)!r} does not exist")


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Validate with these overrides applied.")
@click.pass_context
def validate(ctx: click.Context, files: tuple[str, ...], overrides: tuple[str, ...]) -> None:
    """Check scenario FILES: one "ok" line per valid file, else every problem, exit 2.

    Checks TOML syntax, unknown keys (with a suggestion), types, ranges (probabilities in [0, 1],
    p5 < p95, low ≤ mode ≤ high, ...), channel names, objectives, correlations and the baseline.
    """
    from simroi.errors import ScenarioError
    from simroi.loading import load_scenario

    console = _console(ctx)
    problems: list[str] = []
    for file in files:
        try:
            loaded = load_scenario(file, overrides=overrides)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        baseline = loaded.baseline.scenario.name if loaded.baseline else "none"
        console.print(f"ok {file} ({loaded.name}; baseline: {baseline})", markup=False)
    if problems:
        raise ScenarioError(problems)


@main.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.pass_context
def init(ctx: click.Context, path: str, force: bool) -> None:
    """Write a commented starter scenario to PATH; it validates as written."""
    from importlib import resources

    from simroi.errors import OutputError
    from simroi.result import atomic_write

    target = Path(path)
    if target.exists() and not force:
        raise OutputError(f"{path}: already exists (use --force to overwrite)")
    text = resources.files("simroi").joinpath("starter.toml").read_text(encoding="utf-8")
    atomic_write(target, lambda handle: handle.write(text.encode("utf-8")))
    _console(ctx).print(f"wrote {path} — edit it, then: simroi validate {path} && "
                        f"simroi run {path}", markup=False)


@main.command()
@click.pass_context
def scenarios(ctx: click.Context) -> None:
    """List the bundled scenarios with a one-line description each."""
    import tomllib

    from simroi.loading import bundled_scenarios
    from simroi.render import render_scenarios

    rows = []
    for name, path in bundled_scenarios().items():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        rows.append((name, str(data.get("scenario", {}).get("description", ""))))
    render_scenarios(rows, _console(ctx))


@main.command()
@click.argument("scenario", required=False)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a value.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def inputs(ctx: click.Context, scenario: str | None, overrides: tuple[str, ...],
           as_json: bool) -> None:
    """The assumptions table: every uncertain input with P5, P50, P95, mean and source.

    Where the scenario correlates inputs, the requested rank correlations are shown beside the
    ones achieved by the sampler (Iman–Conover on 2,000 Latin-hypercube trials).
    """
    from simroi.loading import load_scenario
    from simroi.render import render_assumptions
    from simroi.scenario import assumptions

    loaded = load_scenario(scenario, overrides=overrides)
    rows = assumptions(loaded.program)
    correlations = _achieved_correlations(loaded)
    if as_json:
        click.echo(json.dumps({"inputs": rows, "correlations": correlations}, indent=2))
        return
    console = _console(ctx)
    render_assumptions(rows, console, title=f"Uncertain inputs of {loaded.name}")
    for c in correlations:
        console.print(f"rank correlation {c['a']} ~ {c['b']}: requested {c['requested']:+.2f}, "
                      f"achieved {c['achieved']:+.2f}", markup=False)


def _achieved_correlations(loaded: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    program = loaded.program
    if not program.correlations:
        return out
    import numpy as np

    from simroi.correlation import rank_correlation
    from simroi.model import draw_inputs
    from simroi.randomness import Streams

    values = draw_inputs(program, 2000, Streams(0, 0))
    for corr in program.correlations:
        achieved = rank_correlation(np.column_stack([values[n] for n in corr.inputs]))
        for i, a in enumerate(corr.inputs):
            for j in range(i + 1, len(corr.inputs)):
                out.append({"a": a, "b": corr.inputs[j], "requested": corr.matrix[i][j],
                            "achieved": float(achieved[i, j])})
    return out


@main.command()
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write to a file instead of standard output.")
def schema(out: str | None) -> None:
    """The JSON Schema of the scenario file format, for editors that validate TOML.

    For example with the Even Better TOML extension: add `#:schema ./simroi.schema.json` as the
    first line of a scenario file.
    """
    from simroi.loading import scenario_json_schema
    from simroi.result import atomic_write

    text = json.dumps(scenario_json_schema(), indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        atomic_write(out, lambda handle: handle.write(text.encode("utf-8")))
