"""Fuzzing as a suite: mutated copies of the bundled scenarios, and valid extreme ones, through
``validate``, ``inputs``, ``run`` and ``export`` — never a traceback.

Two generators: schema-independent mutation of the real files users start from
(:mod:`fuzzing`), and a hypothesis strategy of *valid* extreme settings (a one-minute day,
10,000 agents, a channel without volume, probabilities at 0 or 1). CI runs a bounded budget;
``benchmarks/fuzz.py`` runs thousands with a seed and records the figures.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fuzzing import mutate, verdict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simroi.cli.app import main
from simroi.scenario.load import bundled_scenarios

SHORT = [
    "--trials",
    "8",
    "--seed",
    "1",
    "--workers",
    "1",
    "--set",
    "scenario.horizon_months=2",
    "--set",
    "simulation.sampled_days_per_month=1",
]
MUTANTS = 240  # cases through validate and inputs; those that validate also run and export
RUNS = 25


def _check(runner: CliRunner, args: list[str], case: str) -> int:
    out = runner.invoke(main, args, catch_exceptions=True)
    found = verdict(out.exit_code, out.output, out.exception)
    assert found.kind != "crash", f"{case}: simroi {' '.join(args)}: {found.detail}"
    return out.exit_code


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled scenarios side by side, so baselines named by file still resolve."""
    here = tmp_path_factory.mktemp("bundled")
    for path in bundled_scenarios().values():
        shutil.copy(path, here / path.name)
    return here


def test_mutated_bundled_scenarios_are_run_or_refused_in_one_line_each(folder: Path) -> None:
    rng = np.random.default_rng(20261206)
    runner = CliRunner()
    originals = sorted(folder.glob("*.toml"))
    runs = 0
    kinds = {0: 0, 2: 0}
    for case in range(MUTANTS):
        source = originals[int(rng.integers(len(originals)))]
        mutant = folder / f"mutant-{case}.toml"
        mutant.write_text(mutate(source.read_text(), rng))
        name = f"case {case} ({source.name})"
        code = _check(runner, ["validate", str(mutant)], name)
        kinds[code] = kinds.get(code, 0) + 1
        _check(runner, ["inputs", str(mutant), "--json"], name)
        if code == 0 and runs < RUNS:
            runs += 1
            result = folder / f"result-{case}.npz"
            if _check(runner, ["run", str(mutant), *SHORT, "--quiet", "--out", str(result)], name):
                assert not result.exists(), f"{name}: a refused run left {result.name}"
                continue
            _check(runner, ["export", str(result), "--to", str(folder / f"t-{case}.csv")], name)
        mutant.unlink()
    # Both outcomes are exercised: the mutator is neither toothless nor always fatal.
    assert kinds[0] > 10 and kinds[2] > 50, kinds


EXTREMES = {
    "channels.phone.hours": [
        '{ open = "10:00", close = "10:01" }',
        '{ open = "00:00", close = "24:00" }',
    ],
    "channels.phone.agents": ["0", "10000"],
    "channels.email.agents": ["0", "5000"],
    "channels.social.agents": ["0", "1", "2000"],
    "channels.phone.contacts_per_customer_per_year": ["0", "1e-9", "40"],
    "channels.social.contacts_per_customer_per_year": ["0", "1e-9"],
    "channels.phone.fcr": ["0", "1"],
    "channels.social.fcr": ["0", "1"],
    "channels.social.public_share": ["0", "1"],
    "channels.phone.retry_share": ["0", "1"],
    "channels.phone.patience_minutes": ["0.001", "10000"],
    "channels.social.ignore_after_hours": ["0.001", "10000"],
    "channels.phone.handle_time_minutes": ["0.001", "600"],
    "channels.phone.busyness_cv": ["0", "3"],
    "customers.monthly_churn": ["0", "0.999"],
    "customers.active_customers": ["1", "1000"],
    "experience.churn_multiplier_ignored": ["1", "50"],
    "experience.retry_outcome": ['"final"', '"each"'],
    "deflection.self_service_share": ["0", "0.95"],
    "deflection.contacts_deflected_per_public_answer": ["0", "100"],
    "word_of_mouth.impression_rate": ["0", "1"],
    "scenario.discount_rate": ["0", "2"],
    "program.setup_cost": ["0", "1e12"],
}


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.dictionaries(
        st.sampled_from(sorted(EXTREMES)), st.integers(0, 2), min_size=1, max_size=6
    ).map(lambda d: {k: EXTREMES[k][i % len(EXTREMES[k])] for k, i in d.items()})
)
def test_valid_extreme_scenarios_run_and_export_or_are_refused_in_one_line(
    tmp_path_factory: pytest.TempPathFactory, extremes: dict[str, str]
) -> None:
    here = tmp_path_factory.mktemp("extreme")
    sets = [w for k, v in extremes.items() for w in ("--set", f"{k}={v}")]
    runner = CliRunner()
    case = str(extremes)
    result = here / "result.npz"
    if _check(runner, ["run", *SHORT, *sets, "--quiet", "--out", str(result)], case) == 0:
        _check(runner, ["export", str(result), "--to", str(here / "t.md")], case)
    else:
        assert not result.exists()
