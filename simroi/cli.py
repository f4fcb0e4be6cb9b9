"""The ``simroi`` command line: parse, call the library, render, map errors to exit codes.

Exit status: 0 success; 2 bad input (scenario files, options, result files, unwritable outputs),
with one line per problem on stderr and never a traceback; 130 interrupted. Anything else is a bug
and surfaces as one.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
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
        import signal
        import threading

        # SIGTERM (kill, a batch scheduler, a container stop) stops a command as Ctrl-C does:
        # finished blocks are kept, no output is left half-written, exit status 130.
        def stop(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, stop) if main_thread else None
        try:
            return super().invoke(ctx)
        except SimroiError as exc:
            err = Console(stderr=True, highlight=False, soft_wrap=True)
            for line in str(exc).splitlines() or [type(exc).__name__]:
                err.print(f"error: {line}", markup=False)
            ctx.exit(2)
        except KeyboardInterrupt as exc:
            # A run says what it kept and how to resume; anything else just stops.
            Console(stderr=True, highlight=False, soft_wrap=True).print(
                str(exc) or "interrupted", markup=False
            )
            ctx.exit(130)
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


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
    from simroi.workers import keep_freed_memory

    keep_freed_memory()  # a short-lived process: blocks simulated here reuse their tables' memory


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
        click.option(
            "--trials",
            "trials",
            default=None,
            metavar="N|auto",
            help="Trials to run (default: the scenario's [simulation] trials). 'auto' "
            "runs until the Monte Carlo s.e. of P(ROI>0) < 0.005 and the mean NPV "
            "is known to ±1%, with at least 2,000 trials.",
        ),
        click.option(
            "--seed",
            default=None,
            metavar="INT",
            help="Root seed; the same seed gives bit-identical results with any number "
            "of workers. Without it a fresh seed is drawn and printed.",
        ),
        click.option(
            "--engine",
            type=click.Choice(["vectorized", "simpy"]),
            default="vectorized",
            show_default=True,
            help="Queue engine: vectorized numpy (fast) or the simpy reference "
            "(the readable specification, trials one at a time).",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            default=None,
            help="Local processes (default: all cores).",
        ),
        click.option(
            "--executor",
            type=click.Choice(["local", "dask"]),
            default="local",
            show_default=True,
            help="Where blocks of trials run.",
        ),
        click.option(
            "--scheduler",
            default=None,
            metavar="tcp://HOST:PORT",
            help="Dask scheduler address (with --executor dask; default: a local cluster).",
        ),
        click.option(
            "--set",
            "overrides",
            multiple=True,
            metavar="KEY=VALUE",
            help="Override a scenario value, e.g. --set channels.social.agents=2 or "
            '--set \'customers.monthly_churn={ dist = "pert", low = 0.01, mode = '
            "0.02, high = 0.03 }'. Repeatable; typed and validated like the file.",
        ),
    ]

    @functools.wraps(func)
    def packed(
        *args: Any,
        trials: str | None,
        seed: str | None,
        engine: str,
        workers: int | None,
        executor: str,
        scheduler: str | None,
        **kwargs: Any,
    ) -> Any:
        sim = _Simulation(trials, seed, engine, workers, executor, scheduler)
        return func(*args, sim=sim, **kwargs)

    command: Callable[..., Any] = packed
    for option in reversed(options):
        command = option(command)
    return command


@dataclass(frozen=True)
class _Simulation:
    """The options every simulating command shares, as given on the command line."""

    trials: str | None
    seed: str | None
    engine: str
    workers: int | None
    executor: str
    scheduler: str | None

    def options(self) -> Any:
        """As :class:`simroi.runner.RunOptions` (bad values are one-line errors)."""
        from simroi.runner import RunOptions

        return RunOptions(
            trials=_trials(self.trials),  # type: ignore[arg-type]
            seed=_seed(self.seed),
            engine=self.engine,  # type: ignore[arg-type]
            workers=self.workers,
            executor=self.executor,  # type: ignore[arg-type]
            scheduler=self.scheduler,
        )

    def words(self, seed: int) -> list[str]:
        """These options on a command line that replays the run with ``seed``."""
        words = [*(["--trials", self.trials] if self.trials else []), "--seed", str(seed)]
        words += ["--engine", self.engine] if self.engine != "vectorized" else []
        words += ["--workers", str(self.workers)] if self.workers else []
        words += ["--executor", self.executor] if self.executor != "local" else []
        words += ["--scheduler", self.scheduler] if self.scheduler else []
        return words


def _progress(quiet: bool) -> tuple[Any, Callable[[int, int], None] | None]:
    """A rich progress bar on stderr (so --json output stays clean), or nothing."""
    if quiet or not sys.stderr.isatty():
        return None, None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("simulating"),
        BarColumn(),
        TextColumn("{task.completed:,} trials"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("trials", total=None)

    def update(done: int, planned: int) -> None:
        bar.update(task, completed=done, total=max(planned, done))

    return bar, update


@main.command()
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
@click.option(
    "--checkpoint",
    "checkpoint",
    type=click.Path(file_okay=False),
    default=None,
    metavar="DIR",
    help="Keep each finished block of trials in DIR (default: OUT.checkpoint with --out, "
    "none without), so that an interrupted run can be resumed; removed once the run completes.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue an interrupted run from its checkpoint: finished blocks are reused, and "
    "the result is bit-identical to an uninterrupted run. Give the same scenario, --set and "
    "--trials; the seed comes from the checkpoint.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def run(
    ctx: click.Context,
    scenario: str | None,
    sim: _Simulation,
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

    Prints ROI, NPV and payback as mean, P5, P50, P95 with P(ROI > 0) and its Monte Carlo
    standard error; each benefit and cost line; a TEI-style risk-adjusted view; KPIs per channel
    for program and baseline; the probability of meeting each objective; and the seed that
    replays the run exactly.

    Blocks of trials run in --workers local processes (default: all cores) or on a Dask
    cluster (--executor dask, with --scheduler or a local cluster); the same seed gives
    bit-identical results on any of them. Ctrl-C or SIGTERM stops cleanly (exit status 130):
    with --out or --checkpoint the finished blocks are kept and the message shows the command
    that resumes the run.
    """
    import shlex
    import tempfile

    from simroi import workers
    from simroi.checkpoint import default_checkpoint_path, discard_checkpoint
    from simroi.errors import OutputError
    from simroi.loading import load_scenario

    if sim.executor == "local":  # worker processes start up while the scenario loads
        workers.start_early(sim.workers or workers.cores())
        ctx.call_on_close(workers.discard_early)  # unless the run took them (or runs in-process)
    loaded = load_scenario(scenario, overrides=overrides)
    if loaded.baseline is None:
        raise SimroiError(
            f"{loaded.source}: scenario.baseline: ROI is measured against a baseline; name a "
            'baseline file in [scenario] baseline = "..." or add a [baseline] table of overrides'
        )
    options = sim.options()
    if out is not None:
        _check_writable(out)
        try:  # fail now, not after hours of simulation, when the directory is not writable
            with tempfile.TemporaryFile(dir=Path(out).parent):
                pass
        except OSError as exc:
            raise OutputError(f"{out}: cannot write: {exc.strerror or exc}") from None
    kept = Path(checkpoint) if checkpoint else default_checkpoint_path(out) if out else None
    if resume and kept is None:
        raise SimroiError(
            "--resume needs the interrupted run's checkpoint: give the same --out FILE (its "
            "checkpoint is FILE.checkpoint) or --checkpoint DIR"
        )
    from simroi.analysis import summarize
    from simroi.render import render_run_summary
    from simroi.runner import RunInterrupted
    from simroi.runner import run as run_scenario

    bar, update = _progress(quiet or as_json)
    try:
        result = _simulate(
            bar,
            lambda: run_scenario(loaded, options, progress=update, checkpoint=kept, resume=resume),
        )
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
        err = Console(stderr=True, highlight=False, soft_wrap=True)
        err.print(str(exc), markup=False)
        if exc.checkpoint is None:
            err.print("(give --out FILE or --checkpoint DIR to make a run resumable)")
            ctx.exit(130)
        words = ["simroi", "run", *([scenario] if scenario else [])]
        for s in overrides:
            words += ["--set", s]
        words += sim.words(exc.seed)
        words += ["--out", out] if out else []
        words += ["--checkpoint", checkpoint] if checkpoint else []
        command = " ".join(shlex.quote(w) for w in [*words, "--resume"])
        err.print(f"resume with: {command}", markup=False)
        ctx.exit(130)
    if kept is not None:
        discard_checkpoint(kept)  # the result is complete (and written, with --out)
    summary = summarize(result)
    console = _console(ctx)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        render_run_summary(summary, console, source=scenario or "")
        if out is not None:
            console.print(f"Result written to {out}", markup=False, soft_wrap=True)
        if options.seed is None:
            console.print(f"(no --seed given: this run used seed {result.provenance.seed})")


