"""``simroi compare``, ``sweep`` and ``sensitivity``: several runs of a scenario, side by side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from simroi.cli.options import (
    OUT_HELP,
    Simulation,
    checkpoint_options,
    deliver,
    json_option,
    quiet_option,
    replay_command,
    resume_words,
    run_options,
)
from simroi.cli.resumable import run_resumable


@click.command()
@click.argument("scenarios", nargs=-1, required=True)
@run_options
@click.option("--out", type=click.Path(dir_okay=False), default=None, help=OUT_HELP)
@checkpoint_options
@json_option
@quiet_option
@click.pass_context
def compare(
    ctx: click.Context,
    scenarios: tuple[str, ...],
    sim: Simulation,
    overrides: tuple[str, ...],
    out: str | None,
    checkpoint: str | None,
    resume: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Compare SCENARIOS side by side, each against its baseline, with common random numbers.

    Every scenario runs with the same seed and trials, so trial t is the same possible world in
    each: the same draws of shared inputs, the same customers and contacts where the scenarios
    agree. For ROI, NPV, payback, PV of benefits and costs, and the key KPIs (each objective's
    metric, every channel's service level and abandonment, net sentiment) it prints each
    scenario's median and P5–P95 (as `simroi sweep` and every export do), and the
    mean paired difference against the FIRST scenario with its 95% interval (far tighter than
    the difference of two independent intervals, which is shown for NPV) and P(better than the
    first); where some trials tie, also how often it is worse and tied. Last, the probability
    that each scenario has the highest NPV, P(best), and of meeting each objective. --set
    applies to every scenario.

    An undefined value (ROI without incremental cost, payback beyond the horizon) is never
    better: it counts as the worst, and two undefined values tie (counted in neither). In
    P(best), scenarios tied for the highest NPV in a trial share it equally, so the P(best)
    column always sums to 100% and identical scenarios get equal shares.

    Ctrl-C or SIGTERM stops cleanly (exit status 130): with --out or --checkpoint, the runs and
    blocks finished so far are kept, and the message prints the command that resumes (--resume)
    with results bit-identical to an uninterrupted run.

    \b
    Example:
      simroi compare default social-team-2 social-team-3 --trials 1000 --seed 7
    """
    from simroi.analysis.comparison import compare_result_set, run_comparison
    from simroi.cli.render import render_comparison

    result_set, command = run_resumable(
        ctx,
        command="compare",
        sim=sim,
        settings=_settings(sim, scenarios, overrides),
        out=out,
        checkpoint=checkpoint,
        resume=resume,
        quiet=quiet or as_json,
        work=lambda options, kept, progress: run_comparison(
            scenarios, options, overrides=overrides, progress=progress, checkpoints=kept
        ),
        replay=lambda done: sim.replay("compare", scenarios, done.runs[0], overrides=overrides),
        resume_line=lambda seed: _resume_line(
            "compare", scenarios, sim, seed, overrides, (), resume_words(out, checkpoint)
        ),
    )
    comparison = compare_result_set(result_set)
    deliver(
        ctx,
        comparison,
        command=command,
        show=lambda console: render_comparison(comparison, console),
        as_json=as_json,
        out=out,
        drawn_seed=sim.drawn_seed(result_set.runs[0].provenance.seed),
    )


