"""Commands about files: validate, init, scenarios, inputs, export, schema."""

from __future__ import annotations

import json
from pathlib import Path

import click

from simroi.cli.options import console_for
from simroi.exports import CHART_NAMES


@click.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Validate with these overrides applied.",
)
@click.pass_context
def validate(ctx: click.Context, files: tuple[str, ...], overrides: tuple[str, ...]) -> None:
    """Check scenario FILES: one "ok" line per valid file, else every problem, exit 2.

    Checks TOML syntax, unknown keys (with a suggestion), types, ranges (probabilities in [0, 1],
    p5 < p95, low ≤ mode ≤ high, ...), channel names, objectives, correlations and the baseline,
    which every ROI needs (a file written only as another scenario's baseline file is checked by
    validating that scenario). Each problem is one line. A value whose type or own range is wrong
    is left out to check the rest; only where a required value or a channel itself is wrong are
    the rules that span keys (ranges of uncertain inputs, names) checked on the next pass.
    """
    from simroi.analysis.summary import require_baseline
    from simroi.errors import ScenarioError
    from simroi.scenario.load import load_scenario

    console = console_for(ctx)
    problems: list[str] = []
    for file in files:
        try:
            loaded = load_scenario(file, overrides=overrides)
            require_baseline(loaded)  # run, compare, sweep and sensitivity refuse it
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        assert loaded.baseline is not None
        name = loaded.baseline.scenario.name
        console.print(f"ok {file} ({loaded.name}; baseline: {name})", markup=False)
    if problems:
        raise ScenarioError(problems)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.pass_context
def init(ctx: click.Context, path: str, force: bool) -> None:
    """Write a commented starter scenario to PATH; it validates as written."""
    from importlib import resources

    from simroi.errors import OutputError
    from simroi.execution.result import atomic_write

    target = Path(path)
    if target.exists() and not force:
        raise OutputError(f"{path}: already exists (use --force to overwrite)")
    text = resources.files("simroi").joinpath("starter.toml").read_text(encoding="utf-8")
    atomic_write(target, lambda handle: handle.write(text.encode("utf-8")))
    console_for(ctx).print(
        f"wrote {path} — edit it, then: simroi validate {path} && simroi run {path}",
        markup=False,
        soft_wrap=True,
    )


@click.command()
@click.pass_context
def scenarios(ctx: click.Context) -> None:
    """List the bundled scenarios with a one-line description each."""
    from simroi.cli.render import render_scenarios
    from simroi.scenario.load import describe_bundled_scenarios

    rows = [(s.name, s.description) for s in describe_bundled_scenarios()]
    render_scenarios(rows, console_for(ctx))


@click.command()
@click.argument("scenario", required=False)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a value.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def inputs(
    ctx: click.Context, scenario: str | None, overrides: tuple[str, ...], as_json: bool
) -> None:
    """The assumptions table: every uncertain input with P5, P50, P95, mean and source.

    Where the scenario correlates inputs, the requested rank correlations are shown beside the
    ones achieved by the sampler (Iman–Conover on 2,000 trials drawn by the scenario's sampling
    method, Latin hypercube by default). Where it orders inputs ([[orderings]]), each ordering
    is shown with the share of those trials in which it holds (all of them: comonotone draws).
    """
    from simroi.cli.render import render_assumptions
    from simroi.scenario.load import load_scenario
    from simroi.scenario.sampling import achieved_correlations, held_orderings
    from simroi.scenario.spec import assumptions

    loaded = load_scenario(scenario, overrides=overrides)
    rows = assumptions(loaded.program)
    correlations = achieved_correlations(loaded.program)
    orderings = held_orderings(loaded.program)
    if as_json:
        data = {
            "inputs": rows,
            "correlations": [c.to_json() for c in correlations],
            "orderings": [o.to_json() for o in orderings],
        }
        click.echo(json.dumps(data, indent=2))
        return
    console = console_for(ctx)
    render_assumptions(rows, console, title=f"Uncertain inputs of {loaded.name}")
    for c in correlations:
        console.print(
            f"rank correlation {c.a} ~ {c.b}: requested {c.requested:+.2f}, "
            f"achieved {c.achieved:+.2f}",
            markup=False,
        )
    for o in orderings:
        why = f" ({o.note})" if o.note else ""
        console.print(
            f"ordered {' ≤ '.join(o.inputs)}{why}: holds in {o.held:.1%} of sampled trials",
            markup=False,
        )


@click.command(name="export")
@click.argument("result", type=click.Path(dir_okay=False))
@click.option(
    "--to",
    "targets",
    multiple=True,
    required=True,
    metavar="FILE",
    help="A file to write; the format follows the suffix (see above). Repeatable.",
)
@click.option(
    "--template",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE.pptx",
    help="Put the slides on this PowerPoint file's master, layouts and theme (its own slides "
    "are left out).",
)
@click.option(
    "--chart",
    default=None,
    metavar="NAME",
    help="The chart a .png/.svg target gets (default: the headline chart): "
    + ", ".join(CHART_NAMES)
    + ".",
)
@click.pass_context
def export_command(
    ctx: click.Context,
    result: str,
    targets: tuple[str, ...],
    template: str | None,
    chart: str | None,
) -> None:
    """Slides, charts and tables from RESULT, a file written by run, compare, sweep or
    sensitivity --out.

    Nothing is simulated again: every number comes from the per-trial samples in RESULT. The
    format follows each --to file's suffix:

    \b
      .pptx         16:9 deck, native editable charts (--template for your master)
      .png, .svg    one chart; {chart} in the name writes every chart, one file each,
                    into the folder it names (made if missing)
      .csv          interval table: mean, P5, P50, P95, probabilities, one row per quantity
      .md           the same tables in Markdown (Marp, reveal.js, wikis)
      .json         the summaries as JSON
      .xlsx         workbook: summary, percentiles, cash flow, monthly, sensitivity, sweep,
                    assumptions, raw trials, provenance (needs openpyxl: simroi[xlsx])
      .trials.csv   every per-trial sample, one row per run and trial
      .trials.npz   every per-trial sample as NumPy arrays
      monthly.csv   month by month, tidy (long): one row per run, metric and month with
                    P5, P50, P95 (run, metric, month, p05, p50, p95); or NAME.monthly.csv
      tornado.csv   the tornados of `simroi sensitivity --out`, one row per tornado and
                    input: bar ends, base, input values, rank correlation, share of
                    variance, method; or NAME.tornado.csv

    All targets are checked before any file is written; each file is written atomically.

    \b
    Example:
      simroi run --seed 7 --out result.npz
      simroi export result.npz --to deck.pptx --to 'charts/{chart}.png' --to table.md
    """
    from simroi.exports.targets import export_file

    written = export_file(result, targets, template=template, chart=chart)
    console = console_for(ctx)
    for path in written:
        console.print(f"wrote {path}", markup=False, soft_wrap=True)


@click.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write to a file instead of standard output.",
)
def schema(out: str | None) -> None:
    """The JSON Schema of the scenario file format, for editors that validate TOML.

    For example with the Even Better TOML extension: add `#:schema ./simroi.schema.json` as the
    first line of a scenario file.
    """
    from simroi.execution.result import atomic_write
    from simroi.scenario.load import scenario_json_schema

    text = json.dumps(scenario_json_schema(), indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        atomic_write(out, lambda handle: handle.write(text.encode("utf-8")))
