"""Uncertain intraday profiles and weekday factors (Dirichlet concentrations) and an uncertain
patience shape: the draws against their closed forms, and the keys' validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from strategies import share_vectors, streams

from simroi.cli.app import main
from simroi.randomness import Streams
from simroi.scenario.load import bundled_scenarios, load_scenario, scenario_json_schema
from simroi.scenario.profile import MAX_CONCENTRATION, draw_shares
from simroi.scenario.quantity import as_distribution

DEFAULT = bundled_scenarios()["default"]
PHONE = "[channels.phone]\n"  # realtime, open 08:00-20:00
DRAWS = 20_000


def with_lines(tmp_path: Path, lines: str) -> Path:
    """The default scenario with ``lines`` at the top of its phone channel."""
    path = tmp_path / "s.toml"
    path.write_text(DEFAULT.read_text().replace(PHONE, PHONE + lines, 1))
    return path


@pytest.mark.parametrize("concentration", [0.5, 20.0, 3000.0])
def test_dirichlet_shares_have_the_closed_form_mean_and_variance(concentration: float) -> None:
    """Each share is Beta(c p, c (1 − p)): mean p and variance p (1 − p) / (c + 1); two shares
    covary by −p_i p_j / (c + 1). Tolerances: 4 standard errors of each sample moment (the
    variance's from the Beta's fourth central moment)."""
    shares = np.array([0.5, 0.3, 0.15, 0.05, 0.0])
    drawn = draw_shares(shares, concentration, DRAWS, rng=np.random.default_rng(7))
    assert drawn.shape == (DRAWS, 5)
    np.testing.assert_allclose(drawn.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(drawn[:, 4] == 0.0)
    for i, p in enumerate(shares[:4]):
        marginal = stats.beta(concentration * p, concentration * (1 - p))
        var = p * (1 - p) / (concentration + 1)
        assert marginal.var() == pytest.approx(var)
        mean_se = np.sqrt(var / DRAWS)
        assert abs(drawn[:, i].mean() - p) < 4 * mean_se, i
        fourth = (float(marginal.stats(moments="k")) + 3.0) * var**2
        var_se = np.sqrt((fourth - var**2) / DRAWS)
        assert abs(drawn[:, i].var(ddof=1) - var) < 4 * var_se, i
    cov = np.cov(drawn[:, 0], drawn[:, 1])[0, 1]
    expected = -shares[0] * shares[1] / (concentration + 1)
    # the product's spread bounds the covariance's standard error
    cov_se = np.std((drawn[:, 0] - 0.5) * (drawn[:, 1] - 0.3)) / np.sqrt(DRAWS)
    assert abs(cov - expected) < 4 * cov_se


@settings(max_examples=60, deadline=None)
@given(shares=share_vectors(), concentration=st.floats(0.01, 1e6), block=streams())
def test_drawn_shares_sum_to_one_keep_zeros_and_repeat_with_their_stream(
    shares: np.ndarray, concentration: float, block: Streams
) -> None:
    first = draw_shares(shares, concentration, 16, rng=block.rng("input", "x"))
    again = draw_shares(shares, concentration, 16, rng=block.rng("input", "x"))
    np.testing.assert_array_equal(first, again)
    assert np.all(first >= 0.0)
    np.testing.assert_allclose(first.sum(axis=1), 1.0, rtol=1e-9)
    assert np.all(first[:, shares == 0] == 0.0)


def test_the_keys_load_and_absent_they_are_none(tmp_path: Path) -> None:
    lines = (
        "intraday_profile_concentration = 400\nweekday_factors_concentration = 1500\n"
        'patience_shape = { dist = "normal", mean = 1.4, sd = 0.1, low = 0.5, high = 3 }\n'
    )
    path = str(with_lines(tmp_path, lines))
    phone = load_scenario(path, overrides=['channels.phone.patience_dist="weibull"'])
    phone = phone.program.channels["phone"]
    assert phone.intraday_profile_concentration == 400.0
    assert phone.weekday_factors_concentration == 1500.0
    assert as_distribution(phone.patience_shape).mean() == pytest.approx(1.4, rel=1e-3)
    default = load_scenario().program
    assert "channels.phone.patience_shape" not in default.uncertain_inputs()
    for channel in default.channels.values():
        assert channel.intraday_profile_concentration is None
        assert channel.weekday_factors_concentration is None
        assert channel.patience_shape == 1.0


BAD = [
    ("intraday_profile_concentration = 0\n", "channels.phone.intraday_profile_concentration",
     ["must be > 0 ", "(got 0)"]),
    ("weekday_factors_concentration = -5\n", "channels.phone.weekday_factors_concentration",
     ["must be > 0 ", "(got -5)"]),
    (f"weekday_factors_concentration = {MAX_CONCENTRATION * 10:g}\n",
     "channels.phone.weekday_factors_concentration",
     ["must be ≤ 1000000000000 ", "(got 10000000000000.0)"]),
    ('intraday_profile_concentration = "high"\n', "channels.phone.intraday_profile_concentration",
     ["number", "'high'"]),
    ("patience_shape = 0\n", "channels.phone.patience_shape",
     ["must be in [0.01, 20] (a Weibull shape or lognormal sigma)", "(got 0)"]),
    ('patience_shape = { dist = "normal", mean = 1.2, sd = 0.3 }\n',
     "channels.phone.patience_shape", ["must be in [0.01, 20]", "support [-inf, inf]"]),
]  # fmt: skip


@pytest.mark.parametrize(("lines", "key", "fragments"), BAD)
def test_a_bad_value_is_one_line_naming_key_rule_and_value(
    tmp_path: Path, lines: str, key: str, fragments: list[str]
) -> None:
    path = with_lines(tmp_path, lines)
    result = CliRunner(env={"COLUMNS": "240"}).invoke(main, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"error: {path}: {key}: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)


def test_the_json_schema_describes_the_new_keys() -> None:
    channel = scenario_json_schema()["$defs"]["ChannelSpec"]["properties"]
    for key in ("intraday_profile_concentration", "weekday_factors_concentration"):
        number = next(s for s in channel[key]["anyOf"] if s.get("type") == "number")
        assert number["exclusiveMinimum"] == 0 and number["maximum"] == MAX_CONCENTRATION
        assert "Dirichlet" in channel[key]["description"]
    # patience_shape: a number or an uncertain input, like handle_time_minutes
    assert channel["patience_shape"]["oneOf"] == channel["handle_time_minutes"]["oneOf"]
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0 and "weekday_factors_concentration" in result.output
