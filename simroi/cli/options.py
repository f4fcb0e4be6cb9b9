"""The options every simulating command shares, parsed once, and the helpers around a run that
the command modules share: the one builder of the replay command, the one ending of every
simulating command (:func:`deliver`), the check of ``--out`` before simulating, the progress bar,
and the flags that stand for the library's argument names in error messages."""

from __future__ import annotations

import functools
import json
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click
from rich.console import Console
from rich.text import Text

from simroi.queueing.engines import ENGINES, normalize_engine

if TYPE_CHECKING:  # the command line starts without importing numpy
    from simroi.execution.result import ResultSet, RunResult


#: The flag that sets each argument of the Python API, for library messages that name the
#: argument between backticks (:meth:`simroi.errors.SimroiError.worded`).
FLAGS = {
    "trials": "--trials",
    "seed": "--seed",
    "engine": "--engine",
    "workers": "--workers",
    "executor": "--executor",
    "scheduler": "--scheduler",
    "checkpoint": "--checkpoint",
    "resume": "--resume",
    # simroi queue
    "arrivals_per_hour": "--arrivals-per-hour",
    "agents": "--agents",
    "aht_minutes": "--aht-minutes",
    "patience_minutes": "--patience-minutes",
    "hours": "--hours",
    "sl_seconds": "--sl-seconds",
    "handle_cv": "--handle-cv",
    "warmup_minutes": "--warmup-minutes",
    "target": "--target-sl",  # study_queue's StaffingTarget
    "service_level": "--target-sl",  # its service level
    "max_abandonment": "--max-abandonment",
    # simroi calibrate, backtest and sample-data (the reader options: simroi.cli.reading)
    "columns": "--columns",
    "channel": "--channel",
    "delimiter": "--delimiter",
    "interval_minutes": "--interval-minutes",
    "date_format": "--date-format",
    "encoding": "--encoding",
    "timezone": "--timezone",
    "start": "--from",
    "end": "--to",
    "customers": "--customers",
    "days": "--days",
    "force": "--force",
}


#: Columns of output that goes to a file or a pipe with no COLUMNS set: rich's 80 cut the
#: numbers of a wide table short ("[−$1.03M–−$0.35…"); a file has room for the whole line.
PIPED_WIDTH = 120


def console_for(ctx: click.Context) -> Console:
    """The console a command prints to: the one the caller put in ``ctx.obj``, else stdout
    (:data:`PIPED_WIDTH` columns wide when that is not a terminal and COLUMNS is not set)."""
    if ctx.obj and "console" in ctx.obj:
        return ctx.obj["console"]
    piped = not sys.stdout.isatty() and not os.environ.get("COLUMNS")
    return Console(highlight=False, emoji=False, width=PIPED_WIDTH if piped else None)


def _parse_trials(value: str | None) -> int | Literal["auto"] | None:
    """``--trials N|auto``: a whole number ≥ 1 or ``auto``; None when not given."""
    if value is None:
        return None
    if value == "auto":
        return "auto"
    try:
        n = int(value)
    except ValueError:
        raise click.BadParameter(f"must be a whole number or 'auto' (got {value!r})") from None
    if n < 1:
        raise click.BadParameter(f"must be ≥ 1 (got {n})")
    return n


def _parse_seed(value: str | None) -> int | None:
    """``--seed INT``: a whole number ≥ 0 (``0x`` hex too: seeds can exceed 64 bits)."""
    if value is None:
        return None
    try:
        seed = int(value, 0)
    except ValueError:
        raise click.BadParameter(f"must be a whole number ≥ 0 (got {value!r})") from None
    if seed < 0:
        raise click.BadParameter(f"must be ≥ 0 (got {seed})")
    return seed


