"""``simroi run`` and ``simroi queue``: simulate a scenario, or one channel's queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import click
from rich.console import Console

from simroi.cli.options import (
    Simulation,
    check_result_file,
    checkpoint_dir,
    checkpoint_options,
    deliver,
    engine_option,
    json_option,
    lock_outputs,
    prepare_engine,
    progress_bar,
    quiet_option,
    replay_command,
    resume_words,
    run_options,
    seed_option,
    simulate,
    stop_interrupted,
)
from simroi.errors import SimroiError
from simroi.limits import MAX_AGENTS, MAX_TRIALS
from simroi.queueing.queue_spec import (
    QUEUE_BLOCK,
    QueueSpec,
    Staffing,
    StaffingTarget,
)
from simroi.randomness import DEFAULT_BLOCK_SIZE

if TYPE_CHECKING:
    from simroi.execution.runner import RunOptions
    from simroi.queueing.study import QueueStudy
    from simroi.scenario.load import LoadedScenario


@click.command()
@click.argument("scenario", required=False)
@run_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write a result file (.npz) with every per-trial sample and the provenance; "
    "`simroi export` turns it into slides, charts and tables without re-running. While the "
    "run is unfinished its blocks are kept in OUT.checkpoint, so it can be resumed.",
)
@checkpoint_options
@json_option
@quiet_option
@click.pass_context
def run(
    ctx: click.Context,
    scenario: str | None,
    sim: Simulation,
    overrides: tuple[str, ...],
    out: str | None,
    checkpoint: str | None,
    resume: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Simulate SCENARIO against its baseline and print the ROI distribution.

    SCENARIO is a scenario file or a bundled scenario's name; without it, the bundled default
    (a mid-size consumer brand starting a social care team) runs.

    Prints ROI, NPV and payback as the median (P50), P5, P95 and mean with P(ROI > 0) and its
    Monte Carlo standard error; each benefit and cost line; a TEI-style risk-adjusted view; KPIs
    per channel for program and baseline; the probability of meeting each objective; and the
    seed that replays the run exactly. A trial without incremental cost has no ROI (it is
    undefined, not infinite): P(ROI > 0) counts it as not positive, and the ROI percentiles leave
    it out.

    Blocks of trials run in --workers local processes (default: all cores) or on a Dask
    cluster (--executor dask, with --scheduler or a local cluster); the same seed gives
    bit-identical results on any of them. Ctrl-C or SIGTERM stops cleanly (exit status 130):
    with --out or --checkpoint the finished blocks are kept and the message shows the command
    that resumes the run.
    """
    from simroi.analysis.summary import require_baseline
    from simroi.errors import OutputError
    from simroi.execution import workers
    from simroi.execution.checkpoint import discard_checkpoint
    from simroi.scenario.load import load_scenario

    if out is not None:
        check_result_file(out)
    lock_outputs(ctx, out, checkpoint)  # one writer of --out and of the checkpoint at a time
    if sim.executor == "local" and not one_block(sim.trials):
        # Worker processes start up while the scenario loads. A run of one block runs in this
        # process: workers started in case would only take the cores while they import.
        workers.start_early(sim.workers or workers.cores())
        ctx.call_on_close(workers.discard_early)  # unless the run took them (or runs in-process)
    loaded = load_scenario(scenario, overrides=overrides)
    require_baseline(loaded)
    options = sim.options()
    kept = checkpoint_dir(out, checkpoint, resume)
    from simroi.analysis.summary import summarize
    from simroi.cli.render import render_run_summary
    from simroi.execution.runner import RunInterrupted
    from simroi.execution.runner import run as run_scenario

    scenarios = [scenario] if scenario else []

    def replay(seed: int, trials: int | Literal["auto"], then: tuple[str, ...] = ()) -> str:
        return replay_command(
            "run",
            scenarios,
            overrides=overrides,
            seed=seed,
            trials=trials,
            engine=sim.engine,
            then=then,
        )

    bar, update = progress_bar(quiet or as_json, _estimate(loaded, sim, options))
    try:
        result = simulate(
            bar,
            lambda: run_scenario(loaded, options, progress=update, checkpoint=kept, resume=resume),
        )
        command = replay(result.provenance.seed, sim.replay_trials(result.trials))
        result = result.with_command(command, overrides=overrides)
        if out is not None:
            try:
                result.save(out)
            except KeyboardInterrupt:  # the result is complete, and kept in the checkpoint
                trials_done = result.trials
                raise RunInterrupted(
                    trials_done, trials_done, result.provenance.seed, kept
                ) from None
            except OutputError as exc:
                if kept is None:
                    raise
                raise OutputError(
                    f"{exc} (the {result.trials:,} simulated trials are kept in {kept}: fix "
                    "this, then rerun with --resume to write the result without simulating "
                    "again)"
                ) from None
    except RunInterrupted as exc:
        # The trials the checkpoint is for: as asked, else the scenario's.
        planned = options.trials or loaded.program.simulation.trials
        resume_with = replay(exc.seed, planned, resume_words(out, checkpoint))
        stop_interrupted(ctx, str(exc), resume_with if exc.checkpoint is not None else None)
    if kept is not None:
        discard_checkpoint(kept)  # the result is complete (and written, with --out)
    summary = summarize(result)
    deliver(
        ctx,
        summary,
        command=command,
        show=lambda console: render_run_summary(summary, console),
        as_json=as_json,
        out=out,  # written above, where an interrupted or failed write keeps the checkpoint
        drawn_seed=sim.drawn_seed(result.provenance.seed),
    )


