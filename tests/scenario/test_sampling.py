"""Per-trial input sampling: Latin hypercube strata, streams keyed by name, correlation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from scipy import stats
from strategies import streams

from simroi.errors import ScenarioError
from simroi.randomness import Streams
from simroi.scenario.distributions import LogNormal, Pert, Poisson, Uniform
from simroi.scenario.quantiles import open_uniforms
from simroi.scenario.quantity import Distribution
from simroi.scenario.sampling import InputSample, sample_inputs

STREAMS = Streams(entropy=20_240_611, block=0)

INPUTS: dict[str, Distribution | float] = {
    "handle_time_minutes": LogNormal(p5=3, p95=9),
    "fcr": Pert(low=0.6, mode=0.72, high=0.8),
    "contacts_per_day": Poisson(mean=40),
    "cost_per_agent_hour": 38.5,
}
CORRELATION = (
    ["handle_time_minutes", "fcr", "contacts_per_day"],
    np.array([[1.0, -0.5, 0.3], [-0.5, 1.0, 0.0], [0.3, 0.0, 1.0]]),
)


def _cdf(dist: Distribution, x: np.ndarray) -> np.ndarray:
    """The marginal's CDF, from scipy (independent of the implementation under test)."""
    if isinstance(dist, LogNormal):
        mu, sigma = dist.log_params()
        return stats.lognorm(sigma, scale=math.exp(mu)).cdf(x)
    assert isinstance(dist, Pert)
    width = dist.high - dist.low
    alpha = 1 + dist.lamb * (dist.mode - dist.low) / width
    return stats.beta(alpha, 2 + dist.lamb - alpha, loc=dist.low, scale=width).cdf(x)


@pytest.mark.parametrize("name", ["handle_time_minutes", "fcr"])
def test_latin_hypercube_puts_exactly_one_draw_in_each_stratum(name: str) -> None:
    n = 2000
    x = sample_inputs(INPUTS, n, streams=STREAMS).values[name]
    strata = np.floor(_cdf(INPUTS[name], x) * n).astype(int)
    np.testing.assert_array_equal(np.sort(strata), np.arange(n))


def test_latin_hypercube_draws_come_in_random_order() -> None:
    x = sample_inputs({"u": Uniform(low=0, high=1)}, 1000, streams=STREAMS).values["u"]
    assert abs(stats.spearmanr(np.arange(1000), x).statistic) < 4 / math.sqrt(1000)


def test_monte_carlo_is_the_ppf_of_the_named_stream() -> None:
    dist = INPUTS["handle_time_minutes"]
    assert not isinstance(dist, float)
    values = sample_inputs(INPUTS, 100, streams=STREAMS, method="mc").values
    expected = dist.ppf(open_uniforms(100, rng=STREAMS.rng("input", "handle_time_minutes")))
    np.testing.assert_array_equal(values["handle_time_minutes"], expected)


@settings(max_examples=25, deadline=None)
@given(streams())
def test_same_streams_give_identical_arrays(block_streams: Streams) -> None:
    for method in ("lhs", "mc"):
        first = sample_inputs(INPUTS, 64, streams=block_streams, method=method)
        second = sample_inputs(INPUTS, 64, streams=block_streams, method=method)
        assert first.values.keys() == second.values.keys()
        for name in INPUTS:
            np.testing.assert_array_equal(first[name], second[name])


@pytest.mark.parametrize("method", ["lhs", "mc"])
def test_adding_an_input_leaves_the_others_bit_identical(method: str) -> None:
    before = sample_inputs(INPUTS, 500, streams=STREAMS, method=method)
    more = {"new_input": Uniform(low=0, high=1), **INPUTS}
    after = sample_inputs(more, 500, streams=STREAMS, method=method)
    for name in INPUTS:
        np.testing.assert_array_equal(before[name], after[name])
    fewer = {k: v for k, v in INPUTS.items() if k != "fcr"}
    without = sample_inputs(fewer, 500, streams=STREAMS, method=method)
    for name in fewer:
        np.testing.assert_array_equal(before[name], without[name])


def test_different_blocks_and_seeds_draw_different_values() -> None:
    base = sample_inputs(INPUTS, 100, streams=STREAMS)
    for other in (Streams(STREAMS.entropy, 1), Streams(STREAMS.entropy + 1, 0)):
        sample = sample_inputs(INPUTS, 100, streams=other)
        assert not np.array_equal(base["handle_time_minutes"], sample["handle_time_minutes"])
        assert not np.array_equal(base["fcr"], sample["fcr"])


