"""The resumable body of ``compare``, ``sweep`` and ``sensitivity``: commands of several runs.

Each keeps a :class:`~simroi.execution.checkpoint.CheckpointSet` beside ``--out`` (or in
``--checkpoint DIR``) while it runs: every run's finished blocks, so that Ctrl-C or SIGTERM loses
nothing finished and ``--resume`` completes the command with the same bits as an uninterrupted
one. The set is removed once the result is written. While the command runs it holds the lock of
``--out`` (and of ``--checkpoint DIR``), so a second command on the same files refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

import click

from simroi.cli.options import (
    Simulation,
    check_result_file,
    checkpoint_dir,
    lock_outputs,
    progress_bar,
    simulate,
    stop_interrupted,
)
from simroi.formatting import counted

if TYPE_CHECKING:  # the command line starts without importing numpy
    from simroi.execution.checkpoint import CheckpointSet
    from simroi.execution.runner import RunOptions

__all__ = ["run_resumable"]


class _Kept(Protocol):
    """What a command of several runs returns: a result that records its replay and saves."""

    def with_command(self, command: str) -> Self: ...

    def save(self, path: str | Path) -> Path: ...


Result = TypeVar("Result", bound=_Kept)
Progress = Callable[[int, int], None]


def run_resumable(
    ctx: click.Context,
    *,
    command: str,
    sim: Simulation,
    settings: dict[str, Any],
    out: str | None,
    checkpoint: str | None,
    resume: bool,
    quiet: bool,
    work: Callable[[RunOptions, CheckpointSet | None, Progress], Result],
    replay: Callable[[Result], str],
    resume_line: Callable[[int], str],
) -> tuple[Result, str]:
    """Run ``work`` under a checkpoint set, write its result to ``out``; ``(result, replay)``.

    Parameters
    ----------
    ctx : the command's click context (exit status 130 on an interruption)
    command : the command's name, recorded in the checkpoint set
    sim : the shared simulation options; the seed is the checkpoint's when resuming
    settings : what decides the command's runs (scenarios, ``--set``, ``--trials``, engine, the
        command's own options); a checkpoint made with other settings is refused
    out, checkpoint, resume : ``--out``, ``--checkpoint`` and ``--resume`` as given
    quiet : no progress bar
    work : makes the runs: ``work(options, checkpoints, progress)`` returns a result with
        ``with_command`` and ``save``
    replay : the replay command of a finished result, stored in it before it is written
    resume_line : the command that resumes the interrupted command, given its seed

    Raises
    ------
    SimroiError
        ``--resume`` without a checkpoint, a checkpoint of another command or settings, an
        unwritable ``--out`` (checked before simulating; after it, the runs stay kept).
    """
    from simroi.errors import OutputError
    from simroi.execution.checkpoint import CheckpointSet

    if out is not None:
        check_result_file(out)
    kept = checkpoint_dir(out, checkpoint, resume)
    lock_outputs(ctx, out, checkpoint)  # one writer of --out and of the checkpoint at a time
    options = sim.options()
    store = None
    if kept is not None:
        store = CheckpointSet.open(
            kept, command=command, settings=settings, seed=sim.seed, resume=resume
        )
        options = replace(options, seed=store.seed)
    bar, update = progress_bar(quiet)
    reached = [0, 0]

    def progress(done: int, planned: int) -> None:
        reached[:] = [done, planned]
        if update is not None:
            update(done, planned)

    try:
        result = simulate(bar, lambda: work(options, store, progress))
        line = replay(result)
        result = result.with_command(line)
        if out is not None:
            try:
                result.save(out)
            except OutputError as exc:
                if kept is None:
                    raise
                raise OutputError(
                    f"{exc} (the simulated runs are kept in {kept}: fix this, then rerun with "
                    "--resume to write the result without simulating again)"
                ) from None
    except KeyboardInterrupt:
        done, planned = reached
        message = f"interrupted after {done:,} of {counted(planned, 'trial')}"
        if store is None:
            stop_interrupted(ctx, f"{message}; nothing was kept (no checkpoint)", None)
        else:
            where = f"{message}; the finished runs and blocks are kept in {kept}"
            stop_interrupted(ctx, where, resume_line(store.seed))
        raise  # unreachable: stop_interrupted exits
    if store is not None:
        store.discard()  # the result is complete (and written, with --out)
    return result, line