def one_block(trials: int | str | None) -> bool:
    """Whether ``--trials`` asks for no more than a block of the usual size (a scenario's own
    block size is known only once it loads: a smaller one starts its workers when they are
    needed)."""
    return isinstance(trials, int) and trials <= DEFAULT_BLOCK_SIZE


def _estimate(loaded: LoadedScenario, sim: Simulation, options: RunOptions) -> str | None:
    """The run's estimated contacts and time, for the progress bar of a run that is long (a
    minute or more of computing)."""
    from simroi.execution import workers
    from simroi.execution.footprint import run_footprint
    from simroi.execution.runner import AUTO_MIN_TRIALS

    program = loaded.program.simulation
    trials = AUTO_MIN_TRIALS if options.trials == "auto" else options.trials or program.trials
    processes = 0 if sim.executor == "dask" else sim.workers or workers.cores()
    footprint = run_footprint(
        loaded, trials=trials, block_size=program.block_size, processes=processes
    )
    return footprint.describe() if footprint.seconds >= 60 else None


@click.command()
@click.option("--arrivals-per-hour", type=float, required=True, help="Mean arrivals per hour.")
@click.option(
    "--agents",
    type=click.IntRange(min=0),
    default=None,
    help=f"Agents on duty all day, up to {MAX_AGENTS:,} (default with --target-sl: the number "
    "it requires).",
)
@click.option("--aht-minutes", type=float, required=True, help="Mean handle time (minutes).")
@click.option(
    "--patience-minutes",
    type=float,
    default=None,
    help="Mean (exponential) patience; omit for callers who never hang up (Erlang C).",
)
@click.option(
    "--hours", type=float, default=8.0, show_default=True, help="Length of the day (up to a year)."
)
@click.option(
    "--sl-seconds", type=float, default=20.0, show_default=True, help="Service-level threshold."
)
@click.option(
    "--target-sl",
    "target_sl",
    type=float,
    default=None,
    metavar="FRACTION",
    help="Service-level target in [0, 1), e.g. 0.8 for 80% answered within --sl-seconds: "
    "print the agents Erlang A (Erlang C without --patience-minutes) requires for it.",
)
@click.option(
    "--max-abandonment",
    type=float,
    default=None,
    metavar="FRACTION",
    help="With --target-sl and --patience-minutes: also at most this fraction hanging up.",
)
@click.option(
    "--handle-dist",
    type=click.Choice(["exponential", "lognormal", "gamma"]),
    default="exponential",
    show_default=True,
    help="Handle-time distribution (exponential is what Erlang C/A assume).",
)
@click.option(
    "--handle-cv",
    type=float,
    default=1.0,
    show_default=True,
    help="Coefficient of variation of handle time, with --handle-dist lognormal or gamma (an "
    "exponential's is 1).",
)
@click.option(
    "--warmup-minutes",
    type=float,
    default=0.0,
    show_default=True,
    help="Discard contacts arriving in the first minutes (the day starts empty).",
)
@click.option(
    "--trials",
    type=click.IntRange(min=2),
    default=2000,
    show_default=True,
    help=f"Simulated days, up to {MAX_TRIALS:,}; simulated {QUEUE_BLOCK:,} at a time, which a "
    "long day may not fit (the error says how many do).",
)
@seed_option("Root seed (printed when omitted).")
@engine_option()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@quiet_option
@click.pass_context
def queue(
    ctx: click.Context,
    arrivals_per_hour: float,
    agents: int | None,
    aht_minutes: float,
    patience_minutes: float | None,
    hours: float,
    sl_seconds: float,
    target_sl: float | None,
    max_abandonment: float | None,
    handle_dist: str,
    handle_cv: float,
    warmup_minutes: float,
    trials: int,
    seed: int | None,
    engine: str,
    as_json: bool,
    quiet: bool,
) -> None:
    """One channel's queue: simulated KPIs with 95% intervals beside Erlang C and Erlang A.

    Each trial is one day with Poisson arrivals, AGENTS always on duty, and handle times (and
    patience, if given) drawn per contact. KPIs over contacts arriving after the warm-up:

    \b
    service level  answered within --sl-seconds / all arrivals
    abandonment    hung up before being answered / all arrivals; without
                   --patience-minutes, not answered by the day's end / all arrivals
    ASA            mean wait of answered contacts (seconds), those answered
                   after the day's end included
    occupancy      time agents spend handling contacts within the measured time,
                   / (agents x measured time); never above 100%

    Erlang C (no abandonment) is shown when agents exceed the offered load; Erlang A (exponential
    patience) when --patience-minutes is given. Both are steady-state values: a simulated day
    starts empty, so its early minutes are better than steady state — use --warmup-minutes to
    compare like with like.

    Staffing: --target-sl 0.8 prints the fewest agents that answer 80% of all arrivals within
    --sl-seconds by Erlang A (by Erlang C when nobody hangs up), and --max-abandonment caps
    abandonment too. Without --agents the day is simulated at that number, to check the
    formula's answer; with --agents it is simulated at yours, beside what the target needs.
    Give --agents, --target-sl or both.

    \b
    Examples (a large call centre's day: 1,260 calls an hour for 8 hours on 90 agents; then
    the staff it needs for 80/20):
      simroi queue --arrivals-per-hour 1260 --agents 90 --aht-minutes 4 \\
          --patience-minutes 3 --hours 8 --sl-seconds 20 --trials 2000 --seed 7
      simroi queue --arrivals-per-hour 1260 --aht-minutes 4 --patience-minutes 3 \\
          --target-sl 0.8 --sl-seconds 20 --warmup-minutes 60 --seed 7
    """
    from simroi.cli.render import render_queue_study
    from simroi.queueing.study import study_queue

    spec = QueueSpec(
        arrivals_per_hour,
        agents,
        aht_minutes,
        patience_minutes,
        hours,
        sl_seconds,
        handle_dist,  # type: ignore[arg-type]  # click.Choice guarantees the literal
        handle_cv,
        warmup_minutes,
    )
    if max_abandonment is not None and target_sl is None:
        raise SimroiError("--max-abandonment is part of a staffing target: give --target-sl too")
    cv_given = ctx.get_parameter_source("handle_cv") is not click.core.ParameterSource.DEFAULT
    if handle_dist == "exponential" and cv_given and handle_cv != 1:
        raise SimroiError(
            f"--handle-cv {handle_cv:g} shapes lognormal or gamma handle times: an exponential "
            "one has a cv of 1 (give --handle-dist lognormal or gamma with it)"
        )
    target = StaffingTarget(target_sl, max_abandonment) if target_sl is not None else None
    prepare_engine(engine, queue_only=True)
    bar, update = progress_bar(quiet or as_json)
    study = simulate(
        bar,
        lambda: study_queue(
            spec,
            trials=trials,
            seed=seed,
            engine=engine,  # type: ignore[arg-type]  # click.Choice guarantees the literal
            target=target,
            progress=update,
        ),
    )
    # Every input, as given (a default too, so that a new default cannot change the replay);
    # --handle-cv only where it shapes the handle times.
    given: list[tuple[str, float | int | str | None]] = [
        ("--arrivals-per-hour", arrivals_per_hour),
        ("--aht-minutes", aht_minutes),
        ("--agents", agents),
        ("--patience-minutes", patience_minutes),
        ("--hours", hours),
        ("--sl-seconds", sl_seconds),
        ("--handle-dist", handle_dist),
        ("--handle-cv", None if handle_dist == "exponential" else handle_cv),
        ("--warmup-minutes", warmup_minutes),
        ("--target-sl", target_sl),
        ("--max-abandonment", max_abandonment),
    ]
    command = replay_command(
        "queue",
        seed=study.seed,
        trials=study.trials,
        engine=engine,
        options=[w for flag, value in given if value is not None for w in (flag, _word(value))],
    )

    def show(console: Console) -> None:
        render_queue_study(study.to_dict(), console)
        if study.staffing is not None:
            line = _staffing_line(study, study.staffing, given=agents is not None)
            console.print(line, soft_wrap=True)

    deliver(
        ctx,
        study,
        command=command,
        show=show,
        as_json=as_json,
        drawn_seed=study.seed if seed is None else None,
    )


def _word(value: float | int | str) -> str:
    """An option's value as the replay writes it: a float in full (``repr``), else as is."""
    return repr(value) if isinstance(value, float) else str(value)


def _staffing_line(study: QueueStudy, staffing: Staffing, *, given: bool) -> str:
    """``Staffing: Erlang A requires 14 agents for 80% answered within 20 s …`` (one line)."""
    from simroi.formatting import significant, stated_pct  # numpy: loaded once a queue ran

    target = staffing.target
    seconds = significant(study.spec.sl_seconds)
    goal = f"{stated_pct(target.service_level)} answered within {seconds} s"
    if target.max_abandonment is not None:
        goal += f" and at most {stated_pct(target.max_abandonment)} abandoning"
    simulated = (
        f"{study.spec.agents} agents ({'your --agents' if given else 'the number required'})"
    )
    return (
        f"Staffing: {staffing.formula} requires [bold]{staffing.agents}[/bold] agents for {goal} "
        f"(steady state). Simulated above: {simulated}."
    )