@main.command()
@click.option("--arrivals-per-hour", type=float, required=True, help="Mean arrivals per hour.")
@click.option("--agents", type=click.IntRange(min=0), required=True, help="Agents on duty.")
@click.option("--aht-minutes", type=float, required=True, help="Mean handle time (minutes).")
@click.option(
    "--patience-minutes",
    type=float,
    default=None,
    help="Mean (exponential) patience; omit for callers who never hang up (Erlang C).",
)
@click.option("--hours", type=float, default=8.0, show_default=True, help="Length of the day.")
@click.option(
    "--sl-seconds", type=float, default=20.0, show_default=True, help="Service-level threshold."
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
    help="Coefficient of variation of handle time (lognormal, gamma).",
)
@click.option(
    "--warmup-minutes",
    type=float,
    default=0.0,
    show_default=True,
    help="Discard contacts arriving in the first minutes (the day starts empty).",
)
@click.option(
    "--trials", type=click.IntRange(min=2), default=2000, show_default=True, help="Simulated days."
)
@click.option("--seed", default=None, metavar="INT", help="Root seed (printed when omitted).")
@click.option(
    "--engine",
    type=click.Choice(["vectorized", "simpy"]),
    default="vectorized",
    show_default=True,
    help="Queue engine.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def queue(
    ctx: click.Context,
    arrivals_per_hour: float,
    agents: int,
    aht_minutes: float,
    patience_minutes: float | None,
    hours: float,
    sl_seconds: float,
    handle_dist: str,
    handle_cv: float,
    warmup_minutes: float,
    trials: int,
    seed: str | None,
    engine: str,
    as_json: bool,
) -> None:
    """One channel's queue: simulated KPIs with 95% intervals beside Erlang C and Erlang A.

    Each trial is one day with Poisson arrivals, AGENTS always on duty, and handle times (and
    patience, if given) drawn per contact. KPIs over contacts arriving after the warm-up:

    \b
    service level  answered within --sl-seconds / all arrivals
    abandonment    hung up before being answered / all arrivals
    ASA            mean wait of answered contacts (seconds)
    occupancy      answered contacts' handle time / (agents x measured time)

    Erlang C (no abandonment) is shown when agents exceed the offered load; Erlang A (exponential
    patience) when --patience-minutes is given. Both are steady-state values: a simulated day
    starts empty, so its early minutes are better than steady state — use --warmup-minutes to
    compare like with like.

    \b
    Example (the issue's validation workload):
      simroi queue --arrivals-per-hour 1260 --agents 90 --aht-minutes 4 \\
          --patience-minutes 3 --hours 8 --sl-seconds 20 --trials 2000 --seed 7
    """
    from simroi.queue import QueueSpec, study_queue
    from simroi.render import render_queue_study

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
    study = study_queue(spec, trials=trials, seed=_seed(seed), engine=engine)  # type: ignore[arg-type]
    if as_json:
        click.echo(json.dumps(study.to_json(), indent=2))
    else:
        render_queue_study(study.to_json(), _console(ctx))


