"""``--resume`` for compare, sweep and sensitivity on the command line: Ctrl-C keeps the finished
runs beside --out and prints the command that resumes; that command writes the result file an
uninterrupted command writes; a resume with other settings is refused in one line."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import simroi.cli.resumable
from simroi.cli.app import main
from simroi.execution.result import load_any

FAST = ["scenario.horizon_months=2", "simulation.sampled_days_per_month=1"]
COMMON = [
    *(w for o in [*FAST, "simulation.block_size=10"] for w in ("--set", o)),
    *("--trials", "20", "--workers", "1", "--quiet"),
]
COMMANDS = {
    "compare": ["compare", "default", "social-team-2"],
    "sweep": ["sweep", "--set", "channels.social.agents=1:2"],
    "sensitivity": ["sensitivity", "--top", "1", "--swing-trials", "10"],
}


def stop_after(monkeypatch: pytest.MonkeyPatch, blocks: int) -> None:
    """Press Ctrl-C at the ``blocks``-th progress report of the next command."""
    calls = []

    def update(done: int, planned: int) -> None:
        calls.append(done)
        if len(calls) == blocks:
            raise KeyboardInterrupt

    monkeypatch.setattr(
        simroi.cli.resumable, "progress_bar", lambda quiet, estimate=None: (None, update)
    )


def arrays(path: Path) -> dict[str, Any]:
    result = load_any(path)
    runs = getattr(result, "runs", [result])
    return {f"{i}/{k}": v for i, run in enumerate(runs) for k, v in run.samples.items()}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_interrupted_command_resumes_to_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    runner = CliRunner()
    whole = tmp_path / "whole.npz"
    done = runner.invoke(main, [*COMMANDS[command], *COMMON, "--seed", "11", "--out", str(whole)])
    assert done.exit_code == 0, done.output

    out = tmp_path / "part.npz"
    with monkeypatch.context() as patch:
        stop_after(patch, 3)  # two blocks of the first run, one of the second
        args = [*COMMANDS[command], *COMMON, "--seed", "11", "--out", str(out)]
        stopped = runner.invoke(main, args)
    assert stopped.exit_code == 130, stopped.output
    first, second = stopped.stderr.strip().splitlines()
    kept = tmp_path / "part.npz.checkpoint"
    assert first.startswith("interrupted after 30 of ") and first.endswith(f"kept in {kept}")
    assert second.startswith(f"resume with: simroi {command} ") and second.endswith("--resume")
    assert not out.exists() and kept.is_dir()

    words = shlex.split(second.removeprefix("resume with: "))
    assert words[words.index("--trials") + 1] == "20" and words[words.index("--seed") + 1] == "11"
    resumed = runner.invoke(main, [*words[1:], "--workers", "1", "--quiet"])
    assert resumed.exit_code == 0, resumed.output
    assert not kept.exists()  # removed once the result is written
    got, want = arrays(out), arrays(whole)
    assert got.keys() == want.keys()
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key, strict=True)


def test_a_resume_with_other_settings_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "s.npz"
    args = [*COMMANDS["sweep"], *COMMON, "--seed", "5", "--out", str(out)]
    with monkeypatch.context() as patch:
        stop_after(patch, 1)
        assert CliRunner().invoke(main, args).exit_code == 130
    cases = {
        ("--set", "customers.prospects=1"): "it has overrides [",
        ("--seed", "6"): "it has seed 5, this sweep has seed 6",
    }
    for extra, reason in cases.items():
        refused = CliRunner().invoke(main, [*args, *extra, "--resume"])
        assert refused.exit_code == 2
        (line,) = refused.stderr.splitlines()
        assert line.startswith(f"error: {out}.checkpoint: cannot resume") and reason in line
    other = CliRunner().invoke(main, [*COMMANDS["compare"], *COMMON, "--out", str(out), "--resume"])
    assert other.exit_code == 2
    assert "this is the checkpoint of a sweep, not of a compare" in other.stderr
    again = CliRunner().invoke(main, args)  # without --resume: the checkpoint is not overwritten
    assert again.exit_code == 2 and "continue it with --resume, or delete it" in again.stderr


@pytest.mark.parametrize("command", ["run", *COMMANDS])
def test_every_simulating_command_offers_resume(command: str) -> None:
    shown = CliRunner().invoke(main, [command, "--help"], terminal_width=200)
    assert shown.exit_code == 0
    assert "--resume" in shown.output and "--checkpoint DIR" in shown.output
    assert "exit status 130" in " ".join(shown.output.split())


def test_resume_needs_a_checkpoint() -> None:
    refused = CliRunner().invoke(main, [*COMMANDS["compare"], *COMMON, "--resume"])
    assert refused.exit_code == 2
    assert "--resume needs the interrupted run's checkpoint" in refused.stderr