@click.command()
@click.argument("scenario", required=False)
@run_options
@click.option(
    "--confidence",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=0.9,
    show_default=True,
    help="The recommended point is the cheapest (lowest mean PV of costs) whose "
    "probability of meeting every objective in the same trial is at least this.",
)
@click.option("--out", type=click.Path(dir_okay=False), default=None, help=OUT_HELP)
@checkpoint_options
@json_option
@quiet_option
@click.pass_context
def sweep(
    ctx: click.Context,
    scenario: str | None,
    sim: Simulation,
    overrides: tuple[str, ...],
    confidence: float,
    out: str | None,
    checkpoint: str | None,
    resume: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Sweep one or two inputs of SCENARIO over a grid: a staffing curve with bands.

    Give each swept input as --set KEY=start:stop (inclusive, step 1), KEY=start:stop:step or
    KEY=a,b,c; integers stay integers. Any numeric key works; staffing per channel is the main
    use. Other --set options are applied at every point. Every point runs with the same seed
    (common random numbers), so the curve shows the effect of the input, not noise.

    For each point: ROI and NPV as P50 [P5–P95], the mean PV of costs, each channel's service
    level, the probability of each objective and of all at once, and the probability of the
    highest NPV, P(best): points tied for the highest NPV in a trial share it equally, so it
    sums to 100% over the grid. Two points are marked: ★ the best expected NPV, and ✔ the
    recommendation, the cheapest point meeting every objective with probability ≥ --confidence.

    Ctrl-C or SIGTERM stops cleanly (exit status 130): with --out or --checkpoint, the runs and
    blocks finished so far are kept, and the message prints the command that resumes (--resume)
    with results bit-identical to an uninterrupted run.

    \b
    Examples:
      simroi sweep --set channels.social.agents=1:6 --trials 500 --seed 7
      simroi sweep default --set channels.social.agents=1:4 \\
          --set program.monthly_tools_cost=1000,3000
    """
    from simroi.analysis.sweep import run_sweep, summarize_sweep
    from simroi.cli.render_sweep import render_sweep

    named = [scenario] if scenario else []
    own = ("--confidence", repr(confidence))
    result_set, command = run_resumable(
        ctx,
        command="sweep",
        sim=sim,
        settings=_settings(sim, named, overrides),
        out=out,
        checkpoint=checkpoint,
        resume=resume,
        quiet=quiet or as_json,
        work=lambda options, kept, progress: run_sweep(
            scenario, overrides, options, confidence=confidence, progress=progress, checkpoints=kept
        ),
        replay=lambda done: sim.replay(
            "sweep", named, done.runs[0], overrides=overrides, options=own
        ),
        resume_line=lambda seed: _resume_line(
            "sweep", named, sim, seed, overrides, own, resume_words(out, checkpoint)
        ),
    )
    summary = summarize_sweep(result_set, confidence)
    deliver(
        ctx,
        summary,
        command=command,
        show=lambda console: render_sweep(summary, console),
        as_json=as_json,
        out=out,
        drawn_seed=sim.drawn_seed(result_set.runs[0].provenance.seed),
    )


@click.command()
@click.argument("scenario", required=False)
@run_options
@click.option(
    "--swing/--no-swing",
    default=True,
    show_default=True,
    help="Also run the one-at-a-time swing tornado (2 × top + 1 extra runs).",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Inputs shown, and swung in the swing tornado.",
)
@click.option(
    "--swing-trials",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Trials of each swing run (inputs are fixed there; trials average the "
    "queues and word of mouth).",
)
@click.option(
    "--breakeven",
    is_flag=True,
    help="Also find, for each top driver, the value at which the median NPV crosses 0 and "
    "P(ROI > 0) crosses 50%: the input fixed in every trial, the others drawn, same seed and "
    "trials (common random numbers), to 0.1% of its range. Each step is a full run: about "
    "10 runs per driver, at most 40.",
)
@click.option(
    "--breakeven-top",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Drivers (top of the tornado) searched with --breakeven.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the base run with both tornados (and the break-evens) (.npz); `simroi export` "
    "turns it into tornado slides without re-running.",
)
@checkpoint_options
@json_option
@quiet_option
@click.pass_context
def sensitivity(
    ctx: click.Context,
    scenario: str | None,
    sim: Simulation,
    overrides: tuple[str, ...],
    swing: bool,
    top: int,
    swing_trials: int,
    breakeven: bool,
    breakeven_top: int,
    out: str | None,
    checkpoint: str | None,
    resume: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Which inputs drive the ROI of SCENARIO: two tornados, each naming its method.

    \b
    1. From the Monte Carlo trials (respects input correlations): inputs ranked by their
       Spearman rank correlation with ROI; each bar spans the mean ROI of the trials in the
       input's bottom and top decile; beside it, the share of ROI variance explained by the
       input (a given-data first-order index).
    2. One-at-a-time swing (for slides): each of the top inputs at its P10 and P90, all other
       uncertain inputs at their medians, every run with the same seed. It ignores
       correlations, and says so.

    \b
    3. With --breakeven, what would have to be true: for each of the --breakeven-top drivers,
       the input value at which the median NPV crosses zero and at which P(ROI > 0) = 50%,
       found by Brent's method on common random numbers, searched first in the input's range
       and then outward to its limits; a value outside the range is marked with its side.

    NPV replaces ROI when ROI is undefined in some trial (no incremental cost).

    Ctrl-C or SIGTERM stops cleanly (exit status 130): with --out or --checkpoint, the base and
    swing runs finished so far are kept (the break-even search runs anew), and the message
    prints the command that resumes (--resume), bit-identical to an uninterrupted run.

    \b
    Example:
      simroi sensitivity default --trials 300 --seed 7 --breakeven --breakeven-top 3
    """
    from simroi.analysis.sensitivity import run_sensitivity, summarize_sensitivity
    from simroi.cli.render import render_sensitivity

    named = [scenario] if scenario else []
    own = (
        "--top",
        str(top),
        *(("--swing", "--swing-trials", str(swing_trials)) if swing else ("--no-swing",)),
        *(("--breakeven", "--breakeven-top", str(breakeven_top)) if breakeven else ()),
    )
    settings = {**_settings(sim, named, overrides), "swing": swing, "top": top}
    settings["swing_trials"] = swing_trials if swing else None
    result, command = run_resumable(
        ctx,
        command="sensitivity",
        sim=sim,
        settings=settings,
        out=out,
        checkpoint=checkpoint,
        resume=resume,
        quiet=quiet or as_json,
        work=lambda options, kept, progress: run_sensitivity(
            scenario,
            options,
            overrides=overrides,
            swing=swing,
            top=top,
            swing_trials=swing_trials,
            breakeven=breakeven,
            breakeven_top=breakeven_top,
            progress=progress,
            checkpoints=kept,
        ),
        replay=lambda done: sim.replay(
            "sensitivity", named, done, overrides=overrides, options=own
        ),
        resume_line=lambda seed: _resume_line(
            "sensitivity", named, sim, seed, overrides, own, resume_words(out, checkpoint)
        ),
    )
    summary = summarize_sensitivity(result)
    deliver(
        ctx,
        summary,
        command=command,
        show=lambda console: render_sensitivity(summary, console, top=top),
        as_json=as_json,
        out=out,
        drawn_seed=sim.drawn_seed(result.provenance.seed),
    )


def _settings(
    sim: Simulation, scenarios: Sequence[str], overrides: Sequence[str]
) -> dict[str, Any]:
    """What decides the runs of a compare, sweep or sensitivity, as its checkpoint records it."""
    return {
        "scenarios": list(scenarios),
        "overrides": list(overrides),
        "trials": sim.trials,
        "engine": sim.engine,
    }


def _resume_line(
    command: str,
    scenarios: Sequence[str],
    sim: Simulation,
    seed: int,
    overrides: Sequence[str],
    options: Sequence[str],
    then: Sequence[str],
) -> str:
    """The command that resumes an interrupted ``command``: ``--trials`` as asked (none if none
    was: the checkpoint is for what was asked), the seed of its checkpoint, and ``then``."""
    return replay_command(
        command,
        scenarios,
        overrides=overrides,
        seed=seed,
        trials=sim.trials,
        engine=sim.engine,
        options=options,
        then=then,
    )
