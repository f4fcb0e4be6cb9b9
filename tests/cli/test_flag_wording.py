"""The CLI shows library errors with its own flags where the library names an argument."""

from __future__ import annotations

from click.testing import CliRunner

from simroi.cli.app import main
from simroi.cli.options import FLAGS

FAST = ["--set", "scenario.horizon_months=2", "--set", "simulation.sampled_days_per_month=1"]


def _error(args: list[str]) -> str:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ")
    return line.removeprefix("error: ")


def test_a_scheduler_without_dask_names_the_flags() -> None:
    message = _error(["run", *FAST, "--trials", "2", "--scheduler", "tcp://h:8786"])
    assert message == (
        "--scheduler tcp://h:8786: a scheduler is for --executor dask (set it, or leave "
        "--scheduler out to run in local processes)"
    )
    assert "`" not in message


def test_queue_inputs_are_named_by_their_flags() -> None:
    base = ["queue", "--arrivals-per-hour", "100", "--agents", "2", "--trials", "5"]
    assert _error([*base, "--aht-minutes", "-1", "--hours", "0"]) == (
        "--aht-minutes must be > 0 (got -1.0); --hours must be > 0 (got 0.0); "
        "--warmup-minutes must be ≥ 0 and shorter than the day (got 0.0)"
    )


def test_every_flag_in_the_table_is_an_option_of_some_command() -> None:
    options = {
        opt
        for command in main.commands.values()
        for param in command.params
        for opt in param.opts + param.secondary_opts
    }
    assert set(FLAGS.values()) <= options


def _usage_error(args: list[str]) -> str:
    """The one line of an option click checks itself, without its pointer to the help."""
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()  # no usage block, no "Try ... for help"
    message, help_ = line.split(" — see ")
    assert help_ == f"'simroi {args[0]} --help'"
    return message


def test_a_bad_seed_or_trials_names_its_flag() -> None:
    for command in (["run"], ["compare", "default", "social-team-2"], ["sweep"], ["sensitivity"]):
        assert _usage_error([*command, "--seed", "-3"]) == (
            "error: Invalid value for '--seed': must be ≥ 0 (got -3)"
        )
        assert _usage_error([*command, "--seed", "x7"]) == (
            "error: Invalid value for '--seed': must be a whole number ≥ 0 (got 'x7')"
        )
        assert _usage_error([*command, "--trials", "abc"]) == (
            "error: Invalid value for '--trials': must be a whole number or 'auto' (got 'abc')"
        )
        assert _usage_error([*command, "--trials", "0"]) == (
            "error: Invalid value for '--trials': must be ≥ 1 (got 0)"
        )
    queue = ["queue", "--arrivals-per-hour", "60", "--aht-minutes", "3", "--agents", "2"]
    assert _usage_error([*queue, "--seed", "-3"]) == (
        "error: Invalid value for '--seed': must be ≥ 0 (got -3)"
    )


def test_unknown_options_commands_and_missing_arguments_are_one_line_too() -> None:
    assert _usage_error(["run", "--trails", "5"]) == (
        "error: No such option '--trails'. Did you mean '--trials'?"
    )
    assert _usage_error(["compare"]) == "error: Missing argument 'SCENARIOS...'"
    assert _usage_error(["run", "--seed"]) == "error: Option '--seed' requires an argument"
    assert _usage_error(["export", "--to"]) == "error: Option '--to' requires an argument"
    for args, line in (
        (["bogus"], "error: No such command 'bogus' — see 'simroi --help'"),
        (["--bogus"], "error: No such option '--bogus' — see 'simroi --help'"),
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2
        assert result.stderr.splitlines() == [line]


def test_help_and_version_are_not_errors() -> None:
    for args, shown in (
        (["--help"], "Usage: main [OPTIONS] COMMAND [ARGS]..."),
        ([], "Usage: main [OPTIONS] COMMAND [ARGS]..."),  # simroi alone: what it can do
        (["run", "--help"], "Usage: main run [OPTIONS] [SCENARIO]"),
        (["--version"], "simroi, version "),
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0 and not result.stderr, args
        assert result.stdout.startswith(shown), result.stdout