def seed_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--seed INT``, parsed by :func:`_parse_seed` while click reads the command line, so that
    a bad value is reported as click reports any: "Invalid value for '--seed': …"."""
    return click.option(
        "--seed",
        default=None,
        metavar="INT",
        callback=lambda _ctx, _param, value: _parse_seed(value),
        help=help_text,
    )


class _EngineChoice(click.Choice):
    """The engines by name; ``vectorized`` (the numpy engine's former name) still reads."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return super().convert(normalize_engine(value), param, ctx)


def engine_option() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--engine compiled|numpy|simpy``, the same on every simulating command."""
    return click.option(
        "--engine",
        type=_EngineChoice(ENGINES),
        default="compiled",
        show_default=True,
        help="Queue engine: compiled (numba, the fastest; compiled once, on first use, then "
        "cached), numpy (its vectorized reference: the same numbers, bit for bit) or simpy "
        "(the specification, one contact process at a time: slow).",
    )


def prepare_engine(engine: str, *, queue_only: bool = False) -> None:
    """Load the compiled kernels before simulating (with ``queue_only``, a queue study's
    alone), saying so on stderr when they must first be compiled (once per install); nothing
    for the other engines."""
    from simroi.model.kernels import prepare

    def say() -> None:
        err = Console(stderr=True, highlight=False, emoji=False)
        err.print("compiling kernels (first run only)…")

    prepare(engine, on_compile=say, queue_only=queue_only)


def run_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options shared by every command that simulates."""
    options: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        click.option(
            "--trials",
            "trials",
            default=None,
            metavar="N|auto",
            callback=lambda _ctx, _param, value: _parse_trials(value),
            help="Trials to run (default: the scenario's [simulation] trials). 'auto' "
            "runs until the Monte Carlo s.e. of P(ROI>0) < 0.005 and the mean NPV "
            "is known to ±1%, with at least 2,000 trials.",
        ),
        seed_option(
            "Root seed; the same seed gives bit-identical results with any number "
            "of workers. Without it a fresh seed is drawn and printed."
        ),
        engine_option(),
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
        trials: int | Literal["auto"] | None,
        seed: int | None,
        engine: str,
        workers: int | None,
        executor: str,
        scheduler: str | None,
        **kwargs: Any,
    ) -> Any:
        sim = Simulation(trials, seed, engine, workers, executor, scheduler)
        return func(*args, sim=sim, **kwargs)

    command: Callable[..., Any] = packed
    for option in reversed(options):
        command = option(command)
    return command


@dataclass(frozen=True)
class Simulation:
    """The options every simulating command shares, as parsed from the command line."""

    trials: int | Literal["auto"] | None
    seed: int | None
    engine: str
    workers: int | None
    executor: str
    scheduler: str | None

    def options(self) -> Any:
        """As :class:`simroi.execution.runner.RunOptions` (bad values are one-line errors), with
        the engine ready to run (see :func:`prepare_engine`): called just before simulating."""
        from simroi.execution.runner import RunOptions

        options = RunOptions(
            trials=self.trials,
            seed=self.seed,
            engine=self.engine,  # type: ignore[arg-type]
            workers=self.workers,
            executor=self.executor,  # type: ignore[arg-type]
            scheduler=self.scheduler,
        )
        prepare_engine(self.engine)
        return options

    def replay_trials(self, simulated: int) -> int | Literal["auto"]:
        """``--trials`` of the replay command: ``auto`` if asked for, else the trials simulated."""
        return "auto" if self.trials == "auto" else simulated

    def drawn_seed(self, used: int) -> int | None:
        """The seed ``used``, when none was given (the command then prints it), else None."""
        return used if self.seed is None else None

    def replay(
        self,
        command: str,
        scenarios: Sequence[str],
        first: RunResult,
        *,
        overrides: Sequence[str],
        options: Sequence[str] = (),
    ) -> str:
        """:func:`replay_command` for a command whose runs share ``first``'s seed and trials."""
        return replay_command(
            command,
            scenarios,
            overrides=overrides,
            seed=first.provenance.seed,
            trials=self.replay_trials(first.trials),
            engine=self.engine,
            options=options,
        )


def replay_command(
    command: str,
    scenarios: Sequence[str] = (),
    *,
    overrides: Sequence[str] = (),
    seed: int,
    trials: int | Literal["auto"] | None,
    engine: str,
    options: Sequence[str] = (),
    then: Sequence[str] = (),
) -> str:
    """The command line that gives the same numbers again, byte for byte: built here only.

    Every simulating command prints it (:func:`print_replay`), the message of an interrupted run
    extends it, and ``--out`` stores it in the result file (``Provenance.command``), where
    ``simroi export`` shows it. The words, in this order, each quoted by :func:`shlex.quote`
    (paste the line into a POSIX shell, or split it back with :func:`shlex.split`):

    ``simroi COMMAND``
    ``scenarios``
        As given: a path as typed, or a bundled name. None when the bundled default ran: the
        replay runs it again.
    ``--seed SEED``
        The root seed the run used, also when none was given.
    ``--trials N``
        The trials simulated, or ``auto`` when asked for (the stopping rule then stops at the
        same trial again, with the same stop reason). None leaves it out: the line that
        resumes an interrupted compare, sweep or sensitivity repeats ``--trials`` as it was
        asked for, and none when none was.
    ``options``
        The command's own options that change a number, as words: sweep's ``--confidence``;
        sensitivity's ``--top``, ``--swing --swing-trials N`` or ``--no-swing``, and
        ``--breakeven --breakeven-top N`` when asked for; queue's
        every input (``--arrivals-per-hour`` … ``--max-abandonment``, those not given left out).
    ``--engine ENGINE``
        Always, so that a new default engine cannot change what the line replays.
    ``--set KEY=VALUE``
        Every override, in the order given (a later one wins on a shared key), sweep grids too.
    ``then``
        Words to append (the resume message's ``--out``, ``--checkpoint`` and ``--resume``).

    Options that change no number are left out, always: ``--workers``, ``--executor`` and
    ``--scheduler`` (any of them gives the same bits, DESIGN.md §3), ``--out``, ``--checkpoint``,
    ``--resume``, ``--json`` and ``--quiet``.
    """
    words = ["simroi", command, *scenarios, "--seed", str(seed)]
    words += ["--trials", str(trials)] if trials is not None else []
    words += [*options, "--engine", engine]
    for override in overrides:
        words += ["--set", override]
    return shlex.join([*words, *then])