def test_arrays_are_read_only_float64_with_one_value_per_trial() -> None:
    sample = sample_inputs(INPUTS, 37, streams=STREAMS)
    assert isinstance(sample, InputSample) and list(sample) == list(INPUTS) and len(sample) == 4
    for name in sample:
        assert sample[name].shape == (37,) and sample[name].dtype == np.float64
        assert not sample[name].flags.writeable
    np.testing.assert_array_equal(sample["cost_per_agent_hour"], np.full(37, 38.5))
    assert sample.achieved_correlation is None and sample.requested_correlation is None


def test_fixed_inputs_are_exact_constants_whatever_the_method() -> None:
    for method in ("lhs", "mc"):
        values = sample_inputs({"x": 2.0}, 5, streams=STREAMS, method=method).values
        np.testing.assert_array_equal(values["x"], [2.0] * 5)


def test_correlation_reorders_without_changing_any_marginal() -> None:
    plain = sample_inputs(INPUTS, 5000, streams=STREAMS)
    mixed = sample_inputs(INPUTS, 5000, streams=STREAMS, correlation=CORRELATION)
    for name in INPUTS:
        np.testing.assert_array_equal(np.sort(plain[name]), np.sort(mixed[name]))
    np.testing.assert_array_equal(plain["cost_per_agent_hour"], mixed["cost_per_agent_hour"])


def test_correlation_reports_achieved_beside_requested() -> None:
    sample = sample_inputs(INPUTS, 5000, streams=STREAMS, correlation=CORRELATION)
    names, requested = CORRELATION
    assert sample.correlation_names == tuple(names)
    assert sample.requested_correlation is not None and sample.achieved_correlation is not None
    np.testing.assert_array_equal(sample.requested_correlation, requested)
    # The Poisson column has ties, so its rank correlation falls a little short of the target.
    assert np.max(np.abs(sample.achieved_correlation - requested)) < 0.03
    recomputed = stats.spearmanr(np.column_stack([sample[n] for n in names])).statistic
    np.testing.assert_allclose(sample.achieved_correlation, recomputed, atol=1e-12)


def test_correlated_inputs_do_not_disturb_uncorrelated_ones() -> None:
    more = {**INPUTS, "other": Uniform(low=1, high=2)}
    plain = sample_inputs(more, 300, streams=STREAMS)
    mixed = sample_inputs(more, 300, streams=STREAMS, correlation=CORRELATION)
    np.testing.assert_array_equal(plain["other"], mixed["other"])


def test_a_fixed_input_in_a_correlation_is_left_out_of_the_reordering() -> None:
    names = ["handle_time_minutes", "cost_per_agent_hour"]
    sample = sample_inputs(
        INPUTS, 200, streams=STREAMS, correlation=(names, np.array([[1, 0.5], [0.5, 1]]))
    )
    plain = sample_inputs(INPUTS, 200, streams=STREAMS)
    np.testing.assert_array_equal(sample["handle_time_minutes"], plain["handle_time_minutes"])
    assert sample.achieved_correlation is not None
    assert np.isnan(sample.achieved_correlation[0, 1])


def test_correlation_naming_an_unknown_input_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match="correlation names 'aht', which is not an input"):
        sample_inputs(INPUTS, 10, streams=STREAMS, correlation=(["aht", "fcr"], np.eye(2)))


def test_invalid_correlation_matrix_is_a_scenario_error() -> None:
    bad = (["handle_time_minutes", "fcr"], np.array([[1, 0.5], [0.2, 1]]))
    with pytest.raises(ScenarioError, match="symmetric"):
        sample_inputs(INPUTS, 10, streams=STREAMS, correlation=bad)


def test_bad_block_size_or_method_is_refused() -> None:
    with pytest.raises(ValueError, match=r"n must be ≥ 1 \(got 0\)"):
        sample_inputs(INPUTS, 0, streams=STREAMS)
    with pytest.raises(ValueError, match="method must be 'lhs' or 'mc'"):
        sample_inputs(INPUTS, 10, streams=STREAMS, method="sobol")


def test_latin_hypercube_mean_error_is_far_below_monte_carlo_error() -> None:
    # The point of stratifying: for a smooth marginal the LHS mean error shrinks like 1/n, not
    # 1/√n. Over 20 blocks, LHS block means scatter much less than one MC standard error.
    dist = LogNormal(p5=3, p95=9)
    n = 400
    means = [
        sample_inputs({"x": dist}, n, streams=Streams(STREAMS.entropy, b)).values["x"].mean()
        for b in range(20)
    ]
    assert np.std(means) < 0.25 * math.sqrt(dist.var() / n)
