"""`--engine`: compiled by default, compiled once and then cached, and never loaded by commands
that do not simulate.

The compile message and the import checks run in fresh processes: one with an empty cache
directory (``NUMBA_CACHE_DIR``) to see the first run compile and the second load what it wrote.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from simroi.cli import main

QUEUE = ["queue", "--arrivals-per-hour", "60", "--aht-minutes", "3", "--agents", "4"]
NOTICE = "compiling kernels (first run only)…"

# Runs simroi commands in this one process, then says which of them left numba imported.
_RUN_COMMANDS = """
import json, sys
from simroi.cli import main
seen = []
for argv in json.loads(sys.argv[1]):
    try:
        main(argv, standalone_mode=True)
    except SystemExit as stop:
        assert not stop.code, (argv, stop.code)
    seen.append([argv[0], "numba" in sys.modules])
print(json.dumps(seen))
"""


def _python(
    code: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_commands_that_do_not_simulate_never_import_numba(tmp_path: Path) -> None:
    result = tmp_path / "r.npz"
    short = ["--set", "scenario.horizon_months=2", "--set", "simulation.sampled_days_per_month=1"]
    commands = [
        ["validate", "default"],
        ["inputs", "default"],
        ["schema"],
        ["init", str(tmp_path / "my.toml")],
        ["scenarios"],
        # the numpy engine simulates without numba too
        [
            "run",
            "--engine",
            "numpy",
            "--trials",
            "4",
            "--seed",
            "1",
            "--workers",
            "1",
            *short,
            "--out",
            str(result),
            "--quiet",
        ],
        ["export", str(result), "--to", str(tmp_path / "table.md")],
    ]
    done = _python(_RUN_COMMANDS, json.dumps(commands))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [[c[0], False] for c in commands]


def test_the_first_compiled_run_says_it_compiles_and_later_ones_load_the_cache(
    tmp_path: Path,
) -> None:
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    code = "from simroi.cli import main; main()"
    first = _python(code, *QUEUE, "--trials", "5", "--seed", "1", "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert NOTICE in first.stderr
    assert any((tmp_path / "cache").rglob("*.nbi")), "the kernels are cached on disk"
    second = _python(code, *QUEUE, "--trials", "5", "--seed", "1", "--json", env=env)
    assert second.returncode == 0, second.stderr
    assert NOTICE not in second.stderr
    assert json.loads(second.stdout)["simulated"] == json.loads(first.stdout)["simulated"]


def test_every_engine_gives_the_queue_study_and_the_two_recursions_agree_to_the_bit() -> None:
    runner = CliRunner()
    days = {}
    for engine in ("compiled", "numpy", "simpy"):
        out = runner.invoke(main, [*QUEUE, "--trials", "6", "--seed", "4", "--json",
                                   "--engine", engine])  # fmt: skip
        assert out.exit_code == 0, out.output
        data = json.loads(out.output)
        assert data["engine"] == engine
        days[engine] = data["simulated"]
    assert days["compiled"] == days["numpy"]
    for kpi, value in days["numpy"].items():  # simpy: the same contacts, times within 1e-6 s
        simpy = days["simpy"][kpi]
        assert math.isclose(simpy["mean"], value["mean"], rel_tol=1e-6, abs_tol=1e-9), kpi


def test_the_numpy_engines_former_name_still_reads_and_replays_as_numpy() -> None:
    out = CliRunner().invoke(main, [*QUEUE, "--trials", "5", "--seed", "2", "--engine",
                                    "vectorized"])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "--engine numpy" in out.output


def test_an_unknown_engine_is_a_one_line_error_naming_the_choices() -> None:
    out = CliRunner().invoke(main, [*QUEUE, "--engine", "fast"])
    assert out.exit_code == 2
    assert "'fast' is not one of 'compiled', 'numpy', 'simpy'" in out.output