def _check_writable(path: str) -> None:
    """Fail before simulating when the output directory does not exist."""
    from simroi.errors import OutputError

    parent = Path(path).parent
    if not parent.is_dir():
        raise OutputError(f"{path}: cannot write: directory {str(parent)!r} does not exist")


def _simulate(bar: Any, work: Callable[[], Any]) -> Any:
    """Run ``work`` inside the progress bar's live display, if there is one."""
    if bar is None:
        return work()
    with bar:
        return work()


def _replay(*parts: str, sets: tuple[str, ...] = ()) -> str:
    """A copy-pasteable command line."""
    import shlex

    words = [*parts, *(f"--set {shlex.quote(s)}" for s in sets)]
    return " ".join(w for w in words if w)


_OUT_HELP = (
    "Write a result file (.npz) with every run's per-trial samples and provenance; "
    "`simroi export` turns it into slides, charts and tables without re-running."
)


@main.command()
@click.argument("scenarios", nargs=-1, required=True)
@run_options
@click.option("--out", type=click.Path(dir_okay=False), default=None, help=_OUT_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def compare(
    ctx: click.Context,
    scenarios: tuple[str, ...],
    sim: _Simulation,
    overrides: tuple[str, ...],
    out: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Compare SCENARIOS side by side, each against its baseline, with common random numbers.

    Every scenario runs with the same seed and trials, so trial t is the same possible world in
    each: the same draws of shared inputs, the same customers and contacts where the scenarios
    agree. For ROI, NPV, payback, PV of benefits and costs, and the key KPIs (each objective's
    metric, every channel's service level and abandonment, net sentiment) it prints each
    scenario's mean and P5–P95, and the paired difference against the FIRST scenario with its
    95% interval (far tighter than the difference of two independent intervals, which is shown
    for NPV) and P(better than the first). Last, the probability that each scenario has the
    highest NPV, and of meeting each objective. --set applies to every scenario.

    \b
    Example:
      simroi compare default social-team-2 social-team-3 --trials 1000 --seed 7
    """
    from simroi.comparison import compare_result_set, comparison_to_json, run_comparison
    from simroi.render import render_comparison

    options = sim.options()
    if out is not None:
        _check_writable(out)
    bar, update = _progress(quiet or as_json)
    result_set = _simulate(
        bar, lambda: run_comparison(scenarios, options, overrides=overrides, progress=update)
    )
    data = comparison_to_json(compare_result_set(result_set))
    if out is not None:
        result_set.save(out)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    console = _console(ctx)
    command = _replay(
        "simroi compare",
        *scenarios,
        f"--seed {data['seed']}",
        f"--trials {data['trials']}",
        sets=overrides,
    )
    render_comparison(data, console, command=command)
    if out is not None:
        console.print(f"Result written to {out}", markup=False, soft_wrap=True)


@main.command()
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
@click.option("--out", type=click.Path(dir_okay=False), default=None, help=_OUT_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def sweep(
    ctx: click.Context,
    scenario: str | None,
    sim: _Simulation,
    overrides: tuple[str, ...],
    confidence: float,
    out: str | None,
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
    highest NPV. Two points are marked: ★ the best expected NPV, and ✔ the recommendation, the
    cheapest point meeting every objective with probability ≥ --confidence.

    \b
    Examples:
      simroi sweep --set channels.social.agents=1:6 --trials 500 --seed 7
      simroi sweep default --set channels.social.agents=1:4 \\
          --set program.monthly_tools_cost=1000,3000
    """
    from simroi.render import render_sweep
    from simroi.sweep import run_sweep, summarize_sweep, sweep_to_json

    options = sim.options()
    if out is not None:
        _check_writable(out)
    bar, update = _progress(quiet or as_json)
    result_set = _simulate(
        bar, lambda: run_sweep(scenario, overrides, options, confidence=confidence, progress=update)
    )
    data = sweep_to_json(summarize_sweep(result_set, confidence))
    if out is not None:
        result_set.save(out)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    console = _console(ctx)
    command = _replay(
        "simroi sweep",
        scenario or "",
        f"--seed {data['seed']}",
        f"--trials {data['trials']}",
        f"--confidence {confidence:g}",
        sets=overrides,
    )
    render_sweep(data, console, command=command)
    if out is not None:
        console.print(f"Result written to {out}", markup=False, soft_wrap=True)


@main.command()
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
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the base run with both tornados (.npz); `simroi export` turns it into "
    "tornado slides without re-running.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def sensitivity(
    ctx: click.Context,
    scenario: str | None,
    sim: _Simulation,
    overrides: tuple[str, ...],
    swing: bool,
    top: int,
    swing_trials: int,
    out: str | None,
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

    NPV replaces ROI when ROI is undefined in some trial (no incremental cost).
    """
    from simroi.render import render_sensitivity
    from simroi.sensitivity import run_sensitivity, sensitivity_to_json

    options = sim.options()
    if out is not None:
        _check_writable(out)
    bar, update = _progress(quiet or as_json)
    result = _simulate(
        bar,
        lambda: run_sensitivity(
            scenario,
            options,
            overrides=overrides,
            swing=swing,
            top=top,
            swing_trials=swing_trials,
            progress=update,
        ),
    )
    if out is not None:
        result.save(out)
    data = sensitivity_to_json(result)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    console = _console(ctx)
    command = _replay(
        "simroi sensitivity",
        scenario or "",
        f"--seed {data['seed']}",
        f"--trials {data['trials']}",
        f"--top {top}",
        f"--swing-trials {swing_trials}" if swing else "--no-swing",
        sets=overrides,
    )
    render_sensitivity(data, console, top=top, command=command)
    if out is not None:
        console.print(f"Result written to {out}", markup=False, soft_wrap=True)


@main.command()
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
    _console(ctx).print(
        f"wrote {path} — edit it, then: simroi validate {path} && simroi run {path}",
        markup=False,
        soft_wrap=True,
    )


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
def inputs(
    ctx: click.Context, scenario: str | None, overrides: tuple[str, ...], as_json: bool
) -> None:
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
        console.print(
            f"rank correlation {c['a']} ~ {c['b']}: requested {c['requested']:+.2f}, "
            f"achieved {c['achieved']:+.2f}",
            markup=False,
        )


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
                out.append(
                    {
                        "a": a,
                        "b": corr.inputs[j],
                        "requested": corr.matrix[i][j],
                        "achieved": float(achieved[i, j]),
                    }
                )
    return out


@main.command(name="export")
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
    help="The chart a .png/.svg target gets (default: the headline chart): roi, cashflow, "
    "lines, objectives, tornado, tornado-swing, compare, differences, sweep, sweep-probability.",
)
@click.pass_context
def export_command(
    ctx: click.Context,
    result: str,
    targets: tuple[str, ...],
    template: str | None,
    chart: str | None,
) -> None:
    """Slides, charts and tables from RESULT, a file written by run, compare or sweep --out.

    Nothing is simulated again: every number comes from the per-trial samples in RESULT. The
    format follows each --to file's suffix:

    \b
      .pptx         16:9 deck, native editable charts (--template for your master)
      .png, .svg    one chart; {chart} in the name writes every chart, one file each
      .csv          interval table: mean, P5, P50, P95, probabilities, one row per quantity
      .md           the same tables in Markdown (Marp, reveal.js, wikis)
      .json         the summaries as JSON
      .xlsx         summary, percentiles, cash flow, assumptions, raw trials (needs openpyxl)
      .trials.csv   every per-trial sample, one row per run and trial
      .trials.npz   every per-trial sample as NumPy arrays

    All targets are checked before any file is written; each file is written atomically.

    \b
    Example:
      simroi run --seed 7 --out result.npz
      simroi export result.npz --to deck.pptx --to 'charts/{chart}.png' --to table.md
    """
    from simroi.export import export_file

    written = export_file(result, targets, template=template, chart=chart)
    console = _console(ctx)
    for path in written:
        console.print(f"wrote {path}", markup=False, soft_wrap=True)


@main.command()
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
    from simroi.loading import scenario_json_schema
    from simroi.result import atomic_write

    text = json.dumps(scenario_json_schema(), indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        atomic_write(out, lambda handle: handle.write(text.encode("utf-8")))