def checkpoint_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--checkpoint DIR`` and ``--resume``, the same on every command that simulates a
    scenario (run, compare, sweep, sensitivity)."""
    checkpoint = click.option(
        "--checkpoint",
        "checkpoint",
        type=click.Path(file_okay=False),
        default=None,
        metavar="DIR",
        help="Keep each finished block of trials (of every run the command makes) in DIR "
        "(default: OUT.checkpoint with --out, none without), so that an interrupted command "
        "can be resumed; removed once the command completes.",
    )
    resume = click.option(
        "--resume",
        is_flag=True,
        help="Continue an interrupted command from its checkpoint: finished runs and blocks "
        "are reused, and the result is bit-identical to an uninterrupted one. Give the same "
        "scenarios, --set and --trials (the interruption message prints the command); the seed "
        "comes from the checkpoint.",
    )
    return checkpoint(resume(func))


def checkpoint_dir(out: str | None, checkpoint: str | None, resume: bool) -> Path | None:
    """Where a command keeps its checkpoint: ``--checkpoint DIR``, else ``OUT.checkpoint``
    beside ``--out``, else nowhere (and then ``--resume`` is an error)."""
    from simroi.errors import SimroiError
    from simroi.execution.checkpoint import default_checkpoint_path

    kept = Path(checkpoint) if checkpoint else default_checkpoint_path(out) if out else None
    if resume and kept is None:
        raise SimroiError(
            "--resume needs the interrupted run's checkpoint: give the same --out FILE (its "
            "checkpoint is FILE.checkpoint) or --checkpoint DIR"
        )
    return kept


def lock_outputs(ctx: click.Context, out: str | None, checkpoint: str | None) -> None:
    """Hold the locks of ``--out`` and ``--checkpoint DIR`` until the command ends, so that a
    second command writing the same file or resuming the same checkpoint refuses at once
    (:mod:`simroi.execution.lock`; the default checkpoint, ``OUT.checkpoint``, is ``--out``'s)."""
    from simroi.execution.lock import writer_lock

    for target in sorted({t for t in (out, checkpoint) if t}):
        ctx.with_resource(writer_lock(target))


def resume_words(out: str | None, checkpoint: str | None) -> tuple[str, ...]:
    """The words the resume line ends with: ``--out``, ``--checkpoint`` as given, ``--resume``."""
    return (
        *(("--out", out) if out else ()),
        *(("--checkpoint", checkpoint) if checkpoint else ()),
        "--resume",
    )


def stop_interrupted(ctx: click.Context, message: str, resume_with: str | None) -> None:
    """Say what an interrupted command kept and the command that resumes it; exit status 130."""
    err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
    err.print(message, markup=False)
    if resume_with is None:
        err.print("(give --out FILE or --checkpoint DIR to make a run resumable)")
    else:
        err.print(f"resume with: {resume_with}", markup=False, soft_wrap=True)
    ctx.exit(130)


#: ``--json`` and ``--quiet``, the same on every simulating command.
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object instead of tables."
)
quiet_option = click.option("--quiet", is_flag=True, help="No progress bar.")


def deliver(
    ctx: click.Context,
    summary: Any,
    *,
    command: str,
    show: Callable[[Console], None],
    as_json: bool,
    out: str | None = None,
    saved: RunResult | ResultSet | None = None,
    drawn_seed: int | None = None,
) -> None:
    """The end of every simulating command (run, compare, sweep, sensitivity, queue).

    Writes ``saved`` to ``out`` (``--out``; ``simroi run`` passes no ``saved``: it writes its
    result itself, under its checkpoint's care), then prints the JSON (``summary.to_dict()`` and
    ``replay``, the command line), or the tables (``show``), the replay line, where the result
    was written and, when no ``--seed`` was given, the seed drawn (``drawn_seed``).
    """
    if out is not None and saved is not None:
        saved.save(out)
    if as_json:  # with the replay line, so that the JSON alone can be run again
        data = {**summary.to_dict(), "replay": command}
        click.echo(json.dumps(data, indent=2, allow_nan=False))
        return
    console = console_for(ctx)
    show(console)
    print_replay(console, command)
    if out is not None:
        console.print(f"Result written to {out}", markup=False, soft_wrap=True)
    if drawn_seed is not None:
        console.print(f"(no --seed given: this run used seed {drawn_seed})", markup=False)


