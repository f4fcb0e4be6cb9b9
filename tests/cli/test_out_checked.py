"""``--out`` is checked before simulating, by every command that writes one.

An unwritable output found after hours of simulation loses the hours: ``run``, ``compare``,
``sweep`` and ``sensitivity`` check the name (a result file's, ``.npz``) and try the directory
first (one helper, :func:`simroi.cli.options.check_result_file`) and refuse with one line and
exit status 2.
"""

from __future__ import annotations

import errno
import os
import shlex
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import simroi.analysis.comparison
import simroi.analysis.sensitivity
import simroi.analysis.sweep
import simroi.execution.runner
from simroi.cli.app import main
from simroi.cli.options import check_result_file

COMMANDS = {
    "run": (["run"], simroi.execution.runner, "run"),
    "compare": (
        ["compare", "default", "social-team-2"],
        simroi.analysis.comparison,
        "run_comparison",
    ),
    "sweep": (["sweep", "--set", "channels.social.agents=1,2"], simroi.analysis.sweep, "run_sweep"),
    "sensitivity": (["sensitivity"], simroi.analysis.sensitivity, "run_sensitivity"),
}


def _must_not_run(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("simulated before checking the output")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_an_unwritable_out_is_refused_before_simulating(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args, module, simulates = COMMANDS[name]
    monkeypatch.setattr(module, simulates, _must_not_run)

    def denied(*args: Any, **kwargs: Any) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    with monkeypatch.context() as patched:  # the directory exists, but the OS says no
        patched.setattr(tempfile, "TemporaryFile", denied)
        out = tmp_path / "r.npz"
        result = CliRunner().invoke(main, [*args, "--trials", "10", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"error: {out}: cannot write: Permission denied"
    out = tmp_path / "missing" / "r.npz"
    result = CliRunner().invoke(main, [*args, "--trials", "10", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        f"error: {out}: cannot write: directory {str(out.parent)!r} does not exist"
    )


@pytest.mark.parametrize("name", list(COMMANDS))
def test_an_out_not_named_as_a_result_file_is_refused_before_simulating(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table's or a deck's name would get a NumPy archive under it: the line says what to
    name the result and how to export the file that was meant."""
    args, module, simulates = COMMANDS[name]
    monkeypatch.setattr(module, simulates, _must_not_run)
    for given, wanted, exported in (
        ("table.csv", "table.npz", "table.csv"),
        ("run.trials.npz", "run.npz", "run.trials.npz"),  # the raw trials' export
        ("notes.txt", "notes.npz", "FILE"),
        ("result", "result.npz", "FILE"),
        (".npz", "result.npz", "FILE"),
        ("v1.2", "v1.2.npz", "FILE"),  # not a file type: kept
        ("data.h5", "data.npz", "FILE"),
        ("result.npz.bak", "result.bak.npz", "FILE"),  # not the file it was a copy of
        ("result.npz.1", "result.1.npz", "FILE"),
        ("runs/", "runs.npz", "FILE"),
        ("my results.csv", "my results.npz", "my results.csv"),  # quoted in the command
    ):
        out = tmp_path / given
        out_arg = str(out) + ("/" if given.endswith("/") else "")
        result = CliRunner().invoke(main, [*args, "--trials", "10", "--out", out_arg])
        assert result.exit_code == 2, result.output
        export_to = shlex.quote(str(tmp_path / exported)) if exported != "FILE" else exported
        assert result.stderr.strip() == (
            f"error: {out_arg}: --out writes a result file, named like result.npz (got "
            f"{out.name!r}); "
            f"write {tmp_path / wanted} and make tables, charts or slides from it with "
            f"`simroi export {shlex.quote(str(tmp_path / wanted))} --to {export_to}`"
        )
        assert not out.exists()
        check_result_file(str(tmp_path / wanted))  # the name suggested is taken
    out = tmp_path / "missing" / "t.csv"
    result = CliRunner().invoke(main, [*args, "--trials", "10", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"write {out.with_suffix('.npz')} (directory {str(out.parent)!r} does not exist)" in (
        result.stderr
    )


def test_an_empty_out_is_refused_in_one_line() -> None:
    result = CliRunner().invoke(main, ["run", "--trials", "2", "--out", ""])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        "error: : --out writes a result file, named like result.npz (got ''); write result.npz "
        "and make tables, charts or slides from it with `simroi export result.npz --to FILE`"
    )


def test_an_out_with_a_line_break_in_its_name_is_refused_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "two\nlines.csv"
    result = CliRunner().invoke(main, ["run", "--trials", "2", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1  # the one line's own end
    assert result.stderr.startswith(f"error: {tmp_path}/two\\nlines.csv: --out writes a result")
    assert not out.exists()
