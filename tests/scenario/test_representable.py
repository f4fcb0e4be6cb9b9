"""Parameters beyond double precision are refused in one line, never with a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from simroi.cli.app import main
from simroi.errors import ScenarioError
from simroi.scenario.load import bundled_scenarios, load_scenario

KEY = "customers.acquisition_cost_per_customer"
UNREPRESENTABLE = [
    '{ dist = "gamma", mean = 1e-300, sd = 1 }',  # shape (mean/sd)² underflows to 0
    '{ dist = "gamma", mean = 1e300, cv = 1e-200 }',  # shape overflows
    '{ dist = "beta", mean = 0.5, sd = 1e-301 }',  # sd² underflows to 0
    '{ dist = "normal", mean = 1, sd = 1e308 }',  # variance overflows
    '{ dist = "lognormal", p5 = 1, p95 = 1e308 }',  # log-scale variance overflows
]


@pytest.mark.parametrize("value", UNREPRESENTABLE)
def test_unrepresentable_parameters_are_one_scenario_error_naming_key_and_value(
    value: str,
) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(overrides=[f"{KEY}={value}"])
    message = str(caught.value)
    assert len(message.splitlines()) == 1
    assert KEY in message and "double precision" in message


def test_validate_refuses_the_underflowing_gamma_with_exit_2_and_no_traceback(
    tmp_path: Path,
) -> None:
    text = bundled_scenarios()["default"].read_text()
    old = "acquisition_cost_per_customer = "
    line = next(x for x in text.splitlines() if x.startswith(old))
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(line, old + UNREPRESENTABLE[0]))
    out = CliRunner().invoke(main, ["validate", str(bad)])
    assert out.exit_code == 2
    assert "Traceback" not in out.output and "ZeroDivisionError" in out.output
    assert "bad.toml" in out.output and KEY in out.output and "1e-300" in out.output


def test_tiny_but_representable_values_still_work() -> None:
    # Subnormal means whose parameters stay finite are not refused: they simply work.
    load_scenario(overrides=[f'{KEY}={{ dist = "exponential", mean = 5e-324 }}'])