def print_replay(console: Console, command: str) -> None:
    """Print ``Replay exactly: COMMAND`` on one line: never wrapped, no markup read in it."""
    console.print(Text.assemble("Replay exactly: ", (command, "bold")), soft_wrap=True)


def progress_bar(
    quiet: bool, estimate: str | None = None
) -> tuple[Any, Callable[[int, int], None] | None]:
    """A rich progress bar on stderr (so --json output stays clean) and its update function,
    or ``(None, None)`` when quiet or stderr is not a terminal.

    It shows the trials done, the time elapsed and the time remaining at the pace so far, and
    ``estimate`` when given (the run's contacts and time, estimated before it started:
    :meth:`simroi.execution.footprint.RunFootprint.describe`).
    """
    if quiet or not sys.stderr.isatty():
        return None, None
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from simroi.formatting import counted

    bar = Progress(
        TextColumn("simulating" + (f" ({estimate})" if estimate else "")),
        BarColumn(),
        TextColumn("{task.fields[done]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True, emoji=False),
        transient=True,
    )
    task = bar.add_task("trials", total=None, done=counted(0, "trial"))

    def update(done: int, planned: int) -> None:
        bar.update(task, completed=done, total=max(planned, done), done=counted(done, "trial"))

    return bar, update


def check_result_file(path: str) -> None:
    """Fail before simulating when ``--out`` does not name a result file (``NAME.npz``: a
    table's, a chart's or a deck's name would get a NumPy archive under it, and so would the
    raw-trials export's ``NAME.trials.npz``) or cannot be written."""
    from simroi.errors import OutputError

    given = Path(path)
    name = given.name
    lower = name.lower()
    # Read without the exports (0.1 s to import), which only a refusal needs; ".trials.npz" is
    # the raw trials' export (exports.targets.FORMATS).
    if lower.endswith(".npz") and lower != ".npz" and not lower.endswith(".trials.npz"):
        check_writable(path)
        return
    from simroi.exports.targets import format_of  # the formats export reads names as

    fmt = format_of(given)
    if fmt:
        stem = name[: -len(fmt)]
    elif ".npz." in lower:  # result.npz.bak → result.bak: not the file it was a copy of
        cut = lower.index(".npz.")
        stem = name[:cut] + name[cut + 4 :]
    else:  # notes.txt and data.h5 lose their file type's suffix; v1.2 keeps its .2
        suffix = given.suffix[1:]
        typed = suffix.isalnum() and any(ch.isalpha() for ch in suffix)
        stem = given.stem if typed else name
    stem = "" if stem.lower() == ".npz" else stem
    wanted = given.with_name(f"{stem or 'result'}.npz") if name else Path("result.npz")
    missing = (
        "" if wanted.parent.is_dir() else f" (directory {str(wanted.parent)!r} does not exist)"
    )
    to = shlex.quote(path) if fmt else "FILE"
    raise OutputError(
        f"{path}: --out writes a result file, named like result.npz (got {name!r}); write "
        f"{wanted}{missing} and make tables, charts or slides from it with `simroi export "
        f"{shlex.quote(str(wanted))} --to {to}`"
    )


def check_writable(path: str) -> None:
    """Fail before simulating, not after hours of it, when ``--out`` cannot be written: its
    directory does not exist or does not let this process create a file (a device or a named
    pipe, written to in place, must let this process write it)."""
    import tempfile

    from simroi.errors import OutputError
    from simroi.execution.result import is_device

    given = Path(os.path.realpath(path))  # a link is written through (atomic_write)
    if is_device(given):  # /dev/null: written to in place
        if not os.access(given, os.W_OK):
            raise OutputError(f"{path}: cannot write: Permission denied")
        return
    parent = given.parent
    if not parent.is_dir():
        raise OutputError(f"{path}: cannot write: directory {str(parent)!r} does not exist")
    try:
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None


def simulate(bar: Any, work: Callable[[], Any]) -> Any:
    """Run ``work`` inside the progress bar's live display, if there is one."""
    if bar is None:
        return work()
    with bar:
        return work()


OUT_HELP = (
    "Write a result file (.npz) with every run's per-trial samples and provenance; "
    "`simroi export` turns it into slides, charts and tables without re-running."
)
