"""The ``simroi`` command line: parse, call the library, render, map errors to exit codes.

Exit status: 0 success; 2 bad input (scenario files, options, result files, unwritable outputs),
with one line per problem on stderr and never a traceback; 130 interrupted. Anything else is a bug
and surfaces as one.
"""

from __future__ import annotations

from typing import Any, NoReturn

import click
from rich.console import Console

from simroi import __version__
from simroi.cli.alternatives import compare, sensitivity, sweep
from simroi.cli.backtest import backtest
from simroi.cli.calibrate import calibrate_command
from simroi.cli.data import sample_data
from simroi.cli.files import export_command, init, inputs, scenarios, schema, validate
from simroi.cli.options import FLAGS
from simroi.cli.simulate import queue, run
from simroi.errors import SimroiError

__all__ = ["main"]


class _Group(click.Group):
    """Maps SimroiError to a one-line message per problem and exit status 2, and a usage error
    (an option out of its range, of the wrong type, unknown, without its value; a missing
    argument; an unknown command) to one line as well.

    The library names its arguments (``workers``, ``scheduler`` …) between backticks; the
    messages here name the flags that set them instead (:data:`~simroi.cli.options.FLAGS`).
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            if parent is not None or exc.ctx is None:
                raise
            # `simroi` alone asks what it can do: the help on stdout, and success (click would
            # print it on stderr with exit status 2, as for a usage error).
            click.echo(exc.ctx.get_help())
            raise click.exceptions.Exit(0) from None
        except click.UsageError as exc:  # the group's own options (simroi --bogus)
            _usage_error(exc, None)

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
            err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
            for line in [line for line in exc.worded_lines(FLAGS) if line] or [type(exc).__name__]:
                err.print(f"error: {line}", markup=False)
            ctx.exit(2)
        except click.exceptions.NoArgsIsHelpError:
            raise  # the help, as click shows it
        except click.UsageError as exc:
            # An option click checks itself (a range, a type, an unknown flag): one line too,
            # where click would print its usage block and "Try ... for help" above it. The
            # parser's own errors (an option without its value) carry no context: the command
            # is the one being invoked.
            if exc.ctx is not None and exc.ctx.command is not self:
                command: str | None = exc.ctx.info_name
            else:
                command = ctx.invoked_subcommand
            _usage_error(exc, command)
        except KeyboardInterrupt as exc:
            # A run says what it kept and how to resume; anything else just stops.
            Console(stderr=True, highlight=False, soft_wrap=True, emoji=False).print(
                str(exc) or "interrupted", markup=False
            )
            ctx.exit(130)
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _usage_error(exc: click.UsageError, command: str | None) -> NoReturn:
    """Say click's usage error in one line with a pointer to the help, and exit with status 2."""
    name = f"simroi {command}" if command else "simroi"
    Console(stderr=True, highlight=False, soft_wrap=True, emoji=False).print(
        f"error: {exc.format_message().rstrip('.')} — see '{name} --help'", markup=False
    )
    raise click.exceptions.Exit(2)


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
    from simroi.execution.workers import keep_freed_memory

    keep_freed_memory()  # a short-lived process: blocks simulated here reuse their tables' memory


for _command in (run, queue, compare, sweep, sensitivity, validate, init, scenarios, inputs):
    main.add_command(_command)
main.add_command(export_command, name="export")
main.add_command(schema)
main.add_command(sample_data)
main.add_command(backtest)
main.add_command(calibrate_command)
