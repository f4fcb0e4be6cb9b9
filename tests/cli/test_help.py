"""What ``--help`` tells a newcomer about the numbers each command prints."""

from __future__ import annotations

import re

from click.testing import CliRunner

from simroi.cli.app import main


def _help(command: str) -> str:
    result = CliRunner().invoke(main, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return re.sub(r"\s+", " ", result.output)  # as one line: help text wraps anywhere


def test_compare_and_sweep_say_that_ties_share_p_best() -> None:
    assert "scenarios tied for the highest NPV in a trial share it equally" in _help("compare")
    assert "points tied for the highest NPV in a trial share it equally" in _help("sweep")


def test_run_says_an_undefined_roi_is_not_positive() -> None:
    assert "P(ROI > 0) counts it as not positive" in _help("run")


def test_export_takes_the_result_of_every_command_with_out() -> None:
    assert "a file written by run, compare, sweep or sensitivity --out" in _help("export")
